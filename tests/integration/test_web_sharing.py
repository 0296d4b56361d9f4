"""Shares with users and e-mails, public links (only stored queries, revocable), themes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.web import Web, web_app

TRENDS = {"kind": "TrendsQuery", "series": [{"event": "pageview"}], "date_from": "2025-01-01"}
SQL = {"kind": "SQLQuery", "sql": "select count(*) as n from events"}


def widget(query: dict[str, Any] = TRENDS, **fields: Any) -> dict[str, Any]:
    base = {"type": "line", "query": query, "position": {"x": 0, "y": 0, "w": 6, "h": 4}}
    return {**base, **fields}


@pytest.fixture
def web(tmp_path) -> Iterator[Web]:
    with web_app(tmp_path) as app:
        events = [
            {"event": "pageview", "distinct_id": "a", "timestamp": "2025-01-02T10:00:00Z"},
            {"event": "secret_event", "distinct_id": "b", "timestamp": "2025-01-02T10:00:00Z"},
        ]
        for key in (app.live.write_key, app.live.other_write_key):
            app.client.post(
                "/v1/events", json={"batch": events}, headers={"Authorization": f"Bearer {key}"}
            )
        yield app


def board(web: Web, project_id: int | None = None, **body: Any) -> dict[str, Any]:
    pid = project_id or web.project_id
    r = web.as_owner(
        "POST", f"/api/projects/{pid}/dashboards", json={"widgets": [widget()], **body}
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_public_link_runs_only_stored_widget_queries(web: Web) -> None:
    mine = board(web, name="Public one")
    theirs = board(web, web.live.other_project_id)
    share = web.as_owner("POST", web.api(f"/dashboards/{mine['id']}/shares"), json={"public": True})
    assert share.status_code == 201
    url = share.json()["url"]
    token = url.removeprefix("/public/")
    assert len(token) >= 43 and share.json()["public"] is True

    web.client.cookies.clear()
    public = web.client.get(f"/api/public/dashboards/{token}").json()
    assert public["name"] == "Public one" and public["permission"] == "view"
    assert all("query" not in w for w in public["widgets"])
    assert public["theme"]["colors"]["primary"].startswith("#")
    wid = mine["widgets"][0]["id"]
    path = f"/api/public/dashboards/{token}/widgets/{wid}/data"
    result = web.client.get(path, params={"date_to": "2025-01-05"})
    assert result.status_code == 200 and sum(result.json()["results"][0]["data"]) == 1

    # no way to send a spec of one's own, or to reach another dashboard's widget
    spec = {"query": SQL}
    assert web.client.post(path, json=spec).status_code == 405
    assert web.client.post(f"/api/public/dashboards/{token}/query", json=spec).status_code in (
        404,
        405,
    )
    injected = web.client.get(path, params={"query": '{"kind": "SQLQuery", "sql": "select 1"}'})
    assert injected.status_code == 200 and "rows" not in injected.json()["results"]
    other_widget = theirs["widgets"][0]["id"]
    assert (
        web.client.get(f"/api/public/dashboards/{token}/widgets/{other_widget}/data").status_code
        == 404
    )
    assert (
        web.client.get(f"/api/projects/{web.project_id}/dashboards/{mine['id']}").status_code == 401
    )
    assert web.client.get(f"/api/public/dashboards/{token}x").status_code == 404

    listed = web.as_owner("GET", web.api(f"/dashboards/{mine['id']}/shares")).json()
    assert [s["public"] for s in listed] == [True] and "url" not in listed[0]
    revoke = web.as_owner(
        "DELETE", web.api(f"/dashboards/{mine['id']}/shares/{share.json()['id']}")
    )
    assert revoke.status_code == 204
    assert web.client.get(f"/api/public/dashboards/{token}").status_code == 404
    assert web.client.get(path).status_code == 404


def test_public_links_are_read_only_and_unique(web: Web) -> None:
    mine = board(web)
    path = web.api(f"/dashboards/{mine['id']}/shares")
    edit = web.as_owner("POST", path, json={"public": True, "permission": "edit"})
    assert edit.status_code == 400
    tokens = {web.as_owner("POST", path, json={"public": True}).json()["url"] for _ in range(5)}
    assert len(tokens) == 5


def test_user_share_with_edit_lets_a_viewer_edit_that_dashboard_only(web: Web) -> None:
    shared, other = board(web, name="Shared"), board(web, name="Other")
    r = web.as_owner(
        "POST",
        web.api(f"/dashboards/{shared['id']}/shares"),
        json={"email": "viewer@example.com", "permission": "edit"},
    )
    assert r.status_code == 201 and r.json()["user_id"] is not None
    csrf = web.login("viewer")
    seen = {d["id"]: d["permission"] for d in web.client.get(web.api("/dashboards")).json()}
    assert seen[shared["id"]] == "edit" and seen[other["id"]] == "view"
    ok = web.client.patch(
        web.api(f"/dashboards/{shared['id']}"), json={"name": "Edited"}, headers=csrf
    )
    assert ok.status_code == 200
    denied = web.client.patch(
        web.api(f"/dashboards/{other['id']}"), json={"name": "x"}, headers=csrf
    )
    assert denied.status_code == 403
    sql_widget = [widget(SQL, type="table")]
    no_sql = web.client.patch(
        web.api(f"/dashboards/{shared['id']}"), json={"widgets": sql_widget}, headers=csrf
    )
    assert no_sql.status_code == 403
    delete = web.client.delete(web.api(f"/dashboards/{shared['id']}"), headers=csrf)
    assert delete.status_code == 403


def test_share_with_an_email_not_yet_signed_up(web: Web) -> None:
    mine = board(web)
    r = web.as_owner(
        "POST",
        web.api(f"/dashboards/{mine['id']}/shares"),
        json={"email": "New@Example.com", "permission": "view"},
    )
    assert (
        r.status_code == 201
        and r.json()["email"] == "new@example.com"
        and r.json()["user_id"] is None
    )
    bad = web.as_owner(
        "POST", web.api(f"/dashboards/{mine['id']}/shares"), json={"public": True, "user_id": 1}
    )
    assert bad.status_code == 400


def test_theme_tokens(web: Web) -> None:
    path = f"/api/organizations/{web.organization_id}/theme"
    assert web.as_owner("GET", path).json()["dark_mode"] is False
    theme = {
        "name": "Acme",
        "logo_url": "https://acme.example/logo.svg",
        "colors": {
            "primary": "#112233",
            "accent": "#445566",
            "background": "#000000",
            "surface": "#111111",
            "text": "#eeeeee",
        },
        "dark_mode": True,
    }
    assert web.as_owner("PUT", path, json=theme).json() == theme
    for bad in (
        {"colors": {"primary": "red; background: url(x)"}},
        {"logo_url": "javascript:alert(1)"},
        {"css": "x"},
    ):
        assert web.as_owner("PUT", path, json=bad).status_code == 400
    csrf = web.login("viewer")
    assert web.client.get(path).json()["name"] == "Acme"
    assert web.client.put(path, json=theme, headers=csrf).status_code == 403
    mine = board(web)
    token = web.as_owner(
        "POST", web.api(f"/dashboards/{mine['id']}/shares"), json={"public": True}
    ).json()["url"]
    public = web.client.get(f"/api/public/dashboards/{token.removeprefix('/public/')}").json()
    assert public["theme"] == theme


def test_a_public_link_does_not_serve_revenue_widgets(web: Web) -> None:
    revenue = widget({"kind": "MetricQuery", "metric": "mrr", "date_from": "-90d"})
    ltv = widget({"kind": "MetricQuery", "metric": "simple_ltv", "date_from": "-90d"})
    mine = board(web, name="Money", widgets=[widget(), revenue, ltv])
    share = web.as_owner("POST", web.api(f"/dashboards/{mine['id']}/shares"), json={"public": True})
    token = share.json()["url"].removeprefix("/public/")
    web.client.cookies.clear()
    plain, *money = (w["id"] for w in mine["widgets"])
    base = f"/api/public/dashboards/{token}/widgets"
    assert web.client.get(f"{base}/{plain}/data").status_code == 200
    for wid in money:
        refused = web.client.get(f"{base}/{wid}/data")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "revenue_not_public"
