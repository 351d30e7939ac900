// An API error in words the creator can act on, in the studio's language.
import { ApiError } from "./api";
import type { MessageKey } from "./i18n";

type T = (key: MessageKey, values?: Record<string, string | number>) => string;

export function describe(error: unknown, t: T): string {
  if (!(error instanceof ApiError)) return t("error.server");
  const state = (name: unknown) => (typeof name === "string" ? t(`state.${name}` as MessageKey) : "");
  switch (error.status) {
    case 0:
      return t("error.network");
    case 401:
      return t("error.unauthorized");
    case 404:
      return t("error.notFound");
    case 409: {
      if (error.code === "idempotency_in_progress") return t("error.busy");
      const current = state(error.details.current);
      const allowed = (error.details.allowed as string[] | undefined) ?? [];
      if (current && allowed.length) {
        return t("error.refusedAllowed", { current, allowed: allowed.map(state).join(", ") });
      }
      return current ? t("error.refused", { current }) : error.message;
    }
    case 413:
      return t("error.tooLarge");
    case 422:
      return t("error.invalid");
    default:
      return error.status >= 500 ? t("error.server") : error.message;
  }
}

/** Field errors of a 422, keyed by the studio's field names, in the studio's language. */
export function fieldErrors(error: unknown, t: T): Record<string, string> {
  if (!(error instanceof ApiError) || error.status !== 422) return {};
  return Object.fromEntries(
    Object.entries(error.fields).map(([field, rule]) => [field, t("error.field", { rule })]),
  );
}
