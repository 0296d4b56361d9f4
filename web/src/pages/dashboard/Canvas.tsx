// The widgets of a dashboard, laid out for the screen: the 12-column grid on desktops, one
// column on phones, a flowing print layout with ?print=1. Sets the "charts ready" signal
// (documentElement.dataset.chartsReady) once every widget has rendered or failed.
import { useEffect, useRef } from "preact/hooks";
import type { DashboardFilters, Dashboard, Position, Widget } from "../../types";
import type { ChartClick } from "../../widgets/Chart";
import { CHART_TYPES } from "../../widgets/WidgetBody";
import { CELL_HEIGHT, Grid } from "./Grid";
import { mobileOrder, readingOrder } from "./model";
import { WidgetCard, type WidgetCardProps, type WidgetSource } from "./WidgetCard";

interface Props {
  dashboard: Pick<Dashboard, "widgets" | "layouts">;
  filters: DashboardFilters;
  source: WidgetSource;
  mode: "grid" | "phone" | "print";
  editing: boolean;
  epoch: number;
  liveTick: number;
  onMove?: (moves: Record<string, Position>) => void;
  onChartClick?: (widget: Widget, click: ChartClick) => void;
  onEdit?: (widget: Widget) => void;
  onDuplicate?: (widget: Widget) => void;
  onDelete?: (widget: Widget) => void;
  onReorder?: (widget: Widget, by: -1 | 1) => void;
}

export const widgetKey = (widget: Widget, index: number) => widget.id ?? `index-${index}`;

export function Canvas(props: Props) {
  const { dashboard, filters, source, mode, editing, epoch, liveTick } = props;
  const done = useRef(new Map<string, boolean>());
  const keys = dashboard.widgets.map(widgetKey);
  const keyText = keys.join("|");

  const publish = () => {
    const all = keys.every((key) => done.current.get(key) === true);
    document.documentElement.dataset.chartsReady = all ? "true" : "false";
  };

  useEffect(() => {
    const next = new Map<string, boolean>();
    for (const key of keys) next.set(key, done.current.get(key) ?? false);
    done.current = next;
    publish();
  }, [keyText]);

  useEffect(() => () => {
    delete document.documentElement.dataset.chartsReady;
  }, []);

  const onStatus = (key: string, finished: boolean) => {
    if (done.current.get(key) === finished) return;
    done.current.set(key, finished);
    publish();
  };

  const card = (widget: Widget, index: number, reorder?: WidgetCardProps["reorder"]) => (
    <WidgetCard
      widget={widget}
      widgetKey={widgetKey(widget, index)}
      filters={filters}
      source={source}
      editing={editing}
      print={mode === "print"}
      liveTick={liveTick}
      onStatus={onStatus}
      onChartClick={props.onChartClick}
      onEdit={() => props.onEdit?.(widget)}
      onDuplicate={() => props.onDuplicate?.(widget)}
      onDelete={() => props.onDelete?.(widget)}
      reorder={reorder}
    />
  );

  if (!dashboard.widgets.length) {
    return <p class="empty-dashboard">This dashboard has no widgets yet.</p>;
  }

  if (mode === "grid") {
    return (
      <Grid
        key={epoch}
        editing={editing}
        onMove={props.onMove ?? (() => undefined)}
        items={dashboard.widgets.map((widget, index) => ({
          key: widgetKey(widget, index),
          position: widget.position,
          label: widget.title,
          content: card(widget, index),
        }))}
      />
    );
  }

  const ordered = mode === "phone" ? mobileOrder(dashboard) : readingOrder(dashboard.widgets);
  return (
    <div class={mode === "phone" ? "one-column" : "print-flow"} data-layout={mode}>
      {ordered.map((widget, place) => {
        const index = dashboard.widgets.indexOf(widget);
        const move = (by: -1 | 1) => (ordered[place + by] && props.onReorder ? () => props.onReorder!(widget, by) : null);
        const reorder = editing && mode === "phone" ? { up: move(-1), down: move(1) } : undefined;
        const height = CHART_TYPES.has(widget.type) ? `${widget.type === "sankey" ? 4 * CELL_HEIGHT : 3 * CELL_HEIGHT + 20}px` : undefined;
        return (
          <div
            class="flow-item"
            key={widgetKey(widget, index)}
            style={mode === "print" ? { gridColumn: `span ${widget.position.w >= 7 ? 12 : 6}` } : { height }}
          >
            {card(widget, index, reorder)}
          </div>
        );
      })}
    </div>
  );
}
