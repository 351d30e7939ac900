import { useState, type FormEvent } from "react";

import { api, type Story } from "../api";
import { describe } from "../errors";
import { useI18n } from "../i18n";

export function Feedback({ story, onSent }: { story: Story; onSent: (story: Story) => void }) {
  const { t } = useI18n();
  const [rating, setRating] = useState(story.feedback?.rating ?? 0);
  const [comment, setComment] = useState(story.feedback?.comment ?? "");
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      onSent(await api.feedback(story.id, rating, comment));
    } catch (failure) {
      setError(describe(failure, t));
    }
  };
  return (
    <form className="feedback card" onSubmit={submit} aria-labelledby="feedback-title">
      <h2 id="feedback-title">{t("feedback.title")}</h2>
      <fieldset>
        <legend>{t("feedback.stars")}</legend>
        {[1, 2, 3, 4, 5].map((value) => (
          <label key={value} className={value <= rating ? "star on" : "star"}>
            <input
              type="radio"
              name="rating"
              value={value}
              checked={rating === value}
              onChange={() => setRating(value)}
            />
            <span aria-hidden="true">★</span>
            <span className="sr-only">{t("feedback.star", { n: value })}</span>
          </label>
        ))}
      </fieldset>
      <label htmlFor="feedback-comment">{t("feedback.comment")}</label>
      <textarea
        id="feedback-comment"
        name="comment"
        maxLength={1000}
        value={comment}
        onChange={(event) => setComment(event.target.value)}
      />
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <button type="submit" disabled={rating === 0}>
        {t("feedback.send")}
      </button>
      {story.feedback && (
        <p role="status" className="thanks">
          {t("feedback.thanks", { n: story.feedback.rating })}
        </p>
      )}
    </form>
  );
}
