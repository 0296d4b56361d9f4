// Dispatches a widget type to its renderer: the 12 types of the widget library.
import type { QuerySpec } from "../types";
import { Chart, type ChartClick } from "./Chart";
import { lazy } from "../lib/lazy";
import { MetricCard } from "./Metric";
import { toTable } from "./shape";
import { DataTable, RetentionMatrix } from "./Tables";

// marked and DOMPurify load only for dashboards with text widgets.
const Markdown = lazy(() => import("./Markdown").then((m) => m.Markdown));

export const CHART_TYPES = new Set(["line", "bar", "area", "pie", "funnel", "heatmap", "sankey", "geo", "stickiness"]);

interface Props {
  type: string;
  title: string;
  results: unknown;
  options: Record<string, unknown>;
  query?: QuerySpec | null;
  print: boolean;
  onClick?: (click: ChartClick) => void;
  onRendered: () => void;
}

export function WidgetBody({ type, title, results, options, query, print, onClick, onRendered }: Props) {
  if (CHART_TYPES.has(type)) {
    return (
      <>
        <Chart
          type={type}
          results={results}
          options={options}
          label={`${title} (${type} chart)`}
          animate={!print}
          onClick={onClick}
          onRendered={onRendered}
        />
        {print && type !== "heatmap" && toTable(results).rows.length <= 15 && (
          <details open class="print-data">
            <summary>Data</summary>
            <DataTable results={results} caption={title} limit={50} />
          </details>
        )}
      </>
    );
  }
  if (type === "markdown") return <Markdown text={String(options.text ?? options.markdown ?? "")} onRendered={onRendered} />;
  queueMicrotask(onRendered);
  switch (type) {
    case "metric":
      return <MetricCard results={results} options={options} query={query} title={title} onClick={onClick ? () => onClick({ value: title }) : undefined} />;
    case "retention":
      return <RetentionMatrix results={results} caption={title} />;
    default:
      return (
        <DataTable
          results={results}
          caption={title}
          limit={print ? undefined : typeof options.page_size === "number" ? options.page_size : 25}
          onClick={onClick ? (value) => onClick({ value }) : undefined}
        />
      );
  }
}
