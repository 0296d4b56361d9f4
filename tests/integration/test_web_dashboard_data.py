"""Every widget's data of a dashboard in one stream (signed in and public), and the theme
that comes with a dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from tests.integration.web import Web, web_app

TRENDS = {"kind": "TrendsQuery", "series": [{"event": "pageview"}], "date_from": "2025-01-01"}
REVENUE = {"kind": "MetricQuery", "metric": "mrr", "date_from": "-90d"}
FILTERS = {"date_from": "2025-01-01", "date_to": "2025-01-05", "properties": [], "compare": False}


def widget(query: dict[str, Any] | None = TRENDS, **fields: Any) -> dict[str, Any]:
    base = {"type": "line", "query": query, "position": {"x": 0, "y": 0, "w": 6, "h": 4}}
    return {**base, **fields}


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[Web]:
    with web_app(tmp_path_factory.mktemp("web")) as app:
        events = [
            {"event": "pageview", "distinct_id": f"u{i}", "timestamp": f"2025-01-0{1 + i}T10:00Z"}
            for i in range(4)
        ]
        r = app.client.post(
            "/v1/events",
            json={"batch": events},
            headers={"Authorization": f"Bearer {app.live.write_key}"},
        )
        assert r.status_code == 200
        yield app


@pytest.fixture(scope="module")
def board(web: Web) -> dict[str, Any]:
    widgets = [
        widget(title="Views"),
        widget(title="Money", query=REVENUE),
        widget(type="markdown", query=None, options={"text": "hello"}),
    ]
    body = {"name": "Streamed", "filters": FILTERS, "widgets": widgets}
    r = web.as_owner("POST", web.api("/dashboards"), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def lines(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [orjson.loads(line) for line in response.text.splitlines()]


def by_widget(found: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["widget_id"]: line for line in found[1:]}


def test_the_stream_answers_as_each_widget_endpoint_would(web: Web, board: dict[str, Any]) -> None:
    views, money, _ = (w["id"] for w in board["widgets"])
    path = web.api(f"/dashboards/{board['id']}")
    found = lines(web.as_owner("GET", f"{path}/data"))
    assert found[0] == {"filters": FILTERS}
    answers = by_widget(found)
    assert set(answers) == {views, money}  # the text widget has no query
    for wid, line in answers.items():
        alone = web.as_owner("GET", f"{path}/widgets/{wid}/data").json()
        assert line["data"]["results"] == alone["results"]
    assert sum(answers[views]["data"]["results"][0]["data"]) == 4


def test_request_filters_replace_the_stored_ones(web: Web, board: dict[str, Any]) -> None:
    path = web.api(f"/dashboards/{board['id']}/data")
    found = lines(web.as_owner("GET", path, params={"date_to": "2025-01-02", "compare": "true"}))
    assert found[0]["filters"] == {**FILTERS, "date_to": "2025-01-02", "compare": True}
    views = by_widget(found)[board["widgets"][0]["id"]]["data"]["results"]
    assert {entry["compare"] for entry in views} == {"current", "previous"}
    bad = web.as_owner("GET", path, params={"properties": "[{"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_filters"


def test_each_widget_keeps_its_own_permission(web: Web, board: dict[str, Any]) -> None:
    views, money, _ = (w["id"] for w in board["widgets"])
    web.login("viewer")
    path = web.api(f"/dashboards/{board['id']}")
    answers = by_widget(lines(web.client.get(f"{path}/data")))
    alone = web.client.get(f"{path}/widgets/{money}/data")
    assert alone.status_code == 403
    assert answers[money]["error"] == {"status": 403, **alone.json()["error"]}
    assert "data" in answers[views]
    web.client.cookies.clear()
    assert web.client.get(f"{path}/data").status_code == 401
    assert web.as_owner("GET", web.api("/dashboards/999999/data")).status_code == 404
    foreign = web.client.get(
        f"/api/projects/{web.foreign_project_id}/dashboards/{board['id']}/data",
        headers={"Authorization": f"Bearer {web.owner_key}"},
    )
    assert foreign.status_code in (403, 404)


def test_a_public_link_streams_its_widgets_but_no_revenue(web: Web, board: dict[str, Any]) -> None:
    views, money, _ = (w["id"] for w in board["widgets"])
    share = web.as_owner(
        "POST", web.api(f"/dashboards/{board['id']}/shares"), json={"public": True}
    )
    token = share.json()["url"].removeprefix("/public/")
    web.client.cookies.clear()
    answers = by_widget(lines(web.client.get(f"/api/public/dashboards/{token}/data")))
    assert sum(answers[views]["data"]["results"][0]["data"]) == 4
    assert answers[money]["error"]["status"] == 403
    assert answers[money]["error"]["code"] == "revenue_not_public"
    assert web.client.get(f"/api/public/dashboards/{token}x/data").status_code == 404


def test_a_dashboard_carries_its_organizations_theme(web: Web, board: dict[str, Any]) -> None:
    theme = web.as_owner("GET", f"/api/organizations/{web.organization_id}/theme").json()
    got = web.as_owner("GET", web.api(f"/dashboards/{board['id']}")).json()
    assert got["theme"] == theme and got["name"] == "Streamed"
