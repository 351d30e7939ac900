// The studio talks only to the public REST API (same origin: the gateway serves the studio)
// and to the notifier through the links the API hands out. Errors keep their code, details and
// field errors so screens can say what to fix.

import type { components } from "./generated/openapi";

// The bodies as the API's OpenAPI document declares them (src/generated, made by
// `make clients`; a test fails when it is stale).
type Schemas = components["schemas"];

export type Status = Schemas["StoryStatus"];
export type Style = Schemas["Style"];
export type AspectRatio = Schemas["AspectRatio"];
export type Transition = Schemas["Transition"];
export type SubtitlePosition = Schemas["SubtitlePosition"];
export type TrackId = Schemas["MusicTrack"];
export type Scene = Schemas["SceneOut"];
export type SubtitleStyle = Schemas["SubtitleStyle"];
export type Music = Schemas["Music"];
export type MusicTrack = Schemas["MusicTrackOut"];
export type Asset = Schemas["AssetOut"];
type Upload = Schemas["UploadOut"];
export type Story = Schemas["StoryOut"];
export type StoryInput = Schemas["StoryCreate"];
export type Job = Schemas["JobOut"];
export type HistoryItem = Schemas["HistoryItem"];
export type Voice = Schemas["VoiceOut"];
export type Ticket = Schemas["TicketOut"];
export type CostEstimate = Schemas["CostEstimateOut"];

export interface Page<T> {
  results: T[];
  next_cursor: string | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** Field name -> rule, from a 422's ``details.errors``. */
  get fields(): Record<string, string> {
    const errors = (this.details.errors as { field: string; rule: string }[] | undefined) ?? [];
    return Object.fromEntries(errors.map((error) => [error.field, error.rule]));
  }
}

const API = "/api/ai-video";
const TOKEN = "vp.token";
const REFRESH = "vp.refresh";

export function token(): string | null {
  return globalThis.localStorage?.getItem(TOKEN) ?? null;
}

interface Tokens {
  access_token: string;
  refresh_token: string;
}

function keep(tokens: Tokens): void {
  globalThis.localStorage?.setItem(TOKEN, tokens.access_token);
  globalThis.localStorage?.setItem(REFRESH, tokens.refresh_token);
}

function forget(): void {
  globalThis.localStorage?.removeItem(TOKEN);
  globalThis.localStorage?.removeItem(REFRESH);
}

/** Sign out: the session's refresh tokens stop working on the server too. */
export function logout(): void {
  const refresh = globalThis.localStorage?.getItem(REFRESH);
  forget();
  if (refresh) {
    void fetch("/api/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refresh }),
    }).catch(() => undefined);
  }
}

let renewing: Promise<boolean> | null = null;

/** Trade the refresh token for new tokens (once at a time: every request waiting on an
 * expired access token shares one refresh, since a refresh token works only once). */
