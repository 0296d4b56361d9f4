// Small shared hooks.
import { useEffect, useState } from "preact/hooks";

export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const listener = () => setMatches(list.matches);
    list.addEventListener("change", listener);
    listener();
    return () => list.removeEventListener("change", listener);
  }, [query]);
  return matches;
}

export const PHONE = "(max-width: 640px)";

/** Counts `event: events` messages of a project's server-sent event stream. */
export function useLiveTick(projectId: string | undefined, enabled: boolean): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!projectId || !enabled || typeof EventSource === "undefined") return;
    const stream = new EventSource(`/api/projects/${projectId}/stream`, { withCredentials: true });
    const onEvents = () => setTick((t) => t + 1);
    stream.addEventListener("events", onEvents);
    return () => {
      stream.removeEventListener("events", onEvents);
      stream.close();
    };
  }, [projectId, enabled]);
  return tick;
}

export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Heron` : "Heron";
  }, [title]);
}
