// Saved insights of a project, and links to start a new one of each kind.
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../../api";
import { ErrorNote } from "../../components/Dialog";
import { useTitle } from "../../lib/hooks";
import { canAct, projectOf, useSession } from "../../session";
import type { Insight } from "../../types";
import { kindOfQuery, KINDS } from "./kinds";

export function InsightsList({ projectId }: { projectId: string }) {
  const { me } = useSession();
  const writer = canAct(projectOf(me, projectId)?.role, "analyst");
  const base = `/api/projects/${projectId}/insights`;
  const [insights, setInsights] = useState<Insight[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle("Insights");
  const load = () => api.get<Insight[]>(base).then(setInsights, (e) => setError(errorText(e)));
  useEffect(() => {
    load();
  }, [base]);

  return (
    <main class="page">
      <div class="page-header">
        <h1>Insights</h1>
      </div>
      {writer && (
        <nav class="new-insights" aria-label="New insight">
          {KINDS.map((k) => (
            <a class="button secondary" key={k.id} href={`/projects/${projectId}/insights/new?kind=${k.id}`}>
              New {k.label.toLowerCase()}
            </a>
          ))}
        </nav>
      )}
      <ErrorNote error={error} />
      {insights === null ? (
        <p class="muted">Loading…</p>
      ) : insights.length === 0 ? (
        <p class="muted">No saved insights yet.</p>
      ) : (
        <table class="data-table list-table">
          <caption class="visually-hidden">Saved insights</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              {writer && <th scope="col"><span class="visually-hidden">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {insights.map((insight) => (
              <tr key={insight.id}>
                <th scope="row"><a href={`/projects/${projectId}/insights/${insight.id}`}>{insight.name}</a></th>
                <td>{KINDS.find((k) => k.id === kindOfQuery(insight.query))?.label}</td>
                {writer && (
                  <td class="actions">
                    <button
                      type="button"
                      class="danger small"
                      aria-label={`Delete ${insight.name}`}
                      onClick={async () => {
                        if (!confirm(`Delete the insight “${insight.name}”?`)) return;
                        try {
                          await api.del(`${base}/${insight.id}`);
                          await load();
                        } catch (e) {
                          setError(errorText(e));
                        }
                      }}
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
    </main>
  );
}
