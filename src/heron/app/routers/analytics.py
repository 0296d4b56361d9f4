"""Seed 003's analytics API, served from the metrics layer.

Each endpoint exists at ``/api/projects/{project_id}/analytics/…`` and, for clients
written against the seed, at ``/api/analytics/…?project_id=…``. Every response carries
the metrics it was asked for as ``{"labels", "series"}`` plus ``kpis``: the last value
of each series (the current state for DAU, MRR, rates). Role checks follow the seed
(admin and coach for goals, habits and nudges; finance for revenue; owners always), and
each organization may make 60 of these heavy requests per minute (429 with
``Retry-After`` beyond).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from heron.analysis.service import QueryService
from heron.app.access import ADMINS, FINANCE, ProjectAccess, current_principal, project_for
from heron.app.errors import ApiError
from heron.app.principal import Principal
from heron.app.ratelimit import TokenBuckets, retry_after_header
from heron.app.routers.query import query_service, run_spec
from heron.meta.roles import Role

HEAVY_PER_MINUTE = 60
COACHING = ADMINS | {Role.COACH}
REVENUE_KPIS = [
    "mrr",
    "net_new_mrr",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churn_mrr",
    "reactivation_mrr",
    "arr",
    "arpu",
    "customer_churn_rate",
    "nrr",
]
OVERVIEW = [
    "dau",
    "wau",
    "mau",
    "stickiness",
    "signups",
    "goal_completion_rate",
    "habit_adherence_score",
    "ai_nudge_effectiveness",
]
COHORT = [
    "dau",
    "goal_completion_rate",
    "habit_adherence_score",
    "ai_nudge_effectiveness",
    "sessions_per_user",
]

router = APIRouter()


def _limiter(request: Request) -> TokenBuckets:
    state = request.app.state
    limiter: TokenBuckets | None = getattr(state, "analytics_limiter", None)
    if limiter is None:
        limiter = TokenBuckets(HEAVY_PER_MINUTE / 60, burst=HEAVY_PER_MINUTE)
        state.analytics_limiter = limiter
    return limiter


def gate(roles: frozenset[Role]) -> Callable[..., ProjectAccess]:
    """Resolve the project, check the role, then spend one heavy request of the tenant."""

    def dependency(
        project_id: int,
        request: Request,
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> ProjectAccess:
        access = project_for(principal, project_id, request.app.state.runtime)
        if access.role not in roles:
            allowed = ", ".join(sorted(r.value for r in roles))
            raise ApiError(403, "forbidden", f"this endpoint is for the roles {allowed}")
        wait = _limiter(request).take(access.project.organization_id)
        if wait > 0:
            raise ApiError(
                429,
                "rate_limited",
                f"at most {HEAVY_PER_MINUTE} analytics requests per minute per organization",
                headers=retry_after_header(wait),
            )
        return access

    return dependency


Service = Annotated[QueryService, Depends(query_service)]


def _metrics(
    service: QueryService, access: ProjectAccess, names: list[str], common: dict[str, Any]
) -> dict[str, Any]:
    labels: list[str] = []
    series: dict[str, Any] = {}
    for name in names:
        result = run_spec(
            service, access.project, {"kind": "MetricQuery", "metric": name, **common}
        )["results"]
        if isinstance(result, list):
            series[name] = {str(e["breakdown_value"]): e["series"][name] for e in result}
        else:
            labels = result["labels"]
            series[name] = result["series"][name]
        labels = labels or (result[0]["labels"] if isinstance(result, list) and result else [])
    kpis = {n: v[-1] if isinstance(v, list) and v else None for n, v in series.items()}
    return {"labels": labels, "series": series, "kpis": kpis}


def window(date_from: str = "-30d", interval: str = "day") -> Callable[..., dict[str, Any]]:
    """A dependency reading ``date_from``, ``date_to`` and ``interval`` (with these defaults)."""

    def dependency(
        date_from: str = date_from, date_to: str = "today", interval: str = interval
    ) -> dict[str, Any]:
        return {"date_from": date_from, "date_to": date_to, "interval": interval}

    return dependency


Coaching = Annotated[ProjectAccess, Depends(gate(COACHING))]
Days = Annotated[dict[str, Any], Depends(window())]


def _json(body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), media_type="application/json")


def _routes(path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def add(handler: Callable[..., Any]) -> Callable[..., Any]:
        router.get(f"/api/projects/{{project_id}}/analytics{path}")(handler)
        router.get(f"/api/analytics{path}")(handler)
        return handler

    return add


@_routes("/overview")
def overview(
    access: Annotated[ProjectAccess, Depends(gate(ADMINS))], service: Service, common: Days
) -> Response:
    body = _metrics(service, access, OVERVIEW, {**common, "interval": "day"})
    spec = {"kind": "RevenueQuery", "metrics": ["mrr", "arr"], **common, "interval": "day"}
    revenue = run_spec(service, access.project, spec)["results"]["series"]
    body["kpis"].update({k: v[-1] if v else 0 for k, v in revenue.items()})
    return _json(body)


@_routes("/goals/overview")
def goals_overview(access: Coaching, service: Service, common: Days) -> Response:
    names = ["goal_completion_rate", "habit_adherence_score", "avg_streak_length"]
    return _json(_metrics(service, access, names, common))


@_routes("/goals")
def goals(
    access: Coaching,
    service: Service,
    common: Annotated[dict[str, Any], Depends(window("-90d", "week"))],
    breakdown: str = "cohort",
    cohort: int | None = None,
) -> Response:
    spec = {**common, "breakdown": {"property": breakdown}, "cohort": cohort}
    return _json(_metrics(service, access, ["goal_completion_rate"], spec))


@_routes("/habits/adherence")
def habits_adherence(access: Coaching, service: Service, common: Days) -> Response:
    names = ["habit_adherence_score", "avg_streak_length"]
    return _json(_metrics(service, access, names, common))


@_routes("/ai/nudges")
def ai_nudges(access: Coaching, service: Service, common: Days) -> Response:
    body = _metrics(service, access, ["ai_nudge_effectiveness"], common)
    by_persona = {**common, "breakdown": {"property": "persona"}}
    split = _metrics(service, access, ["ai_nudge_effectiveness"], by_persona)
    body["by_persona"] = split["series"]["ai_nudge_effectiveness"]
    return _json(body)


@_routes("/revenue/kpis")
def revenue_kpis(
    access: Annotated[ProjectAccess, Depends(gate(FINANCE))],
    service: Service,
    common: Annotated[dict[str, Any], Depends(window("-6m", "month"))],
) -> Response:
    spec = {"kind": "RevenueQuery", "metrics": REVENUE_KPIS, **common}
    result = run_spec(service, access.project, spec)["results"]
    kpis = {k: v[-1] if v else 0 for k, v in result["series"].items()}
    return _json({**result, "kpis": kpis})


@_routes("/cohorts/{cohort_id}")
def cohort_deep_dive(cohort_id: int, access: Coaching, service: Service, common: Days) -> Response:
    body = _metrics(service, access, COHORT, {**common, "cohort": cohort_id})
    return _json({"cohort_id": cohort_id, **body})
