// The insight explorer: build a query with the form, see it live as a chart and a table,
// save it as an insight and add it to a dashboard.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorText } from "../../api";
import { ErrorNote } from "../../components/Dialog";
import { useTitle } from "../../lib/hooks";
import { navigate } from "../../router";
import { canAct, projectOf, useSession } from "../../session";
import type { Envelope, Insight, PropertyFilter, QuerySpec, SchemaInfo } from "../../types";
import { DataTable } from "../../widgets/Tables";
import { WidgetBody } from "../../widgets/WidgetBody";
import { AddToDashboard } from "./AddToDashboard";
import { defaultSpec, displayOf, kindOfQuery, KINDS, TREND_DISPLAYS, type InsightKind } from "./kinds";
import { QueryForm } from "./QueryForm";

/** The spec to run: filters still being typed (no property yet) left out. */
export function runnable(spec: QuerySpec): QuerySpec {
  const filters = ((spec.filters as PropertyFilter[]) ?? []).filter((f) => f.property);
  return { ...spec, filters };
}

interface Props {
  projectId: string;
  insightId?: string;
  initialKind?: string | null;
  initialQuery?: string | null;
}

export function Explorer({ projectId, insightId, initialKind, initialQuery }: Props) {
  const { me } = useSession();
  const writer = canAct(projectOf(me, projectId)?.role, "analyst");
  const [schema, setSchema] = useState<SchemaInfo | null>(null);
  const [insight, setInsight] = useState<Insight | null>(null);
  const [kind, setKind] = useState<InsightKind>((KINDS.find((k) => k.id === initialKind)?.id ?? "trends") as InsightKind);
  const [spec, setSpec] = useState<QuerySpec | null>(null);
  const [options, setOptions] = useState<Record<string, unknown>>({});
  const [name, setName] = useState("");
  const [result, setResult] = useState<Envelope | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [adding, setAdding] = useState(false);
  const seq = useRef(0);
  useTitle(name || "New insight");

  useEffect(() => {
    const schemaLoad = api.get<SchemaInfo>(`/api/projects/${projectId}/schema`).then(
      (s) => (setSchema(s), s),
      () => null,
    );
    if (insightId) {
      api.get<Insight>(`/api/projects/${projectId}/insights/${insightId}`).then(
        (i) => {
          setInsight(i);
          setName(i.name);
          setKind(kindOfQuery(i.query));
          setOptions(i.options ?? {});
          setSpec(i.query);
        },
        (e) => setError(errorText(e)),
      );
      return;
    }
    schemaLoad.then((s) => {
      let start: QuerySpec | null = null;
      try {
        start = initialQuery ? (JSON.parse(initialQuery) as QuerySpec) : null;
      } catch {
        start = null;
      }
      if (start) setKind(kindOfQuery(start));
      setSpec(start ?? defaultSpec(kind, s?.events[0]?.name ?? "pageview"));
    });
  }, [projectId, insightId]);

  useEffect(() => {
    if (!spec) return;
    const mine = ++seq.current;
    setRunning(true);
    const timer = setTimeout(() => {
      api.post<Envelope>(`/api/projects/${projectId}/query`, { query: runnable(spec) }).then(
        (r) => {
          if (mine !== seq.current) return;
          setResult(r);
          setError(null);
          setRunning(false);
        },
        (e) => {
          if (mine !== seq.current) return;
          setError(errorText(e));
          setRunning(false);
        },
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [JSON.stringify(spec)]);

  const switchKind = (next: InsightKind) => {
    setKind(next);
    setResult(null);
    setSpec(defaultSpec(next, schema?.events[0]?.name ?? "pageview"));
    if (!insight) history.replaceState(null, "", `/projects/${projectId}/insights/new?kind=${next}`);
  };

  const save = async (event: Event) => {
    event.preventDefault();
    if (!spec) return;
    const body = { name: name || `${KINDS.find((k) => k.id === kind)!.label} insight`, query: runnable(spec), options };
    try {
      if (insight) {
        setInsight(await api.patch<Insight>(`/api/projects/${projectId}/insights/${insight.id}`, body));
      } else {
        const made = await api.post<Insight>(`/api/projects/${projectId}/insights`, body);
        setInsight(made);
        navigate(`/projects/${projectId}/insights/${made.id}`, true);
      }
      setNotice("Insight saved.");
    } catch (e) {
      setError(errorText(e));
    }
  };

  const display = displayOf(kind, options);
  const drawn = kind === "lifecycle" ? { stacked: true, ...options } : options;
  return (
    <main class="page explorer">
      <div class="page-header">
        <h1>{insight ? insight.name : "New insight"}</h1>
      </div>
      <div class="tabs" role="tablist" aria-label="Insight kind">
        {KINDS.map((k) => (
          <button type="button" role="tab" key={k.id} aria-selected={kind === k.id} disabled={Boolean(insight) && kind !== k.id} onClick={() => switchKind(k.id)}>
            {k.label}
          </button>
        ))}
      </div>
      <div class="explorer-body">
        <aside class="panel" aria-label="Query">
          {spec && <QueryForm projectId={projectId} kind={kind} spec={spec} schema={schema} onChange={setSpec} />}
        </aside>
        <section class="panel result" aria-label="Result" aria-busy={running}>
          <div class="row">
            {kind === "trends" && (
              <div class="field-inline">
                <label for="display">Chart</label>
                <select id="display" value={display} onChange={(e) => setOptions({ ...options, display: (e.target as HTMLSelectElement).value })}>
                  {TREND_DISPLAYS.map((d) => <option key={d.id} value={d.id}>{d.label}</option>)}
                </select>
              </div>
            )}
            <span class="muted small" role="status">
              {running ? "Running…" : result ? `${result.cached ? "cached · " : ""}${Math.round(result.timings?.total_ms ?? 0)} ms` : ""}
            </span>
          </div>
          <ErrorNote error={error} />
          {result && (
            <>
              <div class={`explorer-chart widget-${display}`}>
                <WidgetBody type={display} title={name || "Insight"} results={result.results} options={drawn} query={spec} print={false} onRendered={() => undefined} />
              </div>
              {display !== "table" && display !== "retention" && (
                <details open class="explorer-table">
                  <summary>Table</summary>
                  <DataTable results={result.results} caption={`${name || "Insight"} data`} limit={100} />
                </details>
              )}
            </>
          )}
          {writer && (
            <form class="row save-row" onSubmit={save}>
              <div class="field grow">
                <label for="insight-name">Name</label>
                <input id="insight-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
              </div>
              <button type="submit">Save</button>
              <button type="button" class="secondary" onClick={() => setAdding(true)} disabled={!spec}>Add to dashboard</button>
            </form>
          )}
          {notice && <p role="status" class="notice">{notice}</p>}
        </section>
      </div>
      {adding && spec && (
        <AddToDashboard
          projectId={projectId}
          widget={{ type: display, title: name || "Insight", query: runnable(spec), options: insight ? { ...options, insight_id: insight.id } : options }}
          onClose={() => setAdding(false)}
          onDone={(message) => {
            setAdding(false);
            setNotice(message);
          }}
        />
      )}
    </main>
  );
}
