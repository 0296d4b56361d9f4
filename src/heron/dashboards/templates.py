"""Dashboard templates built from the registered query kinds (``GET /api/dashboard-templates``).

Each template is a ``POST .../dashboards`` body whose widgets are already in their stored
form (ids, defaults), so a project can get one without the query layer; a test checks that
normalising them changes nothing. Every new project gets ``overview``.
Event names follow Heron's conventions: ``pageview``, ``signup``, ``purchase``.
"""

from __future__ import annotations

from typing import Any

from heron.dashboards.business_templates import BUSINESS_TEMPLATES
from heron.dashboards.template_model import Template, by, widget


def trends(event: str | None, math: str = "total", **extra: Any) -> dict[str, Any]:
    series: dict[str, Any] = {"event": event, "math": math}
    return {
        "kind": "TrendsQuery",
        "series": [series],
        "interval": "day",
        "date_from": "-30d",
        **extra,
    }


OVERVIEW = Template(
    "overview",
    "Product overview",
    "Active users, signups, top events and sessions.",
    (
        widget("dau", "metric", "Daily active users", trends(None, "dau"), (0, 0, 3, 2), live=True),
        widget("wau", "metric", "Weekly active users", trends(None, "weekly_active"), (3, 0, 3, 2)),
        widget(
            "mau", "metric", "Monthly active users", trends(None, "monthly_active"), (6, 0, 3, 2)
        ),
        widget("signups", "metric", "Signups", trends("signup"), (9, 0, 3, 2), live=True),
        widget("signups-daily", "line", "Signups per day", trends("signup"), (0, 2, 6, 4)),
        widget(
            "top-events",
            "bar",
            "Top events",
            trends(None, breakdown=by("event")),
            (6, 2, 6, 4),
            stacked=True,
        ),
        widget(
            "sessions",
            "line",
            "Sessions per day",
            trends(None, "unique_session"),
            (0, 6, 12, 4),
        ),
    ),
)

ACQUISITION = Template(
    "acquisition",
    "Acquisition",
    "Where visitors come from: UTM sources, referrers and countries.",
    (
        widget(
            "utm-sources",
            "bar",
            "Visitors by UTM source",
            trends("pageview", "dau", breakdown=by("utm_source")),
            (0, 0, 6, 4),
        ),
        widget(
            "referrers",
            "table",
            "Top referrers",
            trends("pageview", "dau", breakdown=by("$referring_domain", 20)),
            (6, 0, 6, 4),
        ),
        widget(
            "countries",
            "geo",
            "Visitors by country",
            trends("pageview", "dau", breakdown=by("$geoip_country_code", 250)),
            (0, 4, 8, 5),
        ),
        widget(
            "utm-mediums",
            "pie",
            "UTM mediums",
            trends("pageview", breakdown=by("utm_medium")),
            (8, 4, 4, 5),
            donut=True,
        ),
    ),
)

ENGAGEMENT = Template(
    "engagement",
    "Engagement",
    "How often people come back: stickiness, weekly rhythm and retention.",
    (
        widget(
            "stickiness",
            "stickiness",
            "Days active in the last 30 days",
            {"kind": "StickinessQuery", "series": [{"event": "pageview"}], "date_from": "-30d"},
            (0, 0, 6, 4),
        ),
        widget(
            "heatmap",
            "heatmap",
            "Activity by weekday and hour",
            {"kind": "HeatmapQuery", "event": "pageview", "date_from": "-30d"},
            (6, 0, 6, 4),
        ),
        widget(
            "retention",
            "retention",
            "Weekly retention after signup",
            {
                "kind": "RetentionQuery",
                "target_event": "signup",
                "returning_event": "pageview",
                "period": "week",
                "periods": 8,
                "date_from": "-12w",
            },
            (0, 4, 8, 5),
        ),
        widget(
            "lifecycle",
            "area",
            "Lifecycle",
            {
                "kind": "LifecycleQuery",
                "event": "pageview",
                "interval": "week",
                "date_from": "-12w",
            },
            (8, 4, 4, 5),
        ),
    ),
)

CONVERSION = Template(
    "conversion",
    "Conversion",
    "From first visit to purchase: the funnel and the paths people take.",
    (
        widget(
            "funnel",
            "funnel",
            "Visit → signup → purchase",
            {
                "kind": "FunnelsQuery",
                "steps": [{"event": "pageview"}, {"event": "signup"}, {"event": "purchase"}],
                "conversion_window": {"value": 14, "unit": "day"},
                "date_from": "-30d",
            },
            (0, 0, 8, 4),
        ),
        widget("purchases", "metric", "Purchases", trends("purchase"), (8, 0, 4, 2)),
        widget("buyers", "metric", "Buyers", trends("purchase", "dau"), (8, 2, 4, 2)),
        widget(
            "paths",
            "sankey",
            "Paths after signup",
            {"kind": "PathsQuery", "start_event": "signup", "step_limit": 4, "date_from": "-30d"},
            (0, 4, 12, 5),
        ),
    ),
)

TEMPLATES: dict[str, Template] = {
    t.id: t for t in (OVERVIEW, ACQUISITION, ENGAGEMENT, CONVERSION, *BUSINESS_TEMPLATES)
}
DEFAULT_TEMPLATE = "overview"