function renew(): Promise<boolean> {
  renewing ??= (async () => {
    const refresh = globalThis.localStorage?.getItem(REFRESH);
    if (!refresh) return false;
    try {
      const response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      });
      if (!response.ok) return false;
      keep((await response.json()) as Tokens);
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    renewing = null;
  });
  return renewing;
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
  retried = false,
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const current = token();
  if (current) headers.Authorization = `Bearer ${current}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["Idempotency-Key"] = crypto.randomUUID();
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "network error");
  }
  if (response.status === 401 && current && !retried && (await renew())) {
    return request<T>(method, path, body, true); // the access token had expired
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = data?.error ?? {};
    if (response.status === 401) forget();
    throw new ApiError(
      response.status,
      error.code ?? "http_error",
      error.message ?? response.statusText,
      error.details ?? {},
    );
  }
  return data as T;
}

export const api = {
  async login(email: string, password: string): Promise<void> {
    keep(await request<Tokens>("POST", "/api/auth/token", { email, password }));
  },
  register: (email: string, password: string) =>
    request<unknown>("POST", "/api/auth/register", { email, password }),
  stories: (status?: string, cursor?: string) => {
    const query = new URLSearchParams({ limit: "20" });
    if (status) query.set("status", status);
    if (cursor) query.set("cursor", cursor);
    return request<Page<Story>>("GET", `${API}/stories/?${query}`);
  },
  story: (id: string) => request<Story>("GET", `${API}/stories/${id}/`),
  create: (input: StoryInput) => request<Story>("POST", `${API}/stories/`, input),
  update: (id: string, changes: Partial<StoryInput>) =>
    request<Story>("PATCH", `${API}/stories/${id}/`, changes),
  transition: (id: string, to: Status) =>
    request<Story>("POST", `${API}/stories/${id}/transition/`, { to }),
  preview: (id: string) =>
    request<{ story: Story }>("POST", `${API}/stories/${id}/generate_preview/`),
  render: (id: string) => request<{ story: Story }>("POST", `${API}/stories/${id}/render_final/`),
  estimate: (id: string) => request<CostEstimate>("GET", `${API}/stories/${id}/cost_estimate/`),
  history: (id: string) => request<HistoryItem[]>("GET", `${API}/stories/${id}/history/`),
  ticket: (id: string) => request<Ticket>("POST", `${API}/stories/${id}/events/ticket/`),
  feedback: (id: string, rating: number, comment: string) =>
    request<Story>("POST", `${API}/stories/${id}/feedback/`, { rating, comment }),
  jobs: (storyId: string) => request<Page<Job>>("GET", `${API}/jobs/?story=${storyId}&limit=50`),
  retryJob: (id: string) => request<unknown>("POST", `${API}/jobs/${id}/retry/`),
  cancelJob: (id: string) => request<unknown>("POST", `${API}/jobs/${id}/cancel/`),
  updateScene: (id: string, changes: Record<string, unknown>) =>
    request<Scene>("PATCH", `${API}/scenes/${id}/`, changes),
  reorderScene: (id: string, position: number) =>
    request<{ story: Story }>("POST", `${API}/scenes/${id}/reorder/`, { position }),
  regenerateScene: (id: string) =>
    request<{ story: Story }>("POST", `${API}/scenes/${id}/generate/`, {}),
  music: () => request<{ tracks: MusicTrack[] }>("GET", `${API}/music/`),
  /** Upload one of the creator's files: ask for a link, PUT the file there (straight to
   * storage), then have the server check it; the ready asset, or the server's refusal. */
  async upload(kind: Asset["kind"], file: File): Promise<Asset> {
    const type = file.type || "application/octet-stream";
    const upload = await request<Upload>("POST", `${API}/assets/`, {
      kind,
      filename: file.name,
      content_type: type,
      size_bytes: file.size,
    });
    const sent = await fetch(upload.url, {
      method: upload.method,
      headers: upload.headers,
      body: file,
    }).catch(() => null);
    if (!sent?.ok) {
      throw new ApiError(sent?.status ?? 0, "upload_failed", "the file could not be sent");
    }
    return request<Asset>("POST", `${API}/assets/${upload.asset.id}/complete/`);
  },
  variants: (id: string, count: number) =>
    request<{ variants: { story: Story }[] }>("POST", `${API}/stories/${id}/variants/`, { count }),
  variantsOf: (id: string) => request<Story[]>("GET", `${API}/stories/${id}/variants/`),
  export: (id: string) =>
    request<{ url: string; files: string[]; size_bytes: number }>(
      "POST",
      `${API}/stories/${id}/export/`,
    ),
  fonts: (language: string) =>
    request<{ fonts: string[] }>("GET", `${API}/fonts/?language=${encodeURIComponent(language)}`),
  voices: (language: string) =>
    request<{ voices: Voice[] }>("GET", `${API}/voices/?language=${encodeURIComponent(language)}`),
  suggestions: (step: string, language: string, context: string) =>
    request<{ suggestions: string[]; source: string }>(
      "GET",
      `${API}/suggestions/?${new URLSearchParams({ step, language, context: context.slice(0, 2000) })}`,
    ),
};
