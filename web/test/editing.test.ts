import { describe, expect, it } from "vitest";
import { edit, reorder, startEditing } from "../src/pages/dashboard/editing";
import { readingOrder } from "../src/pages/dashboard/model";
import type { Widget, WidgetType } from "../src/types";

const widget = (id: string, x: number, y: number, w: number, h: number): Widget => ({
  id,
  type: "line",
  title: id,
  query: { kind: "TrendsQuery" },
  options: {},
  position: { x, y, w, h },
});

const grid = () => [widget("a", 0, 0, 6, 2), widget("b", 6, 0, 6, 4), widget("c", 0, 4, 12, 3)];
const ids = (widgets: Widget[]) => readingOrder(widgets).map((w) => w.id);

describe("edit mode", () => {
  it("records moves for undo, ignoring moves that change nothing", () => {
    let state = startEditing(grid(), "D", 0);
    expect(edit(state, { kind: "move", moves: { a: { x: 0, y: 0, w: 6, h: 2 } } })).toBe(state);
    state = edit(state, { kind: "move", moves: { a: { x: 0, y: 7, w: 6, h: 2 } } });
    expect(state.widgets[0].position.y).toBe(7);
    state = edit(state, { kind: "undo" });
    expect(state.widgets[0].position.y).toBe(0);
    expect(state.undo).toHaveLength(0);
  });

  it("adds from the library below everything, duplicates and deletes", () => {
    const type: WidgetType = {
      type: "markdown",
      label: "Text",
      description: "",
      default_size: { w: 4, h: 2 },
      options: {},
      clicks: [],
      query_kinds: [],
    };
    let state = startEditing(grid(), "D", 0);
    state = edit(state, { kind: "add", type });
    const added = state.widgets[3];
    expect(added.position).toEqual({ x: 0, y: 7, w: 4, h: 2 });
    expect(added.query).toBeNull();
    expect(added.id).toMatch(/^draft-/);
    state = edit(state, { kind: "duplicate", id: "b" });
    expect(state.widgets[4]).toMatchObject({ title: "b (copy)", position: { x: 0, y: 9, w: 6, h: 4 } });
    state = edit(state, { kind: "delete", id: "a" });
    expect(state.widgets.map((w) => w.id)).not.toContain("a");
    expect(state.undo).toHaveLength(3);
  });

  it("does not change the widgets it started from", () => {
    const widgets = grid();
    const state = edit(startEditing(widgets, "D", 0), { kind: "reorder", id: "c", by: -1 });
    expect(widgets[2].position.y).toBe(4);
    expect(state.widgets).not.toBe(widgets);
  });
});

describe("reordering the one-column layout", () => {
  it("moves a widget up and down in reading order, sizes kept", () => {
    const up = reorder(grid(), "b", -1);
    expect(ids(up)).toEqual(["b", "a", "c"]);
    expect(up.find((w) => w.id === "b")!.position).toEqual({ x: 0, y: 0, w: 6, h: 4 });
    expect(up.find((w) => w.id === "a")!.position).toEqual({ x: 6, y: 0, w: 6, h: 2 });
    expect(ids(reorder(grid(), "b", 1))).toEqual(["a", "c", "b"]);
  });

  it("leaves the widgets alone at either end or for an unknown id", () => {
    const widgets = grid();
    expect(reorder(widgets, "a", -1)).toBe(widgets);
    expect(reorder(widgets, "c", 1)).toBe(widgets);
    expect(reorder(widgets, "zz", 1)).toBe(widgets);
  });

  it("is undone by the opposite move, whatever the order", () => {
    for (const id of ["a", "b", "c"]) {
      for (const by of [-1, 1] as const) {
        const start = grid();
        const moved = reorder(start, id, by);
        if (moved === start) continue;
        const back = reorder(moved, id, (-by) as -1 | 1);
        expect(ids(back)).toEqual(ids(grid()));
      }
    }
  });

  it("records a reorder for undo", () => {
    let state = startEditing(grid(), "D", 0);
    state = edit(state, { kind: "reorder", id: "c", by: -1 });
    expect(ids(state.widgets)).toEqual(["a", "c", "b"]);
    expect(ids(edit(state, { kind: "undo" }).widgets)).toEqual(["a", "b", "c"]);
  });
});

describe("reordering, on generated grids", () => {
  // A small seeded generator (mulberry32): the same grids on every run.
  const random = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  it("moves exactly one widget one place, keeping every size and the others' order", () => {
    const next = random(42);
    for (let run = 0; run < 300; run++) {
      const count = 1 + Math.floor(next() * 8);
      const cells = new Set<string>();
      const widgets: Widget[] = [];
      while (widgets.length < count) {
        const x = Math.floor(next() * 12);
        const y = Math.floor(next() * 10);
        if (cells.has(`${x},${y}`)) continue;
        cells.add(`${x},${y}`);
        widgets.push(widget(`w${widgets.length}`, x, y, 1 + Math.floor(next() * 12), 1 + Math.floor(next() * 5)));
      }
      const before = ids(widgets);
      const id = before[Math.floor(next() * before.length)]!;
      const by = next() < 0.5 ? -1 : 1;
      const after = ids(reorder(widgets, id, by));
      const at = before.indexOf(id);
      const expected = [...before];
      if (expected[at + by] !== undefined) [expected[at], expected[at + by]] = [expected[at + by], expected[at]];
      expect(after).toEqual(expected);
      const sizes = (list: Widget[]) => list.map((w) => `${w.id}:${w.position.w}x${w.position.h}`).sort();
      expect(sizes(reorder(widgets, id, by))).toEqual(sizes(widgets));
    }
  });
});
