"""The pre-built business dashboards of issue 5, every widget a metric of the metrics layer.

Each widget's query is a ``MetricQuery`` of a built-in metric (``docs/metrics.md``) or a
``RevenueQuery``, so the dashboards read the same one definition per KPI as the API, and
the metrics that snapshots can hold are found by
:func:`heron.dashboards.snapshot_plan.snapshot_series`. Where a
dashboard names something the metrics layer does not define, the closest metric stands in
(``docs/decisions.md``, "Business dashboards").
"""

from __future__ import annotations

from typing import Any

from heron.dashboards.template_model import Template, by, widget


def metric(name: str, interval: str = "day", **extra: Any) -> dict[str, Any]:
    return {"kind": "MetricQuery", "metric": name, "interval": interval, **extra}


def revenue(*names: str, interval: str = "month") -> dict[str, Any]:
    return {"kind": "RevenueQuery", "metrics": list(names), "interval": interval}


def card(
    wid: str,
    title: str,
    query: dict[str, Any],
    x: int,
    y: int,
    aggregate: str,
    fmt: str = "number",
    width: int = 3,
) -> dict[str, Any]:
    """A metric card (2 rows high); ``aggregate`` folds the series (``last`` for states)."""
    return widget(wid, "metric", title, query, (x, y, width, 2), aggregate=aggregate, format=fmt)


MOVEMENTS = ("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churn_mrr")

EXECUTIVE = Template(
    "executive",
    "Executive",
    "Revenue by source, active users, signups, retention and growth.",
    (
        card(
            "subscriptions",
            "Revenue: subscriptions",
            metric("subscription_revenue"),
            0,
            0,
            "sum",
            "currency",
        ),
        card("transactions", "Revenue: transactions (GMV)", metric("gmv"), 3, 0, "sum", "currency"),
        card(
            "fees", "Revenue: processing fees", metric("processing_fees"), 6, 0, "sum", "currency"
        ),
        card("mrr", "MRR", metric("mrr", "day"), 9, 0, "last", "currency"),
        card("dau", "Daily active users", metric("dau"), 0, 2, "average"),
        card("wau", "Weekly active users", metric("wau"), 3, 2, "last"),
        card("mau", "Monthly active users", metric("mau"), 6, 2, "last"),
        card("signups", "Signups", metric("signups"), 9, 2, "sum"),
        widget("mau-growth", "line", "Growth: monthly active users", metric("mau"), (0, 4, 6, 4)),
        widget("signups-daily", "bar", "Signups per day", metric("signups"), (6, 4, 6, 4)),
        widget(
            "d7-retention",
            "line",
            "Retention: D7 by signup day",
            metric("d7_retention"),
            (0, 8, 8, 4),
        ),
        card(
            "d1-retention", "Retention: D1", metric("d1_retention"), 8, 8, "average", "percent", 4
        ),
        card(
            "net-new-mrr",
            "Growth: net new MRR",
            metric("net_new_mrr", "day"),
            8,
            10,
            "sum",
            "currency",
            4,
        ),
    ),
)

FINANCIAL = Template(
    "financial",
    "Financial",
    "MRR movements, ARR, plans, transactions, fees and gross margin.",
    (
        widget(
            "mrr-movements",
            "bar",
            "MRR movements (contraction and churn are losses)",
            revenue(*MOVEMENTS),
            (0, 0, 8, 5),
            stacked=True,
        ),
        widget(
            "arr",
            "line",
            "ARR and 6-month forecast",
            metric("arr", "month", forecast=6),
            (8, 0, 4, 5),
        ),
        widget(
            "plans",
            "pie",
            "Payments by plan",
            metric("gmv", breakdown=by("plan")),
            (0, 5, 4, 4),
            donut=True,
        ),
        widget("gmv-daily", "line", "Transaction amount per day", metric("gmv"), (4, 5, 8, 4)),
        card("volume", "Transaction volume", metric("transaction_volume"), 0, 9, "sum"),
        card(
            "average",
            "Average transaction size",
            metric("average_transaction_size"),
            3,
            9,
            "average",
            "currency",
        ),
        card("fees", "Processing fees", metric("processing_fees"), 6, 9, "sum", "currency"),
        card("margin", "Gross margin", metric("gross_margin"), 9, 9, "average", "percent"),
    ),
    date_from="-180d",
)

