// Pure functions from a query result (any kind) to the shapes renderers draw.

export interface SeriesShape {
  labels: string[];
  /** ``projected``: a forecast continuing the first series (NaN where it has no value). */
  series: { name: string; data: number[]; previous: boolean; breakdown: unknown; projected?: boolean }[];
}

export interface TableShape {
  columns: string[];
  rows: unknown[][];
}

export interface Category {
  name: string;
  value: number;
}

type Entry = Record<string, unknown>;

const isObject = (value: unknown): value is Entry =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value) || 0);

const LIFECYCLE = ["new", "returning", "resurrecting", "dormant"];

/** How the query engine's stand-ins for missing and grouped breakdown values read. */
const SPECIAL_VALUES: Record<string, string> = { $none: "(none)", $other: "(other)" };

function isRows(results: unknown): results is { columns: string[]; rows: unknown[][] } {
  return isObject(results) && Array.isArray(results.columns) && Array.isArray(results.rows);
}

function funnelSteps(results: unknown): Entry[] | null {
  const first = Array.isArray(results) ? results[0] : results;
  return isObject(first) && Array.isArray(first.steps) ? (first.steps as Entry[]) : null;
}

function entryName(entry: Entry): string {
  const value = entry.breakdown_value;
  const base = String(entry.label ?? "");
  if (value === undefined || value === null) return base;
  return SPECIAL_VALUES[String(value)] ?? String(value);
}

/** Units whose values do not add up over intervals (a rate, a score, a duration). */
const NOT_ADDITIVE = new Set(["ratio", "score", "seconds"]);

/** A broken-down ``MetricQuery`` answers one ``{labels, series: {metric: [..]}, unit,
 * breakdown_value}`` per value: read as trends entries (``label``, ``data``). */
function asEntries(results: unknown): unknown {
  if (!Array.isArray(results) || !results.length || !results.every(isObject)) return results;
  const metricEntry = (e: Entry) => isObject(e.series) && Array.isArray(e.labels) && !("data" in e);
  if (!results.every(metricEntry)) return results;
  return (results as Entry[]).map((entry) => {
    const [name, data] = Object.entries(entry.series as Entry)[0] ?? ["", []];
    return { ...entry, label: name, data };
  });
}

function categoryValue(entry: Entry): number {
  if ("count" in entry) return num(entry.count);
  const data = (entry.data as unknown[]).map(num);
  const total = data.reduce((a, b) => a + b, 0);
  return NOT_ADDITIVE.has(String(entry.unit)) ? (data.length ? total / data.length : 0) : total;
}

/** SQL rows whose first column is a date, oldest first (queries often sort newest first). */
function chronological(table: { columns: string[]; rows: unknown[][] }): { columns: string[]; rows: unknown[][] } {
  const dated = table.rows.length > 1 && table.rows.every((row) => /^\d{4}-\d{2}-\d{2}/.test(String(row[0])));
  if (!dated) return table;
  return { ...table, rows: [...table.rows].sort((a, b) => String(a[0]).localeCompare(String(b[0]))) };
}

/** A ``MetricQuery`` forecast as a series continuing the first one from its last value. */
function withForecast(shape: SeriesShape, forecast: unknown): SeriesShape {
  const first = shape.series[0];
  if (!first || !isObject(forecast) || !Array.isArray(forecast.labels) || !Array.isArray(forecast.data)) return shape;
  const known = first.data.length;
  const lead = Array.from({ length: Math.max(known - 1, 0) }, () => Number.NaN);
  const data = [...lead, ...(known ? [first.data[known - 1]] : []), ...forecast.data.map(num)];
  return {
    labels: [...shape.labels, ...forecast.labels.map(String)],
    series: [...shape.series, { name: `${first.name} forecast`, data, previous: false, breakdown: null, projected: true }],
  };
}

