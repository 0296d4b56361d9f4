// The widget library: every widget type the server offers, to add one to the dashboard.
import { Dialog } from "../../components/Dialog";
import type { WidgetType } from "../../types";

export function WidgetLibrary({ types, onPick, onClose }: {
  types: WidgetType[];
  onPick: (type: WidgetType) => void;
  onClose: () => void;
}) {
  return (
    <Dialog title="Add a widget" onClose={onClose} wide>
      <ul class="library">
        {types.map((type) => (
          <li key={type.type}>
            <button type="button" class="library-item" onClick={() => onPick(type)} data-type={type.type}>
              <strong>{type.label}</strong>
              <span class="muted">{type.description}</span>
            </button>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
