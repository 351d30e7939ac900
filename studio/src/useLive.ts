// Follows a story on the notifier: a fresh ticket for every connection (tickets live about a
// minute, EventSource cannot send a token), named events (status, log, progress), and on any
// break a new ticket and a reconnect that resumes after the last fact seen.
import { useEffect, useReducer, useRef } from "react";

import { api } from "./api";
import { INITIAL, liveReducer, type LiveMessage, type LiveState } from "./live";

const RETRY_MS = [500, 1000, 2000, 4000, 8000];

export function useLive(storyId: string | null, onFact?: (message: LiveMessage) => void): LiveState {
  const [state, dispatch] = useReducer(liveReducer, INITIAL);
  const lastId = useRef<number | null>(null);
  const factHandler = useRef(onFact);
  factHandler.current = onFact;
  lastId.current = state.lastId;

  useEffect(() => {
    if (!storyId) return;
    dispatch({ type: "reset" });
    lastId.current = null;
    let source: EventSource | null = null;
    let stopped = false;
    let failures = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const connect = async () => {
      dispatch({ type: "connection", connection: "connecting" });
      try {
        const ticket = await api.ticket(storyId);
        if (stopped) return;
        const url = new URL(ticket.events_url);
        if (lastId.current !== null) url.searchParams.set("last_event_id", String(lastId.current));
        source = new EventSource(url);
      } catch {
        retry();
        return;
      }
      const handle = (event: MessageEvent<string>) => {
        const message: LiveMessage = {
          type: event.type as LiveMessage["type"],
          id: event.lastEventId ? Number(event.lastEventId) : undefined,
          data: JSON.parse(event.data),
        };
        dispatch({ type: "message", message });
        if (message.type !== "progress") factHandler.current?.(message);
      };
      for (const name of ["status", "log", "progress"]) {
        source.addEventListener(name, handle as EventListener);
      }
      source.onopen = () => {
        failures = 0;
        dispatch({ type: "connection", connection: "open" });
      };
      source.onerror = () => {
        source?.close();
        retry();
      };
    };

    const retry = () => {
      if (stopped) return;
      dispatch({ type: "connection", connection: "closed" });
      timer = setTimeout(connect, RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]);
      failures += 1;
    };

    void connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      source?.close();
    };
  }, [storyId]);

  return state;
}
