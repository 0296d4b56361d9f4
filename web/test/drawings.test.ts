import { beforeEach, describe, expect, it } from "vitest";
import { drawingKey, forgetDrawings, hasDrawing, keepDrawing, readDrawing } from "../src/widgets/drawings";

/** The Storage interface over a Map (Node has no localStorage), with a quota in characters. */
class MemoryStorage {
  items = new Map<string, string>();
  constructor(private quota = Infinity) {}
  get length() {
    return this.items.size;
  }
  key(i: number) {
    return [...this.items.keys()][i] ?? null;
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    const used = [...this.items].reduce((n, [k, v]) => n + (k === key ? 0 : v.length), 0);
    if (used + value.length > this.quota) throw new DOMException("full", "QuotaExceededError");
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
}

const svg = (body: string) => `<svg width="10" height="10" viewBox="0 0 10 10">${body}</svg>`;

describe("kept drawings", () => {
  beforeEach(() => {
    (globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage();
  });

  it("keys a drawing by every input, in order", () => {
    const inputs = ["line", { data: [1, 2] }, {}, { text: "#111" }, 300, 200];
    expect(drawingKey(inputs)).toBe(drawingKey(structuredClone(inputs)));
    expect(drawingKey(inputs)).not.toBe(drawingKey(["line", { data: [1, 3] }, {}, { text: "#111" }, 300, 200]));
    expect(drawingKey(inputs)).not.toBe(drawingKey(["line", { data: [1, 2] }, {}, { text: "#111" }, 301, 200]));
    expect(drawingKey(inputs)).not.toBe(drawingKey(["bar", { data: [1, 2] }, {}, { text: "#111" }, 300, 200]));
  });

  it("gives back what was kept, with zrender's ids unique to each showing", () => {
    const drawn = svg('<path clip-path="url(#zr3-c0)"/><defs><clipPath id="zr3-c0"/></defs><text>zr3-c0</text>');
    keepDrawing("k", drawn);
    expect(hasDrawing("k")).toBe(true);
    const first = readDrawing("k")!;
    const second = readDrawing("k")!;
    expect(first).not.toBe(second);
    expect(first).toMatch(/url\(#heron-drawing\d+-c0\)/);
    expect(first).toMatch(/id="heron-drawing\d+-c0"/);
    expect(first).toContain("<text>zr3-c0</text>");
    expect(first.match(/heron-drawing(\d+)/)![1]).toBe(first.match(/id="heron-drawing(\d+)/)![1]);
  });

  it("never shows markup a drawing of ours cannot hold", () => {
    for (const bad of ['<script>alert(1)</script>', '<g onclick="alert(1)"/>', '<a href="javascript:x"/>', "<foreignObject/>"]) {
      localStorage.setItem("heron.drawing:bad", svg(bad));
      expect(readDrawing("bad")).toBeNull();
      keepDrawing("bad2", svg(bad));
      expect(hasDrawing("bad2")).toBe(false);
    }
    localStorage.setItem("heron.drawing:html", "<div></div>");
    expect(readDrawing("html")).toBeNull();
    expect(readDrawing("missing")).toBeNull();
  });

  it("drops the oldest drawings beyond 48", () => {
    for (let i = 0; i < 50; i++) keepDrawing(`k${i}`, svg(`<g>${i}</g>`));
    expect(hasDrawing("k0")).toBe(false);
    expect(hasDrawing("k1")).toBe(false);
    expect(hasDrawing("k2")).toBe(true);
    expect(hasDrawing("k49")).toBe(true);
    expect(localStorage.getItem("heron.drawing:k0")).toBeNull();
    keepDrawing("k2", svg("<g>2 again</g>"));
    keepDrawing("k50", svg("<g>50</g>"));
    expect(hasDrawing("k2")).toBe(true);
    expect(hasDrawing("k3")).toBe(false);
  });

  it("drops the oldest drawings beyond three million characters, and skips huge ones", () => {
    const big = svg("x".repeat(700_000));
    for (let i = 0; i < 5; i++) keepDrawing(`big${i}`, big);
    expect(hasDrawing("big0")).toBe(false);
    expect([1, 2, 3, 4].every((i) => hasDrawing(`big${i}`))).toBe(true);
    keepDrawing("huge", svg("x".repeat(800_000)));
    expect(hasDrawing("huge")).toBe(false);
  });

  it("forgets every drawing, and nothing else, on signing out", () => {
    keepDrawing("a", svg("<g/>"));
    keepDrawing("b", svg("<g/>"));
    localStorage.setItem("other", "kept");
    forgetDrawings();
    expect(hasDrawing("a") || hasDrawing("b")).toBe(false);
    expect([...(localStorage as unknown as MemoryStorage).items.keys()]).toEqual(["other"]);
  });

  it("keeps nothing, and fails nothing, when storage is full or missing", () => {
    (globalThis as { localStorage?: unknown }).localStorage = new MemoryStorage(100);
    expect(() => keepDrawing("k", svg("x".repeat(200)))).not.toThrow();
    expect(readDrawing("k")).toBeNull();
    delete (globalThis as { localStorage?: unknown }).localStorage;
    expect(() => keepDrawing("k", svg("<g/>"))).not.toThrow();
    expect(readDrawing("k")).toBeNull();
    expect(hasDrawing("k")).toBe(false);
  });
});
