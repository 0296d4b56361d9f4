// One widget on a dashboard: fetches its data for the current filters, refreshes on its
// interval and on live events, renders, and offers its menu (export, edit, duplicate, delete).
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { errorText } from "../../api";
import type { DashboardFilters, Envelope, Widget } from "../../types";
import type { ChartClick } from "../../widgets/Chart";
import { WidgetBody } from "../../widgets/WidgetBody";

export interface WidgetSource {
  load(widget: Widget, filters: DashboardFilters): Promise<Envelope>;
  exportUrl?(widget: Widget, filters: DashboardFilters, format: "csv" | "xlsx" | "json"): string | null;
}

export interface WidgetCardProps {
  widget: Widget;
  widgetKey: string;
  filters: DashboardFilters;
  source: WidgetSource;
  editing: boolean;
  print: boolean;
  liveTick: number;
  onStatus: (key: string, done: boolean) => void;
  onChartClick?: (widget: Widget, click: ChartClick) => void;
  onEdit?: () => void;
  onDuplicate?: () => void;
  onDelete?: () => void;
  /** In the one-column layout's edit mode: move one place up or down (null at either end). */
  reorder?: { up: (() => void) | null; down: (() => void) | null };
}

type State = { status: "loading" | "ready" | "error"; results?: unknown; error?: string };

export function WidgetCard(props: WidgetCardProps) {
  const { widget, widgetKey, filters, source, editing, print, liveTick, onStatus } = props;
  const [state, setState] = useState<State>({ status: widget.type === "markdown" ? "ready" : "loading" });
  const [manualTick, setManualTick] = useState(0);
  const [intervalTick, setIntervalTick] = useState(0);
  const live = widget.options?.live === true;
  const seq = useRef(0);
  const queryKey = JSON.stringify([widget.query, filters]);

  // A layout effect, as the page's: data already under way is drawn before the first paint.
  useLayoutEffect(() => {
    // Public dashboards omit queries: a widget without one still has data on the server.
    if (widget.type === "markdown") {
      setState({ status: "ready", results: null });
      return;
    }
    const mine = ++seq.current;
    onStatus(widgetKey, false);
    // Loading again: the old data stays on screen but no longer counts as rendered.
    setState((previous) => ({ status: "loading", results: previous.results }));
    source.load(widget, filters).then(
      (envelope) => mine === seq.current && setState({ status: "ready", results: envelope.results }),
      (error) => {
        if (mine !== seq.current) return;
        setState({ status: "error", error: errorText(error) });
        onStatus(widgetKey, true);
      },
    );
  }, [queryKey, manualTick, intervalTick, live ? liveTick : 0]);

  useEffect(() => {
    const seconds = widget.refresh_seconds;
    if (!seconds || seconds < 5 || print) return;
    const timer = setInterval(() => setIntervalTick((tick) => tick + 1), seconds * 1000);
    return () => clearInterval(timer);
  }, [widget.refresh_seconds, print]);

  const rendered = () => onStatus(widgetKey, true);
  const clickable = props.onChartClick && widget.click && !editing;
  const formats = ["csv", "xlsx", "json"] as const;
  const titleId = `widget-title-${widgetKey}`;

  return (
    <section class={`widget widget-${widget.type}`} aria-labelledby={titleId} data-widget-id={widget.id ?? widgetKey}>
      <header class="widget-header">
        <h2 id={titleId} class="widget-title">
          {widget.title || "Untitled"}
          {live && <span class="badge live" title="Updates as events arrive">live</span>}
        </h2>
        {!print && (
          <div class="widget-actions">
            {editing ? (
              <>
                {props.reorder && (
                  <>
                    <button type="button" class="icon" onClick={props.reorder.up ?? undefined} disabled={!props.reorder.up} aria-label={`Move ${widget.title} up`}>
                      ↑
                    </button>
                    <button type="button" class="icon" onClick={props.reorder.down ?? undefined} disabled={!props.reorder.down} aria-label={`Move ${widget.title} down`}>
                      ↓
                    </button>
                  </>
                )}
                <button type="button" class="icon" onClick={props.onEdit} aria-label={`Edit ${widget.title}`}>
                  ✎
                </button>
                <button type="button" class="icon" onClick={props.onDuplicate} aria-label={`Duplicate ${widget.title}`}>
                  <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="1.5">
                    <rect x="5" y="5" width="9" height="9" rx="1.5" />
                    <path d="M11 5V3.5A1.5 1.5 0 0 0 9.5 2h-6A1.5 1.5 0 0 0 2 3.5v6A1.5 1.5 0 0 0 3.5 11H5" />
                  </svg>
                </button>
                <button type="button" class="icon danger" onClick={props.onDelete} aria-label={`Delete ${widget.title}`}>
                  ✕
                </button>
              </>
            ) : (
              widget.type !== "markdown" && (
                <details class="menu">
                  <summary aria-label={`Options for ${widget.title}`}>⋯</summary>
                  <div class="menu-items" role="menu">
                    <button type="button" role="menuitem" onClick={() => setManualTick((t) => t + 1)}>
                      Refresh
                    </button>
                    {source.exportUrl &&
                      formats.map((format) => {
                        const href = source.exportUrl!(widget, filters, format);
                        return href ? (
                          <a role="menuitem" href={href} download key={format}>
                            Download {format.toUpperCase()}
                          </a>
                        ) : null;
                      })}
                  </div>
                </details>
              )
            )}
          </div>
        )}
      </header>
      <div class="widget-body" aria-busy={state.status === "loading"}>
        {state.status === "error" ? (
          <p class="widget-error" role="alert">
            {state.error}
          </p>
        ) : state.results === undefined ? (
          <p class="widget-loading">Loading…</p>
        ) : (
          <WidgetBody
            type={widget.type}
            title={widget.title}
            results={state.results}
            options={widget.options ?? {}}
            query={widget.query}
            print={print}
            onClick={clickable ? (click) => props.onChartClick!(widget, click) : undefined}
            onRendered={state.status === "ready" ? rendered : () => undefined}
          />
        )}
      </div>
    </section>
  );
}
