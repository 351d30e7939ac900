// A few routes under /studio/, on the History API (the gateway answers every /studio/ path
// with the app, so reloads and shared links work).
import { useEffect, useState } from "react";

export const BASE = "/studio";

export type Route =
  | { name: "login" }
  | { name: "stories" }
  | { name: "new"; projectId: string | null }
  | { name: "story"; storyId: string };

export function parse(pathname: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "login") return { name: "login" };
  if (parts[0] === "projects" && parts[2] === "ai-studio") {
    return { name: "new", projectId: parts[1] ?? null };
  }
  if (parts[0] === "new") return { name: "new", projectId: null };
  if (parts[0] === "stories" && parts[1]) return { name: "story", storyId: parts[1] };
  return { name: "stories" };
}

export function href(route: Route): string {
  switch (route.name) {
    case "login":
      return `${BASE}/login`;
    case "stories":
      return `${BASE}/`;
    case "new":
      return route.projectId ? `${BASE}/projects/${route.projectId}/ai-studio` : `${BASE}/new`;
    case "story":
      return `${BASE}/stories/${route.storyId}`;
  }
}

export function navigate(route: Route, replace = false): void {
  const url = href(route);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parse(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parse(location.pathname));
    window.addEventListener("popstate", update);
    return () => window.removeEventListener("popstate", update);
  }, []);
  return route;
}
