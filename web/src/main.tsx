// Entry point: the routes of the app (docs/web.md) over the session.
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { setUnauthorizedHandler } from "./api";
import { Shell } from "./components/Shell";
import { DashboardPage } from "./pages/dashboard/DashboardPage";
import { Dashboards } from "./pages/Dashboards";
import { Explorer } from "./pages/insights/Explorer";
import { InsightsList } from "./pages/insights/InsightsList";
import { Login } from "./pages/Login";
import { PublicPage } from "./pages/PublicPage";
import { ApiKeys, Settings } from "./pages/Settings";
import { Sql } from "./pages/Sql";
import { interceptLinks, match, navigate, useLocation } from "./router";
import { loadSession, useSession } from "./session";
import "./styles.css";

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
  const routes: [string, string, (p: Record<string, string>) => preact.JSX.Element][] = [
    ["/projects/:pid", "dashboards", (p) => <Redirect to={`/projects/${p.pid}/dashboards`} />],
    ["/projects/:pid/dashboards", "dashboards", (p) => <Dashboards projectId={p.pid} />],
    ["/projects/:pid/dashboards/:did", "dashboard", (p) => <DashboardPage key={p.did} projectId={p.pid} dashboardId={p.did} />],
    ["/projects/:pid/insights", "insights", (p) => <InsightsList projectId={p.pid} />],
    ["/projects/:pid/insights/new", "insights", (p) => <Explorer key={`new-${query.get("kind")}`} projectId={p.pid} initialKind={query.get("kind")} initialQuery={query.get("query")} />],
    ["/projects/:pid/insights/:iid", "insights", (p) => <Explorer key={p.iid} projectId={p.pid} insightId={p.iid} />],
    ["/projects/:pid/sql", "sql", (p) => <Sql projectId={p.pid} initial={query.get("sql")} />],
    ["/projects/:pid/settings", "settings", (p) => <Settings projectId={p.pid} />],
    ["/projects/:pid/api-keys", "api-keys", (p) => <ApiKeys projectId={p.pid} />],
  ];
  for (const [pattern, section, view] of routes) {
    const params = match(pattern, path);
    if (!params) continue;
    if (query.get("print") === "1") return view(params);
    return (
      <Shell projectId={params.pid} section={section}>
        {view(params)}
      </Shell>
    );
  }
  return <NotFound />;
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
render(<App />, root);
