// My stories, newest first, filtered by status.
import { useEffect, useState } from "react";

import { api, type Story } from "../api";
import { describe } from "../errors";
import { useI18n, type MessageKey } from "../i18n";
import { navigate } from "../router";

const FILTERS = ["", "draft", "planned", "preview_ready", "completed", "failed"];

export function StoryList() {
  const { t, language } = useI18n();
  const [status, setStatus] = useState("");
  const [stories, setStories] = useState<Story[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    api
      .stories(status || undefined)
      .then((page) => {
        if (!live) return;
        setStories(page.results);
        setCursor(page.next_cursor);
      })
      .catch((failure) => live && setError(describe(failure, t)));
    return () => {
      live = false;
    };
  }, [status, t]);

  const more = async () => {
    if (!cursor) return;
    const page = await api.stories(status || undefined, cursor);
    setStories([...stories, ...page.results]);
    setCursor(page.next_cursor);
  };

  return (
    <main id="main" className="list">
      <div className="list-head">
        <h1>{t("list.title")}</h1>
        <button type="button" onClick={() => navigate({ name: "new", projectId: null })}>
          {t("app.newStory")}
        </button>
      </div>
      <div className="filters" role="group" aria-label={t("list.title")}>
        {FILTERS.map((value) => (
          <button
            key={value || "all"}
            type="button"
            className={status === value ? "chip on" : "chip"}
            aria-pressed={status === value}
            onClick={() => setStatus(value)}
          >
            {value ? t(`state.${value}` as MessageKey) : t("list.all")}
          </button>
        ))}
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {stories.length === 0 && !error && <p>{t("list.empty")}</p>}
      <ul className="story-list">
        {stories.map((story) => (
          <li key={story.id} className="card">
            {story.thumbnail_url && <img src={story.thumbnail_url} alt="" className="thumb" />}
            <div>
              <h2>{story.title}</h2>
              <p>
                <span className="badge" data-status={story.status}>
                  {t(`state.${story.status}` as MessageKey)}
                </span>{" "}
                {t("list.created")}: {new Date(story.created_at).toLocaleString(language)}
              </p>
              <button
                type="button"
                className="secondary"
                onClick={() => navigate({ name: "story", storyId: story.id })}
              >
                {t("list.open")}
              </button>
            </div>
          </li>
        ))}
      </ul>
      {cursor && (
        <button type="button" className="secondary" onClick={more}>
          {t("list.more")}
        </button>
      )}
    </main>
  );
}
