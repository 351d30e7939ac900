// The story's history (every fact, as a timeline) and its jobs, with retry and cancel.
import { useEffect, useState } from "react";

import { api, type HistoryItem, type Job } from "../api";
import { describe } from "../errors";
import { useI18n, type MessageKey } from "../i18n";

const FINISHED = new Set(["succeeded", "failed", "cancelled"]);

export function StoryDetails({ storyId, version }: { storyId: string; version: number }) {
  const { t, language } = useI18n();
  const [history, setHistory] = useState<HistoryItem[]>([]);
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all([api.history(storyId), api.jobs(storyId)])
      .then(([facts, page]) => {
        if (!live) return;
        setHistory(facts);
        setJobs(page.results);
      })
      .catch((failure) => live && setError(describe(failure, t)));
    return () => {
      live = false;
    };
  }, [storyId, version, tick, t]);

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      setTick((n) => n + 1);
    } catch (failure) {
      setError(describe(failure, t));
    }
  };
  const time = (value: string) => new Date(value).toLocaleTimeString(language);

  return (
    <div className="details">
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <details>
        <summary>{t("details.jobs")} ({jobs.length})</summary>
        <table className="jobs">
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id}>
                <td>{t(`job.${job.type}` as MessageKey)}</td>
                <td>{t(`job.status.${job.status}` as MessageKey)}</td>
                <td>{t("details.attempts", { n: job.attempts })}</td>
                <td>${job.cost}</td>
                <td>
                  {(job.status === "failed" || job.status === "cancelled") && (
                    <button type="button" className="secondary" onClick={() => act(() => api.retryJob(job.id))}>
                      {t("details.retry")}
                    </button>
                  )}
                  {!FINISHED.has(job.status) && (
                    <button type="button" className="secondary" onClick={() => act(() => api.cancelJob(job.id))}>
                      {t("details.cancel")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <details>
        <summary>{t("details.history")} ({history.length})</summary>
        <ol className="timeline">
          {history.map((item) => (
            <li key={item.sequence}>
              <time dateTime={item.time}>{time(item.time)}</time> {item.type.split(".")[2]}
              {item.from_status !== item.to_status && item.to_status && (
                <> → {t(`state.${item.to_status}` as MessageKey)}</>
              )}
            </li>
          ))}
        </ol>
      </details>
    </div>
  );
}
