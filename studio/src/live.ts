// Live status of a story, as the roadmap's GenerationStatus shows it: the status, a progress bar
// per stage, and a log. Fed by the notifier's messages (Server-Sent Events); pure, so it is
// tested without a browser.

export type Stage = "planning" | "scene" | "compose" | "upscale";
export const STAGES: Stage[] = ["planning", "scene", "compose", "upscale"];
const RUNS: Record<string, Stage[]> = {
  planning: ["planning"],
  previewing: ["scene", "compose"],
  rendering: ["scene", "compose", "upscale"],
};

export interface LiveMessage {
  type: "status" | "log" | "progress";
  id?: number;
  data: {
    status?: string | null;
    event?: string;
    fact?: Record<string, unknown>;
    message?: string;
    stage?: string;
    stage_percent?: number;
    percent?: number;
    urls?: Record<string, string>;
  };
}

export interface LogLine {
  id: number;
  /** The server's line (English), shown when the studio has no words of its own for it. */
  text: string;
  event?: string;
  fact?: Record<string, unknown>;
}

export interface LiveState {
  status: string | null;
  stages: Partial<Record<Stage, number>>;
  logs: LogLine[];
  lastId: number | null;
  urls: Record<string, string>;
  connection: "connecting" | "open" | "closed";
  /** The stages of the run in progress (or last run). */
  run: Stage[];
}

export type LiveAction =
  | { type: "message"; message: LiveMessage }
  | { type: "connection"; connection: LiveState["connection"] }
  | { type: "reset" };

export const INITIAL: LiveState = {
  status: null,
  stages: {},
  logs: [],
  lastId: null,
  urls: {},
  connection: "connecting",
  run: [],
};

const MAX_LOGS = 200;

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  switch (action.type) {
    case "reset":
      return INITIAL;
    case "connection":
      return { ...state, connection: action.connection };
    case "message":
      return onMessage(state, action.message);
  }
}

function onMessage(state: LiveState, message: LiveMessage): LiveState {
  if (message.type === "progress") {
    const stage = message.data.stage as Stage | undefined;
    if (!stage || !STAGES.includes(stage)) return state;
    const percent = clamp(message.data.stage_percent ?? message.data.percent ?? 0);
    const before = state.stages[stage] ?? 0;
    return {
      ...state,
      stages: { ...state.stages, [stage]: Math.max(before, percent) },
      // A preview rendering says what plays already, with its playlist's link.
      urls: { ...state.urls, ...(message.data.urls ?? {}) },
    };
  }
  // A fact: a resumed stream may send again what was seen before the reconnect.
  if (message.id !== undefined && state.lastId !== null && message.id <= state.lastId) {
    return state;
  }
  const status = message.data.status ?? state.status;
  const restarted = message.type === "status" && status !== null && status in RUNS;
  const logs = message.data.message
    ? [
        ...state.logs,
        {
          id: message.id ?? state.logs.length,
          text: message.data.message,
          event: message.data.event,
          fact: message.data.fact,
        },
      ]
    : state.logs;
  return {
    ...state,
    status,
    lastId: message.id ?? state.lastId,
    // A new run (planning, preview, final) starts its bars from zero.
    stages: restarted ? {} : finished(state.stages, status),
    run: restarted && status ? RUNS[status] : state.run,
    logs: logs.slice(-MAX_LOGS),
    urls: { ...state.urls, ...(message.data.urls ?? {}) },
  };
}

function finished(stages: LiveState["stages"], status: string | null): LiveState["stages"] {
  if (status === "planned") return { ...stages, planning: 100 };
  if (status === "preview_ready") return { ...stages, scene: 100, compose: 100 };
  if (status === "completed") return { ...stages, scene: 100, compose: 100, upscale: 100 };
  return stages;
}

function clamp(value: number): number {
  return Math.max(0, Math.min(100, Math.round(value)));
}

/** The overall percentage of the current run: the mean of its stages. */
export function overall(state: LiveState): number {
  const stages = state.run.length ? state.run : (Object.keys(state.stages) as Stage[]);
  if (stages.length === 0) return state.status === "completed" ? 100 : 0;
  const total = stages.reduce((sum, stage) => sum + (state.stages[stage] ?? 0), 0);
  return Math.round(total / stages.length);
}