/** Time series (or any labelled series) of a result. */
export function toSeries(given: unknown): SeriesShape {
  const results = asEntries(given);
  if (Array.isArray(results) && results.every(isObject) && results.some((e) => Array.isArray(e.data))) {
    const entries = results as Entry[];
    const current = entries.find((e) => e.compare !== "previous") ?? entries[0];
    const labels = ((current?.labels ?? current?.days ?? []) as unknown[]).map(String);
    return {
      labels,
      series: entries.map((entry) => ({
        name: entry.compare === "previous" ? `${entryName(entry)} (previous)` : entryName(entry),
        data: (entry.data as unknown[]).map(num),
        previous: entry.compare === "previous",
        breakdown: entry.breakdown_value ?? null,
      })),
    };
  }
  if (isObject(results) && isObject(results.series) && Array.isArray(results.labels)) {
    const shape: SeriesShape = {
      labels: results.labels.map(String),
      series: Object.entries(results.series).map(([name, data]) => ({
        name,
        data: (data as unknown[]).map(num),
        previous: false,
        breakdown: null,
      })),
    };
    return withForecast(shape, results.forecast);
  }
  if (isObject(results) && Array.isArray(results.labels) && LIFECYCLE.some((k) => k in results)) {
    return {
      labels: results.labels.map(String),
      series: LIFECYCLE.filter((k) => Array.isArray(results[k])).map((name) => ({
        name,
        data: (results[name] as unknown[]).map(num),
        previous: false,
        breakdown: null,
      })),
    };
  }
  if (isRows(results)) {
    const table = chronological(results);
    const numeric = table.columns
      .map((name, index) => ({ name, index }))
      .filter(({ index }) => index > 0 && table.rows.some((row) => typeof row[index] === "number"));
    return {
      labels: table.rows.map((row) => String(row[0])),
      series: numeric.map(({ name, index }) => ({
        name,
        data: table.rows.map((row) => num(row[index])),
        previous: false,
        breakdown: null,
      })),
    };
  }
  const steps = funnelSteps(results);
  if (steps) {
    return {
      labels: steps.map((s) => String(s.event ?? s.name ?? "")),
      series: [{ name: "Persons", data: steps.map((s) => num(s.count)), previous: false, breakdown: null }],
    };
  }
  return { labels: [], series: [] };
}

/** Name/value pairs: breakdown values, SQL rows (first two columns) or funnel steps. */
export function toCategories(given: unknown): Category[] {
  const results = asEntries(given);
  if (Array.isArray(results) && results.every(isObject)) {
    const entries = (results as Entry[]).filter((e) => e.compare !== "previous");
    if (entries.length && entries.some((e) => "data" in e || "count" in e)) {
      return entries.map((entry) => ({
        name: entryName(entry) || "(none)",
        value: categoryValue(entry),
      }));
    }
  }
  if (isRows(results)) {
    return results.rows.map((row) => ({ name: String(row[0]), value: num(row[1]) }));
  }
  const steps = funnelSteps(results);
  if (steps) return steps.map((s) => ({ name: String(s.event ?? ""), value: num(s.count) }));
  return [];
}

/** How a card sums up its series: active-user counts are not additive over days. */
export function defaultAggregate(query: Record<string, unknown> | null | undefined): "sum" | "last" | "average" {
  const series = (query?.series as { math?: string }[] | undefined) ?? [];
  const math = series[0]?.math;
  if (math === "weekly_active" || math === "monthly_active") return "last";
  if (math === "dau" || (math && !["total", "sum", "unique_session"].includes(math))) return "average";
  return "sum";
}

/** A metric card's figures: total now, total before (when compared), the sparkline. */
export function toMetric(
  results: unknown,
  aggregate: "sum" | "last" | "average" = "sum",
): { value: number; previous: number | null; spark: number[] } {
  const shape = toSeries(results);
  const pick = (data: number[]) => {
    if (!data.length) return 0;
    if (aggregate === "last") return data[data.length - 1];
    const total = data.reduce((a, b) => a + b, 0);
    return aggregate === "average" ? total / data.length : total;
  };
  const current = shape.series.find((s) => !s.previous && !s.projected);
  const before = shape.series.find((s) => s.previous);
  if (current) {
    return { value: pick(current.data), previous: before ? pick(before.data) : null, spark: current.data };
  }
  if (isRows(results) && results.rows.length) {
    return { value: num(results.rows[0][results.columns.length - 1]), previous: null, spark: [] };
  }
  return { value: 0, previous: null, spark: [] };
}

/** Percent change from `previous` to `value`, null when undefined. */
export function change(value: number, previous: number | null): number | null {
  if (previous === null || previous === 0) return null;
  return ((value - previous) / previous) * 100;
}

