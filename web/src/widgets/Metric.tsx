// The metric card: the figure, its change against the previous period, a sparkline.
import type { QuerySpec } from "../types";
import { change, defaultAggregate, formatNumber, toMetric } from "./shape";

function Sparkline({ data }: { data: number[] }) {
  if (data.length < 2) return null;
  const max = Math.max(...data);
  const min = Math.min(...data);
  const span = max - min || 1;
  const points = data
    .map((v, i) => `${((i / (data.length - 1)) * 100).toFixed(2)},${(28 - ((v - min) / span) * 26).toFixed(2)}`)
    .join(" ");
  return (
    <svg class="sparkline" viewBox="0 0 100 30" preserveAspectRatio="none" aria-hidden="true">
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" vector-effect="non-scaling-stroke" />
    </svg>
  );
}

function formatted(value: number, format: unknown): string {
  if (format === "percent") return `${(value * 100).toFixed(1)}%`;
  if (format === "currency") return (value / 100).toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  if (format === "duration") {
    const minutes = Math.floor(value / 60);
    return minutes ? `${minutes}m ${Math.round(value % 60)}s` : `${Math.round(value)}s`;
  }
  return formatNumber(value);
}

interface Props {
  results: unknown;
  options: Record<string, unknown>;
  query?: QuerySpec | null;
  title: string;
  onClick?: () => void;
}

export function MetricCard({ results, options, query, title, onClick }: Props) {
  const aggregate = (options.aggregate as "sum" | "last" | "average") ?? defaultAggregate(query);
  const metric = toMetric(results, aggregate);
  const delta = options.compare === false ? null : change(metric.value, metric.previous);
  const prefix = typeof options.prefix === "string" ? options.prefix : "";
  const suffix = typeof options.suffix === "string" ? options.suffix : "";
  return (
    <div class="metric">
      {onClick ? (
        <button type="button" class="metric-value link-value" data-testid="metric-value" onClick={onClick} aria-label={`${title}: ${prefix}${formatted(metric.value, options.format)}${suffix}, open`}>
          {prefix}
          {formatted(metric.value, options.format)}
          {suffix}
        </button>
      ) : (
        <div class="metric-value" data-testid="metric-value">
          {prefix}
          {formatted(metric.value, options.format)}
          {suffix}
        </div>
      )}
      {delta !== null && (
        <div class={`metric-change ${delta >= 0 ? "up" : "down"}`}>
          <span aria-hidden="true">{delta >= 0 ? "▲" : "▼"}</span> {Math.abs(delta).toFixed(1)}%
          <span class="muted"> vs previous period ({formatted(metric.previous ?? 0, options.format)})</span>
        </div>
      )}
      {options.sparkline !== false && <Sparkline data={metric.spark} />}
    </div>
  );
}
