import { describe, expect, it, vi } from "vitest";
import { withParams } from "../src/api";
import { displayOf, kindOfQuery } from "../src/pages/insights/kinds";
import { defaultQuery } from "../src/pages/dashboard/defaults";
import { chartOptions, LARGE_BARS, paletteChanged, type Palette } from "../src/widgets/chartOptions";

const palette: Palette = { colors: ["#111111", "#222222", "#333333"], text: "#000", muted: "#666", grid: "#eee", font: "sans-serif" };
type Series = { name: string; type: string; stack?: string; color: string };

describe("chart options by widget type", () => {
  const trends = [
    { label: "a", breakdown_value: "a", labels: ["d1", "d2"], data: [1, 2] },
    { label: "b", breakdown_value: "b", labels: ["d1", "d2"], data: [3, 4] },
  ];

  it("stacks bars only when asked, and shows a legend for several series", () => {
    const plain = chartOptions("bar", trends, {}, palette);
    expect((plain.series as Series[]).map((s) => s.stack)).toEqual([undefined, undefined]);
    expect(plain.legend).toMatchObject({ type: "scroll" });
    const stacked = chartOptions("bar", trends, { stacked: true }, palette);
    expect((stacked.series as Series[]).map((s) => s.stack)).toEqual(["current", "current"]);
    expect(chartOptions("bar", trends, { legend: false }, palette).legend).toEqual({ show: false });
  });

  it("turns the axes round for horizontal bars", () => {
    const options = chartOptions("bar", trends, { horizontal: true }, palette);
    expect(options.yAxis).toMatchObject({ type: "category", data: ["d1", "d2"] });
    expect(options.xAxis).toMatchObject({ type: "value" });
  });

  it("animates only when told to", () => {
    expect(chartOptions("line", trends, {}, palette, false).animation).toBe(false);
    expect(chartOptions("line", trends, {}, palette).animation).toBe(true);
  });

  it("draws a previous period in its current series' colour", () => {
    const compared = [
      { label: "x", labels: ["d1"], data: [1] },
      { label: "x", labels: ["d0"], data: [1], compare: "previous" },
    ];
    const [current, previous] = chartOptions("line", compared, {}, palette).series as Series[];
    expect(previous.color).toBe(current.color);
  });

  it("groups small pie slices into Other and makes donuts", () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ label: "e", breakdown_value: `v${i}`, labels: ["d"], data: [10 - i] }));
    const [pie] = chartOptions("pie", many, { max_slices: 4, donut: true }, palette).series as { data: { name: string; value: number }[]; radius: unknown }[];
    expect(pie.data.map((d) => d.name)).toEqual(["v0", "v1", "v2", "Other"]);
    expect(pie.data[3].value).toBe(7 + 6 + 5 + 4 + 3 + 2 + 1);
    expect(pie.radius).toEqual(["45%", "72%"]);
  });

  it("keeps the heaviest sankey nodes", () => {
    const paths = {
      nodes: [{ name: "1_a" }, { name: "2_b" }, { name: "2_c" }],
      links: [
        { source: "1_a", target: "2_b", value: 9 },
        { source: "1_a", target: "2_c", value: 1 },
      ],
    };
    const [sankey] = chartOptions("sankey", paths, { max_nodes: 2 }, palette).series as { data: { name: string }[]; links: unknown[] }[];
    expect(sankey.data.map((n) => n.name)).toEqual(["1_a", "2_b"]);
    expect(sankey.links).toHaveLength(1);
  });

  it("draws many bars in large mode only", () => {
    const days = Array.from({ length: 120 }, (_, i) => `d${i}`);
    const events = (count: number) => Array.from({ length: count }, (_, i) => ({ label: `e${i}`, breakdown_value: `e${i}`, labels: days, data: days.map(() => 1) }));
    const few = LARGE_BARS / days.length;
    type Bar = { large: boolean; largeThreshold?: number };
    expect((chartOptions("bar", events(few), { stacked: true }, palette).series as Bar[]).every((s) => !s.large)).toBe(true);
    const many = chartOptions("bar", events(few + 1), { stacked: true }, palette).series as Bar[];
    expect(many.every((s) => s.large && s.largeThreshold === 0)).toBe(true);
    expect((chartOptions("line", events(few + 1), {}, palette).series as Bar[]).every((s) => !s.large)).toBe(true);
  });

  it("draws a chart again only when the theme changed its palette", () => {
    expect(paletteChanged(null, palette)).toBe(false);
    expect(paletteChanged({ ...palette, colors: [...palette.colors] }, palette)).toBe(false);
    expect(paletteChanged(palette, { ...palette, text: "#fff" })).toBe(true);
  });
});

describe("routes, URLs and defaults", () => {
  it("matches path patterns", async () => {
    // The router listens to the window's history; its matching is pure.
    vi.stubGlobal("window", { addEventListener: () => undefined });
    const { match } = await import("../src/router");
    expect(match("/projects/:pid/dashboards/:did", "/projects/1/dashboards/a%20b")).toEqual({ pid: "1", did: "a b" });
    expect(match("/projects/:pid/dashboards", "/projects/1/dashboards/2")).toBeNull();
    expect(match("/projects/:pid/sql", "/projects/1/insights")).toBeNull();
  });

  it("builds query strings without empty values", () => {
    expect(withParams("/x", { a: 1, b: "", c: null, d: undefined, e: false })).toBe("/x?a=1&e=false");
    expect(withParams("/x?y=1", { a: "b c" })).toBe("/x?y=1&a=b+c");
    expect(withParams("/x")).toBe("/x");
  });

  it("maps insight kinds and their displays", () => {
    expect(kindOfQuery({ kind: "FunnelsQuery" })).toBe("funnels");
    expect(kindOfQuery(null)).toBe("trends");
    expect(displayOf("trends", { display: "pie" })).toBe("pie");
    expect(displayOf("paths", { display: "pie" })).toBe("sankey");
  });

  it("starts each library widget with a query that suits it", () => {
    expect(defaultQuery("markdown")).toBeNull();
    expect(defaultQuery("geo", "signup")).toMatchObject({ breakdown: { property: "$geoip_country_code" }, series: [{ event: "signup" }] });
    expect(defaultQuery("funnel")).toMatchObject({ kind: "FunnelsQuery", steps: [{ event: "pageview" }, { event: "signup" }] });
    expect(defaultQuery("heatmap", "click")).toEqual({ kind: "HeatmapQuery", event: "click", math: "total" });
  });
});
