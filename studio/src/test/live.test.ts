import { describe, expect, it } from "vitest";

import { INITIAL, liveReducer, overall, type LiveMessage, type LiveState } from "../live";

const fact = (id: number, status: string, message = "", urls = {}): LiveMessage => ({
  type: "status",
  id,
  data: { status, message, urls },
});
const tick = (stage: string, stagePercent: number): LiveMessage => ({
  type: "progress",
  data: { stage, stage_percent: stagePercent, percent: 50 },
});

function feed(...messages: LiveMessage[]): LiveState {
  return messages.reduce((state, message) => liveReducer(state, { type: "message", message }), INITIAL);
}

describe("live status", () => {
  it("follows the status and logs each fact's line", () => {
    const state = feed(fact(1, "draft", "created"), fact(2, "planning", "planning requested"));
    expect(state.status).toBe("planning");
    expect(state.logs.map((line) => line.text)).toEqual(["created", "planning requested"]);
    expect(state.lastId).toBe(2);
  });

  it("shows each stage's progress and never lets a bar go back", () => {
    const state = feed(fact(1, "previewing"), tick("scene", 40), tick("scene", 30), tick("compose", 10));
    expect(state.stages).toEqual({ scene: 40, compose: 10 });
    expect(state.run).toEqual(["scene", "compose"]);
    expect(overall(state)).toBe(25);
  });

  it("starts the bars again for a new run", () => {
    const previewed = feed(fact(1, "previewing"), tick("scene", 100), fact(2, "preview_ready"));
    expect(overall(previewed)).toBe(100);
    const rendering = liveReducer(previewed, { type: "message", message: fact(3, "rendering") });
    expect(rendering.stages).toEqual({});
    expect(rendering.run).toEqual(["scene", "compose", "upscale"]);
    expect(overall(rendering)).toBe(0);
  });

  it("ignores facts seen before a reconnect and keeps the links", () => {
    const state = feed(
      fact(1, "previewing"),
      fact(2, "preview_ready", "preview ready", { preview_url: "/media/p.mp4" }),
      fact(2, "preview_ready", "preview ready"),
      fact(1, "previewing"),
    );
    expect(state.logs).toHaveLength(1);
    expect(state.status).toBe("preview_ready");
    expect(state.urls.preview_url).toBe("/media/p.mp4");
  });

  it("takes the link of a preview that plays while it renders from its progress", () => {
    const playing: LiveMessage = {
      type: "progress",
      data: { stage: "compose", stage_percent: 20, urls: { preview_hls_url: "/media/live.m3u8" } },
    };
    const state = feed(fact(1, "previewing"), playing, tick("compose", 30));
    expect(state.urls.preview_hls_url).toBe("/media/live.m3u8");
    expect(state.stages.compose).toBe(30);
  });

  it("ignores progress of an unknown stage and tracks the connection", () => {
    const state = liveReducer(feed(tick("elsewhere", 10)), { type: "connection", connection: "open" });
    expect(state.stages).toEqual({});
    expect(state.connection).toBe("open");
  });
});
