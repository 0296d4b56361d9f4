// A dashboard's first requests, started at start-up (main.tsx) so that they run while the
// page's code loads: the dashboard and, at the same time, every widget's data in one stream
// (batch.ts). When the dashboard arrives, each saved widget's reply for the filters the page
// will show (the URL's, else the dashboard's stored ones) is kept for the page: from the
// stream, else a GET of that widget's data.
import { api } from "../../api";
import { startGet, startReply } from "../../lib/early";
import type { Dashboard, Envelope } from "../../types";
import { startWidgetData } from "./batch";
import { filtersFromUrl, widgetDataUrl } from "./model";

/** `base`: the dashboard's API path, signed-in (/api/projects/…) or public (/api/public/…). */
export function startDashboard(base: string, search: URLSearchParams): void {
  const data = startWidgetData(base, search);
  startGet<Dashboard>(base).then(
    (dashboard) => {
      const filters = filtersFromUrl(search, dashboard.filters ?? {});
      for (const widget of dashboard.widgets) {
        if (!widget.id || widget.type === "markdown") continue;
        const url = widgetDataUrl(base, widget.id, filters);
        startReply(url, data.reply(widget.id, filters).then((envelope) => envelope ?? api.get<Envelope>(url)));
      }
    },
    () => undefined,
  );
}
