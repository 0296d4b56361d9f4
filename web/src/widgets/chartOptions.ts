// ECharts options for each chart widget type, from the shapes of shape.ts (pure).
import { countryNames, WORLD } from "./echarts";
import { formatNumber, toCategories, toHeatmap, toSankey, toSeries } from "./shape";

export interface Palette {
  colors: string[];
  text: string;
  muted: string;
  grid: string;
  font: string;
}

type Options = Record<string, unknown>;

/** Whether a chart drawn with `drawnWith` (null: not drawn yet) must be drawn again. */
export function paletteChanged(drawnWith: Palette | null, current: Palette): boolean {
  return drawnWith !== null && JSON.stringify(drawnWith) !== JSON.stringify(current);
}

/** Above this many bars (categories × series) a bar chart is drawn in ECharts' large mode. */
export const LARGE_BARS = 600;

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function base(palette: Palette, animate: boolean): Options {
  return {
    color: palette.colors,
    animation: animate,
    // A short entrance: a dashboard of a dozen charts is ready (and exportable) sooner.
    animationDuration: 250,
    animationDurationUpdate: 250,
    textStyle: { color: palette.text, fontFamily: palette.font },
    tooltip: { trigger: "item", confine: true },
  };
}

function axes(palette: Palette, labels: string[], horizontal = false, integer = false): Options {
  const category = {
    type: "category",
    data: labels,
    axisLabel: { color: palette.muted, hideOverlap: true },
    axisLine: { lineStyle: { color: palette.grid } },
  };
  const value = {
    type: "value",
    minInterval: integer ? 1 : undefined,
    axisLabel: { color: palette.muted, formatter: (v: number) => formatNumber(v) },
    splitLine: { lineStyle: { color: palette.grid } },
  };
  return horizontal ? { xAxis: value, yAxis: category } : { xAxis: category, yAxis: value };
}

const SCALES: Record<string, [string, string]> = {
  blue: ["#dbeafe", "#1d4ed8"],
  green: ["#dcfce7", "#15803d"],
  purple: ["#ede9fe", "#6d28d9"],
  orange: ["#ffedd5", "#c2410c"],
  diverging: ["#2563eb", "#dc2626"],
};

function scale(options: Record<string, unknown>, palette: Palette): string[] {
  const chosen = SCALES[String(options.color_scale ?? "")];
  return chosen ?? ["#e0e7ff", palette.colors[0]];
}

function legend(palette: Palette, count: number, show = true): Options {
  return show && count > 1
    ? { legend: { type: "scroll", bottom: 0, textStyle: { color: palette.text } } }
    : { legend: { show: false } };
}

export function chartOptions(
  type: string,
  results: unknown,
  options: Record<string, unknown>,
  palette: Palette,
  animate = true,
): Options {
  switch (type) {
    case "line":
    case "area":
    case "bar":
      return seriesChart(type, results, options, palette, animate);
    case "stickiness":
      return seriesChart("bar", results, options, palette, animate);
    case "pie":
      return pieChart(results, options, palette, animate);
    case "funnel":
      return funnelChart(results, palette, animate);
    case "heatmap":
      return heatmapChart(results, options, palette, animate);
    case "sankey":
      return sankeyChart(results, options, palette, animate);
    case "geo":
      return geoChart(results, options, palette, animate);
    default:
      return seriesChart("line", results, options, palette, animate);
  }
}

function seriesChart(
  type: string,
  results: unknown,
  options: Record<string, unknown>,
  palette: Palette,
  animate: boolean,
): Options {
  const shape = toSeries(results);
  const horizontal = type === "bar" && options.horizontal === true;
  // A previous-period series takes its current series' colour, faded.
  const currentNames = shape.series.filter((s) => !s.previous).map((s) => s.name);
  const colorOf = (name: string) => {
    const index = currentNames.indexOf(name);
    return palette.colors[(index < 0 ? currentNames.length : index) % palette.colors.length];
  };
  const stacked = (type === "area" && options.stacked !== false) || (type === "bar" && options.stacked === true);
  // Many bars draw as one path per series (ECharts' large mode): several times faster to draw.
  const large = type === "bar" && shape.labels.length * shape.series.length > LARGE_BARS;
  if (type === "area" && options.percent === true) {
    const current = shape.series.filter((s) => !s.previous);
    const totals = shape.labels.map((_, i) => current.reduce((sum, s) => sum + (s.data[i] ?? 0), 0));
    for (const s of current) s.data = s.data.map((v, i) => (totals[i] ? (v / totals[i]) * 100 : 0));
  }
  return {
    ...base(palette, animate),
    tooltip: { trigger: "axis", confine: true },
    grid: { left: 8, right: 24, top: 16, bottom: shape.series.length > 1 ? 36 : 8, containLabel: true },
    ...axes(palette, shape.labels, horizontal, shape.series.every((s) => s.data.every(Number.isInteger))),
    ...legend(palette, shape.series.length, options.legend !== false),
    series: shape.series.map((s) => ({
      name: s.name,
      color: colorOf(s.previous ? s.name.replace(/ \(previous\)$/, "") : s.projected ? shape.series[0].name : s.name),
      type: type === "bar" ? "bar" : "line",
      large,
      largeThreshold: large ? 0 : undefined,
      data: s.data,
      smooth: options.smooth === true,
      showSymbol: shape.labels.length <= 31,
      stack: stacked ? (s.previous ? "previous" : "current") : undefined,
      areaStyle: type === "area" ? { opacity: 0.35 } : undefined,
      lineStyle: s.previous ? { type: "dashed", opacity: 0.6 } : s.projected ? { type: "dashed" } : undefined,
      itemStyle: s.previous ? { opacity: 0.4 } : undefined,
    })),
  };
}

