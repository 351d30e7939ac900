// The roadmap's GenerationStatus: the overall percentage, a bar per stage, the status and the
// log, live from the notifier.
import { useI18n, type MessageKey } from "../i18n";
import { overall, STAGES, type LiveState } from "../live";
import { logLine } from "../logLines";

export function ProgressBar({ label, percent }: { label: string; percent: number }) {
  return (
    <div className="progress">
      <div className="progress-label">
        <span>{label}</span>
        <span>{percent}%</span>
      </div>
      <div
        className="progress-track"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

export function GenerationStatus({ live }: { live: LiveState }) {
  const { t } = useI18n();
  const stages = live.run.length ? live.run : STAGES.filter((stage) => stage in live.stages);
  return (
    <section className="status" aria-labelledby="status-title">
      <h2 id="status-title">{t("status.title")}</h2>
      <p className="state">
        <span className={`badge ${live.status ?? ""}`} data-status={live.status ?? ""}>
          {live.status ? t(`state.${live.status}` as MessageKey) : t("run.waiting")}
        </span>
        <span className={`connection ${live.connection}`}>
          {t(`status.connection.${live.connection}` as MessageKey)}
        </span>
      </p>
      <ProgressBar label={t("status.title")} percent={overall(live)} />
      {stages.map((stage) => (
        <ProgressBar
          key={stage}
          label={t(`stage.${stage}` as MessageKey)}
          percent={live.stages[stage] ?? 0}
        />
      ))}
      <h3>{t("status.log")}</h3>
      <div className="log" role="log" aria-live="polite" tabIndex={0}>
        {live.logs.map((line) => (
          <div key={line.id}>{logLine(line, t)}</div>
        ))}
      </div>
    </section>
  );
}
