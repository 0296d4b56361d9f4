// A dashboard: filter bar, widgets, edit mode (drag, resize, add, edit, undo, save), sharing
// and export. With ?print=1 it is the page the PDF/PNG export renders.
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
import { api, errorText, withParams } from "../../api";
import { ErrorNote } from "../../components/Dialog";
import { earlyGet } from "../../lib/early";
import { PHONE, useLiveTick, useMediaQuery, useTitle } from "../../lib/hooks";
import { navigate, useLocation } from "../../router";
import { canAct, projectOf, useSession } from "../../session";
import { applyTheme } from "../../theme";
import type { Dashboard, DashboardFilters, Envelope, Insight, SchemaInfo, Widget, WidgetType } from "../../types";
import { Canvas } from "./Canvas";
import { edit, startEditing, type EditAction, type EditState } from "./editing";
import { FilterBar, FilterSummary } from "./FilterBar";
import { applyFilters, clickFilter, drillUrl, filterParams, filtersFromUrl, isDraftId, savePayload, widgetDataUrl } from "./model";
import { ShareDialog } from "./ShareDialog";
import type { WidgetSource } from "./WidgetCard";
import { WidgetEditor } from "./WidgetEditor";
import { WidgetLibrary } from "./WidgetLibrary";

type Editing = EditState | null;

function reducer(state: Editing, action: EditAction | { kind: "start"; widgets: Widget[]; name: string; epoch: number } | { kind: "stop" }): Editing {
  if (action.kind === "start") return startEditing(action.widgets, action.name, action.epoch);
  if (action.kind === "stop") return null;
  return state ? edit(state, action) : state;
}

