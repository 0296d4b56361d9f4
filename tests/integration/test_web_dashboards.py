"""Dashboards, insights, widget data, exports, schema and tenant isolation over HTTP."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from openpyxl import load_workbook

from heron.app.routers import pages
from tests.integration.web import Web, web_app

TRENDS = {"kind": "TrendsQuery", "series": [{"event": "pageview"}], "date_from": "2025-01-01"}
EVENTS = [
    {
        "event": "pageview",
        "distinct_id": f"u{i % 3}",
        "timestamp": f"2025-01-0{1 + i % 5}T10:00:00Z",
        "properties": {"$geoip_country_code": "FR" if i % 2 else "DE", "plan": "pro"},
    }
    for i in range(10)
] + [{"event": "signup", "distinct_id": "u1", "timestamp": "2025-01-02T11:00:00Z"}]


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Iterator[Web]:
    with web_app(tmp_path_factory.mktemp("web")) as app:
        for body, key in ((EVENTS, app.live.write_key), (EVENTS[:4], app.live.other_write_key)):
            r = app.client.post(
                "/v1/events", json={"batch": body}, headers={"Authorization": f"Bearer {key}"}
            )
            assert r.status_code == 200
        yield app


def widget(**fields: Any) -> dict[str, Any]:
    base = {
        "type": "line",
        "title": "Views",
        "query": TRENDS,
        "position": {"x": 0, "y": 0, "w": 6, "h": 4},
    }
    return {**base, **fields}


def make_dashboard(web: Web, **body: Any) -> dict[str, Any]:
    r = web.as_owner("POST", web.api("/dashboards"), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_new_projects_start_with_the_overview(web: Web) -> None:
    listed = web.as_owner("GET", web.api("/dashboards")).json()
    overview = next(d for d in listed if d["name"] == "Product overview")
    assert len(overview["widgets"]) >= 6 and overview["permission"] == "edit"
    assert {w["id"] for w in overview["widgets"]} >= {"dau", "wau", "mau", "signups"}


def test_crud_layouts_duplicate_and_templates(web: Web) -> None:
    created = make_dashboard(
        web,
        name="Mine",
        filters={"date_from": "2025-01-01", "date_to": "2025-01-05"},
        widgets=[
            widget(),
            widget(position={"x": 2, "y": 1, "w": 6, "h": 2}),
            widget(
                type="markdown",
                query=None,
                options={"text": "# Hi"},
                position={"x": 6, "y": 0, "w": 6, "h": 1},
            ),
        ],
    )
    ids = [w["id"] for w in created["widgets"]]
    assert len(set(ids)) == 3 and all(ids)
    desktop = {item["id"]: item for item in created["layouts"]["desktop"]}
    assert desktop[ids[1]]["y"] == 4  # pushed below the widget it overlapped
    mobile = created["layouts"]["mobile"]
    assert [m["x"] for m in mobile] == [0, 0, 0] and [m["w"] for m in mobile] == [12, 12, 12]
    assert [m["id"] for m in mobile] == [ids[0], ids[2], ids[1]]
    did = created["id"]
    patched = web.as_owner(
        "PATCH",
        web.api(f"/dashboards/{did}"),
        json={"name": "Renamed", "widgets": created["widgets"][:1]},
    ).json()
    assert patched["name"] == "Renamed" and [w["id"] for w in patched["widgets"]] == ids[:1]
    copy = web.as_owner("POST", web.api(f"/dashboards/{did}/duplicate")).json()
    assert copy["id"] != did and copy["widgets"] == patched["widgets"]
    bad = web.as_owner("POST", web.api("/dashboards"), json={"widgets": [widget(type="nope")]})
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["loc"][:3] == [
        "widgets",
        0,
        "type",
    ]
    templated = make_dashboard(web, template="conversion")
    assert templated["name"] == "Conversion" and len(templated["widgets"]) == 4
    missing = web.as_owner("POST", web.api("/dashboards"), json={"template": "nope"})
    assert missing.status_code == 404
    assert web.as_owner("DELETE", web.api(f"/dashboards/{did}")).status_code == 204
    assert web.as_owner("GET", web.api(f"/dashboards/{did}")).status_code == 404


def data(web: Web, did: int, wid: str, **params: Any) -> dict[str, Any]:
    r = web.as_owner("GET", web.api(f"/dashboards/{did}/widgets/{wid}/data"), params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_widget_data_applies_dashboard_and_request_filters(web: Web) -> None:
    board = make_dashboard(
        web, filters={"date_from": "2025-01-01", "date_to": "2025-01-05"}, widgets=[widget()]
    )
    wid = board["widgets"][0]["id"]
    series = data(web, board["id"], wid)["results"][0]
    assert len(series["labels"]) == 5 and sum(series["data"]) == 10
    narrow = data(web, board["id"], wid, date_from="2025-01-02", date_to="2025-01-03")
    assert len(narrow["results"][0]["labels"]) == 2 and sum(narrow["results"][0]["data"]) == 4
    french = [{"property": "$geoip_country_code", "operator": "eq", "value": "FR"}]
    only_fr = data(web, board["id"], wid, properties=orjson.dumps(french).decode())
    assert sum(only_fr["results"][0]["data"]) == 5
    compared = data(web, board["id"], wid, compare="true")["results"]
    assert {entry["compare"] for entry in compared} == {"current", "previous"}
    bad = web.as_owner(
        "GET", web.api(f"/dashboards/{board['id']}/widgets/{wid}/data"), params={"properties": "[{"}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_filters"
    assert (
        web.as_owner("GET", web.api(f"/dashboards/{board['id']}/widgets/nope/data")).status_code
        == 404
    )


def test_widget_exports_parse_back(web: Web) -> None:
    board = make_dashboard(
        web,
        filters={"date_from": "2025-01-01", "date_to": "2025-01-05"},
        widgets=[widget(title="Views")],
    )
    path = web.api(f"/dashboards/{board['id']}/widgets/{board['widgets'][0]['id']}/export")
    as_csv = web.as_owner("GET", path, params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert 'filename="views.csv"' in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["series", "breakdown_value", "period", "interval_start", "value"]
    assert sum(float(r[4]) for r in rows[1:]) == 10
    as_xlsx = web.as_owner("GET", path, params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(as_xlsx.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "series" and sum(v[4] for v in values[1:]) == 10
    as_json = web.as_owner("GET", path, params={"format": "json"}).json()
    assert as_json["title"] == "Views" and len(as_json["rows"]) == 5
    assert web.as_owner("GET", path, params={"format": "doc"}).status_code == 400


def test_insights_crud(web: Web) -> None:
    r = web.as_owner(
        "POST",
        web.api("/insights"),
        json={"name": "Views", "query": TRENDS, "options": {"chart": "bar"}},
    )
    assert r.status_code == 201
    iid = r.json()["id"]
    changed = web.as_owner("PATCH", web.api(f"/insights/{iid}"), json={"description": "d"}).json()
    assert changed["description"] == "d" and changed["options"] == {"chart": "bar"}
    bad = web.as_owner("POST", web.api("/insights"), json={"name": "x", "query": {"kind": "Nope"}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_query"
    assert iid in [i["id"] for i in web.as_owner("GET", web.api("/insights")).json()]
    assert web.as_owner("DELETE", web.api(f"/insights/{iid}")).status_code == 204
    assert web.as_owner("GET", web.api(f"/insights/{iid}")).status_code == 404


def test_schema_and_values(web: Web) -> None:
    schema = web.as_owner("GET", web.api("/schema")).json()
    events = {e["name"]: e for e in schema["events"]}
    assert events["pageview"]["count"] == 10 and events["signup"]["count"] == 1
    assert events["pageview"]["last_seen"].startswith("2025-01-05")
    keys = {(p["key"], p["source"]): p for p in schema["properties"]}
    assert keys[("$geoip_country_code", "event")]["type"] == "string"
    values = web.as_owner(
        "GET",
        web.api("/schema/values"),
        params={"key": "$geoip_country_code", "event": "pageview"},
    )
    # events are from 2025, older than the default 90-day window of values
    assert values.status_code == 200 and isinstance(values.json()["values"], list)
    other = web.as_owner("GET", f"/api/projects/{web.live.other_project_id}/schema").json()
    assert {e["name"]: e["count"] for e in other["events"]} == {"pageview": 4}


def test_another_projects_things_are_unreachable(web: Web) -> None:
    mine = make_dashboard(web, widgets=[widget()])
    insight = web.as_owner("POST", web.api("/insights"), json={"name": "i", "query": TRENDS}).json()
    other = f"/api/projects/{web.live.other_project_id}"
    # through the other project's path, with access to both projects: not found
    assert web.as_owner("GET", f"{other}/dashboards/{mine['id']}").status_code == 404
    assert web.as_owner("GET", f"{other}/insights/{insight['id']}").status_code == 404
    wid = mine["widgets"][0]["id"]
    assert (
        web.as_owner("GET", f"{other}/dashboards/{mine['id']}/widgets/{wid}/data").status_code
        == 404
    )
    # another organization's key or user: forbidden everywhere in this project
    foreign = {"Authorization": f"Bearer {web.foreign_key}"}
    for path in (
        "/dashboards",
        f"/dashboards/{mine['id']}",
        f"/dashboards/{mine['id']}/widgets/{wid}/data",
        f"/dashboards/{mine['id']}/widgets/{wid}/export",
        "/insights",
        f"/insights/{insight['id']}",
        "/schema",
        "/schema/values?key=plan",
        "/stream",
        "",
    ):
        r = web.client.get(web.api(path), headers=foreign)
        assert r.status_code == 403, (path, r.text)
        assert "pageview" not in r.text
    web.login("stranger")
    assert web.client.get(web.api("/dashboards")).status_code == 403
    assert web.client.get(f"/api/organizations/{web.organization_id}/theme").status_code == 404


def test_catalogues(web: Web) -> None:
    types = web.client.get("/api/widget-types").json()
    assert len(types) >= 12 and {"metric", "heatmap", "sankey", "geo"} <= {t["type"] for t in types}
    templates = web.client.get("/api/dashboard-templates").json()
    assert [t["id"] for t in templates][:4] == [
        "overview",
        "acquisition",
        "engagement",
        "conversion",
    ]
    assert {"executive", "financial", "coach-insights", "projects"} <= {t["id"] for t in templates}


def test_heatmap_template_widget_runs(web: Web) -> None:
    board = make_dashboard(web, template="engagement")
    heat = next(w for w in board["widgets"] if w["type"] == "heatmap")
    result = data(web, board["id"], heat["id"], date_from="2025-01-01", date_to="2025-01-10")
    assert sum(map(sum, result["results"]["data"])) == 10


def test_pages_serve_the_app(web: Web, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    (dist / "assets" / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("secret")
    monkeypatch.setattr(pages, "DIST", dist)
    for path in ("/login", f"/projects/{web.project_id}/dashboards/1", "/public/abc", "/"):
        r = web.client.get(path)
        assert r.status_code == 200 and "<title>app</title>" in r.text, path
    assert web.client.get("/assets/app.js").text == "console.log(1)"
    assert web.client.get("/assets/../secret.txt").status_code == 404
    assert web.client.get("/assets/%2e%2e/secret.txt").status_code == 404
    assert web.client.get("/api/nothing").status_code == 404


def test_pages_say_when_the_app_is_not_built(
    web: Web, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "DIST", tmp_path / "missing")
    r = web.client.get("/login")
    assert r.status_code == 503 and "not built" in r.text
    assert r.headers["content-type"].startswith("text/html")
