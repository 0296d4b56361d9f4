import { describe, expect, it } from "vitest";
import {
  applyFilters,
  clickFilter,
  drillUrl,
  filterParams,
  filtersFromUrl,
  isDraftId,
  mobileOrder,
  placeBelow,
  readingOrder,
  savePayload,
  widgetDataUrl,
} from "../src/pages/dashboard/model";
import type { Dashboard, Widget } from "../src/types";

const widget = (id: string, x: number, y: number, w = 4, h = 3, extra: Partial<Widget> = {}): Widget => ({
  id,
  type: "line",
  title: id,
  query: { kind: "TrendsQuery", series: [{ event: "pageview", math: "total" }] },
  options: {},
  position: { x, y, w, h },
  ...extra,
});

describe("filters in the URL", () => {
  it("round-trips through URL parameters", () => {
    const filters = {
      date_from: "-7d",
      date_to: "today",
      compare: true,
      properties: [{ property: "$browser", operator: "eq", value: "Firefox", type: "event" as const }],
    };
    const params = new URLSearchParams(filterParams(filters) as Record<string, string>);
    expect(filtersFromUrl(params, {})).toEqual(filters);
  });

  it("falls back to the stored filters, then to the last 30 days", () => {
    expect(filtersFromUrl(new URLSearchParams(), {})).toEqual({ date_from: "-30d", date_to: "today", compare: false, properties: [] });
    const stored = { date_from: "-90d", date_to: "today", compare: true };
    expect(filtersFromUrl(new URLSearchParams("date_from=-7d"), stored)).toMatchObject({ date_from: "-7d", compare: true });
    expect(filtersFromUrl(new URLSearchParams("compare=false"), stored).compare).toBe(false);
  });

  it("keeps the stored property filters when the URL's JSON is broken", () => {
    const stored = { properties: [{ property: "plan", operator: "eq", value: "pro" }] };
    expect(filtersFromUrl(new URLSearchParams("properties=%5Bnot-json"), stored as never).properties).toEqual(stored.properties);
  });

  it("leaves empty filters out of the parameters", () => {
    expect(filterParams({ compare: false, properties: [] })).toEqual({
      date_from: undefined,
      date_to: undefined,
      compare: undefined,
      properties: undefined,
    });
  });

  it("reads a saved widget's data at one URL per filter set", () => {
    const url = widgetDataUrl("/api/projects/1/dashboards/2", "top events", { date_from: "-7d", date_to: "today" });
    expect(url).toBe("/api/projects/1/dashboards/2/widgets/top%20events/data?date_from=-7d&date_to=today");
  });
});

describe("applying filters to a widget's query", () => {
  it("sets the range, appends property filters and compare for trends", () => {
    const spec = { kind: "TrendsQuery", filters: [{ property: "a", operator: "eq", value: 1 }] };
    const applied = applyFilters(spec, {
      date_from: "-7d",
      date_to: "today",
      compare: true,
      properties: [{ property: "b", operator: "eq", value: 2 }],
    });
    expect(applied).toEqual({
      kind: "TrendsQuery",
      date_from: "-7d",
      date_to: "today",
      compare: true,
      filters: [
        { property: "a", operator: "eq", value: 1 },
        { property: "b", operator: "eq", value: 2 },
      ],
    });
    expect(spec.filters).toHaveLength(1);
  });

  it("does not add compare to other kinds, nor touch SQL", () => {
    expect(applyFilters({ kind: "FunnelsQuery" }, { compare: true, date_from: "-7d" })).toEqual({ kind: "FunnelsQuery", date_from: "-7d" });
    const sql = { kind: "SQLQuery", sql: "select 1" };
    expect(applyFilters(sql, { date_from: "-7d", properties: [{ property: "x", operator: "eq", value: 1 }] })).toBe(sql);
  });
});

describe("layout helpers", () => {
  it("places a new widget under everything, clamped to the grid", () => {
    expect(placeBelow([], 4, 3)).toEqual({ x: 0, y: 0, w: 4, h: 3 });
    expect(placeBelow([widget("a", 0, 0, 6, 2), widget("b", 6, 0, 6, 5)], 20, 0)).toEqual({ x: 0, y: 5, w: 12, h: 1 });
  });

  it("reads widgets top to bottom, then left to right", () => {
    const widgets = [widget("c", 0, 4), widget("b", 6, 0), widget("a", 0, 0)];
    expect(readingOrder(widgets).map((w) => w.id)).toEqual(["a", "b", "c"]);
    expect(widgets.map((w) => w.id)).toEqual(["c", "b", "a"]);
  });

  it("follows the server's mobile layout when it has one", () => {
    const dashboard: Pick<Dashboard, "widgets" | "layouts"> = {
      widgets: [widget("a", 0, 0), widget("b", 6, 0)],
      layouts: { mobile: [{ id: "b", x: 0, y: 0, w: 12, h: 3 }, { id: "a", x: 0, y: 3, w: 12, h: 3 }] },
    };
    expect(mobileOrder(dashboard).map((w) => w.id)).toEqual(["b", "a"]);
    expect(mobileOrder({ widgets: dashboard.widgets }).map((w) => w.id)).toEqual(["a", "b"]);
  });
});

describe("saving and clicks", () => {
  it("drops draft ids and keeps a metric card's aggregate", () => {
    const draft = widget("draft-abc-1", 0, 3, 4, 3, { type: "metric", query: { kind: "TrendsQuery", series: [{ math: "weekly_active" }] } });
    const body = savePayload({ id: 1, name: "D", filters: {}, widgets: [widget("a", 0, 0), draft] });
    expect(body.widgets![0].id).toBe("a");
    expect("id" in body.widgets![1]).toBe(false);
    expect(body.widgets![1].options.aggregate).toBe("last");
    expect(isDraftId(undefined)).toBe(true);
    expect(isDraftId("a")).toBe(false);
  });

  it("drills into the saved insight, the explorer or the SQL page", () => {
    expect(drillUrl("1", widget("a", 0, 0, 4, 3, { options: { insight_id: 7 } }))).toBe("/projects/1/insights/7");
    expect(drillUrl("1", widget("a", 0, 0))).toMatch(/^\/projects\/1\/insights\/new\?kind=trends&query=/);
    expect(drillUrl("1", widget("a", 0, 0, 4, 3, { query: { kind: "SQLQuery", sql: "select 1" } }))).toBe("/projects/1/sql?sql=select%201");
    expect(drillUrl("1", widget("a", 0, 0, 4, 3, { query: null }))).toBeNull();
  });

  it("filters by the clicked breakdown value", () => {
    const broken = widget("a", 0, 0, 4, 3, { query: { kind: "TrendsQuery", breakdown: { property: "$browser", type: "event" } } });
    expect(clickFilter(broken, "Firefox")).toEqual({ property: "$browser", operator: "eq", value: "Firefox", type: "event" });
    expect(clickFilter(broken, "(none)")).toEqual({ property: "$browser", operator: "is_not_set", type: "event" });
    expect(clickFilter(widget("m", 0, 0, 4, 3, { type: "geo", query: { kind: "TrendsQuery" } }), "DE")?.property).toBe("$geoip_country_code");
    expect(clickFilter(widget("a", 0, 0), "x")).toBeNull();
  });
});
