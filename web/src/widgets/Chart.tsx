// One ECharts chart in a box that follows its container's size.
import { useEffect, useRef, useState } from "preact/hooks";
import { token } from "../theme";
import { chartOptions, type Palette } from "./chartOptions";
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

function palette(): Palette {
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

export function Chart({ type, results, options, label, animate, onClick, onRendered }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const clickRef = useRef(onClick);
  clickRef.current = onClick;
  const renderedRef = useRef(onRendered);
  renderedRef.current = onRendered;
  const fallback = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const [ready, setReady] = useState(0);

  useEffect(() => {
    let disposed = false;
    let observer: ResizeObserver | null = null;
    const start = () => {
      if (disposed) return;
      const element = box.current!;
      const instance = echarts.init(element, undefined, { renderer: "svg" });
      chart.current = instance;
      instance.on("click", (params: { name?: string; seriesName?: string }) => {
        const value = params.name || params.seriesName || "";
        if (value && clickRef.current) clickRef.current({ value: value.replace(/^\d+_/, "").replace(/^\d+\. /, "") });
      });
      // "finished": drawn and done animating; the widget then counts as rendered.
      instance.on("finished", () => {
        clearTimeout(fallback.current);
        renderedRef.current?.();
      });
      observer = new ResizeObserver(() => instance.resize());
      observer.observe(element);
      setReady((n) => n + 1);
    };
    if (type === "geo") import("./world").then((world) => (world.registerWorld(), start()));
    else start();
    return () => {
      disposed = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, [type]);

  useEffect(() => {
    const instance = chart.current;
    if (!instance) return;
    instance.setOption(chartOptions(type, results, options, palette(), animate), { notMerge: true });
    // A safety net for a chart that never reports "finished" (e.g. hidden): never wait forever.
    fallback.current = setTimeout(() => renderedRef.current?.(), 5000);
    return () => clearTimeout(fallback.current);
  }, [type, results, options, animate, ready]);

  return (
    <div
      ref={box}
      class={`chart${onClick ? " clickable" : ""}`}
      role="img"
      aria-label={label}
    />
  );
}
