// The desktop dashboard grid: GridStack (12 columns) over Preact-rendered items. The grid is
// made once per mount; the page remounts it (a new key) when widgets change from outside
// (add, delete, undo, cancel), and only listens to it while the user drags and resizes.
// Items get their contents once the grid has placed them, before the first paint: a chart is
// drawn at its cell's size, never first at another size and then again.
import { GridStack, type GridStackNode } from "gridstack";
import "gridstack/dist/gridstack.min.css";
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { Position } from "../../types";

export const CELL_HEIGHT = 90;

export interface GridItem {
  key: string;
  position: Position;
  label: string;
  content: ComponentChildren;
}

interface Props {
  items: GridItem[];
  editing: boolean;
  onMove: (moves: Record<string, Position>) => void;
}

const clampPosition = (p: Position, w = p.w, h = p.h): Position => ({
  x: Math.max(0, Math.min(12 - w, p.x)),
  y: Math.max(0, p.y),
  w: Math.max(1, Math.min(12, w)),
  h: Math.max(1, h),
});

export function Grid({ items, editing, onMove }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const grid = useRef<GridStack | null>(null);
  const moveRef = useRef(onMove);
  moveRef.current = onMove;
  const [placed, setPlaced] = useState(false);

  useLayoutEffect(() => {
    const instance = GridStack.init(
      {
        column: 12,
        cellHeight: CELL_HEIGHT,
        margin: 6,
        animate: false,
        staticGrid: !editing,
        draggable: { handle: ".widget-header" },
        resizable: { handles: "se,e,s" },
      },
      box.current!,
    );
    setPlaced(true);
    if (!instance) return;
    instance.on("change", (_event: Event, nodes: GridStackNode[]) => {
      const moves: Record<string, Position> = {};
      for (const node of nodes) {
        const key = (node.el as HTMLElement | undefined)?.dataset.key;
        if (key) moves[key] = { x: node.x ?? 0, y: node.y ?? 0, w: node.w ?? 1, h: node.h ?? 1 };
      }
      if (Object.keys(moves).length) moveRef.current(moves);
    });
    grid.current = instance;
    return () => {
      instance.destroy(false);
      grid.current = null;
    };
  }, []);

  useEffect(() => {
    grid.current?.setStatic(!editing);
  }, [editing]);

  // Keyboard editing: arrows move the focused widget, Shift+arrows resize it.
  const onKeyDown = (event: KeyboardEvent) => {
    if (!editing || !grid.current) return;
    const element = event.currentTarget as HTMLElement;
    if (event.target !== element) return;
    const node = (element as HTMLElement & { gridstackNode?: GridStackNode }).gridstackNode;
    if (!node) return;
    const p = { x: node.x ?? 0, y: node.y ?? 0, w: node.w ?? 1, h: node.h ?? 1 };
    const step: Record<string, [number, number]> = {
      ArrowLeft: [-1, 0],
      ArrowRight: [1, 0],
      ArrowUp: [0, -1],
      ArrowDown: [0, 1],
    };
    const delta = step[event.key];
    if (!delta) return;
    event.preventDefault();
    const next = event.shiftKey
      ? clampPosition(p, p.w + delta[0], p.h + delta[1])
      : clampPosition({ ...p, x: p.x + delta[0], y: p.y + delta[1] });
    grid.current.update(element, next);
  };

  return (
    <div ref={box} class={`grid-stack${editing ? " editing" : ""}`}>
      {items.map((item) => (
        <div
          key={item.key}
          class="grid-stack-item"
          data-key={item.key}
          gs-id={item.key}
          gs-x={item.position.x}
          gs-y={item.position.y}
          gs-w={item.position.w}
          gs-h={item.position.h}
          tabIndex={editing ? 0 : undefined}
          aria-label={editing ? `${item.label}: arrow keys move, Shift+arrow keys resize` : undefined}
          onKeyDown={onKeyDown}
        >
          <div class="grid-stack-item-content">{placed && item.content}</div>
        </div>
      ))}
    </div>
  );
}
