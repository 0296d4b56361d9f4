"""Every built-in metric of METRICS.md, by name, with its one definition.

Three shapes: *formula* metrics (series of events and a formula, run as a trend),
*computed* metrics (their own SQL, see the modules named in each), and *revenue*
metrics (read from the subscription ledger, :mod:`heron.revenue`). Event names are
Heron's conventions, mapped per project (:mod:`heron.metrics.events`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heron.metrics import funding, goals, habits, nudges, retention, sessions, unit_economics
from heron.metrics.computed import ComputeFn
from heron.metrics.formula_metric import FormulaMetric, Unit


@dataclass(frozen=True, slots=True)
class Builtin:
    name: str
    description: str
    unit: Unit
    formula: FormulaMetric | None = None
    compute: ComputeFn | None = None
    revenue: str | None = None
    ledger: bool = False
    """Whether it reads the subscription ledger (revenue metrics always do)."""

    @property
    def reads_ledger(self) -> bool:
        return self.ledger or self.revenue is not None

    def describe(self) -> dict[str, Any]:
        shape = "formula" if self.formula else "revenue" if self.revenue else "computed"
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        out.update({"unit": self.unit, "shape": shape, "builtin": True})
        if self.formula is not None:
            out["definition"] = self.formula.model_dump(exclude_defaults=True)
        return out


def _s(
    event: str | list[str] | None, math: str = "total", prop: str | None = None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"math": math, **extra}
    if isinstance(event, list):
        out["events"] = event
    elif event is not None:
        out["event"] = event
    if prop is not None:
        out["math_property"] = prop
    return out


EMAIL = [{"property": "utm_medium", "operator": "eq", "value": "email"}]
MONEY = ["payment", "funding"]


def _formula(
    name: str,
    description: str,
    unit: Unit,
    series: list[dict[str, Any]],
    formula: str | None = None,
) -> Builtin:
    spec = FormulaMetric.model_validate(
        {"series": series, "formula": formula, "unit": unit, "description": description}
    )
    return Builtin(name, description, unit, formula=spec)


def _computed(
    name: str, description: str, unit: Unit, compute: ComputeFn, *, ledger: bool = False
) -> Builtin:
    return Builtin(name, description, unit, compute=compute, ledger=ledger)


def _revenue(name: str, description: str, unit: Unit, source: str | None = None) -> Builtin:
    return Builtin(name, description, unit, revenue=source or name)


SESSIONS: list[tuple[str, str, Unit]] = [
    ("sessions", "Sessions starting in the interval.", "count"),
    ("session_duration", "Mean session duration (last − first event), seconds.", "seconds"),
    ("pages_per_session", "Mean pageviews per session.", "ratio"),
    ("bounce_rate", "Share of sessions with one pageview lasting under 10 s.", "ratio"),
    ("sessions_per_user", "Sessions ÷ persons with a session.", "ratio"),
    ("active_minutes", "Σ session durations, minutes.", "minutes"),
]


_ALL = [
    # Engagement
    _formula(
        "dau",
        "Distinct persons with an active event on the day (or interval).",
        "count",
        [_s(None, "dau", active_only=True)],
    ),
    _formula(
        "wau",
        "Distinct active persons in the trailing 7 days ending each interval.",
        "count",
        [_s(None, "weekly_active", active_only=True)],
    ),
    _formula(
        "mau",
        "Distinct active persons in the trailing 30 days ending each interval.",
        "count",
        [_s(None, "monthly_active", active_only=True)],
    ),
    _formula(
        "stickiness",
        "DAU ÷ MAU.",
        "ratio",
        [_s(None, "dau", active_only=True), _s(None, "monthly_active", active_only=True)],
        "A / B",
    ),
    *[_computed(name, text, unit, sessions.session_metric(name)) for name, text, unit in SESSIONS],
    _computed(
        "message_response_time",
        "Median seconds from message_sent to the next message_received of the conversation.",
        "seconds",
        nudges.message_response_time,
    ),
    *[
        _computed(
            f"d{n}_retention{suffix}",
            f"Share of the signup cohort active {text} day {n} after signup.",
            "ratio",
            retention.retention(n, or_after=bool(suffix)),
        )
        for n in (1, 7, 30)
        for suffix, text in (("", "exactly on"), ("_on_or_after", "on or after"))
    ],
    # Goals, habits, AI coaching
    _computed(
        "goal_completion_rate",
        "Goals completed in the interval ÷ goals active in it.",
        "ratio",
        goals.goal_completion_rate,
    ),
    _computed(
        "habit_adherence_score",
        "0.7 × 7-day scheduled-day adherence + 0.3 × min(streak, 7) ÷ 7, averaged over active habits.",
        "score",
        habits.habit_adherence_score,
    ),
    _computed(
        "avg_streak_length",
        "Mean current streak (consecutive scheduled days checked) over active habits.",
        "count",
        habits.avg_streak_length,
    ),
    _computed(
        "ai_nudge_effectiveness",
        "Share of nudge_sent followed by an active event of the person within 24 h.",
        "ratio",
        nudges.ai_nudge_effectiveness,
    ),
    _formula(
        "ai_session_satisfaction",
        "Mean rating of session_rated events.",
        "score",
        [_s("session_rated", "avg", "rating")],
    ),
    # Revenue (ledger)
    _revenue(
        "mrr",
        "Monthly recurring revenue of active, non-trial subscriptions after discounts.",
        "amount",
    ),
    _revenue("new_mrr", "MRR of customers paying for the first time.", "amount"),
    _revenue("expansion_mrr", "MRR increases of paying customers.", "amount"),
    _revenue("contraction_mrr", "MRR decreases of customers who keep paying.", "amount"),
    _revenue("churn_mrr", "MRR of customers who stopped paying.", "amount"),
    _revenue("reactivation_mrr", "MRR of customers paying again after churning.", "amount"),
    _revenue("net_new_mrr", "new + expansion + reactivation − contraction − churn.", "amount"),
    _revenue("net_mrr", "Alias of net_new_mrr (seed 003's name).", "amount", "net_new_mrr"),
    _revenue("arr", "12 × MRR.", "amount"),
    _revenue("arpu", "MRR ÷ paying customers.", "amount"),
    _revenue("paying_customers", "Customers with MRR at the interval end.", "count"),
    _revenue(
        "customer_churn_rate",
        "Customers churned in the interval ÷ paying customers at its start.",
        "ratio",
    ),
    _revenue("nrr", "(start MRR + expansion − contraction − churn) ÷ start MRR.", "ratio"),
    _revenue(
        "subscription_revenue",
        "Payments less refunds received in the interval.",
        "amount",
        "revenue",
    ),
    _formula(
        "gmv", "Σ amount of payment and funding events.", "amount", [_s(MONEY, "sum", "amount")]
    ),
    _formula("transaction_volume", "Count of payment and funding events.", "count", [_s(MONEY)]),
    _formula(
        "average_transaction_size",
        "Mean amount of payment and funding events.",
        "amount",
        [_s(MONEY, "avg", "amount")],
    ),
    _formula(
        "processing_fees",
        "Σ fee of payment and funding events.",
        "amount",
        [_s(MONEY, "sum", "fee")],
    ),
    _formula(
        "gross_margin",
        "(Σ amount − Σ cost) ÷ Σ amount over payment and funding events.",
        "ratio",
        [_s(MONEY, "sum", "amount"), _s(MONEY, "sum", "cost")],
        "(A - B) / A",
    ),
    _computed(
        "cac",
        "Acquisition spend (Σ amount of cost events) ÷ new paying customers.",
        "amount",
        unit_economics.cac,
        ledger=True,
    ),
    _computed(
        "simple_ltv",
        "ARPU × gross margin ÷ customer churn rate (a margin of 1 without sales events).",
        "amount",
        unit_economics.simple_ltv,
        ledger=True,
    ),
    _revenue("new_customers", "Customers paying for the first time in the interval.", "count"),
    _formula(
        "acquisition_spend",
        "Σ amount of cost events (CAC's numerator).",
        "amount",
        [_s("cost", "sum", "amount")],
    ),
    # Campaigns
    _formula(
        "open_rate",
        "Unique opens (persons) ÷ delivered.",
        "ratio",
        [_s("email_opened", "dau"), _s("email_delivered")],
        "A / B",
    ),
    _formula(
        "click_rate",
        "Unique clicks (persons) ÷ delivered.",
        "ratio",
        [_s("email_clicked", "dau"), _s("email_delivered")],
        "A / B",
    ),
    _formula(
        "click_to_open",
        "Unique clicks ÷ unique opens.",
        "ratio",
        [_s("email_clicked", "dau"), _s("email_opened", "dau")],
        "A / B",
    ),
    _formula(
        "email_bounce_rate",
        "Bounces ÷ sent.",
        "ratio",
        [_s("email_bounced"), _s("email_sent")],
        "A / B",
    ),
    _formula(
        "complaint_rate",
        "Complaints ÷ delivered.",
        "ratio",
        [_s("email_complained"), _s("email_delivered")],
        "A / B",
    ),
    _formula(
        "unsubscribe_rate",
        "Unsubscribes ÷ delivered.",
        "ratio",
        [_s("email_unsubscribed"), _s("email_delivered")],
        "A / B",
    ),
    _formula(
        "email_conversion_rate",
        "Purchases with utm_medium=email ÷ delivered.",
        "ratio",
        [_s("purchase", filters=EMAIL), _s("email_delivered")],
        "A / B",
    ),
    _formula(
        "revenue_per_email",
        "Σ amount of purchases with utm_medium=email ÷ delivered.",
        "amount",
        [_s("purchase", "sum", "amount", filters=EMAIL), _s("email_delivered")],
        "A / B",
    ),
    # Growth and projects
    _formula("signups", "Persons with a signup event.", "count", [_s("signup", "dau")]),
    _computed(
        "activation_rate",
        "Share of the signup cohort doing the activated event within 7 days.",
        "ratio",
        retention.activation_rate,
    ),
    _formula("projects_created", "project_created events.", "count", [_s("project_created")]),
    _formula("projects_funded", "project_funded events.", "count", [_s("project_funded")]),
    _formula(
        "project_success_rate",
        "project_funded ÷ project_ended.",
        "ratio",
        [_s("project_funded"), _s("project_ended")],
        "A / B",
    ),
    _computed(
        "average_funding_time",
        "Median seconds from project_created to project_funded.",
        "seconds",
        funding.average_funding_time,
    ),
    _formula(
        "funding_velocity",
        "Σ amount of funding events per interval.",
        "amount",
        [_s("funding", "sum", "amount")],
    ),
    _formula(
        "backer_conversion",
        "Persons who fund ÷ persons who viewed a project.",
        "ratio",
        [_s("funding", "dau"), _s("project_viewed", "dau")],
        "A / B",
    ),
]

BUILTINS: dict[str, Builtin] = {metric.name: metric for metric in _ALL}


def _builtin_of(query: dict[str, Any]) -> Builtin | None:
    return BUILTINS.get(str(query.get("metric"))) if query.get("kind") == "MetricQuery" else None


def reads_ledger(query: dict[str, Any]) -> bool:
    """Whether a query spec reads the subscription ledger, which only roles that may read
    revenue see: a ``RevenueQuery``, or a ``MetricQuery`` of a metric reading it."""
    builtin = _builtin_of(query)
    return query.get("kind") == "RevenueQuery" or (builtin is not None and builtin.reads_ledger)


def reads_revenue(query: dict[str, Any]) -> bool:
    """Whether a query spec reads the ledger only (no events, so no event properties): a
    ``RevenueQuery``, or a ``MetricQuery`` of a revenue metric."""
    builtin = _builtin_of(query)
    return query.get("kind") == "RevenueQuery" or (
        builtin is not None and builtin.revenue is not None
    )
