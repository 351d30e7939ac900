// The fields of the first four steps. One value object for all of them, kept by the planner, so
// going back and forth keeps everything typed.
import { useEffect, useState } from "react";

import {
  api,
  type AspectRatio,
  type Asset,
  type MusicTrack,
  type StoryInput,
  type Style,
  type SubtitlePosition,
  type TrackId,
  type Transition,
} from "../api";
import { useI18n, type MessageKey } from "../i18n";

export const STYLES: Style[] = [
  "realistic",
  "cinematic",
  "anime",
  "cartoon",
  "watercolor",
  "oil_painting",
  "pixel_art",
  "noir",
  "fantasy",
];
export const ASPECTS: AspectRatio[] = ["16:9", "9:16", "1:1"];
export const LANGUAGES = ["ko", "en", "ja", "zh"];
export const TRANSITIONS: Transition[] = [
  "fade",
  "cut",
  "dissolve",
  "fadeblack",
  "fadewhite",
  "wipeleft",
  "wiperight",
  "slideleft",
  "slideright",
  "slideup",
  "circleopen",
  "circleclose",
  "radial",
  "pixelize",
];
export const POSITIONS: SubtitlePosition[] = ["bottom", "middle", "top"];
export const LIMITS = { title: 200, description: 5000, prompt: 1000 };

export type StepId = "story" | "character" | "background" | "action";

export const EMPTY: StoryInput = {
  title: "",
  description: "",
  character_prompt: "",
  background_prompt: "",
  action_prompt: "",
  style: "watercolor",
  duration_seconds: 14,
  aspect_ratio: "16:9",
  resolution: "720p",
  language: null,
  narration: true,
  burn_subtitles: true,
  transition: "fade",
};

/** Errors the studio can tell before asking the server (required fields, lengths). */
export function checkStep(step: StepId, value: StoryInput): Record<string, MessageKey> {
  const errors: Record<string, MessageKey> = {};
  if (step === "story") {
    if (!value.title.trim()) errors.title = "story.required";
    else if (value.title.length > LIMITS.title) errors.title = "story.tooLong";
  }
  if (step === "character" && !value.character_prompt.trim()) {
    errors.character_prompt = "story.required";
  }
  if (step === "background" && !value.background_prompt.trim()) {
    errors.background_prompt = "story.required";
  }
  return errors;
}

interface Props {
  step: StepId;
  value: StoryInput;
  onChange: (value: StoryInput) => void;
  errors: Record<string, string>;
}

