// The SQL editor: a SQLQuery over the project's events, persons and sessions views.
import { useState } from "preact/hooks";
import { api, ApiError, errorText } from "../api";
import { useTitle } from "../lib/hooks";
import type { Envelope } from "../types";
import { DataTable } from "../widgets/Tables";

const EXAMPLE = "select event, count(*) as events\nfrom events\ngroup by event\norder by events desc\nlimit 20";

export function Sql({ projectId, initial }: { projectId: string; initial?: string | null }) {
  const [sql, setSql] = useState(initial || EXAMPLE);
  const [result, setResult] = useState<Envelope | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  useTitle("SQL");

  const run = async (event?: Event) => {
    event?.preventDefault();
    setRunning(true);
    setError(null);
    try {
      setResult(await api.post<Envelope>(`/api/projects/${projectId}/query`, { query: { kind: "SQLQuery", sql } }));
    } catch (e) {
      setResult(null);
      const details = e instanceof ApiError && e.details ? `\n${JSON.stringify(e.details)}` : "";
      setError(`${errorText(e)}${details}`);
    } finally {
      setRunning(false);
    }
  };

  const rows = result?.results as { row_count?: number; truncated?: boolean } | undefined;
  return (
    <main class="page">
      <div class="page-header">
        <h1>SQL</h1>
      </div>
      <form class="stack" onSubmit={run}>
        <div class="field">
          <label for="sql">Query over the views events, persons and sessions (Ctrl+Enter runs it)</label>
          <textarea
            id="sql"
            class="code"
            rows={10}
            spellcheck={false}
            value={sql}
            onInput={(e) => setSql((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if ((e.ctrlKey || e.metaKey) && e.key === "Enter") run(e);
            }}
          />
        </div>
        <div class="row">
          <button type="submit" disabled={running}>{running ? "Running…" : "Run"}</button>
          {result && (
            <span class="muted small" role="status">
              {rows?.row_count ?? 0} rows{rows?.truncated ? " (truncated)" : ""} · {Math.round(result.timings?.total_ms ?? 0)} ms
            </span>
          )}
        </div>
      </form>
      {error && <pre class="error sql-error" role="alert">{error}</pre>}
      {result && <DataTable results={result.results} caption="Query results" />}
    </main>
  );
}
