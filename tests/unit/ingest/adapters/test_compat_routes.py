"""The compatible endpoints through the real app: each vendor's success, retry, and error
replies (401, 413, 429, 503), and valid records kept beside invalid ones."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from heron.store.base import StoreUnavailable
from tests.integration.conftest import LiveApp, live_app

Send = Callable[[LiveApp, str, list[str], bool], Any]
"""(app, key, distinct ids, add an invalid record?) → the response."""


def posthog(app: LiveApp, key: str, ids: list[str], bad: bool) -> Any:
    batch: list[dict] = [{"event": "e", "distinct_id": d, "uuid": _uuid(d)} for d in ids]
    batch += [{"event": "", "distinct_id": "x"}] if bad else []
    return app.client.post("/batch/", json={"api_key": key, "batch": batch})


def segment(app: LiveApp, key: str, ids: list[str], bad: bool) -> Any:
    batch: list[dict] = [{"type": "track", "event": "e", "userId": d, "messageId": d} for d in ids]
    batch += [{"type": "track", "event": "e"}] if bad else []
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    return app.client.post("/v1/batch", json={"batch": batch}, headers=auth)


def mixpanel(app: LiveApp, key: str, ids: list[str], bad: bool) -> Any:
    records: list[dict] = [
        {"event": "e", "properties": {"token": key, "distinct_id": d, "$insert_id": d}} for d in ids
    ]
    records += [{"event": "e", "properties": {"token": key}}] if bad else []
    return app.client.post("/track", data={"data": json.dumps(records), "verbose": "1"})


def amplitude(app: LiveApp, key: str, ids: list[str], bad: bool) -> Any:
    events: list[dict] = [{"event_type": "e", "user_id": d, "insert_id": d} for d in ids]
    events += [{"event_type": "e"}] if bad else []
    return app.client.post("/2/httpapi", json={"api_key": key, "events": events})


def posthog_v1(app: LiveApp, key: str, ids: list[str], bad: bool) -> Any:
    now = datetime.now(UTC).isoformat()
    names = ["e"] * len(ids) + ([""] if bad else [])
    batch = [
        {"event": name, "uuid": _uuid(f"v1-{d}"), "distinct_id": d, "timestamp": now}
        for name, d in zip(names, [*ids, "x"], strict=False)
    ]
    headers = {"Authorization": f"Bearer {key}", "PostHog-Sdk-Info": "posthog-python/7.91.1"}
    body = {"created_at": now, "batch": batch}
    return app.client.post("/i/v1/analytics/events", json=body, headers=headers)


VENDORS: dict[str, Send] = {
    "posthog": posthog,
    "posthog-v1": posthog_v1,
    "segment": segment,
    "mixpanel": mixpanel,
    "amplitude": amplitude,
}
SUCCESS = {
    "posthog": lambda r, n: r.status_code == 200 and r.json() == {"status": 1},
    "posthog-v1": lambda r, n: (
        r.status_code == 200 and [v["result"] for v in r.json()["results"].values()] == ["ok"] * n
    ),
    "segment": lambda r, n: r.status_code == 200 and r.json() == {"success": True},
    "mixpanel": lambda r, n: r.status_code == 200 and r.json() == {"status": 1, "error": None},
    "amplitude": lambda r, n: r.status_code == 200 and r.json()["events_ingested"] == n,
}


def _uuid(distinct_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, distinct_id))


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("compat"), max_body_bytes=64 * 1024) as live:
        yield live


def stored(app: LiveApp, ids: list[str]) -> int:
    rows = app.rows(
        "select count(*) as n from events where distinct_id in (select unnest(?))", [ids]
    )
    return rows[0]["n"]


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_a_retried_batch_is_stored_once(app, vendor):
    ids = [f"{vendor}-retry-{i}" for i in range(3)]
    for _ in range(2):
        response = VENDORS[vendor](app, app.write_key, ids, False)
        assert SUCCESS[vendor](response, 3), response.text
    assert stored(app, ids) == 3


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_valid_records_beside_an_invalid_one_are_kept(app, vendor):
    ids = [f"{vendor}-partial-{i}" for i in range(2)]
    response = VENDORS[vendor](app, app.write_key, ids, True)
    expected = {"posthog": 400, "segment": 400, "mixpanel": 400}.get(vendor, 200)
    assert response.status_code == expected
    body = response.json()
    if vendor == "amplitude":
        assert body["events_ingested"] == 2 and body["events_with_missing_fields"] == {
            "user_id": [2]
        }
    elif vendor == "mixpanel":
        assert body["status"] == 0 and "1 record(s) rejected" in body["error"]
    elif vendor == "posthog-v1":
        results = list(body["results"].values())
        assert [r["result"] for r in results] == ["ok", "ok", "drop"]
        assert results[2]["details"] == "event: required: a non-empty string"
    else:
        assert body["accepted"] == 2 and body["errors"][0]["index"] == 2
    assert stored(app, ids) == 2


UNKNOWN_KEY = {
    "posthog": (401, lambda b: b["type"] == "authentication_error"),
    "posthog-v1": (401, lambda b: b["error"] == "invalid_write_key" and b["error_description"]),
    "segment": (401, lambda b: b["code"] == "invalid_write_key" and b["message"]),
    "mixpanel": (401, lambda b: b["status"] == 0 and b["error"]),
    "amplitude": (400, lambda b: b["code"] == 400 and b["error"].startswith("Invalid API key:")),
}


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_an_unknown_key_gets_the_vendors_auth_error(app, vendor):
    response = VENDORS[vendor](app, "not-a-key", [f"{vendor}-nokey"], False)
    status, check = UNKNOWN_KEY[vendor]
    assert response.status_code == status and check(response.json())
    assert stored(app, [f"{vendor}-nokey"]) == 0


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_rate_limited_requests_get_429_with_retry_after(app, vendor, monkeypatch):
    monkeypatch.setattr(app.runtime.ingest_rate, "take", lambda project, cost: 2.5)
    response = VENDORS[vendor](app, app.write_key, [f"{vendor}-limited"], False)
    assert response.status_code == 429 and response.headers["retry-after"] == "3"
    if vendor == "amplitude":
        assert response.json()["throttled_events"] == [0]
    assert stored(app, [f"{vendor}-limited"]) == 0


UNAVAILABLE = {
    "posthog": lambda b: b["type"] == "server_error" and b["code"] == "store_unavailable",
    "posthog-v1": lambda b: b["error"] == "store_unavailable",
    "segment": lambda b: b["code"] == "store_unavailable",
    "mixpanel": lambda b: b["status"] == 0 and "not stored" in b["error"],
    "amplitude": lambda b: b["code"] == 503,
}


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_store_unavailable_is_503_so_sdks_retry(app, vendor, monkeypatch):
    async def unavailable(project_id, events):
        raise StoreUnavailable("the event writer is not running")

    monkeypatch.setattr(app.runtime.ingest, "ingest", unavailable)
    response = VENDORS[vendor](app, app.write_key, [f"{vendor}-down"], False)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert UNAVAILABLE[vendor](response.json())


@pytest.mark.parametrize("vendor", sorted(VENDORS))
def test_a_body_over_the_limit_is_413(app, vendor):
    ids = [f"{vendor}-big-{i}-{'x' * 150}" for i in range(400)]
    response = VENDORS[vendor](app, app.write_key, ids, False)
    assert response.status_code == 413
    if vendor == "amplitude":
        assert response.json()["code"] == 413, "the SDK halves its batch on code 413"


def test_each_project_gets_its_own_events(app):
    ids = ["other-project-1"]
    assert SUCCESS["segment"](segment(app, app.other_write_key, ids, False), 1)
    row = app.rows("select project_id from events where distinct_id = ?", ids)
    assert [r["project_id"] for r in row] == [app.other_project_id]


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("/track", b"data=\xff&verbose=1", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("/e/", b"data=%%&compression=lz64", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("/v1/track", b"[1]", {}),
        ("/2/httpapi", b"\x1f\x8b broken gzip", {}),
    ],
)
def test_malformed_bodies_get_a_vendor_400_never_a_500(app, path, body, headers):
    response = app.client.post(path, content=body, headers=headers)
    assert response.status_code == 400, response.text


def test_a_path_without_its_trailing_slash_reaches_the_same_adapter(app):
    ids = ["slashless-1"]
    response = app.client.post(
        "/capture",
        json={
            "api_key": app.write_key,
            "batch": [{"event": "e", "distinct_id": ids[0], "uuid": _uuid(ids[0])}],
        },
    )
    assert SUCCESS["posthog"](response, 1)
    assert stored(app, ids) == 1


def test_batch_with_and_without_slash_are_different_vendors(app):
    assert SUCCESS["posthog"](posthog(app, app.write_key, ["slash-ph"], False), 1)
    events = [{"event_type": "e", "user_id": "slash-amp", "insert_id": "slash-amp"}]
    response = app.client.post("/batch", json={"api_key": app.write_key, "events": events})
    assert SUCCESS["amplitude"](response, 1)


def test_a_method_the_path_does_not_serve_is_405_naming_the_allowed_ones(app):
    response = app.client.put("/v1/track", json={})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["error"]["code"] == "method_not_allowed"
