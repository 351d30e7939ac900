import { useState, type FormEvent } from "react";

import { api, ApiError } from "../api";
import { useI18n } from "../i18n";

export function Login({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const [signup, setSignup] = useState(false);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (signup) {
        try {
          await api.register(email, password);
        } catch (failure) {
          if (!(failure instanceof ApiError && failure.code === "email_taken")) throw failure;
        }
      }
      await api.login(email, password);
      onDone();
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? t("login.badCredentials")
          : failure instanceof ApiError && failure.status === 422
            ? Object.values(failure.fields).join(" ") || t("error.invalid")
            : t("error.network"),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="login">
      <form onSubmit={submit} className="card" aria-labelledby="login-title">
        <h1 id="login-title">{signup ? t("login.signupTitle") : t("login.title")}</h1>
        <label htmlFor="email">{t("login.email")}</label>
        <input
          id="email"
          name="email"
          type="email"
          autoComplete="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label htmlFor="password">{t("login.password")}</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete={signup ? "new-password" : "current-password"}
          required
          value={password}
          aria-describedby="password-hint"
          onChange={(event) => setPassword(event.target.value)}
        />
        <small id="password-hint">{t("login.passwordHint")}</small>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {signup ? t("login.signupSubmit") : t("login.submit")}
        </button>
        <button type="button" className="link" onClick={() => setSignup(!signup)}>
          {signup ? t("login.toLogin") : t("login.toSignup")}
        </button>
      </form>
    </main>
  );
}
