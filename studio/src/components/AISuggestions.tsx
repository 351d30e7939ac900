// The panel beside the steps: prompts for the current step, from the gateway (the configured
// language model, or built-in ideas), in the story's language.
import { useEffect, useState } from "react";

import { api } from "../api";
import { useI18n } from "../i18n";

export function AISuggestions({
  step,
  language,
  context,
  onPick,
}: {
  step: string;
  language: string;
  context: string;
  onPick: (text: string) => void;
}) {
  const { t } = useI18n();
  const [items, setItems] = useState<string[] | null>(null);
  const [source, setSource] = useState("");
  useEffect(() => {
    if (step === "preview") return;
    let live = true;
    setItems(null);
    const timer = setTimeout(() => {
      api
        .suggestions(step, language, context)
        .then((answer) => {
          if (!live) return;
          setItems(answer.suggestions);
          setSource(answer.source);
        })
        .catch(() => live && setItems([]));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // The context is read when the step or language changes, not on every key stroke.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [step, language]);
  if (step === "preview") return null;
  return (
    <aside className="suggestions" aria-labelledby="suggestions-title" aria-busy={items === null}>
      <h2 id="suggestions-title">{t("suggest.title")}</h2>
      {items === null && <p>{t("suggest.loading")}</p>}
      {items?.length === 0 && <p>{t("suggest.none")}</p>}
      <ul>
        {items?.map((item) => (
          <li key={item}>
            <button
              type="button"
              className="suggestion"
              onClick={() => onPick(item)}
              aria-label={t("suggest.use", { text: item })}
            >
              {item}
            </button>
          </li>
        ))}
      </ul>
      {items && items.length > 0 && (
        <small>{source === "llm" ? t("suggest.fromModel") : t("suggest.offline")}</small>
      )}
    </aside>
  );
}
