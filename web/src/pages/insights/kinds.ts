// The insight kinds of the explorer: their query kinds, default specs and how they draw.
import type { QuerySpec } from "../../types";

export type InsightKind = "trends" | "funnels" | "retention" | "stickiness" | "lifecycle" | "paths";

export const KINDS: { id: InsightKind; label: string; query: string; widget: string }[] = [
  { id: "trends", label: "Trends", query: "TrendsQuery", widget: "line" },
  { id: "funnels", label: "Funnels", query: "FunnelsQuery", widget: "funnel" },
  { id: "retention", label: "Retention", query: "RetentionQuery", widget: "retention" },
  { id: "stickiness", label: "Stickiness", query: "StickinessQuery", widget: "bar" },
  { id: "lifecycle", label: "Lifecycle", query: "LifecycleQuery", widget: "bar" },
  { id: "paths", label: "Paths", query: "PathsQuery", widget: "sankey" },
];

export function kindOfQuery(query: QuerySpec | null | undefined): InsightKind {
  return KINDS.find((k) => k.query === query?.kind)?.id ?? "trends";
}

export function defaultSpec(kind: InsightKind, event: string): QuerySpec {
  const range = { date_from: "-30d", date_to: "today" };
  switch (kind) {
    case "trends":
      return { kind: "TrendsQuery", series: [{ event, math: "total" }], interval: "day", ...range };
    case "funnels":
      return { kind: "FunnelsQuery", steps: [{ event }, { event }], conversion_window: { value: 7, unit: "day" }, ...range };
    case "retention":
      return { kind: "RetentionQuery", target_event: event, returning_event: event, period: "week", periods: 6, ...range };
    case "stickiness":
      return { kind: "StickinessQuery", series: [{ event }], interval: "day", ...range };
    case "lifecycle":
      return { kind: "LifecycleQuery", event, interval: "day", ...range };
    case "paths":
      return { kind: "PathsQuery", step_limit: 5, ...range };
  }
}

/** The widget type that draws a spec of this kind (trends may pick its own display). */
export function displayOf(kind: InsightKind, options: Record<string, unknown> | undefined): string {
  if (kind === "trends" && typeof options?.display === "string") return options.display;
  return KINDS.find((k) => k.id === kind)!.widget;
}

export const TREND_DISPLAYS = [
  { id: "line", label: "Line" },
  { id: "bar", label: "Bar" },
  { id: "area", label: "Stacked area" },
  { id: "pie", label: "Pie" },
  { id: "metric", label: "Number" },
  { id: "table", label: "Table" },
  { id: "geo", label: "World map" },
];

export const MATHS = [
  { id: "total", label: "Total count" },
  { id: "dau", label: "Unique persons" },
  { id: "unique_session", label: "Unique sessions" },
  { id: "weekly_active", label: "Weekly active" },
  { id: "monthly_active", label: "Monthly active" },
];
