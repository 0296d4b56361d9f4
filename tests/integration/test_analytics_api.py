"""Seed 003's analytics endpoints: results from the metrics layer, role checks, rate limit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from heron.app.ratelimit import TokenBuckets
from heron.app.routers.analytics import HEAVY_PER_MINUTE
from heron.meta.apikeys import create_api_key
from heron.meta.db import meta_session
from heron.meta.models import Project
from tests.integration.conftest import LiveApp, live_app
from tests.support.events import raw_batch

TODAY = datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.fixture
def app(tmp_path) -> Any:
    with live_app(tmp_path) as live:
        rows = [
            {
                "event": "goal_created",
                "distinct_id": "a",
                "timestamp": TODAY - timedelta(days=3),
                "properties": {"goal_id": "g1", "cohort": "spring"},
            },
            {
                "event": "goal_completed",
                "distinct_id": "a",
                "timestamp": TODAY - timedelta(days=1),
                "properties": {"goal_id": "g1"},
            },
            {
                "event": "nudge_sent",
                "distinct_id": "a",
                "timestamp": TODAY - timedelta(days=2),
                "properties": {"persona": "coach"},
            },
            {
                "event": "pageview",
                "distinct_id": "a",
                "timestamp": TODAY - timedelta(days=2, hours=-1),
            },
        ]
        live.runtime.store.append(raw_batch(rows, project_id=live.project_id))
        yield live


def key(app: LiveApp, role: str, project_id: int | None = None) -> dict[str, str]:
    with meta_session(app.settings) as s:
        pid = project_id or app.project_id
        org = s.get(Project, pid).organization_id
        raw = create_api_key(s, organization_id=org, role=role, project_id=pid)
    return {"Authorization": f"Bearer {raw}"}


def test_goal_series_by_cohort_and_nudges_by_persona(app: LiveApp) -> None:
    coach = key(app, "coach")
    goals = app.client.get(
        f"/api/projects/{app.project_id}/analytics/goals?interval=day&date_from=-7d", headers=coach
    )
    assert goals.status_code == 200, goals.text
    series = goals.json()["series"]["goal_completion_rate"]
    assert max(series["spring"]) == 1.0
    nudges = app.client.get(f"/api/analytics/ai/nudges?project_id={app.project_id}", headers=coach)
    assert nudges.status_code == 200, nudges.text
    assert max(nudges.json()["by_persona"]["coach"]) == 1.0
    habits = app.client.get(
        f"/api/projects/{app.project_id}/analytics/habits/adherence", headers=coach
    )
    assert habits.status_code == 200


def test_roles(app: LiveApp) -> None:
    coach, finance, admin = key(app, "coach"), key(app, "finance"), key(app, "admin")
    base = f"/api/projects/{app.project_id}/analytics"
    assert app.client.get(f"{base}/revenue/kpis", headers=coach).status_code == 403
    assert app.client.get(f"{base}/goals/overview", headers=finance).status_code == 403
    revenue = app.client.get(f"{base}/revenue/kpis", headers=finance)
    assert revenue.status_code == 200
    assert revenue.json()["kpis"]["mrr"] == 0
    assert app.client.get(f"{base}/overview", headers=coach).status_code == 403
    overview = app.client.get(f"{base}/overview", headers=admin)
    assert overview.status_code == 200, overview.text
    assert overview.json()["kpis"]["dau"] is not None
    other = key(app, "admin", app.other_project_id)
    assert app.client.get(f"{base}/overview", headers=other).status_code == 403


def test_sixty_heavy_requests_per_minute(app: LiveApp) -> None:
    finance = key(app, "finance")
    frozen = TokenBuckets(HEAVY_PER_MINUTE / 60, burst=HEAVY_PER_MINUTE, clock=lambda: 0.0)
    app.client.app.state.analytics_limiter = frozen
    url = f"/api/projects/{app.project_id}/analytics/revenue/kpis"
    codes = [app.client.get(url, headers=finance).status_code for _ in range(60)]
    assert codes == [200] * 60
    limited = app.client.get(url, headers=finance)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "RevenueQuery", "metrics": ["mrr"], "date_from": "-90d"},
        {"kind": "MetricQuery", "metric": "mrr", "date_from": "-90d"},
        {"kind": "MetricQuery", "metric": "simple_ltv", "date_from": "-90d"},
    ],
)
def test_the_query_endpoint_keeps_revenue_to_finance(app: LiveApp, spec: dict[str, Any]) -> None:
    url = f"/api/projects/{app.project_id}/query"
    for role in ("coach", "viewer", "analyst"):
        refused = app.client.post(url, json={"query": spec}, headers=key(app, role))
        assert refused.status_code == 403, (role, refused.text)
        assert refused.json()["error"]["code"] == "forbidden"
    for role in ("finance", "admin"):
        allowed = app.client.post(url, json={"query": spec}, headers=key(app, role))
        assert allowed.status_code == 200, (role, allowed.text)
    dau = {"kind": "MetricQuery", "metric": "dau", "date_from": "-7d"}
    assert app.client.post(url, json={"query": dau}, headers=key(app, "coach")).status_code == 200
