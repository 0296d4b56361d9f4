"""Issue 5's business dashboards, created on demo projects and run widget by widget.

One app for the module (DuckDB): a project per demo product (coaching, campaigns, funding)
with a few thousand events ending today, and a small subscription history for the revenue
widgets; the same events in a chdb store run every event widget on ClickHouse too.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from heron.dashboards.business_templates import BUSINESS_TEMPLATES
from heron.dashboards.filters import apply_filters, reads_revenue
from heron.dashboards.spec import DashboardFilters
from heron.dashboards.widget_types import WIDGET_TYPES
from heron.demo import generate
from heron.meta.apikeys import create_api_key
from heron.meta.db import meta_session
from heron.meta.models import Project
from heron.meta.projects import create_project
from heron.metrics.snapshots import refresh_project
from heron.revenue import imports
from heron.revenue.store import record_event
from tests.conftest import make_store
from tests.integration.conftest import LiveApp, live_app

PRODUCT_OF = {
    "executive": "coaching",
    "financial": "coaching",
    "revenue": "coaching",
    "engagement-kpis": "coaching",
    "coach-insights": "coaching",
    "campaign-performance": "campaigns",
    "community": "funding",
    "projects": "funding",
}
EVENTS = {"coaching": 12_000, "campaigns": 6_000, "funding": 6_000}
EMPTY_ON_DEMO = {
    ("executive", "subscriptions"),
    ("executive", "fees"),
    ("financial", "fees"),
    ("revenue", "received"),
    ("campaign-performance", "revenue-per-email"),
    ("campaign-performance", "conversion"),
    ("campaign-performance", "complaints"),
}
"""Widgets the demo data cannot fill: imported subscriptions carry no payments, coaching
payments no ``fee``, campaign purchases ``revenue`` (the metrics read ``amount``) and no
``utm_medium``, and the campaigns send no complaints."""


@dataclass
class Demo:
    app: LiveApp
    projects: dict[str, int]

    def headers(self, product: str, role: str) -> dict[str, str]:
        with meta_session(self.app.settings) as s:
            pid = self.projects[product]
            org = s.get(Project, pid).organization_id
            raw = create_api_key(s, organization_id=org, role=role, project_id=pid)
        return {"Authorization": f"Bearer {raw}"}

    def create(self, template_id: str, role: str = "admin") -> tuple[int, Any]:
        product = PRODUCT_OF[template_id]
        pid = self.projects[product]
        reply = self.app.client.post(
            f"/api/projects/{pid}/dashboards/from-template/{template_id}",
            headers=self.headers(product, role),
        )
        return pid, reply


def subscriptions(today: date) -> pa.Table:
    start = datetime.combine(today - timedelta(days=150), datetime.min.time(), UTC)
    rows = [
        ("sub_1", "cus_1", 1500, "month", start, None),
        ("sub_2", "cus_2", 12000, "year", start + timedelta(days=20), None),
        ("sub_3", "cus_3", 1500, "month", start + timedelta(days=40), start + timedelta(days=120)),
        ("sub_3", "cus_3", 3000, "month", start + timedelta(days=120), None),
        ("sub_4", "cus_4", 900, "month", start + timedelta(days=60), start + timedelta(days=130)),
    ]
    names = ("subscription_id", "customer_id", "amount", "interval", "started_at", "ended_at")
    columns = {name: [row[i] for row in rows] for i, name in enumerate(names)}
    columns["started_at"] = [t.isoformat() for t in columns["started_at"]]
    columns["ended_at"] = [t.isoformat() if t else None for t in columns["ended_at"]]
    return pa.table({**columns, "currency": ["USD"] * len(rows)})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    today = datetime.now(UTC).date()
    with live_app(tmp_path_factory.mktemp("business")) as app:
        projects: dict[str, int] = {}
        with meta_session(app.settings) as s:
            for product in EVENTS:
                projects[product] = create_project(s, product).id
            s.flush()
            for payload in imports.rows(subscriptions(today)):
                started = imports.parse_time(payload["started_at"])
                assert started is not None
                event_id = imports.event_id(payload)
                args = ("import", event_id, "subscription", started, payload)
                record_event(s, projects["coaching"], *args)
        for product, events in EVENTS.items():
            for table in generate(
                product, events, project_id=projects[product], end=today, days=60
            ):
                app.runtime.store.append(table)
        yield Demo(app, projects)


def numbers(result: Any) -> list[float]:
    """Every number of a metric result (with or without breakdown)."""
    entries = result if isinstance(result, list) else [result]
    return [v for e in entries for series in e["series"].values() for v in series]


def test_the_business_templates_are_listed(demo: Demo) -> None:
    listed = {t["id"] for t in demo.app.client.get("/api/dashboard-templates").json()}
    assert listed >= {t.id for t in BUSINESS_TEMPLATES}


@pytest.mark.parametrize("template", BUSINESS_TEMPLATES, ids=lambda t: t.id)
def test_every_widget_of_a_business_dashboard_runs(demo: Demo, template: Any) -> None:
    pid, created = demo.create(template.id)
    assert created.status_code in (200, 201), created.text
    dashboard = created.json()
    assert [w["id"] for w in dashboard["widgets"]] == [w["id"] for w in template.widgets]
    headers = demo.headers(PRODUCT_OF[template.id], "owner")
    empty = []
    for w in dashboard["widgets"]:
        url = f"/api/projects/{pid}/dashboards/{dashboard['id']}/widgets/{w['id']}/data"
        reply = demo.app.client.get(url, headers=headers)
        assert reply.status_code == 200, (w["id"], reply.text)
        if not any(numbers(reply.json()["results"])):
            empty.append(w["id"])
    assert {(template.id, wid) for wid in empty} <= EMPTY_ON_DEMO, empty


def test_from_template_is_idempotent_and_asks_for_snapshots(demo: Demo) -> None:
    pid, first = demo.create("executive")
    _, again = demo.create("executive")
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    with meta_session(demo.app.settings) as s:
        series = s.get(Project, pid).settings["metric_snapshots"]
    assert {"metric": "d7_retention", "interval": "day"} in series
    assert {"metric": "dau", "interval": "day"} in series
    url = f"/api/projects/{pid}/dashboards/from-template"
    admin, viewer = demo.headers("coaching", "admin"), demo.headers("coaching", "viewer")
    assert demo.app.client.post(f"{url}/no-such", headers=admin).status_code == 404
    assert demo.app.client.post(f"{url}/projects", headers=viewer).status_code == 403


def test_executive_metrics_come_from_snapshots_once_refreshed(demo: Demo) -> None:
    pid, created = demo.create("executive")
    runtime = demo.app.runtime
    refresh_project(runtime.store, runtime.meta, pid)
    dashboard = created.json()
    headers = demo.headers("coaching", "owner")
    base = f"/api/projects/{pid}/dashboards/{dashboard['id']}/widgets"
    for wid in ("dau", "wau", "d7-retention", "transactions"):
        # a range no other test asked for, so the answer is not in the result cache
        reply = demo.app.client.get(f"{base}/{wid}/data?date_from=-14d", headers=headers)
        assert reply.json()["results"]["source"] == "snapshot", wid


def test_revenue_widgets_are_for_roles_that_read_revenue(demo: Demo) -> None:
    pid, created = demo.create("financial")
    dashboard = created.json()
    base = f"/api/projects/{pid}/dashboards/{dashboard['id']}/widgets"
    for role, revenue_status in (("viewer", 403), ("coach", 403), ("finance", 200)):
        headers = demo.headers("coaching", role)
        movements = demo.app.client.get(f"{base}/mrr-movements/data", headers=headers)
        assert movements.status_code == revenue_status, (role, movements.text)
        exported = demo.app.client.get(f"{base}/arr/export?format=csv", headers=headers)
        assert exported.status_code == revenue_status, role
        volume = demo.app.client.get(f"{base}/volume/data", headers=headers)
        assert volume.status_code == 200, role
    finance = demo.headers("coaching", "finance")
    country = '[{"property": "$geoip_country_code", "value": "US"}]'
    filtered = demo.app.client.get(
        f"{base}/mrr-movements/data", params={"properties": country}, headers=finance
    )
    assert filtered.status_code == 200, filtered.text


@pytest.fixture(scope="module")
def chdb_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The three demo products in a chdb store (projects 1–3), behind a query service."""
    from heron.analysis.service import QueryService

    store = make_store("chdb", tmp_path_factory.mktemp("business-chdb"))
    today = datetime.now(UTC).date()
    try:
        for project_id, (product, events) in enumerate(EVENTS.items(), start=1):
            for table in generate(product, events, project_id=project_id, end=today, days=60):
                store.append(table)
        yield QueryService(store)
    finally:
        store.close()


@pytest.mark.parametrize("template", BUSINESS_TEMPLATES, ids=lambda t: t.id)
def test_the_event_widgets_run_on_chdb(chdb_service: Any, template: Any) -> None:
    """Revenue widgets read the metadata database, whichever the event store: not run here."""
    from heron.analysis.service import ProjectInfo

    project = ProjectInfo(list(EVENTS).index(PRODUCT_OF[template.id]) + 1)
    filters = DashboardFilters.model_validate(template.dashboard()["filters"])
    empty = []
    for w in template.widgets:
        if reads_revenue(w["query"]):
            continue
        kind = WIDGET_TYPES[w["type"]]
        spec = apply_filters(w["query"], filters, compare_always=kind.compare_always)
        if not any(numbers(chdb_service.run(project, spec)["results"])):
            empty.append(w["id"])
    assert {(template.id, wid) for wid in empty} <= EMPTY_ON_DEMO, empty
