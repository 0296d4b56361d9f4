// A dashboard's first requests, started at start-up (main.tsx) so that they run while the
// page's code loads: the dashboard, then at once the data of every saved widget for the
// filters the page will show (the URL's, else the dashboard's stored ones).
import { startGet } from "../../lib/early";
import type { Dashboard } from "../../types";
import { filtersFromUrl, widgetDataUrl } from "./model";

/** `base`: the dashboard's API path, signed-in (/api/projects/…) or public (/api/public/…). */
export function startDashboard(base: string, search: URLSearchParams): void {
  startGet<Dashboard>(base).then(
    (dashboard) => {
      const filters = filtersFromUrl(search, dashboard.filters ?? {});
      for (const widget of dashboard.widgets) {
        if (widget.id && widget.type !== "markdown") startGet(widgetDataUrl(base, widget.id, filters));
      }
    },
    () => undefined,
  );
}