function Field({
  id,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  children: React.ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && <small id={`${id}-hint`}>{hint}</small>}
      {error && (
        <p id={`${id}-error`} className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A select of fixed options, each labelled by its message (``<labels>.<option>``). */
function Choice<T extends string>({
  id,
  label,
  value,
  options,
  labels,
  onChange,
}: {
  id: string;
  label: string;
  value: T;
  options: T[];
  labels: string;
  onChange: (value: T) => void;
}) {
  const { t } = useI18n();
  return (
    <Field id={id} label={label}>
      <select
        id={id}
        name={id}
        value={value}
        onChange={(event) => onChange(event.target.value as T)}
      >
        {options.map((option) => (
          <option key={option} value={option}>
            {t(`${labels}.${option}` as MessageKey)}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** What the API lists for a language (voices, fonts, the music library), fetched again when it
 * changes; empty until it answers or when it fails (the field then offers only the default). */
function useListOf<T>(language: string, load: (language: string) => Promise<T[] | undefined>) {
  const [items, setItems] = useState<T[]>([]);
  useEffect(() => {
    let live = true;
    load(language)
      .then((found) => live && setItems(found ?? []))
      .catch(() => live && setItems([]));
    return () => {
      live = false;
    };
  }, [language]);
  return items;
}

function described(id: string, hint: boolean, error: string | undefined) {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return { "aria-describedby": ids || undefined, "aria-invalid": error ? true : undefined };
}

export function StoryForm({ step, value, onChange, errors }: Props) {
  const { t } = useI18n();
  const set = (changes: Partial<StoryInput>) => onChange({ ...value, ...changes });
  const prompt = (
    name: "character_prompt" | "background_prompt" | "action_prompt",
    label: MessageKey,
    hint?: MessageKey,
  ) => (
    <Field id={name} label={t(label)} hint={hint && t(hint)} error={errors[name]}>
      <textarea
        id={name}
        name={name}
        rows={4}
        maxLength={LIMITS.prompt}
        value={value[name]}
        onChange={(event) => set({ [name]: event.target.value })}
        {...described(name, Boolean(hint), errors[name])}
      />
    </Field>
  );

  if (step === "character")
    return (
      <>
        {prompt("character_prompt", "story.character", "story.characterHint")}
        <UploadField
          id="character_upload"
          kind="character"
          accept="image/png,image/jpeg,image/webp"
          label={t("upload.character")}
          chosen={Boolean(value.character_asset_id)}
          onUploaded={(asset) => set({ character_asset_id: asset?.id ?? null })}
        />
      </>
    );
  if (step === "background") return prompt("background_prompt", "story.background");
  if (step === "action") return prompt("action_prompt", "story.action", "story.actionHint");
  return (
    <>
      <Field id="story_title" label={t("story.title")} error={errors.title}>
        <input
          id="story_title"
          name="story_title"
          maxLength={LIMITS.title}
          value={value.title}
          onChange={(event) => set({ title: event.target.value })}
          {...described("story_title", false, errors.title)}
        />
      </Field>
      <Field
        id="story_description"
        label={t("story.description")}
        hint={t("story.descriptionHint")}
        error={errors.description}
      >
        <textarea
          id="story_description"
          name="story_description"
          rows={6}
          maxLength={LIMITS.description}
          value={value.description}
          onChange={(event) => set({ description: event.target.value })}
          {...described("story_description", true, errors.description)}
        />
      </Field>
      <div className="row">
        <Field id="duration_seconds" label={t("story.duration")} error={errors.duration_seconds}>
          <input
            id="duration_seconds"
            name="duration_seconds"
            type="number"
            min={1}
            max={600}
            value={value.duration_seconds}
            onChange={(event) => set({ duration_seconds: Number(event.target.value) })}
          />
        </Field>
        <Choice
          id="style"
          label={t("story.style")}
          value={value.style ?? "realistic"}
          options={STYLES}
          labels="style"
          onChange={(style) => set({ style })}
        />
        <Choice
          id="aspect_ratio"
          label={t("story.aspect")}
          value={value.aspect_ratio ?? "16:9"}
          options={ASPECTS}
          labels="aspect"
          onChange={(aspect_ratio) => set({ aspect_ratio })}
        />
      </div>
      <div className="row">
        <Field id="language" label={t("story.language")}>
          <select
            id="language"
            name="language"
            value={value.language ?? ""}
            onChange={(event) =>
              set({ language: event.target.value || null, generation_params: undefined })
            }
          >
            <option value="">{t("story.languageAuto")}</option>
            {LANGUAGES.map((language) => (
              <option key={language} value={language}>
                {t(`lang.${language}` as MessageKey)}
              </option>
            ))}
          </select>
        </Field>
        <VoiceField value={value} onChange={set} error={errors["generation_params.voice"]} />
      </div>
      <div className="row checks">
        <label>
          <input
            type="checkbox"
            name="narration"
            checked={value.narration}
            onChange={(event) => set({ narration: event.target.checked })}
          />
          {t("story.narration")}
        </label>
        <label>
          <input
            type="checkbox"
            name="burn_subtitles"
            checked={value.burn_subtitles}
            onChange={(event) => set({ burn_subtitles: event.target.checked })}
          />
          {t("story.subtitles")}
        </label>
      </div>
      <div className="row">
        <Choice
          id="transition"
          label={t("story.transition")}
          value={value.transition ?? "fade"}
          options={TRANSITIONS}
          labels="transition"
          onChange={(transition) => set({ transition })}
        />
        <MusicField value={value} onChange={set} />
      </div>
      {value.burn_subtitles && (
        <SubtitleFields
          value={value}
          onChange={set}
          error={errors["subtitle_style.font"]}
        />
      )}
    </>
  );
}

/** A group of fields that changes part of the story. */
interface PartProps {
  value: StoryInput;
  onChange: (changes: Partial<StoryInput>) => void;
  error?: string;
}

/** Background music from the built-in library, with a loop to listen to before choosing. */
function MusicField({ value, onChange }: PartProps) {
  const { t, language } = useI18n();
  const tracks: MusicTrack[] = useListOf("library", async () => (await api.music()).tracks);
  const chosen = tracks.find((track) => track.id === value.music?.track);
  return (
    <Field id="music" label={t("story.music")}>
      <select
        id="music"
        name="music"
        value={value.music?.track ?? ""}
        onChange={(event) =>
          onChange({ music: event.target.value ? { track: event.target.value as TrackId } : null })
        }
      >
        <option value="">{t("story.musicNone")}</option>
        {tracks.map((track) => (
          <option key={track.id} value={track.id}>
            {track.names[language] ?? track.names.en ?? track.id}
          </option>
        ))}
      </select>
      {chosen && (
        <audio className="music-preview" src={chosen.preview_url} controls preload="none" />
      )}
      <UploadField
        id="music_upload"
        kind="music"
        accept="audio/*"
        label={t("upload.music")}
        chosen={Boolean(value.music?.asset_id)}
        onUploaded={(asset) => onChange({ music: asset ? { asset_id: asset.id } : null })}
      />
    </Field>
  );
}

/** One of the creator's own files: sent straight to storage, checked by the server; its
 * refusal (a wrong type, a file that is not what it says) shown beside it. */
export function UploadField({
  id,
  kind,
  accept,
  label,
  chosen,
  onUploaded,
}: {
  id: string;
  kind: Asset["kind"];
  accept: string;
  label: string;
  chosen: boolean;
  onUploaded: (asset: Asset | null) => void;
}) {
  const { t } = useI18n();
  const [state, setState] = useState<"idle" | "sending">("idle");
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="upload">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        name={id}
        type="file"
        accept={accept}
        disabled={state === "sending"}
        onChange={(event) => {
          const file = event.target.files?.[0];
          if (!file) return;
          setState("sending");
          setError(null);
          api
            .upload(kind, file)
            .then((asset) => onUploaded(asset))
            .catch((failure) => setError(failure instanceof Error ? failure.message : String(failure)))
            .finally(() => setState("idle"));
        }}
      />
      {state === "sending" && <small>{t("upload.sending")}</small>}
      {chosen && state === "idle" && (
        <small className="upload-chosen">
          {t("upload.using")}{" "}
          <button type="button" className="link" onClick={() => onUploaded(null)}>
            {t("upload.remove")}
          </button>
        </small>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** How burned subtitles look: a font that draws the story's language, colour, size, place. */
function SubtitleFields({ value, onChange, error }: PartProps) {
  const { t } = useI18n();
  const style = value.subtitle_style ?? {};
  const fonts = useListOf(value.language ?? "ko", async (tag) => (await api.fonts(tag)).fonts);
  const setStyle = (changes: Partial<NonNullable<StoryInput["subtitle_style"]>>) =>
    onChange({ subtitle_style: { ...style, ...changes } });
  return (
    <fieldset className="row subtitle-style">
      <legend>{t("subtitle.legend")}</legend>
      <Field id="subtitle_font" label={t("subtitle.font")} error={error}>
        <select
          id="subtitle_font"
          name="subtitle_font"
          value={style.font ?? ""}
          onChange={(event) => setStyle({ font: event.target.value || null })}
          {...described("subtitle_font", false, error)}
        >
          <option value="">{t("subtitle.fontDefault")}</option>
          {fonts.map((font) => (
            <option key={font} value={font}>
              {font}
            </option>
          ))}
        </select>
      </Field>
      <Field id="subtitle_colour" label={t("subtitle.colour")}>
        <input
          id="subtitle_colour"
          name="subtitle_colour"
          type="color"
          value={style.colour ?? "#ffffff"}
          onChange={(event) => setStyle({ colour: event.target.value.toUpperCase() })}
        />
      </Field>
      <Field id="subtitle_size" label={t("subtitle.size")}>
        <input
          id="subtitle_size"
          name="subtitle_size"
          type="number"
          min={2}
          max={12}
          step={0.5}
          value={style.size_percent ?? 5.5}
          onChange={(event) => setStyle({ size_percent: Number(event.target.value) })}
        />
      </Field>
      <Choice
        id="subtitle_position"
        label={t("subtitle.position")}
        value={style.position ?? "bottom"}
        options={POSITIONS}
        labels="subtitle"
        onChange={(position) => setStyle({ position: position as "bottom" | "middle" | "top" })}
      />
    </fieldset>
  );
}

function VoiceField({ value, onChange, error }: PartProps) {
  const { t } = useI18n();
  const language = value.language ?? "ko";
  const voices = useListOf(language, async (tag) => (await api.voices(tag)).voices);
  return (
    <Field id="voice" label={t("story.voice")} error={error}>
      <select
        id="voice"
        name="voice"
        value={value.generation_params?.voice ?? ""}
        onChange={(event) =>
          onChange({
            generation_params: event.target.value ? { voice: event.target.value } : undefined,
          })
        }
      >
        <option value="">{t("story.voiceDefault")}</option>
        {voices.map((voice) => (
          <option key={voice.id} value={voice.id}>
            {voice.name} · {voice.provider}
            {voice.gender ? ` · ${voice.gender}` : ""}
            {voice.offline ? "" : ` · $${voice.price_per_1k_characters}/1k`}
          </option>
        ))}
      </select>
    </Field>
  );
}
