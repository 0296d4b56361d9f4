// The project's dashboards: create (blank or from a template), duplicate, rename, delete.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api";
import { Dialog, ErrorNote } from "../components/Dialog";
import { useTitle } from "../lib/hooks";
import { navigate } from "../router";
import { canAct, projectOf, useSession } from "../session";
import type { Dashboard, Template } from "../types";

export function Dashboards({ projectId }: { projectId: string }) {
  const { me } = useSession();
  const writer = canAct(projectOf(me, projectId)?.role, "analyst");
  const base = `/api/projects/${projectId}/dashboards`;
  const [dashboards, setDashboards] = useState<Dashboard[] | null>(null);
  const [templates, setTemplates] = useState<Template[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<Dashboard | null>(null);
  const [name, setName] = useState("");
  const [template, setTemplate] = useState("");
  useTitle("Dashboards");

  const load = () => api.get<Dashboard[]>(base).then(setDashboards, (e) => setError(errorText(e)));
  useEffect(() => {
    load();
    api.get<Template[]>("/api/dashboard-templates").then(setTemplates, () => setTemplates([]));
  }, [base]);

  const act = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const create = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const body = template ? { template, ...(name ? { name } : {}) } : { name: name || "Untitled dashboard", filters: { date_from: "-30d", date_to: "today" }, widgets: [] };
      const made = await api.post<Dashboard>(base, body);
      navigate(`/projects/${projectId}/dashboards/${made.id}`);
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <main class="page">
      <div class="page-header">
        <h1>Dashboards</h1>
        {writer && <button type="button" onClick={() => setCreating(true)}>New dashboard</button>}
      </div>
      <ErrorNote error={error} />
      {dashboards === null ? (
        <p class="muted">Loading…</p>
      ) : dashboards.length === 0 ? (
        <p class="muted">No dashboards yet.</p>
      ) : (
        <table class="data-table list-table">
          <caption class="visually-hidden">Dashboards</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Widgets</th>
              <th scope="col">Updated</th>
              {writer && <th scope="col"><span class="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {dashboards.map((d) => (
              <tr key={d.id}>
                <th scope="row"><a href={`/projects/${projectId}/dashboards/${d.id}`}>{d.name}</a></th>
                <td class="num">{d.widgets?.length ?? 0}</td>
                <td>{d.updated_at ? new Date(d.updated_at).toLocaleString() : ""}</td>
                {writer && (
                  <td class="actions">
                    <button type="button" class="secondary small" onClick={() => act(() => api.post(`${base}/${d.id}/duplicate`))} aria-label={`Duplicate ${d.name}`}>Duplicate</button>
                    <button type="button" class="secondary small" onClick={() => { setRenaming(d); setName(d.name); }} aria-label={`Rename ${d.name}`}>Rename</button>
                    <button
                      type="button"
                      class="danger small"
                      aria-label={`Delete ${d.name}`}
                      onClick={() => confirm(`Delete the dashboard “${d.name}”?`) && act(() => api.del(`${base}/${d.id}`))}
                    >
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <Dialog title="New dashboard" onClose={() => setCreating(false)}>
          <form class="stack" onSubmit={create}>
            <div class="field">
              <label for="new-name">Name</label>
              <input id="new-name" value={name} placeholder={template ? "The template's name" : "Untitled dashboard"} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </div>
            <fieldset class="templates">
              <legend>Start from</legend>
              <label class="template-choice">
                <input type="radio" name="template" value="" checked={template === ""} onChange={() => setTemplate("")} />
                <span><strong>Blank</strong><span class="muted">An empty dashboard</span></span>
              </label>
              {templates.map((t) => (
                <label class="template-choice" key={t.id}>
                  <input type="radio" name="template" value={t.id} checked={template === t.id} onChange={() => setTemplate(t.id)} />
                  <span><strong>{t.name}</strong><span class="muted">{t.description}</span></span>
                </label>
              ))}
            </fieldset>
            <button type="submit">Create</button>
          </form>
        </Dialog>
      )}
      {renaming && (
        <Dialog title="Rename dashboard" onClose={() => setRenaming(null)}>
          <form
            class="stack"
            onSubmit={(e) => {
              e.preventDefault();
              const target = renaming;
              setRenaming(null);
              act(() => api.patch(`${base}/${target.id}`, { name }));
            }}
          >
            <div class="field">
              <label for="rename">Name</label>
              <input id="rename" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </div>
            <button type="submit">Rename</button>
          </form>
        </Dialog>
      )}
    </main>
  );
}
