import { useEffect, useState } from "react";

import { logout, token } from "./api";
import { Login } from "./components/Login";
import { StoryList } from "./components/StoryList";
import { StoryPlanner } from "./components/StoryPlanner";
import { useI18n, type Language } from "./i18n";
import { href, navigate, useRoute } from "./router";

export function App() {
  const { t, language, setLanguage } = useI18n();
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(Boolean(token()));

  useEffect(() => {
    if (!signedIn && route.name !== "login") navigate({ name: "login" }, true);
  }, [signedIn, route.name]);

  const header = (
    <header className="top">
      <a className="skip" href="#main">
        {t("app.skip")}
      </a>
      <a className="brand" href={href({ name: "stories" })} onClick={(event) => {
        event.preventDefault();
        navigate({ name: "stories" });
      }}>
        VideoPlanet · {t("app.title")}
      </a>
      <div className="top-actions">
        <label htmlFor="ui-language" className="sr-only">
          {t("app.language")}
        </label>
        <select
          id="ui-language"
          value={language}
          onChange={(event) => setLanguage(event.target.value as Language)}
        >
          <option value="ko">한국어</option>
          <option value="en">English</option>
        </select>
        {signedIn && (
          <button
            type="button"
            className="link"
            onClick={() => {
              logout();
              setSignedIn(false);
            }}
          >
            {t("app.logout")}
          </button>
        )}
      </div>
    </header>
  );

  if (!signedIn || route.name === "login") {
    return (
      <>
        {header}
        <Login
          onDone={() => {
            setSignedIn(true);
            navigate({ name: "stories" }, true);
          }}
        />
      </>
    );
  }
  return (
    <>
      {header}
      {route.name === "stories" && <StoryList />}
      {route.name === "new" && <StoryPlanner key="new" projectId={route.projectId} storyId={null} />}
      {route.name === "story" && (
        <StoryPlanner key={route.storyId} projectId={null} storyId={route.storyId} />
      )}
    </>
  );
}
