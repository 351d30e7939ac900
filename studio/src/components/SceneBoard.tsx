// The plan as a board: every scene with its prompts, narration, length and picture; edit one,
// move one (drag and drop, or Alt+Up/Down), generate one again.
import { useState, type DragEvent, type KeyboardEvent } from "react";

import { api, type Scene, type Story } from "../api";
import { describe } from "../errors";
import { useI18n, type MessageKey } from "../i18n";
import { UploadField } from "./StoryForm";

const EDITABLE = new Set(["draft", "planned", "preview_ready"]);

export function SceneBoard({
  story,
  onChanged,
}: {
  story: Story;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const [dragged, setDragged] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const editable = EDITABLE.has(story.status);

  const run = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      onChanged();
    } catch (failure) {
      setError(describe(failure, t));
    }
  };
  const move = (scene: Scene, position: number) => {
    if (position < 0 || position >= story.scenes.length || position === scene.position) return;
    void run(() => api.reorderScene(scene.id, position));
  };
  if (story.scenes.length === 0) return null;
  return (
    <section className="scenes" aria-labelledby="scenes-title">
      <h2 id="scenes-title">{t("scenes.title")}</h2>
      {editable && <p className="hint">{t("scenes.moveHint")}</p>}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <ol className="scene-list">
        {story.scenes.map((scene) => (
          <SceneCard
            key={scene.id}
            scene={scene}
            editable={editable}
            onMove={(position) => move(scene, position)}
            onSave={(changes) => run(() => api.updateScene(scene.id, changes))}
            onRegenerate={() => run(() => api.regenerateScene(scene.id))}
            dragProps={
              editable
                ? {
                    draggable: true,
                    onDragStart: () => setDragged(scene.position),
                    onDragOver: (event: DragEvent) => event.preventDefault(),
                    onDrop: (event: DragEvent) => {
                      event.preventDefault();
                      if (dragged !== null) {
                        const from = story.scenes.find((s) => s.position === dragged);
                        if (from) move(from, scene.position);
                      }
                      setDragged(null);
                    },
                  }
                : {}
            }
          />
        ))}
      </ol>
    </section>
  );
}

function SceneCard({
  scene,
  editable,
  onMove,
  onSave,
  onRegenerate,
  dragProps,
}: {
  scene: Scene;
  editable: boolean;
  onMove: (position: number) => void;
  onSave: (changes: Record<string, unknown>) => Promise<void>;
  onRegenerate: () => void;
  dragProps: Record<string, unknown>;
}) {
  const { t } = useI18n();
  const [editing, setEditing] = useState(false);
  const [narration, setNarration] = useState(scene.narration);
  const [background, setBackground] = useState(scene.prompt.background);
  const [action, setAction] = useState(scene.prompt.action);
  const [duration, setDuration] = useState(scene.duration_seconds);
  const number = scene.position + 1;
  const keys = (event: KeyboardEvent) => {
    if (!editable || !event.altKey) return;
    if (event.key === "ArrowUp") onMove(scene.position - 1);
    if (event.key === "ArrowDown") onMove(scene.position + 1);
  };
  return (
    <li
      className="scene-card"
      tabIndex={0}
      onKeyDown={keys}
      aria-label={t("scenes.scene", { n: number })}
      data-scene={scene.id}
      {...dragProps}
    >
      <div className="scene-head">
        <strong>{t("scenes.scene", { n: number })}</strong>
        <span>{t("scenes.seconds", { s: scene.duration_seconds })}</span>
        <span className="badge">{t(`scenes.status.${scene.status}` as MessageKey)}</span>
      </div>
      {scene.background_url ? (
        <img className="thumb" src={scene.background_url} alt={scene.prompt.background} />
      ) : (
        <div className="thumb placeholder" aria-hidden="true" />
      )}
      {editing ? (
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            await onSave({
              narration,
              duration_seconds: duration,
              prompt: { background, action },
            });
            setEditing(false);
          }}
        >
          <label htmlFor={`narration-${scene.id}`}>{t("scenes.narration")}</label>
          <textarea
            id={`narration-${scene.id}`}
            value={narration}
            onChange={(event) => setNarration(event.target.value)}
          />
          <label htmlFor={`background-${scene.id}`}>{t("scenes.background")}</label>
          <input
            id={`background-${scene.id}`}
            value={background}
            onChange={(event) => setBackground(event.target.value)}
          />
          <label htmlFor={`action-${scene.id}`}>{t("scenes.action")}</label>
          <input
            id={`action-${scene.id}`}
            value={action}
            onChange={(event) => setAction(event.target.value)}
          />
          <label htmlFor={`duration-${scene.id}`}>{t("scenes.duration")}</label>
          <input
            id={`duration-${scene.id}`}
            type="number"
            min={1}
            max={60}
            step={0.5}
            value={duration}
            onChange={(event) => setDuration(Number(event.target.value))}
          />
          <UploadField
            id={`background-upload-${scene.id}`}
            kind="background"
            accept="image/png,image/jpeg,image/webp,video/mp4,video/webm"
            label={t("upload.background")}
            chosen={Boolean(scene.background_asset_id)}
            onUploaded={(asset) => void onSave({ background_asset_id: asset?.id ?? null })}
          />
          <UploadField
            id={`narration-upload-${scene.id}`}
            kind="narration"
            accept="audio/*"
            label={t("upload.narration")}
            chosen={Boolean(scene.narration_asset_id)}
            onUploaded={(asset) => void onSave({ narration_asset_id: asset?.id ?? null })}
          />
          <div className="buttons">
            <button type="submit">{t("scenes.save")}</button>
            <button type="button" className="secondary" onClick={() => setEditing(false)}>
              {t("scenes.cancelEdit")}
            </button>
          </div>
        </form>
      ) : (
        <dl>
          <dt>{t("scenes.narration")}</dt>
          <dd className="narration">{scene.narration || "—"}</dd>
          <dt>{t("scenes.background")}</dt>
          <dd>{scene.prompt.background}</dd>
          <dt>{t("scenes.action")}</dt>
          <dd>{scene.prompt.action || "—"}</dd>
        </dl>
      )}
      {editable && !editing && (
        <div className="buttons">
          <button type="button" className="secondary" onClick={() => setEditing(true)}>
            {t("scenes.edit")}
          </button>
          <button type="button" className="secondary" onClick={() => onMove(scene.position - 1)}>
            {t("scenes.up")}
          </button>
          <button type="button" className="secondary" onClick={() => onMove(scene.position + 1)}>
            {t("scenes.down")}
          </button>
          <button type="button" className="secondary" onClick={onRegenerate}>
            {t("scenes.regenerate")}
          </button>
        </div>
      )}
    </li>
  );
}
