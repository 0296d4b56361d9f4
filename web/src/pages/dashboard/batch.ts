// Every saved widget's data of a dashboard in one streamed request (`GET {base}/data`, see
// docs/dashboards.md), started at start-up alongside the dashboard itself. Its first line
// names the filters the server applied: a widget's data is taken from the stream only when
// they are the filters the page shows; otherwise, and for a widget the stream leaves out or
// that a broken stream never reached, the page asks for that widget alone, as before.
import { ApiError, withParams } from "../../api";
import { readLines } from "../../lib/ndjson";
import type { DashboardFilters, Envelope } from "../../types";
import { filterParams } from "./model";

type Line =
  | { filters: DashboardFilters }
  | { widget_id: string; data: Envelope }
  | { widget_id: string; error: { status: number; code: string; message: string; details?: unknown } };

export interface WidgetData {
  /** The widget's envelope when the stream ran it under `filters`; null: ask for it alone. */
  reply(widgetId: string, filters: DashboardFilters): Promise<Envelope | null>;
}

interface Slot {
  promise: Promise<Envelope | null>;
  resolve(envelope: Envelope | null): void;
  reject(error: ApiError): void;
}

const FILTER_KEYS = ["date_from", "date_to", "compare", "properties"];

export function sameFilters(a: DashboardFilters, b: DashboardFilters): boolean {
  return JSON.stringify(filterParams(a)) === JSON.stringify(filterParams(b));
}

/** Starts `GET {base}/data` with the page URL's filter parameters. */
export function startWidgetData(base: string, search: URLSearchParams): WidgetData {
  const params = Object.fromEntries(FILTER_KEYS.filter((key) => search.has(key)).map((key) => [key, search.get(key)]));
  return collect(fetch(withParams(`${base}/data`, params), { headers: { Accept: "application/x-ndjson" }, credentials: "same-origin" }));
}

function slot(): Slot {
  let resolve!: Slot["resolve"];
  let reject!: Slot["reject"];
  const promise = new Promise<Envelope | null>((ok, fail) => ((resolve = ok), (reject = fail)));
  // Handled here so an error nobody takes (the page moved on) is no unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** The widgets' replies of a streamed answer. */
export function collect(answer: Promise<Response>): WidgetData {
  let applied!: (filters: DashboardFilters | null) => void;
  const filters = new Promise<DashboardFilters | null>((resolve) => (applied = resolve));
  const slots = new Map<string, Slot>();
  let ended = false;
  const of = (widgetId: string): Slot => {
    let found = slots.get(widgetId);
    if (!found) {
      found = slot();
      if (ended) found.resolve(null);
      slots.set(widgetId, found);
    }
    return found;
  };
  const take = (value: unknown) => {
    const line = value as Line;
    if ("filters" in line) applied(line.filters);
    else if ("data" in line) of(line.widget_id).resolve(line.data);
    else if ("error" in line) of(line.widget_id).reject(new ApiError(line.error.status, line.error.code, line.error.message, line.error.details));
  };
  answer
    .then((response) => (response.ok && response.body ? readLines(response.body, take) : undefined))
    .catch(() => undefined)
    .finally(() => {
      ended = true;
      applied(null);
      for (const waiting of slots.values()) waiting.resolve(null);
    });
  return {
    reply: (widgetId, shown) => filters.then((ran) => (ran && sameFilters(ran, shown) ? of(widgetId).promise : null)),
  };
}
