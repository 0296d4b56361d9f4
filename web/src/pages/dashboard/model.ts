// Pure helpers of the dashboard page: filters as URL parameters, specs with filters applied,
// placing new widgets, the mobile order.
import { withParams, type Params } from "../../api";
import { defaultAggregate } from "../../widgets/shape";
import type { Dashboard, DashboardFilters, Position, PropertyFilter, QuerySpec, Widget } from "../../types";

export function filterParams(filters: DashboardFilters): Params {
  return {
    date_from: filters.date_from ?? undefined,
    date_to: filters.date_to ?? undefined,
    compare: filters.compare ? "true" : undefined,
    properties: filters.properties?.length ? JSON.stringify(filters.properties) : undefined,
  };
}

/** Where a saved widget's data is read for the filters (a GET the browser may cache). */
export function widgetDataUrl(base: string, widgetId: string, filters: DashboardFilters): string {
  return withParams(`${base}/widgets/${encodeURIComponent(widgetId)}/data`, filterParams(filters));
}

/** Filters from a page URL's search parameters, falling back to the dashboard's stored ones. */
export function filtersFromUrl(query: URLSearchParams, stored: DashboardFilters): DashboardFilters {
  let properties = stored.properties ?? [];
  const text = query.get("properties");
  if (text) {
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed)) properties = parsed as PropertyFilter[];
    } catch {
      // A hand-edited URL with broken JSON keeps the stored filters.
    }
  }
  return {
    date_from: query.get("date_from") ?? stored.date_from ?? "-30d",
    date_to: query.get("date_to") ?? stored.date_to ?? "today",
    compare: query.has("compare") ? query.get("compare") === "true" : Boolean(stored.compare),
    properties,
  };
}

/** A widget's spec with the dashboard filters applied (for widgets not saved yet). */
export function applyFilters(spec: QuerySpec, filters: DashboardFilters): QuerySpec {
  // SQL says its own range and filters: the dashboard's do not reach into it.
  if (spec.kind === "SQLQuery") return spec;
  const next: QuerySpec = { ...spec };
  if (filters.date_from) next.date_from = filters.date_from;
  if (filters.date_to) next.date_to = filters.date_to;
  if (filters.properties?.length) {
    next.filters = [...((spec.filters as PropertyFilter[]) ?? []), ...filters.properties];
  }
  if (spec.kind === "TrendsQuery") next.compare = Boolean(filters.compare);
  return next;
}

/** Where a widget of size w×h goes: under everything else, at the left. */
export function placeBelow(widgets: Widget[], w: number, h: number): Position {
  const bottom = widgets.reduce((most, widget) => Math.max(most, widget.position.y + widget.position.h), 0);
  return { x: 0, y: bottom, w: Math.min(12, Math.max(1, w)), h: Math.max(1, h) };
}

const byCell = (a: Widget, b: Widget) => a.position.y - b.position.y || a.position.x - b.position.x;

/** Widgets by their grid cells: top to bottom, left to right. */
export function readingOrder(widgets: Widget[]): Widget[] {
  return [...widgets].sort(byCell);
}

/** The one-column mobile layout: the server's derived one when given, else reading order. */
export function mobileOrder(dashboard: Pick<Dashboard, "widgets" | "layouts">): Widget[] {
  const mobile = dashboard.layouts?.mobile;
  const rank = new Map((mobile ?? []).map((item, i) => [String(item.id), item.y * 1000 + i]));
  return [...dashboard.widgets].sort((a, b) => {
    const ra = rank.get(String(a.id));
    const rb = rank.get(String(b.id));
    if (ra !== undefined && rb !== undefined) return ra - rb;
    return byCell(a, b);
  });
}

let counter = 0;

/** A client-side key for a widget the server has not given an id yet. */
export function draftKey(): string {
  counter += 1;
  return `draft-${Date.now().toString(36)}-${counter}`;
}

export const isDraftId = (id: string | undefined) => !id || id.startsWith("draft-");

/** A metric card keeps how it sums up its series, for public views (which omit queries). */
function withAggregate(widget: Widget): Widget {
  if (widget.type !== "metric" || !widget.query || widget.options?.aggregate) return widget;
  return { ...widget, options: { ...widget.options, aggregate: defaultAggregate(widget.query) } };
}

/** The dashboard body to PATCH: drafts lose their client-side ids. */
export function savePayload(dashboard: Dashboard): Partial<Dashboard> {
  return {
    name: dashboard.name,
    description: dashboard.description,
    filters: dashboard.filters,
    widgets: dashboard.widgets.map((widget) => {
      const { id, ...rest } = withAggregate(widget);
      return isDraftId(id) ? rest : { id, ...rest };
    }),
  };
}

export const KIND_PAGES: Record<string, string> = {
  TrendsQuery: "trends",
  FunnelsQuery: "funnels",
  RetentionQuery: "retention",
  StickinessQuery: "stickiness",
  LifecycleQuery: "lifecycle",
  PathsQuery: "paths",
};

/** The explorer page that opens a widget's query ("drill into the insight"). */
export function drillUrl(projectId: string, widget: Widget): string | null {
  const insightId = widget.options?.insight_id;
  if (typeof insightId === "string" || typeof insightId === "number") return `/projects/${projectId}/insights/${insightId}`;
  const query = widget.query;
  if (!query) return null;
  if (query.kind === "SQLQuery") return `/projects/${projectId}/sql?sql=${encodeURIComponent(String(query.sql ?? ""))}`;
  const kind = KIND_PAGES[query.kind];
  if (!kind) return null;
  return `/projects/${projectId}/insights/new?kind=${kind}&query=${encodeURIComponent(JSON.stringify(query))}`;
}

/** The property a click on a breakdown value filters by. */
export function clickFilter(widget: Widget, value: string): PropertyFilter | null {
  const breakdown = widget.query?.breakdown as { property?: string; type?: "event" | "person" } | undefined;
  const property = breakdown?.property ?? (widget.type === "geo" ? "$geoip_country_code" : undefined);
  if (!property) return null;
  const type = breakdown?.type ?? "event";
  if (value === "(none)") return { property, operator: "is_not_set", type };
  return { property, operator: "eq", value, type };
}
