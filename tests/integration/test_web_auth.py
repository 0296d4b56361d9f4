"""Sign-in, sessions, CSRF, password change and the role matrix of every write endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from heron.meta.db import meta_session
from heron.meta.keys import hash_key
from heron.meta.session_models import UserSession
from tests.integration.web import PASSWORD, Web, web_app

TRENDS = {"kind": "TrendsQuery", "series": [{"event": "pageview"}]}
LINE = {"type": "line", "query": TRENDS, "position": {"x": 0, "y": 0, "w": 6, "h": 4}}


@pytest.fixture
def web(tmp_path) -> Iterator[Web]:
    with web_app(tmp_path) as app:
        yield app


@pytest.fixture(scope="module")
def shared_web(tmp_path_factory) -> Iterator[Web]:
    """One app for the role matrix: each case acts on resources made for it."""
    with web_app(tmp_path_factory.mktemp("matrix")) as app:
        yield app


def test_login_me_logout(web: Web) -> None:
    bad = web.client.post("/api/auth/login", json={"email": "admin@example.com", "password": "x"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "invalid_credentials"
    unknown = web.client.post("/api/auth/login", json={"email": "no@example.com", "password": "x"})
    assert unknown.status_code == 401
    r = web.client.post(
        "/api/auth/login", json={"email": "Admin@Example.com", "password": PASSWORD}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["email"] == "admin@example.com" and len(body["csrf_token"]) >= 32
    cookies = r.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("heron_session="))
    csrf = next(c for c in cookies if c.startswith("heron_csrf="))
    assert "HttpOnly" in session and "samesite=lax" in session.lower()
    assert "HttpOnly" not in csrf
    raw = web.client.cookies["heron_session"]
    with meta_session(web.live.settings) as s:
        stored = list(s.scalars(select(UserSession.token_hash)))
    assert hash_key(raw) in stored and raw not in stored

    me = web.client.get("/api/me").json()
    assert me["user"]["email"] == "admin@example.com" and me["csrf_token"] == body["csrf_token"]
    assert me["organizations"][0]["role"] == "admin"
    ids = {p["id"] for p in me["projects"]}
    assert {web.project_id, web.live.other_project_id} <= ids
    assert web.foreign_project_id not in ids

    out = web.client.post("/api/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    web.client.cookies.set("heron_session", raw)
    assert web.client.get("/api/me").status_code == 401


def test_login_is_rate_limited(web: Web) -> None:
    codes = [
        web.client.post(
            "/api/auth/login", json={"email": "viewer@example.com", "password": "wrong"}
        ).status_code
        for _ in range(12)
    ]
    assert codes[0] == 401 and codes[-1] == 429
    r = web.client.post(
        "/api/auth/login", json={"email": "viewer@example.com", "password": PASSWORD}
    )
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert "retry-after" in r.headers


def test_cookie_writes_need_the_csrf_token(web: Web) -> None:
    csrf = web.login("analyst")
    body = {"name": "x", "query": TRENDS}
    missing = web.client.post(web.api("/insights"), json=body)
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf_failed"
    wrong = web.client.post(web.api("/insights"), json=body, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    assert web.client.post(web.api("/insights"), json=body, headers=csrf).status_code == 201
    assert web.client.get(web.api("/insights")).status_code == 200  # reads need no token


def test_password_change_ends_other_sessions(web: Web) -> None:
    csrf = web.login("viewer")
    other_session = web.client.cookies["heron_session"]
    csrf = web.login("viewer")
    change = {"current_password": "wrong", "new_password": "a new long password"}
    r = web.client.post("/api/me/password", json=change, headers=csrf)
    assert r.status_code == 400 and r.json()["error"]["code"] == "wrong_password"
    change["current_password"] = PASSWORD
    assert web.client.post("/api/me/password", json=change, headers=csrf).status_code == 204
    assert web.client.get("/api/me").status_code == 200
    web.client.cookies.set("heron_session", other_session)
    assert web.client.get("/api/me").status_code == 401
    web.client.cookies.clear()
    failed = web.client.post(
        "/api/auth/login", json={"email": "viewer@example.com", "password": PASSWORD}
    )
    assert failed.status_code == 401
    web.login("viewer", "a new long password")


def test_query_endpoint_accepts_sessions_and_sql_needs_an_analyst(web: Web) -> None:
    sql = {"kind": "SQLQuery", "sql": "select count(*) as n from events"}
    csrf = web.login("viewer")
    path = web.api("/query")
    assert web.client.post(path, json={"query": TRENDS}, headers=csrf).status_code == 200
    denied = web.client.post(path, json={"query": sql}, headers=csrf)
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
    csrf = web.login("analyst")
    assert web.client.post(path, json={"query": sql}, headers=csrf).status_code == 200


Setup = Callable[[Web], dict[str, Any]]


def fresh(web: Web) -> dict[str, Any]:
    """A new insight, dashboard (with a share) and API key to act on."""
    insight = web.as_owner("POST", web.api("/insights"), json={"name": "i", "query": TRENDS})
    dashboard = web.as_owner("POST", web.api("/dashboards"), json={"name": "d", "widgets": [LINE]})
    did = dashboard.json()["id"]
    share = web.as_owner("POST", web.api(f"/dashboards/{did}/shares"), json={"public": True})
    key = web.as_owner("POST", web.api("/api-keys"), json={"name": "k", "role": "viewer"})
    return {"i": insight.json()["id"], "d": did, "s": share.json()["id"], "k": key.json()["id"]}


WRITES: list[tuple[str, str, str, Any, set[str]]] = [
    ("POST", "/insights", "", {"name": "n", "query": TRENDS}, {"owner", "admin", "analyst"}),
    ("PATCH", "/insights/{i}", "", {"name": "m"}, {"owner", "admin", "analyst"}),
    ("DELETE", "/insights/{i}", "", None, {"owner", "admin", "analyst"}),
    ("POST", "/dashboards", "", {"name": "n"}, {"owner", "admin", "analyst"}),
    ("POST", "/dashboards", "", {"template": "engagement"}, {"owner", "admin", "analyst"}),
    ("PATCH", "/dashboards/{d}", "", {"name": "m"}, {"owner", "admin", "analyst"}),
    ("POST", "/dashboards/{d}/duplicate", "", None, {"owner", "admin", "analyst"}),
    ("POST", "/dashboards/{d}/shares", "", {"public": True}, {"owner", "admin", "analyst"}),
    ("DELETE", "/dashboards/{d}/shares/{s}", "", None, {"owner", "admin", "analyst"}),
    ("DELETE", "/dashboards/{d}", "", None, {"owner", "admin", "analyst"}),
    ("PATCH", "", "", {"name": "renamed"}, {"owner", "admin"}),
    ("POST", "/api-keys", "", {"name": "k", "role": "viewer"}, {"owner", "admin"}),
    ("DELETE", "/api-keys/{k}", "", None, {"owner", "admin"}),
    ("GET", "/api-keys", "", None, {"owner", "admin"}),
    ("PUT", "", "theme", {"name": "Acme"}, {"owner", "admin"}),
]


@pytest.mark.parametrize("role", ["owner", "admin", "analyst", "coach", "finance", "viewer"])
def test_role_matrix(shared_web: Web, role: str) -> None:
    web = shared_web
    targets = fresh(web)
    csrf = web.login(role)
    for method, path, special, body, allowed in WRITES:
        url = (
            f"/api/organizations/{web.organization_id}/theme"
            if special == "theme"
            else web.api(path.format(**targets))
        )
        r = web.client.request(method, url, json=body, headers=csrf)
        if role in allowed:
            assert r.status_code in (200, 201, 204), (role, method, url, r.text)
        else:
            assert r.status_code == 403, (role, method, url, r.text)
            assert r.json()["error"]["code"] == "forbidden"
    for read in ("/dashboards", "/insights", "/schema", ""):
        assert web.client.get(web.api(read)).status_code == 200, (role, read)
