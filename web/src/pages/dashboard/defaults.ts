// A starting query for a widget added from the library, by widget type.
import type { QuerySpec } from "../../types";

const trends = (extra: Record<string, unknown> = {}): QuerySpec => ({
  kind: "TrendsQuery",
  series: [{ event: "pageview", math: "total" }],
  interval: "day",
  ...extra,
});

export function defaultQuery(type: string, firstEvent = "pageview"): QuerySpec | null {
  const series = [{ event: firstEvent, math: "total" }];
  switch (type) {
    case "markdown":
      return null;
    case "pie":
    case "table":
      return trends({ series, breakdown: { property: "$browser", type: "event" } });
    case "geo":
      return trends({ series, breakdown: { property: "$geoip_country_code", type: "event" } });
    case "funnel":
      return { kind: "FunnelsQuery", steps: [{ event: firstEvent }, { event: "signup" }], conversion_window: { value: 7, unit: "day" } };
    case "retention":
      return { kind: "RetentionQuery", target_event: firstEvent, returning_event: firstEvent, period: "week", periods: 6 };
    case "sankey":
      return { kind: "PathsQuery", step_limit: 4 };
    case "heatmap":
      return { kind: "HeatmapQuery", event: firstEvent, math: "total" };
    case "stickiness":
      return { kind: "StickinessQuery", series: [{ event: firstEvent }], interval: "day" };
    default:
      return trends({ series });
  }
}

export const DEFAULT_OPTIONS: Record<string, Record<string, unknown>> = {
  markdown: { text: "## Notes\nWrite **markdown** here." },
};