function pieChart(results: unknown, options: Record<string, unknown>, palette: Palette, animate: boolean): Options {
  const all = toCategories(results).sort((a, b) => b.value - a.value);
  const most = typeof options.max_slices === "number" ? options.max_slices : 8;
  const rest = all.slice(most - 1).reduce((sum, c) => sum + c.value, 0);
  const data = all.length > most ? [...all.slice(0, most - 1), { name: "Other", value: rest }] : all;
  const donut = options.donut === true;
  return {
    ...base(palette, animate),
    ...legend(palette, data.length),
    series: [
      {
        type: "pie",
        radius: donut ? ["45%", "72%"] : [0, "72%"],
        center: ["50%", "45%"],
        data,
        label: { color: palette.text, formatter: options.show_percent === false ? "{b}" : "{b}: {d}%" },
      },
    ],
  };
}

function funnelChart(results: unknown, palette: Palette, animate: boolean): Options {
  const data = toCategories(results);
  const first = data[0]?.value || 1;
  return {
    ...base(palette, animate),
    series: [
      {
        type: "funnel",
        sort: "none",
        minSize: "18%",
        left: "10%",
        width: "80%",
        top: 8,
        bottom: 8,
        gap: 2,
        data: data.map((d, i) => ({ ...d, name: `${i + 1}. ${d.name}` })),
        label: {
          position: "inside",
          color: "#fff",
          formatter: (p: { name: string; value: number }) =>
            `${p.name}: ${formatNumber(p.value)} (${((p.value / first) * 100).toFixed(1)}%)`,
        },
      },
    ],
  };
}

function heatmapChart(results: unknown, options: Record<string, unknown>, palette: Palette, animate: boolean): Options {
  const cells = toHeatmap(results);
  const max = Math.max(1, ...cells.map((c) => c[2]));
  return {
    ...base(palette, animate),
    grid: { left: 8, right: 8, top: 8, bottom: 40, containLabel: true },
    xAxis: { type: "category", data: Array.from({ length: 24 }, (_, h) => String(h)), axisLabel: { color: palette.muted } },
    yAxis: { type: "category", data: WEEKDAYS, inverse: true, axisLabel: { color: palette.muted } },
    visualMap: {
      min: 0,
      max,
      calculable: false,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      itemHeight: 120,
      textStyle: { color: palette.text },
      inRange: { color: scale(options, palette) },
    },
    series: [{ type: "heatmap", data: cells, label: { show: options.show_values === true, fontSize: 9 }, emphasis: { itemStyle: { borderColor: palette.text, borderWidth: 1 } } }],
  };
}

function sankeyChart(results: unknown, options: Record<string, unknown>, palette: Palette, animate: boolean): Options {
  const full = toSankey(results);
  const most = typeof options.max_nodes === "number" ? options.max_nodes : 30;
  const weight = new Map<string, number>();
  for (const l of full.links) {
    for (const end of [l.source, l.target]) weight.set(String(end), (weight.get(String(end)) ?? 0) + Number(l.value));
  }
  const kept = new Set([...weight.entries()].sort((a, b) => b[1] - a[1]).slice(0, most).map(([name]) => name));
  const nodes = full.nodes.filter((n) => kept.has(n.name));
  const links = full.links.filter((l) => kept.has(String(l.source)) && kept.has(String(l.target)));
  return {
    ...base(palette, animate),
    series: [
      {
        type: "sankey",
        left: 8,
        right: 90,
        top: 8,
        bottom: 8,
        nodeGap: 10,
        data: nodes.map((n) => ({ name: n.name })),
        links,
        emphasis: { focus: "adjacency" },
        label: {
          color: palette.text,
          formatter: (p: { name: string }) => p.name.replace(/^\d+_/, ""),
        },
        lineStyle: { color: "gradient", opacity: 0.35 },
      },
    ],
  };
}

function geoChart(results: unknown, options: Record<string, unknown>, palette: Palette, animate: boolean): Options {
  const data = toCategories(results).map((c) => ({ name: c.name.toUpperCase(), value: c.value }));
  const max = Math.max(1, ...data.map((d) => d.value));
  return {
    ...base(palette, animate),
    tooltip: {
      trigger: "item",
      formatter: (p: { name: string; value: number }) =>
        `${countryNames.get(p.name) ?? p.name}: ${Number.isFinite(p.value) ? formatNumber(p.value) : 0}`,
    },
    visualMap: {
      min: 0,
      max,
      left: 8,
      bottom: 8,
      itemHeight: 80,
      text: [formatNumber(max), "0"],
      textStyle: { color: palette.text },
      inRange: { color: scale(options, palette) },
    },
    series: [
      {
        type: "map",
        map: WORLD,
        roam: false,
        data,
        itemStyle: { areaColor: palette.grid, borderColor: "#fff", borderWidth: 0.3 },
        emphasis: { label: { show: false } },
      },
    ],
  };
}
