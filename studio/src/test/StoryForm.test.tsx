import { fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";

import type { StoryInput } from "../api";
import { checkStep, EMPTY, StoryForm, type StepId } from "../components/StoryForm";
import { I18nProvider, type Language } from "../i18n";

beforeEach(() => {
  // The voice list comes from the API: answer it with one offline voice.
  globalThis.fetch = vi.fn(async () =>
    new Response(
      JSON.stringify({
        voices: [
          {
            id: "offline:espeak-ko",
            name: "espeak-ko",
            provider: "offline",
            language: "ko",
            gender: null,
            offline: true,
            price_per_1k_characters: "0",
          },
        ],
      }),
    ),
  ) as typeof fetch;
});

function Steps({ language = "ko" }: { language?: Language }) {
  const [value, setValue] = useState<StoryInput>(EMPTY);
  const [step, setStep] = useState<StepId>("story");
  return (
    <I18nProvider initial={language}>
      <StoryForm step={step} value={value} onChange={setValue} errors={{}} />
      <button onClick={() => setStep("story")}>story</button>
      <button onClick={() => setStep("character")}>character</button>
    </I18nProvider>
  );
}

describe("the step form", () => {
  it("has the fields the roadmap's test fills, with Korean labels", async () => {
    const { container } = render(<Steps />);
    expect(container.querySelector('[name="story_title"]')).not.toBeNull();
    expect(container.querySelector('[name="story_description"]')).not.toBeNull();
    expect(screen.getByLabelText("제목")).toBeTruthy();
    expect(screen.getByLabelText("언어")).toBeTruthy();
    expect(await screen.findByText(/espeak-ko/)).toBeTruthy();
  });

  it("keeps what was typed when going to another step and back", () => {
    const { container } = render(<Steps />);
    const title = container.querySelector('[name="story_title"]') as HTMLInputElement;
    fireEvent.change(title, { target: { value: "여우와 등불" } });
    fireEvent.click(screen.getByText("character"));
    const character = container.querySelector('[name="character_prompt"]') as HTMLTextAreaElement;
    fireEvent.change(character, { target: { value: "빨간 목도리를 한 여우" } });
    fireEvent.click(screen.getByText("story"));
    expect((container.querySelector('[name="story_title"]') as HTMLInputElement).value).toBe(
      "여우와 등불",
    );
    fireEvent.click(screen.getByText("character"));
    expect(
      (container.querySelector('[name="character_prompt"]') as HTMLTextAreaElement).value,
    ).toBe("빨간 목도리를 한 여우");
  });

  it("speaks English when switched", () => {
    render(<Steps language="en" />);
    expect(screen.getByLabelText("Title")).toBeTruthy();
  });

  it("shows a field's error next to it", () => {
    render(
      <I18nProvider initial="ko">
        <StoryForm step="character" value={EMPTY} onChange={() => undefined} errors={{ character_prompt: "필수 항목입니다." }} />
      </I18nProvider>,
    );
    const field = screen.getByLabelText("인물");
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(field.getAttribute("aria-describedby")).toContain("character_prompt-error");
    expect(screen.getByRole("alert").textContent).toBe("필수 항목입니다.");
  });

  it("tells missing required fields before asking the server", () => {
    expect(checkStep("story", EMPTY)).toEqual({ title: "story.required" });
    expect(checkStep("character", EMPTY)).toEqual({ character_prompt: "story.required" });
    expect(checkStep("action", EMPTY)).toEqual({});
    expect(checkStep("story", { ...EMPTY, title: "x".repeat(201) })).toEqual({ title: "story.tooLong" });
  });

  it("offers fonts that draw the language, the music library, and the look when burned", async () => {
    globalThis.fetch = vi.fn(async (url: RequestInfo | URL) =>
      new Response(
        JSON.stringify(
          String(url).includes("/fonts/")
            ? { fonts: ["NanumMyeongjo", "Noto Sans CJK KR"] }
            : String(url).includes("/music/")
              ? { tracks: [{ id: "calm", names: { ko: "잔잔한", en: "Calm" }, preview_url: "/c" }] }
              : { voices: [] },
        ),
      ),
    ) as typeof fetch;
    const changes: StoryInput[] = [];
    const { rerender } = render(
      <I18nProvider initial="ko">
        <StoryForm step="story" value={EMPTY} onChange={(v) => changes.push(v)} errors={{}} />
      </I18nProvider>,
    );
    expect(screen.getByLabelText("장면 전환")).toBeTruthy();
    expect(await screen.findByRole("option", { name: "NanumMyeongjo" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("글꼴"), { target: { value: "NanumMyeongjo" } });
    fireEvent.change(screen.getByLabelText("위치"), { target: { value: "top" } });
    expect(changes[0].subtitle_style).toEqual({ font: "NanumMyeongjo" });
    expect(changes[1].subtitle_style).toEqual({ position: "top" });
    expect(await screen.findByRole("option", { name: "잔잔한" })).toBeTruthy();
    fireEvent.change(screen.getByLabelText("배경 음악"), { target: { value: "calm" } });
    expect(changes[2].music).toEqual({ track: "calm" });
    rerender(
      <I18nProvider initial="ko">
        <StoryForm
          step="story"
          value={{ ...EMPTY, burn_subtitles: false }}
          onChange={() => undefined}
          errors={{}}
        />
      </I18nProvider>,
    );
    expect(screen.queryByLabelText("글꼴")).toBeNull();
  });
});