REVENUE = Template(
    "revenue",
    "Revenue",
    "Subscription revenue: MRR, ARR, ARPU, churn, NRR and the plan mix.",
    (
        card("mrr", "MRR", metric("mrr", "month"), 0, 0, "last", "currency"),
        card("arr", "ARR", metric("arr", "month"), 3, 0, "last", "currency"),
        card("arpu", "ARPU", metric("arpu", "month"), 6, 0, "last", "currency"),
        card("customers", "Paying customers", metric("paying_customers", "month"), 9, 0, "last"),
        card(
            "churn",
            "Customer churn rate",
            metric("customer_churn_rate", "month"),
            0,
            2,
            "average",
            "percent",
        ),
        card("nrr", "Net revenue retention", metric("nrr", "month"), 3, 2, "average", "percent"),
        card("net-new", "Net new MRR", metric("net_new_mrr", "month"), 6, 2, "sum", "currency"),
        card(
            "received",
            "Subscription revenue",
            metric("subscription_revenue", "month"),
            9,
            2,
            "sum",
            "currency",
        ),
        widget("mrr-trend", "line", "MRR and ARR", revenue("mrr", "arr"), (0, 4, 8, 4)),
        widget(
            "plans",
            "pie",
            "Payments by plan",
            metric("gmv", breakdown=by("plan")),
            (8, 4, 4, 4),
            donut=True,
        ),
        widget(
            "movements", "bar", "MRR movements", revenue(*MOVEMENTS), (0, 8, 12, 4), stacked=True
        ),
    ),
    date_from="-180d",
)

ENGAGEMENT_KPIS = Template(
    "engagement-kpis",
    "Engagement KPIs",
    "Sessions by weekday and hour, daily active users and chat response time.",
    (
        widget(
            "session-heatmap",
            "heatmap",
            "Sessions by weekday and hour",
            metric("sessions", "hour"),
            (0, 0, 8, 4),
        ),
        card("dau", "Daily active users", metric("dau"), 8, 0, "average"),
        card(
            "response",
            "Chat response time (median)",
            metric("message_response_time"),
            8,
            2,
            "average",
            "duration",
        ),
        widget("dau-daily", "line", "Daily active users", metric("dau"), (0, 4, 6, 4)),
        widget(
            "response-daily",
            "line",
            "Chat response time SLA (median seconds per day)",
            metric("message_response_time"),
            (6, 4, 6, 4),
        ),
        card("sessions", "Sessions", metric("sessions"), 0, 8, "sum"),
        card(
            "duration", "Session duration", metric("session_duration"), 3, 8, "average", "duration"
        ),
        card("per-user", "Sessions per user", metric("sessions_per_user"), 6, 8, "average"),
        card(
            "satisfaction",
            "AI session satisfaction",
            metric("ai_session_satisfaction"),
            9,
            8,
            "average",
        ),
    ),
)

COACH_INSIGHTS = Template(
    "coach-insights",
    "Coach insights",
    "Coaches ranked by goal completion rate, with habits and nudges.",
    (
        widget(
            "leaderboard",
            "table",
            "Coaches by goal completion rate",
            metric(
                "goal_completion_rate", "month", breakdown={**by("coach_id", 50), "type": "person"}
            ),
            (0, 0, 8, 6),
        ),
        card(
            "completion",
            "Goal completion rate",
            metric("goal_completion_rate"),
            8,
            0,
            "average",
            "percent",
        ),
        card(
            "adherence", "Habit adherence score", metric("habit_adherence_score"), 8, 2, "average"
        ),
        card("streak", "Average streak (days)", metric("avg_streak_length"), 8, 4, "average"),
        widget(
            "nudges",
            "bar",
            "AI nudge effectiveness by persona",
            metric("ai_nudge_effectiveness", breakdown=by("persona")),
            (0, 6, 6, 4),
        ),
        widget(
            "satisfaction",
            "table",
            "Session satisfaction by coach",
            metric("ai_session_satisfaction", "month", breakdown=by("coach_id", 50)),
            (6, 6, 6, 4),
        ),
    ),
)

