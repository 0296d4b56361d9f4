// "Add to dashboard": appends the explored query as a widget under a dashboard's others.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../../api";
import { Dialog, ErrorNote } from "../../components/Dialog";
import type { Dashboard, Widget } from "../../types";
import { placeBelow } from "../dashboard/model";

interface Props {
  projectId: string;
  widget: Omit<Widget, "position">;
  onClose: () => void;
  onDone: (message: string) => void;
}

export function AddToDashboard({ projectId, widget, onClose, onDone }: Props) {
  const base = `/api/projects/${projectId}/dashboards`;
  const [dashboards, setDashboards] = useState<Dashboard[]>([]);
  const [chosen, setChosen] = useState("");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.get<Dashboard[]>(base).then((list) => {
      setDashboards(list);
      if (list[0]) setChosen(String(list[0].id));
    }, (e) => setError(errorText(e)));
  }, [base]);

  const add = async (event: Event) => {
    event.preventDefault();
    try {
      const dashboard = await api.get<Dashboard>(`${base}/${chosen}`);
      const size = widget.type === "metric" ? { w: 3, h: 2 } : { w: 6, h: 4 };
      const next = { ...widget, position: placeBelow(dashboard.widgets, size.w, size.h), click: { action: "drill" as const } };
      await api.patch(`${base}/${chosen}`, { widgets: [...dashboard.widgets, next] });
      onDone(`Added to “${dashboard.name}”.`);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <Dialog title="Add to dashboard" onClose={onClose}>
      <form class="stack" onSubmit={add}>
        <div class="field">
          <label for="target-dashboard">Dashboard</label>
          <select id="target-dashboard" required value={chosen} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
            {dashboards.map((d) => <option key={d.id} value={String(d.id)}>{d.name}</option>)}
          </select>
        </div>
        <ErrorNote error={error} />
        <button type="submit" disabled={!chosen}>Add</button>
      </form>
    </Dialog>
  );
}
