// Requests started at start-up, before the page's code has loaded and before the session is
// known: the page then takes the reply already under way instead of asking again. A started
// request is handed out once, and only while fresh.
import { api } from "../api";

const FRESH_MS = 15_000;
const started = new Map<string, { at: number; reply: Promise<unknown> }>();

/** Keeps `reply`, already under way, for the page's first earlyGet of `url`. */
export function startReply<T>(url: string, reply: Promise<T>): Promise<T> {
  // Handled here so a reply nobody takes (the page moved on) is no unhandled rejection.
  reply.catch(() => undefined);
  started.set(url, { at: performance.now(), reply });
  return reply;
}

/** GETs `url` now, keeping the reply for the page's first earlyGet of the same URL. */
export function startGet<T>(url: string): Promise<T> {
  return startReply(url, api.get<T>(url));
}

/** The reply of a GET of `url` started at start-up, else a new GET. */
export function earlyGet<T>(url: string): Promise<T> {
  const early = started.get(url);
  started.delete(url);
  if (early && performance.now() - early.at < FRESH_MS) return early.reply as Promise<T>;
  return api.get<T>(url);
}
