// One ECharts chart in a box that follows its container's size.
import { useLayoutEffect, useRef } from "preact/hooks";
import { THEME_CHANGED, token } from "../theme";
import { chartOptions, paletteChanged, type Palette } from "./chartOptions";
import { drawingKey, hasDrawing, keepDrawing, readDrawing, whenIdle } from "./drawings";
import { echarts } from "./echarts";

export interface ChartClick {
  /** The clicked category, breakdown value or country code. */
  value: string;
}

interface Props {
  type: string;
  results: unknown;
  options: Record<string, unknown>;
  label: string;
  animate: boolean;
  onClick?: (click: ChartClick) => void;
  onRendered?: () => void;
}

function readPalette(): Palette {
  const primary = token("primary") || "#4f46e5";
  const accent = token("accent") || "#0d9488";
  return {
    colors: [primary, accent, "#d97706", "#db2777", "#2563eb", "#65a30d", "#7c3aed", "#dc2626", "#0891b2"],
    text: token("text") || "#1f2937",
    muted: token("muted") || "#6b7280",
    grid: token("grid") || "#e5e7eb",
    font: token("font") || "sans-serif",
  };
}

// Read once per theme: reading computed styles forces a style recalculation, once per chart.
let known: Palette | null = null;
const palette = () => (known ??= readPalette());
window.addEventListener(THEME_CHANGED, () => (known = null));

export function Chart({ type, results, options, label, animate, onClick, onRendered }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;
  const renderedRef = useRef(onRendered);
  renderedRef.current = onRendered;
  const fallback = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const drawn = useRef<unknown[] | null>(null);
  const drawnWith = useRef<Palette | null>(null);
  const props = [type, results, JSON.stringify(options), animate];
  const latest = useRef({ type, results, options, animate, props });
  latest.current = { type, results, options, animate, props };

  // Drawing happens in layout effects, in the same task as the render that brought the data:
  // no frame is lost between a widget's answer and its chart.
  const draw = () => {
    const instance = chart.current;
    if (!instance) return;
    const now = latest.current;
    // The first drawing is not animated: the chart is ready (and the dashboard with it) as
    // soon as it is drawn. Later data (filters, refresh, live events) animates.
    drawnWith.current = palette();
    instance.setOption(chartOptions(now.type, now.results, now.options, drawnWith.current, now.animate && drawn.current !== null), { notMerge: true });
    drawn.current = now.props;
    clearTimeout(fallback.current);
    // A safety net for a chart that never reports "finished" (e.g. hidden): never wait forever.
    fallback.current = setTimeout(() => renderedRef.current?.(), 5000);
  };

  // The key of what the box shows (or would show) with the latest inputs at its size now.
  const keyNow = () => {
    const element = box.current!;
    const now = latest.current;
    return drawingKey([now.type, now.results, now.options, palette(), element.clientWidth, element.clientHeight]);
  };
  // Set while a kept drawing (of the inputs in shownProps) stands in for the chart: makes the
  // chart live at once.
  const wake = useRef<(() => void) | null>(null);
  const shownProps = useRef(props);

  useLayoutEffect(() => {
    let disposed = false;
    let cancelKeep = () => {};
    const element = box.current!;
    const start = () => {
      if (disposed) return;
      element.replaceChildren();
      delete element.dataset.keptDrawing;
      const instance = echarts.init(element, undefined, { renderer: "svg" });
      chart.current = instance;
      instance.on("click", (params: { name?: string; seriesName?: string }) => {
        const value = params.name || params.seriesName || "";
        if (value && clickRef.current) clickRef.current({ value: value.replace(/^\d+_/, "").replace(/^\d+\. /, "") });
      });
      // "finished": drawn and done animating; the widget then counts as rendered, and the
      // drawing is kept (when the page is idle) for the next visit.
      instance.on("finished", () => {
        clearTimeout(fallback.current);
        renderedRef.current?.();
        cancelKeep();
        cancelKeep = whenIdle(() => {
          const key = keyNow();
          if (!disposed && !hasDrawing(key)) keepDrawing(key, instance.renderToSVGString());
        }, 5000);
      });
      draw();
    };
    const begin = () => {
      if (type === "geo") import("./world").then((world) => (world.registerWorld(), start()));
      else start();
    };
    // Redrawn only when the box really changes size: an observer also reports the size it
    // starts with, and redrawing every chart once more for it doubles a dashboard's first paint.
    let size = `${element.clientWidth}x${element.clientHeight}`;
    const observer = new ResizeObserver(() => {
      const next = `${element.clientWidth}x${element.clientHeight}`;
      if (next === size) return;
      size = next;
      if (chart.current) chart.current.resize();
      else wake.current?.();
    });
    observer.observe(element);

    const drawing = readDrawing(keyNow());
    if (drawing) {
      element.innerHTML = drawing;
      element.dataset.keptDrawing = "";
      shownProps.current = latest.current.props;
      drawnWith.current = palette();
      // Counted as drawn in the next frame, as ECharts reports a drawing ("finished").
      requestAnimationFrame(() => !disposed && renderedRef.current?.());
      let cancelIdle = () => {};
      const live = () => {
        wake.current = null;
        cancelIdle();
        element.removeEventListener("pointerenter", live);
        element.removeEventListener("focusin", live);
        begin();
      };
      wake.current = live;
      cancelIdle = whenIdle(live, 2000);
      element.addEventListener("pointerenter", live);
      element.addEventListener("focusin", live);
    } else begin();
    return () => {
      disposed = true;
      observer.disconnect();
      clearTimeout(fallback.current);
      cancelKeep();
      wake.current = null;
      chart.current?.dispose();
      chart.current = null;
      drawn.current = null;
      drawnWith.current = null;
    };
  }, [type]);

  // New inputs: drawn at once, by a live chart (a kept drawing stands for the old ones).
  useLayoutEffect(() => {
    if (wake.current && props.some((value, i) => value !== shownProps.current[i])) wake.current();
    else if (chart.current && drawn.current && props.some((value, i) => value !== drawn.current![i])) draw();
  });

  // The organization's theme may arrive after the first drawing (it loads alongside the data):
  // a chart is drawn again only when the theme changed its colours or font.
  useLayoutEffect(() => {
    const redraw = () => paletteChanged(drawnWith.current, palette()) && (wake.current ? wake.current() : draw());
    window.addEventListener(THEME_CHANGED, redraw);
    return () => window.removeEventListener(THEME_CHANGED, redraw);
  }, []);

  return (
    <div
      ref={box}
      class={`chart${onClick ? " clickable" : ""}`}
      role="img"
      aria-label={label}
    />
  );
}
