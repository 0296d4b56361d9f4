// The SQL editor: a SQLQuery over the project's events, persons, sessions and groups views,
// written in CodeMirror (this page's chunk only) with the views' columns for completion.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError, errorText } from "../api";
import { useTitle } from "../lib/hooks";
import type { Envelope } from "../types";
import { DataTable } from "../widgets/Tables";
import { createSqlEditor, type SqlEditor } from "./SqlEditor";

const EXAMPLE = "select event, count(*) as events\nfrom events\ngroup by event\norder by events desc\nlimit 20";
const VIEWS = ["events", "persons", "sessions", "groups"];

/** Each view's columns, as its empty result says (views the server refuses are left out). */
async function viewColumns(projectId: string): Promise<Record<string, string[]>> {
  const columns = await Promise.all(
    VIEWS.map((view) =>
      api
        .post<Envelope>(`/api/projects/${projectId}/query`, { query: { kind: "SQLQuery", sql: `select * from ${view} limit 0` } })
        .then((envelope) => (envelope.results as { columns?: string[] }).columns ?? [], () => null),
    ),
  );
  return Object.fromEntries(VIEWS.flatMap((view, i) => (columns[i] ? [[view, columns[i]!]] : [])));
}

export function Sql({ projectId, initial }: { projectId: string; initial?: string | null }) {
  const text = useRef(initial || EXAMPLE);
  const box = useRef<HTMLDivElement>(null);
  const editor = useRef<SqlEditor | null>(null);
  const [result, setResult] = useState<Envelope | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [completing, setCompleting] = useState(false);
  useTitle("SQL");

  const run = async (event?: Event) => {
    event?.preventDefault();
    setRunning(true);
    setError(null);
    try {
      setResult(await api.post<Envelope>(`/api/projects/${projectId}/query`, { query: { kind: "SQLQuery", sql: text.current } }));
    } catch (e) {
      setResult(null);
      const details = e instanceof ApiError && e.details ? `\n${JSON.stringify(e.details)}` : "";
      setError(`${errorText(e)}${details}`);
    } finally {
      setRunning(false);
    }
  };
  const runRef = useRef(run);
  runRef.current = run;

  useEffect(() => {
    const made = createSqlEditor({
      parent: box.current!,
      doc: text.current,
      labelledBy: "sql-label",
      onChange: (next) => (text.current = next),
      onRun: () => runRef.current(),
    });
    editor.current = made;
    let live = true;
    viewColumns(projectId).then((schema) => {
      if (!live) return;
      made.setSchema(schema);
      setCompleting(true);
    });
    return () => {
      live = false;
      made.view.destroy();
    };
  }, [projectId]);

  const rows = result?.results as { row_count?: number; truncated?: boolean } | undefined;
  return (
    <main class="page">
      <div class="page-header">
        <h1>SQL</h1>
      </div>
      <form class="stack" onSubmit={run}>
        <div class="field">
          <span id="sql-label" class="label" onClick={() => editor.current?.view.focus()}>
            Query over the views events, persons, sessions and groups (Ctrl+Enter runs it)
          </span>
          <div ref={box} class="sql-editor" data-completion={completing ? "columns" : "keywords"} />
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
