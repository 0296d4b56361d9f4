"""Browsers may post events cross-origin; the query API stays same-origin."""

from __future__ import annotations


def test_preflight_on_capture_is_allowed(live):
    r = live.client.options(
        "/v1/events",
        headers={"Origin": "https://shop.example.com", "Access-Control-Request-Method": "POST"},
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "https://shop.example.com"
    assert "content-type" in r.headers["access-control-allow-headers"]


def test_capture_response_carries_the_origin(live):
    r = live.post(
        {"event": "e", "distinct_id": "a"}, headers={"Origin": "https://shop.example.com"}
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "https://shop.example.com"


def test_vendor_paths_are_covered_too(live):
    r = live.client.options(
        "/batch/", headers={"Origin": "https://a.example", "Access-Control-Request-Method": "POST"}
    )
    assert r.status_code == 204


def test_query_api_has_no_cors(live):
    r = live.client.options(
        f"/api/projects/{live.project_id}/query",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in r.headers
