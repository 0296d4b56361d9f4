import { describe, expect, it } from "vitest";
import {
  change,
  defaultAggregate,
  formatNumber,
  toCategories,
  toHeatmap,
  toMetric,
  toRetention,
  toSankey,
  toSeries,
  toTable,
} from "../src/widgets/shape";

const trends = [
  { label: "pageview", labels: ["2025-01-01", "2025-01-02"], data: [3, 5] },
  { label: "pageview", labels: ["2024-12-30", "2024-12-31"], data: [1, 2], compare: "previous" },
];

describe("series", () => {
  it("reads trends with a previous period", () => {
    expect(toSeries(trends)).toEqual({
      labels: ["2025-01-01", "2025-01-02"],
      series: [
        { name: "pageview", data: [3, 5], previous: false, breakdown: null },
        { name: "pageview (previous)", data: [1, 2], previous: true, breakdown: null },
      ],
    });
  });

  it("reads a broken-down MetricQuery, averaging rates and summing amounts", () => {
    const entry = (unit: string, value: string, data: number[]) => ({
      metric: "m", unit, labels: ["2025-01-01", "2025-01-02"], series: { m: data }, source: "live", breakdown_value: value,
    });
    const rates = [entry("ratio", "coach-a", [0.5, 0.25]), entry("ratio", "coach-b", [1, 0])];
    expect(toSeries(rates).series).toEqual([
      { name: "coach-a", data: [0.5, 0.25], previous: false, breakdown: "coach-a" },
      { name: "coach-b", data: [1, 0], previous: false, breakdown: "coach-b" },
    ]);
    expect(toCategories(rates)).toEqual([
      { name: "coach-a", value: 0.375 },
      { name: "coach-b", value: 0.5 },
    ]);
    expect(toCategories([entry("amount", "pro", [100, 50])])).toEqual([{ name: "pro", value: 150 }]);
  });

  it("names breakdown values, with the engine's stand-ins spelled out", () => {
    const broken = [
      { label: "pageview", breakdown_value: "Firefox", labels: ["d"], data: [2] },
      { label: "pageview", breakdown_value: "$none", labels: ["d"], data: [1] },
    ];
    expect(toSeries(broken).series.map((s) => s.name)).toEqual(["Firefox", "(none)"]);
    expect(toCategories(broken)).toEqual([
      { name: "Firefox", value: 2 },
      { name: "(none)", value: 1 },
    ]);
  });

  it("reads SQL rows oldest first, numeric columns as series", () => {
    const rows = { columns: ["day", "n", "label"], rows: [["2025-01-02", 4, "x"], ["2025-01-01", 2, "y"]] };
    expect(toSeries(rows)).toEqual({
      labels: ["2025-01-01", "2025-01-02"],
      series: [{ name: "n", data: [2, 4], previous: false, breakdown: null }],
    });
  });

  it("reads lifecycle and funnel results", () => {
    const lifecycle = { labels: ["d1"], new: [1], returning: [2], dormant: [-1] };
    expect(toSeries(lifecycle).series.map((s) => s.name)).toEqual(["new", "returning", "dormant"]);
    const funnel = { steps: [{ event: "signup", count: 10, conversion_rate: 1 }, { event: "buy", count: 4, conversion_rate: 0.4 }] };
    expect(toSeries(funnel).series[0].data).toEqual([10, 4]);
    expect(toTable(funnel).rows).toEqual([["1. signup", 10, "100.0%"], ["2. buy", 4, "40.0%"]]);
  });

  it("gives empty shapes for results it does not know", () => {
    expect(toSeries(null)).toEqual({ labels: [], series: [] });
    expect(toCategories("nonsense")).toEqual([]);
  });
});

describe("metric cards", () => {
  it("sums, averages or takes the last value, with the change", () => {
    expect(toMetric(trends)).toEqual({ value: 8, previous: 3, spark: [3, 5] });
    expect(toMetric(trends, "last").value).toBe(5);
    expect(toMetric(trends, "average").value).toBe(4);
    expect(change(8, 4)).toBe(100);
    expect(change(8, 0)).toBeNull();
    expect(change(8, null)).toBeNull();
  });

  it("picks the aggregate from the query's math", () => {
    expect(defaultAggregate({ series: [{ math: "total" }] })).toBe("sum");
    expect(defaultAggregate({ series: [{ math: "monthly_active" }] })).toBe("last");
    expect(defaultAggregate({ series: [{ math: "dau" }] })).toBe("average");
    expect(defaultAggregate(null)).toBe("sum");
  });
});

describe("other shapes", () => {
  it("lays a weekday × hour matrix as [hour, weekday, value] cells", () => {
    const matrix = { weekdays: ["Mon", "Tue"], data: [[1, 0], [0, 2]] };
    expect(toHeatmap(matrix)).toEqual([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 1, 2]]);
    // SQL rows with Sunday = 0 land on the last row (Monday first).
    expect(toHeatmap({ columns: ["dow", "hour", "n"], rows: [[0, 5, 3]] })).toEqual([[5, 0, 3]]);
    expect(toHeatmap({ columns: ["isodow", "hour", "n"], rows: [[7, 5, 3]] })).toEqual([[5, 6, 3]]);
  });

  it("reads paths and retention", () => {
    const paths = { nodes: [{ name: "1_signup" }, { name: "2_buy" }], links: [{ source: "1_signup", target: "2_buy", value: 3 }] };
    expect(toSankey(paths).nodes.map((n) => n.label)).toEqual(["signup", "buy"]);
    expect(toTable(paths).rows).toEqual([["signup", "buy", 3]]);
    const retention = { cohorts: [{ cohort_start: "2025-01-06", size: 10, values: [10, 5] }] };
    expect(toRetention(retention)).toEqual([{ start: "2025-01-06", size: 10, values: [10, 5] }]);
    expect(toTable(retention)).toEqual({ columns: ["Cohort", "Size", "Period 1"], rows: [["2025-01-06", 10, "50.0%"]] });
  });

  it("formats numbers compactly", () => {
    expect(formatNumber(1234)).toBe("1,234");
    expect(formatNumber(12345)).toBe("12.3k");
    expect(formatNumber(2_500_000)).toBe("2.5M");
    expect(formatNumber(3.14159)).toBe("3.14");
    expect(formatNumber(31.4159)).toBe("31.4");
    expect(formatNumber(Number.NaN)).toBe("–");
  });
});

describe("forecast", () => {
  const arr = {
    metric: "arr", unit: "currency", labels: ["2025-01-01", "2025-02-01"], series: { arr: [100, 120] },
    forecast: { labels: ["2025-03-01", "2025-04-01"], data: [140, 160], lower: [130, 140], upper: [150, 180], method: "linear trend" },
  };

  it("continues the series from its last value, dashed and out of cards and tables' way", () => {
    const shape = toSeries(arr);
    expect(shape.labels).toEqual(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]);
    expect(shape.series[0].data).toEqual([100, 120]);
    expect(shape.series[1]).toMatchObject({ name: "arr forecast", projected: true, data: [Number.NaN, 120, 140, 160] });
    expect(toMetric(arr, "last").value).toBe(120);
    expect(toTable(arr).rows).toEqual([
      ["2025-01-01", 100, null],
      ["2025-02-01", 120, 120],
      ["2025-03-01", null, 140],
      ["2025-04-01", null, 160],
    ]);
  });
});
