// Entry point: the routes of the app (docs/web.md) over the session. Each page is its own
// chunk, loaded when first shown; the current page's chunk and, on a dashboard, its data
// are requested at start-up, alongside the session.
import { render, type JSX } from "preact";
import { useEffect } from "preact/hooks";
import { setUnauthorizedHandler } from "./api";
import { Shell } from "./components/Shell";
import { lazy } from "./lib/lazy";
import { startDashboard } from "./pages/dashboard/early";
import { Login } from "./pages/Login";
import { interceptLinks, match, navigate, useLocation } from "./router";
import { loadSession, useSession } from "./session";
import "./styles.css";

const loading = () => <p class="page muted">Loading…</p>;
const Dashboards = lazy(() => import("./pages/Dashboards").then((m) => m.Dashboards), loading);
const DashboardPage = lazy(() => import("./pages/dashboard/DashboardPage").then((m) => m.DashboardPage), loading);
const Explorer = lazy(() => import("./pages/insights/Explorer").then((m) => m.Explorer), loading);
const InsightsList = lazy(() => import("./pages/insights/InsightsList").then((m) => m.InsightsList), loading);
const PublicPage = lazy(() => import("./pages/PublicPage").then((m) => m.PublicPage), loading);
const Settings = lazy(() => import("./pages/Settings").then((m) => m.Settings), loading);
const ApiKeys = lazy(() => import("./pages/Settings").then((m) => m.ApiKeys), loading);
const Sql = lazy(() => import("./pages/Sql").then((m) => m.Sql), loading);

type Route = [pattern: string, section: string, page: { preload(): Promise<unknown> } | null, view: (p: Record<string, string>, query: URLSearchParams) => JSX.Element];

const ROUTES: Route[] = [
  ["/projects/:pid", "dashboards", null, (p) => <Redirect to={`/projects/${p.pid}/dashboards`} />],
  ["/projects/:pid/dashboards", "dashboards", Dashboards, (p) => <Dashboards projectId={p.pid} />],
  ["/projects/:pid/dashboards/:did", "dashboard", DashboardPage, (p) => <DashboardPage key={p.did} projectId={p.pid} dashboardId={p.did} />],
  ["/projects/:pid/insights", "insights", InsightsList, (p) => <InsightsList projectId={p.pid} />],
  ["/projects/:pid/insights/new", "insights", Explorer, (p, q) => <Explorer key={`new-${q.get("kind")}`} projectId={p.pid} initialKind={q.get("kind")} initialQuery={q.get("query")} />],
  ["/projects/:pid/insights/:iid", "insights", Explorer, (p) => <Explorer key={p.iid} projectId={p.pid} insightId={p.iid} />],
  ["/projects/:pid/sql", "sql", Sql, (p, q) => <Sql projectId={p.pid} initial={q.get("sql")} />],
  ["/projects/:pid/settings", "settings", Settings, (p) => <Settings projectId={p.pid} />],
  ["/projects/:pid/api-keys", "api-keys", ApiKeys, (p) => <ApiKeys projectId={p.pid} />],
];

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, true), [to]);
  return null;
}

function NotFound() {
  return (
    <main class="page">
      <h1>Page not found</h1>
      <p><a href="/">Go to the start page</a></p>
    </main>
  );
}

function ProjectRoutes({ path, query }: { path: string; query: URLSearchParams }) {
  for (const [pattern, section, , view] of ROUTES) {
    const params = match(pattern, path);
    if (!params) continue;
    if (query.get("print") === "1") return view(params, query);
    return (
      <Shell projectId={params.pid} section={section}>
        {view(params, query)}
      </Shell>
    );
  }
  return <NotFound />;
}

/** Start-up: the current page's code and, on a dashboard, its data, all at once. */
function startPage(path: string): void {
  const shared = match("/public/:token", path);
  if (shared) {
    PublicPage.preload();
    startDashboard(`/api/public/dashboards/${encodeURIComponent(shared.token)}`, new URLSearchParams(location.search));
    return;
  }
  const route = ROUTES.find(([pattern]) => match(pattern, path));
  route?.[2]?.preload();
  const dashboard = match("/projects/:pid/dashboards/:did", path);
  if (dashboard) startDashboard(`/api/projects/${dashboard.pid}/dashboards/${dashboard.did}`, new URLSearchParams(location.search));
}

function App() {
  const { path, query } = useLocation();
  const { me, loading } = useSession();
  const publicToken = match("/public/:token", path);
  if (publicToken) return <PublicPage token={publicToken.token} />;
  if (path === "/login") return <Login />;
  if (loading) return <p class="page muted">Loading…</p>;
  if (!me) return <Redirect to={`/login?next=${encodeURIComponent(path + location.search)}`} />;
  if (path === "/" || path === "") {
    const first = me.projects[0];
    return first ? <Redirect to={`/projects/${first.id}/dashboards`} /> : <main class="page"><h1>No projects</h1><p>You are not a member of any project yet.</p></main>;
  }
  return <ProjectRoutes path={path} query={query} />;
}

const root = document.getElementById("app")!;
interceptLinks(root);
// Menus (<details class="menu">) close on a choice, a click elsewhere, or Escape.
function closeMenus(keep?: Element | null): void {
  document.querySelectorAll<HTMLDetailsElement>("details.menu[open]").forEach((menu) => {
    if (menu !== keep) menu.open = false;
  });
}
document.addEventListener("click", (event) => {
  const target = event.target as Element;
  closeMenus(target.closest("[role=menuitem]") ? null : target.closest("details.menu"));
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeMenus();
});
setUnauthorizedHandler(() => {
  if (!location.pathname.startsWith("/public/") && location.pathname !== "/login") {
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
  }
});
if (!location.pathname.startsWith("/public/")) loadSession();
startPage(location.pathname);
render(<App />, root);