CAMPAIGN_PERFORMANCE = Template(
    "campaign-performance",
    "Campaign performance",
    "E-mail open, click, bounce and unsubscribe rates, and revenue per e-mail.",
    (
        card("open", "Open rate", metric("open_rate"), 0, 0, "average", "percent"),
        card("click", "Click rate", metric("click_rate"), 3, 0, "average", "percent"),
        card("bounce", "Bounce rate", metric("email_bounce_rate"), 6, 0, "average", "percent"),
        card(
            "unsubscribe",
            "Unsubscribe rate",
            metric("unsubscribe_rate"),
            9,
            0,
            "average",
            "percent",
        ),
        card(
            "revenue-per-email",
            "Revenue per e-mail",
            metric("revenue_per_email"),
            0,
            2,
            "average",
            "currency",
        ),
        card(
            "click-to-open",
            "Click-to-open rate",
            metric("click_to_open"),
            3,
            2,
            "average",
            "percent",
        ),
        card(
            "conversion",
            "Conversion rate",
            metric("email_conversion_rate"),
            6,
            2,
            "average",
            "percent",
        ),
        card("complaints", "Complaint rate", metric("complaint_rate"), 9, 2, "average", "percent"),
        widget("open-daily", "line", "Open rate per day", metric("open_rate"), (0, 4, 6, 4)),
        widget("click-daily", "line", "Click rate per day", metric("click_rate"), (6, 4, 6, 4)),
        widget(
            "by-campaign",
            "table",
            "Open rate by campaign",
            metric("open_rate", "month", breakdown=by("campaign_id", 50)),
            (0, 8, 12, 4),
        ),
    ),
)

COMMUNITY = Template(
    "community",
    "Community",
    "Community activity, members, geography and the communities raising most.",
    (
        widget(
            "activity",
            "line",
            "Community activity: daily active members",
            metric("dau"),
            (0, 0, 8, 4),
        ),
        card("members", "Active members (30 days)", metric("mau"), 8, 0, "last"),
        card("new-members", "New members", metric("signups"), 8, 2, "sum"),
        widget(
            "geography",
            "geo",
            "Active members by country",
            metric("dau", "month", breakdown=by("$geoip_country_code", 250)),
            (0, 4, 8, 5),
        ),
        widget(
            "leaderboard",
            "table",
            "Communities by funds raised",
            metric("funding_velocity", "month", breakdown=by("community", 50)),
            (8, 4, 4, 5),
        ),
        card(
            "success",
            "Project success rate",
            metric("project_success_rate"),
            0,
            9,
            "average",
            "percent",
        ),
        card(
            "stickiness",
            "Member stickiness (DAU ÷ MAU)",
            metric("stickiness"),
            3,
            9,
            "average",
            "percent",
        ),
    ),
)

PROJECTS = Template(
    "projects",
    "Projects",
    "Funding velocity, success rate, categories, time to fund and backer conversion.",
    (
        widget(
            "velocity",
            "line",
            "Funding velocity (amount funded per day)",
            metric("funding_velocity"),
            (0, 0, 8, 4),
        ),
        card("success", "Success rate", metric("project_success_rate"), 8, 0, "average", "percent"),
        card(
            "funding-time",
            "Average funding time",
            metric("average_funding_time"),
            8,
            2,
            "average",
            "duration",
        ),
        widget(
            "categories",
            "pie",
            "Projects created by category",
            metric("projects_created", breakdown=by("category")),
            (0, 4, 4, 4),
        ),
        widget(
            "conversion",
            "line",
            "Backer conversion per day",
            metric("backer_conversion"),
            (4, 4, 8, 4),
        ),
        card("created", "Projects created", metric("projects_created"), 0, 8, "sum"),
        card("funded", "Projects funded", metric("projects_funded"), 3, 8, "sum"),
        card(
            "backers", "Backer conversion", metric("backer_conversion"), 6, 8, "average", "percent"
        ),
        card("gmv", "Amount funded", metric("funding_velocity"), 9, 8, "sum", "currency"),
    ),
)

BUSINESS_TEMPLATES: tuple[Template, ...] = (
    EXECUTIVE,
    FINANCIAL,
    REVENUE,
    ENGAGEMENT_KPIS,
    COACH_INSIGHTS,
    CAMPAIGN_PERFORMANCE,
    COMMUNITY,
    PROJECTS,
)
