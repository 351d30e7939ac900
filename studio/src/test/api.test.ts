import { beforeEach, describe, expect, it, vi } from "vitest";

import { api, token } from "../api";

function answer(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status });
}

describe("the session", () => {
  beforeEach(() => {
    localStorage.clear();
    localStorage.setItem("vp.token", "expired-access");
    localStorage.setItem("vp.refresh", "vpr_first");
  });

  it("renews an expired access token once for every waiting request, then retries", async () => {
    const calls: string[] = [];
    globalThis.fetch = vi.fn(async (path: RequestInfo | URL, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get("Authorization") ?? "";
      calls.push(`${String(path)} ${auth}`);
      if (String(path) === "/api/auth/refresh") {
        expect(JSON.parse(String(init?.body))).toEqual({ refresh_token: "vpr_first" });
        return answer(200, { access_token: "fresh-access", refresh_token: "vpr_second" });
      }
      if (auth === "Bearer expired-access") return answer(401, { error: { code: "unauthorized" } });
      return answer(200, { results: [], next_cursor: null });
    }) as typeof fetch;

    const [first, second] = await Promise.all([api.stories(), api.stories("planned")]);

    expect(first.results).toEqual([]);
    expect(second.results).toEqual([]);
    expect(calls.filter((call) => call.startsWith("/api/auth/refresh"))).toHaveLength(1);
    expect(token()).toBe("fresh-access");
    expect(localStorage.getItem("vp.refresh")).toBe("vpr_second");
  });

  it("signs out when the session cannot be renewed", async () => {
    globalThis.fetch = vi.fn(async (path: RequestInfo | URL) =>
      String(path) === "/api/auth/refresh"
        ? answer(401, { error: { code: "unauthorized", message: "log in again" } })
        : answer(401, { error: { code: "unauthorized", message: "expired" } }),
    ) as typeof fetch;

    await expect(api.stories()).rejects.toMatchObject({ status: 401 });
    expect(token()).toBeNull();
    expect(localStorage.getItem("vp.refresh")).toBeNull();
  });
});