/** A weekday (0 = Monday) × hour matrix of counts. */
export function toHeatmap(results: unknown): [number, number, number][] {
  const cells = new Map<string, number>();
  const add = (day: number, hour: number, value: number) => {
    const key = `${day}:${hour}`;
    cells.set(key, (cells.get(key) ?? 0) + value);
  };
  if (isObject(results) && Array.isArray(results.weekdays) && Array.isArray(results.data)) {
    (results.data as unknown[][]).forEach((hours, day) => hours.forEach((value, hour) => add(day, hour, num(value))));
  } else if (isRows(results)) {
    for (const row of results.rows) {
      const day = num(row[0]);
      // ISO weekday 1..7 (Monday first) or 0..6 with Sunday first (SQL dow).
      const monday = results.columns[0]?.toLowerCase().includes("iso") || day === 7 ? (day + 6) % 7 : day;
      add(monday % 7, num(row[1]), num(row[2]));
    }
  } else {
    const shape = toSeries(results);
    for (const series of shape.series.filter((s) => !s.previous)) {
      shape.labels.forEach((label, i) => {
        const moment = new Date(label.length <= 10 ? `${label}T00:00:00` : label.replace(" ", "T"));
        if (Number.isNaN(moment.getTime())) return;
        add((moment.getDay() + 6) % 7, moment.getHours(), series.data[i] ?? 0);
      });
    }
  }
  return [...cells.entries()].map(([key, value]) => {
    const [day, hour] = key.split(":").map(Number);
    return [hour, day, value];
  });
}

/** Sankey nodes and links of a paths result ("<step>_<name>" node ids). */
export function toSankey(results: unknown): { nodes: { name: string; label: string }[]; links: Entry[] } {
  if (!isObject(results) || !Array.isArray(results.nodes) || !Array.isArray(results.links)) {
    return { nodes: [], links: [] };
  }
  const nodes = (results.nodes as Entry[]).map((node) => {
    const name = String(node.name);
    return { name, label: name.replace(/^\d+_/, "") };
  });
  return { nodes, links: results.links as Entry[] };
}

/** Retention cohorts as rows of (start, size, share per period). */
export function toRetention(results: unknown): { start: string; size: number; values: number[] }[] {
  if (!isObject(results) || !Array.isArray(results.cohorts)) return [];
  return (results.cohorts as Entry[]).map((cohort) => ({
    start: String(cohort.cohort_start),
    size: num(cohort.size),
    values: (cohort.values as unknown[]).map(num),
  }));
}

/** A plain table of any result: what the table widget, print mode and CSV show. */
export function toTable(results: unknown): TableShape {
  if (isRows(results)) return { columns: results.columns, rows: results.rows };
  const steps = funnelSteps(results);
  if (steps) {
    return {
      columns: ["Step", "Persons", "Conversion"],
      rows: steps.map((s, i) => [`${i + 1}. ${String(s.event ?? "")}`, num(s.count), percent(num(s.conversion_rate))]),
    };
  }
  if (isObject(results) && Array.isArray(results.weekdays) && Array.isArray(results.data)) {
    const hours = (results.hours as unknown[] | undefined) ?? Array.from({ length: 24 }, (_, h) => h);
    return {
      columns: ["Weekday", ...hours.map((h) => `${String(h)}h`)],
      rows: (results.data as unknown[][]).map((row, d) => [String((results.weekdays as unknown[])[d]), ...row.map(num)]),
    };
  }
  const cohorts = toRetention(results);
  if (cohorts.length) {
    const periods = Math.max(...cohorts.map((c) => c.values.length));
    return {
      columns: ["Cohort", "Size", ...Array.from({ length: periods - 1 }, (_, i) => `Period ${i + 1}`)],
      rows: cohorts.map((c) => [c.start, c.size, ...c.values.slice(1).map((v) => percent(c.size ? v / c.size : 0))]),
    };
  }
  const sankey = toSankey(results);
  if (sankey.links.length) {
    const label = (id: unknown) => sankey.nodes.find((n) => n.name === id)?.label ?? String(id);
    return {
      columns: ["From", "To", "Persons"],
      rows: sankey.links.map((l) => [label(l.source), label(l.target), num(l.value)]),
    };
  }
  const shape = toSeries(results);
  const broken = shape.series.some((s) => s.breakdown !== null);
  if (broken || shape.series.length > 8) {
    return { columns: ["Value", "Total"], rows: toCategories(results).map((c) => [c.name, c.value]) };
  }
  return {
    columns: ["Date", ...shape.series.map((s) => s.name)],
    rows: shape.labels.map((label, i) => [label, ...shape.series.map((s) => cell(s.data[i]))]),
  };
}

/** A table cell of a series: empty where the series has no value (before a forecast starts). */
function cell(value: number | undefined): number | null {
  return value === undefined || Number.isNaN(value) ? null : value;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (Math.abs(value) >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (Number.isInteger(value)) return value.toLocaleString("en");
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}
