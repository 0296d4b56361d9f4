// A publicly shared dashboard (/public/{token}): no sign-in, the organization's theme, only
// the dashboard's stored widget queries.
import { useEffect, useMemo, useState } from "preact/hooks";
import { errorText, withParams } from "../api";
import { ErrorNote } from "../components/Dialog";
import { earlyGet } from "../lib/early";
import { PHONE, useMediaQuery, useTitle } from "../lib/hooks";
import { useLocation } from "../router";
import { applyTheme } from "../theme";
import type { Dashboard, DashboardFilters, Envelope } from "../types";
import { Canvas } from "./dashboard/Canvas";
import { FilterBar, FilterSummary } from "./dashboard/FilterBar";
import { filterParams, filtersFromUrl, widgetDataUrl } from "./dashboard/model";
import type { WidgetSource } from "./dashboard/WidgetCard";

export function PublicPage({ token }: { token: string }) {
  const { query } = useLocation();
  const print = query.get("print") === "1";
  const phone = useMediaQuery(PHONE);
  const base = `/api/public/dashboards/${encodeURIComponent(token)}`;
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [filters, setFilters] = useState<DashboardFilters | null>(null);
  const [error, setError] = useState<string | null>(null);
  useTitle(dashboard?.name ?? "Shared dashboard");

  useEffect(() => {
    earlyGet<Dashboard>(base).then(
      (d) => {
        applyTheme(d.theme);
        setDashboard(d);
        setFilters(filtersFromUrl(new URLSearchParams(location.search), d.filters ?? {}));
      },
      (e) => {
        setError(errorText(e));
        document.documentElement.dataset.chartsReady = "true";
      },
    );
    return () => applyTheme(null);
  }, [base]);

  const source: WidgetSource = useMemo(
    () => ({ load: (widget, f) => earlyGet<Envelope>(widgetDataUrl(base, widget.id ?? "", f)) }),
    [base],
  );

  if (error) {
    return (
      <main class="page public">
        <h1>Shared dashboard</h1>
        <ErrorNote error={error === "Not Found" ? "This link does not exist or was revoked." : error} />
      </main>
    );
  }
  if (!dashboard || !filters) return <main class="page public"><p class="muted">Loading…</p></main>;

  const change = (next: DashboardFilters) => {
    document.documentElement.dataset.chartsReady = "false";
    setFilters(next);
    history.replaceState(null, "", withParams(location.pathname, { ...filterParams(next), print: print ? "1" : undefined }));
  };

  return (
    <div class={`public-shell${print ? " print" : ""}`}>
      <header class="public-header">
        {dashboard.theme?.logo_url && <img src={dashboard.theme.logo_url} alt={`${dashboard.theme.name ?? "Organization"} logo`} class="logo" />}
        <span class="brand">{dashboard.theme?.name ?? "Heron"}</span>
      </header>
      <main class="page public">
        <h1>{dashboard.name}</h1>
        {dashboard.description && <p class="muted">{dashboard.description}</p>}
        {print ? <FilterSummary filters={filters} /> : <FilterBar filters={filters} onChange={change} />}
        <Canvas
          dashboard={dashboard}
          filters={filters}
          source={source}
          mode={print ? "print" : phone ? "phone" : "grid"}
          editing={false}
          epoch={0}
          liveTick={0}
        />
      </main>
    </div>
  );
}
