// Charts as last drawn, kept in the browser: the SVG ECharts drew for a chart's exact inputs
// (type, data, options, palette, box size, this build). A chart whose inputs match a kept
// drawing shows that drawing at once and becomes a live ECharts chart when the page is idle,
// so reopening a dashboard does not wait for every chart to be computed and drawn again.

const PREFIX = "heron.drawing:";
const INDEX = "heron.drawings";
const MAX_DRAWINGS = 48;
const MAX_CHARS = 3_000_000;
/** Markup a drawing of ours never holds: a drawing containing any is not shown. */
const UNSAFE = /<script|<foreignobject|<iframe|\son[a-z]+\s*=|javascript:/i;
/** The ids zrender gives clip paths and gradients (`zr<instance>-<kind><n>`), and references to them. */
const IDS = /(id="|url\(#|href="#)zr\d+-/g;

/** A drawing's key: a 53-bit hash (cyrb53) of its inputs and the build that drew it. */
export function drawingKey(inputs: unknown[]): string {
  const text = JSON.stringify([import.meta.url, ...inputs]);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

type Index = [key: string, chars: number][];

function readIndex(): Index {
  try {
    const entries: unknown = JSON.parse(localStorage.getItem(INDEX) ?? "[]");
    if (!Array.isArray(entries)) return [];
    return entries.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "number");
  } catch {
    return [];
  }
}

let shown = 0;

/** The kept drawing of `key` with its ids made unique in this page, or null. */
export function readDrawing(key: string): string | null {
  let svg: string | null = null;
  try {
    svg = localStorage.getItem(PREFIX + key);
  } catch {
    return null;
  }
  if (!svg || !svg.startsWith("<svg") || UNSAFE.test(svg)) return null;
  shown += 1;
  return svg.replace(IDS, `$1heron-drawing${shown}-`);
}

/** Whether a drawing of `key` is kept. */
export function hasDrawing(key: string): boolean {
  return readIndex().some(([kept]) => kept === key);
}

/** Keeps `svg` as the drawing of `key`, dropping the oldest drawings beyond the limits. */
export function keepDrawing(key: string, svg: string): void {
  if (svg.length > MAX_CHARS / 4 || UNSAFE.test(svg)) return;
  try {
    const older = readIndex().filter(([kept]) => kept !== key);
    const kept: Index = [[key, svg.length]];
    let total = svg.length;
    for (const [oldKey, chars] of older.reverse()) {
      if (kept.length < MAX_DRAWINGS && total + chars <= MAX_CHARS) {
        kept.unshift([oldKey, chars]);
        total += chars;
      } else {
        localStorage.removeItem(PREFIX + oldKey);
      }
    }
    localStorage.setItem(PREFIX + key, svg);
    localStorage.setItem(INDEX, JSON.stringify(kept));
  } catch {
    // Storage full or disabled: the chart is simply drawn next time.
  }
}

/** Drops every kept drawing (they show the project's data): on signing out. */
export function forgetDrawings(): void {
  try {
    for (const [key] of readIndex()) localStorage.removeItem(PREFIX + key);
    localStorage.removeItem(INDEX);
  } catch {
    // Storage disabled: nothing was kept.
  }
}

/** Runs `task` when the page is idle (or after `timeout` ms); returns a canceller. */
export function whenIdle(task: () => void, timeout: number): () => void {
  if (typeof requestIdleCallback === "function") {
    const handle = requestIdleCallback(task, { timeout });
    return () => cancelIdleCallback(handle);
  }
  const handle = setTimeout(task, 1);
  return () => clearTimeout(handle);
}
