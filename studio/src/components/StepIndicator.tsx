import { useI18n, type MessageKey } from "../i18n";

export const STEP_IDS = ["story", "character", "background", "action", "preview"] as const;
export type PlannerStep = (typeof STEP_IDS)[number];

export function StepIndicator({
  active,
  reached,
  onSelect,
}: {
  active: number;
  reached: number;
  onSelect: (index: number) => void;
}) {
  const { t } = useI18n();
  return (
    <nav aria-label={t("steps.label")}>
      <ol className="steps">
        {STEP_IDS.map((id, index) => (
          <li key={id} className={index === active ? "active" : index < active ? "done" : ""}>
            <button
              type="button"
              onClick={() => onSelect(index)}
              disabled={index > reached}
              aria-current={index === active ? "step" : undefined}
            >
              <span className="number" aria-hidden="true">
                {index + 1}
              </span>
              {t(`steps.${id}` as MessageKey)}
              {index < active && <span className="sr-only"> ({t("steps.done")})</span>}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