export function DashboardPage({ projectId, dashboardId }: { projectId: string; dashboardId: string }) {
  const { query } = useLocation();
  const print = query.get("print") === "1";
  const phone = useMediaQuery(PHONE);
  const { me } = useSession();
  const project = projectOf(me, projectId);
  const base = `/api/projects/${projectId}/dashboards/${dashboardId}`;
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [filters, setFilters] = useState<DashboardFilters | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [types, setTypes] = useState<WidgetType[]>([]);
  const [schema, setSchema] = useState<SchemaInfo | null>(null);
  const [insights, setInsights] = useState<Insight[]>([]);
  const [editing, dispatch] = useReducer(reducer, null);
  const [epoch, setEpoch] = useState(0);
  const [dialog, setDialog] = useState<"library" | "share" | { widget: Widget } | null>(null);
  const [saving, setSaving] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const liveTick = useLiveTick(projectId, !print && Boolean(dashboard?.widgets.some((w) => w.options?.live)));
  useTitle(dashboard?.name ?? "Dashboard");

  // A layout effect: the reply is usually there already, and the page shows it before its
  // first paint instead of one frame later.
  useLayoutEffect(() => {
    setDashboard(null);
    earlyGet<Dashboard>(base).then(
      (d) => {
        // The organization's theme comes with the dashboard, so that the charts are drawn in
        // its colours at once (the shell's own theme request then changes nothing).
        if (!print && d.theme) applyTheme(d.theme);
        setDashboard(d);
        setFilters(filtersFromUrl(new URLSearchParams(location.search), d.filters ?? {}));
      },
      (e) => {
        setError(errorText(e));
        document.documentElement.dataset.chartsReady = "true";
      },
    );
  }, [base]);

  // The schema feeds the property pickers only: asked for when the filter bar or edit mode
  // is first used, so it does not hold one of the browser's connections while widgets load.
  const schemaAsked = useRef(false);
  const needSchema = () => {
    if (schemaAsked.current) return;
    schemaAsked.current = true;
    api.get<SchemaInfo>(`/api/projects/${projectId}/schema`).then(setSchema, () => setSchema(null));
  };

  const changeFilters = (next: DashboardFilters) => {
    // Not ready from this moment: every widget reloads with the new filters.
    document.documentElement.dataset.chartsReady = "false";
    setFilters(next);
    const params = new URLSearchParams(location.search);
    for (const key of ["date_from", "date_to", "compare", "properties"]) params.delete(key);
    const url = withParams(location.pathname, { ...Object.fromEntries(params), ...filterParams(next) });
    history.replaceState(null, "", url);
  };

  const saved = useMemo(() => new Map((dashboard?.widgets ?? []).map((w) => [w.id, JSON.stringify(w.query)])), [dashboard]);
  const source: WidgetSource = useMemo(
    () => ({
      load(widget, f) {
        if (isDraftId(widget.id) || saved.get(widget.id) !== JSON.stringify(widget.query)) {
          if (!widget.query) return Promise.reject(new Error("This widget has no query yet: edit it to add one."));
          // Metric cards always show their change against the previous period.
          const shown = widget.type === "metric" ? { ...f, compare: true } : f;
          return api.post<Envelope>(`/api/projects/${projectId}/query`, { query: applyFilters(widget.query, shown) });
        }
        return earlyGet<Envelope>(widgetDataUrl(base, widget.id!, f));
      },
      exportUrl(widget, f, format) {
        if (isDraftId(widget.id)) return null;
        return withParams(`${base}/widgets/${widget.id}/export`, { format, ...filterParams(f) });
      },
    }),
    [base, saved],
  );

  useEffect(() => {
    if (!editing) return;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest("input, textarea, select, dialog")) return;
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        dispatch({ kind: "undo" });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [Boolean(editing)]);

  const unsaved = Boolean(editing?.undo.length);
  useEffect(() => {
    if (!unsaved) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [unsaved]);

  if (error) return <main class="page"><ErrorNote error={error} /></main>;
  if (!dashboard || !filters) return <main class="page"><p class="muted">Loading dashboard…</p></main>;

  const canEdit = (dashboard.permission ?? (canAct(project?.role, "analyst") ? "edit" : "view")) === "edit";
  // While editing, the one-column order follows the draft's grid cells, not the saved layout.
  const shown: Dashboard = editing ? { ...dashboard, name: editing.name, widgets: editing.widgets, layouts: undefined } : dashboard;

  const loadEditingData = () => {
    needSchema();
    if (!types.length) api.get<WidgetType[]>("/api/widget-types").then(setTypes, (e) => setNotice(errorText(e)));
    api.get<Insight[]>(`/api/projects/${projectId}/insights`).then(setInsights, () => setInsights([]));
  };

  const save = async () => {
    if (!editing) return;
    setSaving(true);
    try {
      const next = await api.patch<Dashboard>(base, savePayload({ ...dashboard, name: editing.name, widgets: editing.widgets, filters }));
      setDashboard(next);
      dispatch({ kind: "stop" });
      setEpoch(editing.epoch + 1);
      setNotice("Dashboard saved.");
    } catch (e) {
      setNotice(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  const onChartClick = (widget: Widget, click: { value: string }) => {
    const action = widget.click?.action;
    if (action === "filter") {
      const filter = clickFilter(widget, click.value);
      if (!filter) return setNotice("This widget has no breakdown to filter by.");
      changeFilters({ ...filters, properties: [...(filters.properties ?? []).filter((f) => f.property !== filter.property), filter] });
    } else if (action === "drill") {
      const url = drillUrl(projectId, widget);
      if (url) navigate(url);
    } else if (action === "link" && widget.click?.url) {
      window.open(widget.click.url.replace("{value}", encodeURIComponent(click.value)), "_blank", "noopener");
    }
  };

  const exportHref = (format: "pdf" | "png") => withParams(`${base}/export`, { format, ...filterParams(filters) });

  if (print) {
    return (
      <main class="page print">
        <h1>{dashboard.name}</h1>
        {dashboard.description && <p>{dashboard.description}</p>}
        <FilterSummary filters={filters} />
        <Canvas dashboard={dashboard} filters={filters} source={source} mode="print" editing={false} epoch={epoch} liveTick={0} />
      </main>
    );
  }

  return (
    <main class="page dashboard-page">
      <div class="page-header">
        {editing ? (
          <div class="field grow">
            <label for="dashboard-name" class="visually-hidden">Dashboard name</label>
            <input id="dashboard-name" class="title-input" value={editing.name} onInput={(e) => dispatch({ kind: "rename", name: (e.target as HTMLInputElement).value })} />
          </div>
        ) : (
          <h1>{dashboard.name}</h1>
        )}
        <div class="toolbar">
          {editing ? (
            <>
              <button type="button" class="secondary" onClick={() => setDialog("library")}>+ Add widget</button>
              <button type="button" class="secondary" onClick={() => dispatch({ kind: "undo" })} disabled={!editing.undo.length} aria-keyshortcuts="Control+Z">
                Undo
              </button>
              <button type="button" class="secondary" onClick={() => { dispatch({ kind: "stop" }); setEpoch(editing.epoch + 1); }}>Cancel</button>
              <button type="button" onClick={save} disabled={saving}>{saving ? "Saving…" : "Save"}</button>
            </>
          ) : (
            <>
              {canEdit && (
                <button type="button" onClick={() => { loadEditingData(); dispatch({ kind: "start", widgets: dashboard.widgets, name: dashboard.name, epoch }); }}>
                  Edit
                </button>
              )}
              {canEdit && <button type="button" class="secondary" onClick={() => setDialog("share")}>Share</button>}
              <details class="menu">
                <summary class="button secondary">Export</summary>
                <div class="menu-items" role="menu">
                  <a role="menuitem" href={exportHref("pdf")} download>PDF</a>
                  <a role="menuitem" href={exportHref("png")} download>PNG image</a>
                </div>
              </details>
            </>
          )}
        </div>
      </div>
      {dashboard.description && !editing && <p class="muted">{dashboard.description}</p>}
      <FilterBar projectId={projectId} schema={schema} filters={filters} onChange={changeFilters} onFirstUse={needSchema} />
      {notice && (
        <p class="notice" role="status">
          {notice} <button type="button" class="link-button" onClick={() => setNotice(null)}>Dismiss</button>
        </p>
      )}
      {editing && (
        <p class="muted small">
          {phone
            ? "Move widgets up and down the column with their arrow buttons; sizes are changed on a wider screen."
            : "Drag a widget by its title bar, resize it from its edges; with a widget focused, arrow keys move it and Shift+arrows resize it."}
        </p>
      )}
      <Canvas
        dashboard={shown}
        filters={filters}
        source={source}
        mode={phone ? "phone" : "grid"}
        editing={Boolean(editing)}
        epoch={editing?.epoch ?? epoch}
        liveTick={liveTick}
        onMove={(moves) => dispatch({ kind: "move", moves })}
        onChartClick={onChartClick}
        onEdit={(widget) => setDialog({ widget })}
        onDuplicate={(widget) => widget.id && dispatch({ kind: "duplicate", id: widget.id })}
        onDelete={(widget) => widget.id && dispatch({ kind: "delete", id: widget.id })}
        onReorder={(widget, by) => widget.id && dispatch({ kind: "reorder", id: widget.id, by })}
      />
      {dialog === "library" && (
        <WidgetLibrary
          types={types}
          onClose={() => setDialog(null)}
          onPick={(type) => {
            dispatch({ kind: "add", type, firstEvent: schema?.events[0]?.name });
            setDialog(null);
          }}
        />
      )}
      {dialog === "share" && <ShareDialog base={base} onClose={() => setDialog(null)} />}
      {dialog && typeof dialog === "object" && (
        <WidgetEditor
          widget={dialog.widget}
          types={types}
          insights={insights}
          onClose={() => setDialog(null)}
          onSave={(widget) => {
            dispatch({ kind: "replace", widget });
            setDialog(null);
          }}
        />
      )}
    </main>
  );
}
