// A modal dialog on the native <dialog> element: focus stays inside, Escape closes.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

interface Props {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
}

let counter = 0;

export function Dialog({ title, onClose, children, wide }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useRef(`dialog-${++counter}`);
  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    const close = (event: Event) => {
      event.preventDefault();
      onClose();
    };
    dialog.addEventListener("cancel", close);
    return () => dialog.removeEventListener("cancel", close);
  }, [onClose]);
  return (
    <dialog ref={ref} class={`dialog${wide ? " wide" : ""}`} aria-labelledby={id.current}>
      <header class="dialog-header">
        <h2 id={id.current}>{title}</h2>
        <button type="button" class="icon" aria-label="Close" onClick={onClose}>
          ✕
        </button>
      </header>
      <div class="dialog-body">{children}</div>
    </dialog>
  );
}

export function ErrorNote({ error }: { error: string | null | undefined }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}
