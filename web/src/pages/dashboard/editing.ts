// Edit mode of a dashboard as a reducer: a draft of its widgets and the undo history.
import type { Position, Widget, WidgetType } from "../../types";
import { DEFAULT_OPTIONS, defaultQuery } from "./defaults";
import { draftKey, placeBelow, readingOrder } from "./model";

export interface EditState {
  widgets: Widget[];
  name: string;
  undo: { widgets: Widget[]; name: string }[];
  /** Bumped whenever widgets change from outside the grid, so the grid is laid out anew. */
  epoch: number;
}

export type EditAction =
  | { kind: "move"; moves: Record<string, Position> }
  | { kind: "add"; type: WidgetType; firstEvent?: string }
  | { kind: "replace"; widget: Widget }
  | { kind: "duplicate"; id: string }
  | { kind: "delete"; id: string }
  | { kind: "rename"; name: string }
  | { kind: "reorder"; id: string; by: -1 | 1 }
  | { kind: "undo" };

const MAX_UNDO = 100;

function remember(state: EditState): EditState["undo"] {
  return [...state.undo.slice(-MAX_UNDO + 1), { widgets: state.widgets, name: state.name }];
}

const samePosition = (a: Position, b: Position) => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

export function startEditing(widgets: Widget[], name: string, epoch: number): EditState {
  return { widgets: structuredClone(widgets), name, undo: [], epoch: epoch + 1 };
}

export function edit(state: EditState, action: EditAction): EditState {
  switch (action.kind) {
    case "move": {
      const changed = state.widgets.some((w) => w.id && action.moves[w.id] && !samePosition(w.position, action.moves[w.id]));
      if (!changed) return state;
      const widgets = state.widgets.map((w) => (w.id && action.moves[w.id] ? { ...w, position: action.moves[w.id] } : w));
      return { ...state, widgets, undo: remember(state) };
    }
    case "add": {
      const { type } = action;
      const widget: Widget = {
        id: draftKey(),
        type: type.type,
        title: type.label,
        query: defaultQuery(type.type, action.firstEvent),
        options: { ...(DEFAULT_OPTIONS[type.type] ?? {}) },
        position: placeBelow(state.widgets, type.default_size?.w ?? 4, type.default_size?.h ?? 3),
        refresh_seconds: null,
        click: type.clicks?.includes("drill") ? { action: "drill" } : null,
      };
      return { ...state, widgets: [...state.widgets, widget], undo: remember(state), epoch: state.epoch + 1 };
    }
    case "replace":
      return {
        ...state,
        widgets: state.widgets.map((w) => (w.id === action.widget.id ? action.widget : w)),
        undo: remember(state),
      };
    case "duplicate": {
      const source = state.widgets.find((w) => w.id === action.id);
      if (!source) return state;
      const copy: Widget = {
        ...structuredClone(source),
        id: draftKey(),
        title: `${source.title} (copy)`,
        position: placeBelow(state.widgets, source.position.w, source.position.h),
      };
      return { ...state, widgets: [...state.widgets, copy], undo: remember(state), epoch: state.epoch + 1 };
    }
    case "delete":
      return {
        ...state,
        widgets: state.widgets.filter((w) => w.id !== action.id),
        undo: remember(state),
        epoch: state.epoch + 1,
      };
    case "rename":
      return { ...state, name: action.name };
    case "reorder": {
      const widgets = reorder(state.widgets, action.id, action.by);
      return widgets === state.widgets ? state : { ...state, widgets, undo: remember(state), epoch: state.epoch + 1 };
    }
    case "undo": {
      const last = state.undo[state.undo.length - 1];
      if (!last) return state;
      return { ...state, widgets: last.widgets, name: last.name, undo: state.undo.slice(0, -1), epoch: state.epoch + 1 };
    }
  }
}

/**
 * Moves a widget one place up (-1) or down (1) in reading order, the one-column phone layout:
 * it trades its grid cell (x, y) with its neighbour there; both keep their sizes, so the
 * desktop grid changes only by the swap (the server moves down anything that now overlaps).
 */
export function reorder(widgets: Widget[], id: string, by: -1 | 1): Widget[] {
  const order = readingOrder(widgets);
  const at = order.findIndex((w) => w.id === id);
  const other = order[at + by];
  if (at < 0 || !other) return widgets;
  const moved = order[at];
  return widgets.map((w) => {
    if (w === moved) return { ...w, position: { ...w.position, x: other.position.x, y: other.position.y } };
    if (w === other) return { ...w, position: { ...w.position, x: moved.position.x, y: moved.position.y } };
    return w;
  });
}
