"""``POST /api/projects/{id}/query`` through the real app: auth, isolation, cache, errors."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from heron.analysis.cohort_store import save_cohort
from heron.meta.apikeys import create_api_key, revoke_api_key
from heron.meta.db import meta_session
from heron.meta.models import ApiKey, Project
from heron.meta.projects import create_organization, create_project, set_project_setting
from tests.integration.conftest import LiveApp, live_app

COUNT = {"kind": "SQLQuery", "sql": "select count(*) as n from events"}


@dataclass
class Keys:
    first: str
    org: str
    other_org: str
    other_org_project: int


@pytest.fixture
def app(tmp_path) -> Iterator[tuple[LiveApp, Keys]]:
    with live_app(tmp_path) as live:
        with meta_session(live.settings) as s:
            project = s.get(Project, live.project_id)
            assert project is not None
            org_id = project.organization_id
            first = create_api_key(
                s, organization_id=org_id, role="analyst", project_id=live.project_id
            )
            org = create_api_key(s, organization_id=org_id, role="analyst")
            elsewhere = create_organization(s, "Elsewhere")
            foreign = create_project(s, "foreign", organization_id=elsewhere.id)
            other_org = create_api_key(s, organization_id=elsewhere.id, role="owner")
            keys = Keys(first, org, other_org, foreign.id)
        yield live, keys


def ask(live: LiveApp, key: str | None, project_id: int, spec: Any, **body: Any) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return live.client.post(
        f"/api/projects/{project_id}/query", json={"query": spec, **body}, headers=headers
    )


def send(live: LiveApp, write_key: str, events: list[dict[str, Any]]) -> None:
    r = live.client.post(
        "/v1/events", json={"batch": events}, headers={"Authorization": f"Bearer {write_key}"}
    )
    assert r.status_code == 200 and r.json()["accepted"] == len(events)


def batch(n: int, name: str = "view", **extra: Any) -> list[dict[str, Any]]:
    return [{"event": name, "distinct_id": f"{name}-{i}", **extra} for i in range(n)]


def test_query_cache_hit_then_invalidation_by_new_events(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    send(live, live.write_key, batch(3))
    send(live, live.other_write_key, batch(5, "p2_secret"))
    first = ask(live, keys.first, live.project_id, COUNT)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["results"]["rows"] == [[3]] and body["cached"] is False
    assert set(body["timings"]) == {"total_ms", "sql_ms"}
    again = ask(live, keys.first, live.project_id, COUNT).json()
    assert again["cached"] is True and again["results"] == body["results"]
    assert ask(live, keys.first, live.project_id, COUNT, refresh=True).json()["cached"] is False
    send(live, live.write_key, batch(2, "click"))
    after = ask(live, keys.first, live.project_id, COUNT).json()
    assert after["cached"] is False and after["results"]["rows"] == [[5]]


def test_missing_unknown_and_revoked_keys_get_401(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    for key, code in [(None, "missing_api_key"), ("hk_nope", "invalid_api_key")]:
        r = ask(live, key, live.project_id, COUNT)
        assert r.status_code == 401 and r.json()["error"]["code"] == code
    assert ask(live, live.write_key, live.project_id, COUNT).status_code == 401
    with meta_session(live.settings) as s:
        keys_of_project = select(ApiKey.id).where(ApiKey.project_id == live.project_id)
        key_id = max(s.scalars(keys_of_project))
        revoke_api_key(s, key_id)
    assert ask(live, keys.first, live.project_id, COUNT).status_code == 401


def test_keys_never_reach_other_projects(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    send(live, live.other_write_key, batch(4, "p2_secret"))
    attempts = [
        (keys.first, live.other_project_id, 403),
        (keys.other_org, live.project_id, 403),
        (keys.other_org, live.other_project_id, 403),
        (keys.org, keys.other_org_project, 403),
        (keys.first, 999_999, 404),
    ]
    spec = {"kind": "SQLQuery", "sql": "select * from events"}
    for key, project_id, status in attempts:
        r = ask(live, key, project_id, spec)
        assert r.status_code == status, (key, project_id, r.text)
        assert "p2_secret" not in r.text and "results" not in r.json()
    # An organization-wide key reads both of its organization's projects.
    r = ask(
        live,
        keys.org,
        live.other_project_id,
        {"kind": "SQLQuery", "sql": "select count(*) from events"},
    )
    assert r.status_code == 200 and r.json()["results"]["rows"] == [[4]]


def test_sql_escapes_answer_400_and_never_data(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    send(live, live.other_write_key, batch(2, "p2_secret"))
    for sql in [
        "select * from read_parquet('/etc/passwd')",
        "select * from main.events",
        "copy events to '/tmp/x.csv'",
        "select 1; select * from events",
    ]:
        r = ask(live, keys.first, live.project_id, {"kind": "SQLQuery", "sql": sql})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert error["code"] == "invalid_query" and error["details"][0]["loc"] == ["sql"]
        assert "p2_secret" not in r.text
    shadow = "with events as (select * from events) select event from events"
    r = ask(live, keys.first, live.project_id, {"kind": "SQLQuery", "sql": shadow})
    assert r.status_code == 200 and r.json()["results"]["rows"] == []


def test_invalid_specs_get_the_pydantic_error_list(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    r = ask(live, keys.first, live.project_id, {"kind": "SQLQuery", "limit": 0})
    assert r.status_code == 400
    details = r.json()["error"]["details"]
    assert {tuple(d["loc"]) for d in details} == {("sql",), ("limit",)}
    assert all({"loc", "msg", "type"} <= set(d) for d in details)
    unknown = ask(live, keys.first, live.project_id, {"kind": "Nope"}).json()["error"]
    assert unknown["details"][0]["loc"] == ["kind"]
    no_query = live.client.post(
        f"/api/projects/{live.project_id}/query",
        json={"spec": {}},
        headers={"Authorization": f"Bearer {keys.first}"},
    )
    assert no_query.status_code == 400 and no_query.json()["error"]["code"] == "invalid_request"


def test_project_timezone_comes_from_metadata(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    send(live, live.write_key, batch(1, timestamp="2025-01-01T20:00:00Z"))
    spec = {
        "kind": "CohortQuery",
        "definition": {"first_seen": {"date_from": "2025-01-02", "date_to": "2025-01-02"}},
    }
    assert ask(live, keys.first, live.project_id, spec).json()["results"]["count"] == 0
    with meta_session(live.settings) as s:
        set_project_setting(s, live.project_id, "timezone", "Asia/Tokyo")
    assert ask(live, keys.first, live.project_id, spec).json()["results"]["count"] == 1


def test_saved_cohorts_are_per_project(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    send(live, live.write_key, batch(2, "buy") + batch(3))
    with meta_session(live.settings) as s:
        cohort_id = save_cohort(s, live.project_id, "buyers", {"event": "buy", "days": 7}).id
    r = ask(live, keys.first, live.project_id, {"kind": "CohortQuery", "cohort": cohort_id})
    assert r.status_code == 200 and r.json()["results"]["count"] == 2
    r = ask(live, keys.org, live.other_project_id, {"kind": "CohortQuery", "cohort": cohort_id})
    assert r.status_code == 400 and "no cohort" in r.json()["error"]["message"]


def test_a_query_that_runs_too_long_gets_504(app: tuple[LiveApp, Keys]) -> None:
    live, keys = app
    send(live, live.write_key, batch(2))
    spec = {
        "kind": "SQLQuery",
        "sql": "select count(*) from events, generate_series(1, 1000000000000)",
        "timeout_seconds": 0.5,
    }
    r = ask(live, keys.first, live.project_id, spec)
    assert r.status_code == 504 and r.json()["error"]["code"] == "query_timeout"
