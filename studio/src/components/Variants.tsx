// Variants of a story: the same plan with other pictures, previewed side by side; the one the
// creator likes opens as its own story, where its final is rendered.
import { useEffect, useState } from "react";

import { api, type Story } from "../api";
import { describe as describeError } from "../errors";
import { useI18n } from "../i18n";
import { navigate } from "../router";

const DONE = new Set(["preview_ready", "completed", "failed"]);

export function Variants({ story }: { story: Story }) {
  const { t } = useI18n();
  const [variants, setVariants] = useState<Story[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [asking, setAsking] = useState(false);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () =>
      api
        .variantsOf(story.id)
        .then((found) => {
          if (!live) return;
          setVariants(found);
          if (found.some((variant) => !DONE.has(variant.status))) timer = setTimeout(poll, 2000);
        })
        .catch(() => undefined);
    void poll();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [story.id, asking]);

  const make = () => {
    setAsking(true);
    setError(null);
    api
      .variants(story.id, 2)
      .catch((failure) => setError(describeError(failure, t)))
      .finally(() => setAsking(false));
  };

  return (
    <section aria-labelledby="variants-title" className="variants">
      <h2 id="variants-title">{t("variants.title")}</h2>
      <button type="button" onClick={make} disabled={asking}>
        {t("variants.make")}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <ul className="variant-grid">
        {variants.map((variant, index) => (
          <li key={variant.id} className="variant">
            <h3>{t("variants.number", { number: index + 1 })}</h3>
            {variant.preview_url ? (
              <video className="variant-video" src={variant.preview_url} controls preload="metadata" />
            ) : (
              <p>{t("run.waiting")}</p>
            )}
            <button
              type="button"
              disabled={!variant.preview_url}
              onClick={() => navigate({ name: "story", storyId: variant.id })}
            >
              {t("variants.choose")}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
