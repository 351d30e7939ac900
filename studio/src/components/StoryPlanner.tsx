// The roadmap's StoryPlanner: five steps with a step indicator, the AI suggestions panel beside
// them, and on the last step the scene board, the live status, the preview and the final.
import { useCallback, useEffect, useRef, useState } from "react";

import { api, type CostEstimate, type Story, type StoryInput } from "../api";
import { describe, fieldErrors } from "../errors";
import { useI18n } from "../i18n";
import { type LiveMessage } from "../live";
import { navigate } from "../router";
import { Variants } from "./Variants";
import { useLive } from "../useLive";
import { AISuggestions } from "./AISuggestions";
import { Feedback } from "./Feedback";
import { StreamVideo } from "./StreamVideo";
import { GenerationStatus } from "./GenerationStatus";
import { SceneBoard } from "./SceneBoard";
import { STEP_IDS, StepIndicator } from "./StepIndicator";
import { StoryDetails } from "./StoryDetails";
import { checkStep, EMPTY, StoryForm, type StepId } from "./StoryForm";

const EDITABLE = new Set(["draft", "planned", "preview_ready", "failed"]);
const PREVIEW_STEP = STEP_IDS.indexOf("preview");
/** Which step shows a field the server refused. */
const STEP_OF_FIELD: Record<string, number> = {
  character_prompt: 1,
  background_prompt: 2,
  action_prompt: 3,
};

function inputOf(story: Story): StoryInput {
  return {
    title: story.title,
    description: story.description,
    character_prompt: story.character_prompt,
    background_prompt: story.background_prompt,
    action_prompt: story.action_prompt,
    style: story.style,
    duration_seconds: story.duration_seconds,
    aspect_ratio: story.aspect_ratio,
    resolution: story.resolution,
    language: story.language_detected ? null : story.language,
    narration: story.narration,
    burn_subtitles: story.burn_subtitles,
    subtitle_style: story.subtitle_style,
    transition: story.transition,
    music: story.music,
    character_asset_id: story.character_asset_id,
    generation_params: story.generation_params.voice
      ? { voice: String(story.generation_params.voice) }
      : undefined,
  };
}

