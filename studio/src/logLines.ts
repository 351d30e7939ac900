// A log line of the live status in the studio's language, from the fact it reports.
import type { MessageKey } from "./i18n";
import type { LogLine } from "./live";

type T = (key: MessageKey, values?: Record<string, string | number>) => string;

const KEYS: Record<string, MessageKey> = {
  created: "log.created",
  updated: "log.updated",
  planning_requested: "log.planning_requested",
  planned: "log.planned",
  preview_requested: "log.preview_requested",
  scene_generated: "log.scene_generated",
  scene_failed: "log.scene_failed",
  preview_composed: "log.preview_composed",
  render_requested: "log.render_requested",
  final_composed: "log.final_composed",
  completed: "log.completed",
  failed: "log.failed",
  planning_failed: "log.failed",
  cancelled: "log.cancelled",
  cost_recorded: "log.cost_recorded",
  job_started: "log.job_started",
  job_retried: "log.job_retried",
  feedback_given: "log.feedback_given",
};

export function logLine(line: LogLine, t: T): string {
  const key = line.event ? KEYS[line.event] : undefined;
  if (!key) return line.text;
  const fact = line.fact ?? {};
  const media = (fact.media ?? {}) as Record<string, unknown>;
  return t(key, {
    scenes: Array.isArray(fact.scenes) ? fact.scenes.length : 0,
    provider: String(fact.provider ?? ""),
    operation: String(fact.operation ?? ""),
    amount: String(fact.amount ?? "0"),
    reason: String(fact.reason ?? ""),
    kind: fact.kind ? t(`job.${String(fact.kind)}` as MessageKey) : "",
    attempt: Number(fact.attempt ?? 1),
    seconds: Number(media.duration_seconds ?? 0).toFixed(1),
    size: media.width ? `${media.width}x${media.height}` : "",
    rating: Number(fact.rating ?? 0),
  });
}