export function StoryPlanner({
  projectId,
  storyId,
}: {
  projectId: string | null;
  storyId: string | null;
}) {
  const { t } = useI18n();
  const [values, setValues] = useState<StoryInput>(EMPTY);
  const [story, setStory] = useState<Story | null>(null);
  const [step, setStep] = useState(storyId ? PREVIEW_STEP : 0);
  const [reached, setReached] = useState(storyId ? PREVIEW_STEP : 0);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [estimate, setEstimate] = useState<CostEstimate | null>(null);
  const wantPreview = useRef(false);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (!storyId) return;
    api
      .story(storyId)
      .then((found) => {
        setStory(found);
        setValues(inputOf(found));
      })
      .catch((failure) => setMessage(describe(failure, t)));
  }, [storyId, t]);

  useEffect(() => {
    heading.current?.focus();
  }, [step]);

  const refresh = useCallback(async () => {
    if (!story) return;
    const fresh = await api.story(story.id);
    setStory(fresh);
    if (wantPreview.current && fresh.status === "planned") {
      wantPreview.current = false;
      try {
        setStory((await api.preview(fresh.id)).story);
      } catch (failure) {
        setMessage(describe(failure, t));
      }
    }
  }, [story, t]);

  const onFact = useCallback(
    (fact: LiveMessage) => {
      if (fact.type === "status" || fact.data.urls) void refresh();
    },
    [refresh],
  );
  const live = useLive(story?.id ?? null, onFact);

  useEffect(() => {
    if (!story) return;
    api.estimate(story.id).then(setEstimate, () => setEstimate(null));
  }, [story?.id, story?.status]); // eslint-disable-line react-hooks/exhaustive-deps

  const id = STEP_IDS[step];
  const go = (index: number) => {
    setStep(index);
    setReached((before) => Math.max(before, index));
  };
  const next = () => {
    if (id === "preview") return;
    const found = checkStep(id, values);
    setErrors(Object.fromEntries(Object.entries(found).map(([name, key]) => [name, t(key, { max: 200 })])));
    if (Object.keys(found).length === 0) go(step + 1);
  };

  const saved = async (): Promise<Story | null> => {
    for (const [index, stepId] of (["story", "character", "background"] as StepId[]).entries()) {
      const found = checkStep(stepId, values);
      if (Object.keys(found).length) {
        setErrors(Object.fromEntries(Object.entries(found).map(([k, v]) => [k, t(v, { max: 200 })])));
        go(index);
        return null;
      }
    }
    try {
      if (!story) {
        const created = await api.create({ ...values, project_id: projectId });
        setStory(created);
        history.replaceState(null, "", `/studio/stories/${created.id}`);
        return created;
      }
      if (EDITABLE.has(story.status)) {
        const updated = await api.update(story.id, values);
        setStory(updated);
        return updated;
      }
      return story;
    } catch (failure) {
      const fields = fieldErrors(failure, t);
      setErrors(fields);
      const first = Object.keys(fields)[0];
      if (first) go(STEP_OF_FIELD[first] ?? 0);
      setMessage(describe(failure, t));
      return null;
    }
  };

  const startPreview = async () => {
    setMessage(null);
    setBusy(true);
    try {
      const current = await saved();
      if (!current) return;
      go(PREVIEW_STEP);
      if (current.status === "planned") {
        setStory((await api.preview(current.id)).story);
        return;
      }
      wantPreview.current = true;
      const target = current.status === "preview_ready" ? "planned" : "planning";
      const moved = await api.transition(current.id, target);
      setStory(moved);
      if (moved.status === "planned") {
        wantPreview.current = false;
        setStory((await api.preview(moved.id)).story);
      }
    } catch (failure) {
      wantPreview.current = false;
      setMessage(describe(failure, t));
    } finally {
      setBusy(false);
    }
  };

  const startFinal = async () => {
    if (!story) return;
    setMessage(null);
    try {
      setStory((await api.render(story.id)).story);
    } catch (failure) {
      setMessage(describe(failure, t));
    }
  };

  const pick = (text: string) => {
    const field = {
      story: "description",
      character: "character_prompt",
      background: "background_prompt",
      action: "action_prompt",
    }[id as StepId];
    if (field) setValues({ ...values, [field]: text });
  };

  const running = story && ["planning", "previewing", "rendering"].includes(story.status);
  const previewUrl = story?.preview_url ?? live.urls.preview_url;
  // While the preview renders, what is rendered already plays (its live HLS playlist).
  const livePreview = story?.status === "previewing" ? live.urls.preview_hls_url : undefined;
  const previewHls = story?.preview_hls_url ?? livePreview;
  const finalUrl = story?.status === "completed" ? story.final_url : null;

  return (
    <div className={id === "preview" ? "planner wide" : "planner"}>
      <StepIndicator active={step} reached={reached} onSelect={go} />
      <main id="main" className="step">
        <h1 ref={heading} tabIndex={-1}>
          {t(`steps.${id}`)}
        </h1>
        {message && (
          <p role="alert" className="error banner">
            {message}
          </p>
        )}
        {id !== "preview" && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              next();
            }}
          >
            <StoryForm step={id} value={values} onChange={setValues} errors={errors} />
            <div className="buttons">
              {step > 0 && (
                <button type="button" className="secondary" onClick={() => go(step - 1)}>
                  {t("steps.back")}
                </button>
              )}
              <button type="submit">{t("steps.next")}</button>
              {id === "action" && (
                <button type="button" onClick={startPreview} disabled={busy}>
                  {t("run.preview")}
                </button>
              )}
            </div>
          </form>
        )}
        {id === "preview" && (
          <>
            <div className="buttons">
              <button type="button" className="secondary" onClick={() => go(step - 1)}>
                {t("steps.back")}
              </button>
              <button type="button" onClick={startPreview} disabled={busy || Boolean(running)}>
                {t("run.preview")}
              </button>
              <button
                type="button"
                onClick={startFinal}
                disabled={story?.status !== "preview_ready"}
              >
                {t("run.final")}
              </button>
            </div>
            {story && (
              <p className="costs">
                {t("run.estimate")}: ${estimate?.total ?? story.cost_estimate} · {t("run.actual")}: $
                {story.actual_cost}
              </p>
            )}
            {story?.failure && (
              <p role="alert" className="error">
                {t("error.failed", { reason: story.failure.reason })}
              </p>
            )}
            {finalUrl && story && (
              <section aria-labelledby="final-title">
                <h2 id="final-title">{t("run.finalTitle")}</h2>
                <StreamVideo
                  className="final-video"
                  hls={story.final_hls_url}
                  mp4={finalUrl}
                  poster={story.thumbnail_url ?? undefined}
                />
                <ul className="downloads">
                  <li>
                    <a href={finalUrl} download>
                      {t("run.downloadVideo")}
                    </a>
                  </li>
                  {story.subtitles_url && (
                    <li>
                      <a href={story.subtitles_url} download>
                        {t("run.downloadSubtitles")}
                      </a>
                    </li>
                  )}
                  {story.subtitles_srt_url && (
                    <li>
                      <a href={story.subtitles_srt_url} download>
                        {t("run.downloadSrt")}
                      </a>
                    </li>
                  )}
                  {story.thumbnail_url && (
                    <li>
                      <a href={story.thumbnail_url} download>
                        {t("run.downloadThumbnail")}
                      </a>
                    </li>
                  )}
                  <li>
                    <button
                      type="button"
                      className="link"
                      onClick={() =>
                        api
                          .export(story.id)
                          .then((bundle) => window.location.assign(bundle.url))
                          .catch((failure) => setMessage(describe(failure, t)))
                      }
                    >
                      {t("run.downloadBundle")}
                    </button>
                  </li>
                </ul>
                <Feedback story={story} onSent={setStory} />
              </section>
            )}
            {(previewUrl || livePreview) && (
              <section aria-labelledby="preview-title">
                <h2 id="preview-title">
                  {t(previewUrl ? "run.previewTitle" : "run.previewPlaying")}
                </h2>
                <StreamVideo className="preview-video" hls={previewHls} mp4={previewUrl} />
              </section>
            )}
            {story && previewUrl && !story.variant_of && <Variants story={story} />}
            {story && <GenerationStatus live={live} />}
            {story && <SceneBoard story={story} onChanged={() => void refresh()} />}
            {story && <StoryDetails storyId={story.id} version={story.version} />}
          </>
        )}
      </main>
      <AISuggestions
        step={id}
        language={values.language ?? story?.language ?? "ko"}
        context={`${values.title}\n${values.description}`}
        onPick={pick}
      />
      {!story && !storyId && (
        <button type="button" className="link back-to-list" onClick={() => navigate({ name: "stories" })}>
          {t("app.myStories")}
        </button>
      )}
    </div>
  );
}
