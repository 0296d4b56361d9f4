"""``GET /api/projects/{id}/stream`` on a real ``heron serve``: a notification per commit."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from heron.config import Settings
from heron.meta.apikeys import create_api_key
from heron.meta.db import meta_session
from heron.meta.projects import create_project
from tests.integration.server import Server

pytestmark = pytest.mark.integration


def next_event(lines: Iterator[str]) -> tuple[str, dict]:
    """The next ``event:``/``data:`` pair, skipping comments and blank lines."""
    name = None
    for line in lines:
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and name is not None:
            return name, json.loads(line.removeprefix("data: "))
    raise AssertionError("the stream ended")


def test_stream_notifies_the_project_after_events_commit(tmp_path) -> None:
    data_dir = tmp_path / "data"
    with meta_session(Settings(data_dir=data_dir)) as s:
        mine = create_project(s, "mine")
        other = create_project(s, "other")
        key = create_api_key(
            s, organization_id=mine.organization_id, role="viewer", project_id=mine.id
        )
        ids = mine.id, mine.write_key, other.write_key
    project_id, write_key, other_write_key = ids
    server = Server(data_dir).start()
    try:
        headers = {"Authorization": f"Bearer {key}"}
        url = f"{server.url}/api/projects/{project_id}/stream"
        with httpx.Client(timeout=30) as client, client.stream("GET", url, headers=headers) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            lines = r.iter_lines()
            assert next(lines) == ": connected"

            def post(key: str, count: int) -> None:
                batch = [{"event": "e", "distinct_id": f"u{i}"} for i in range(count)]
                body = {"batch": batch}
                sent = httpx.post(
                    f"{server.url}/v1/events", json=body, headers={"Authorization": f"Bearer {key}"}
                )
                assert sent.status_code == 200

            post(other_write_key, 2)  # another project's commit is not announced here
            post(write_key, 3)
            name, payload = next_event(lines)
            assert name == "events" and payload["count"] == 3
            assert isinstance(payload["data_version"], int)
            post(write_key, 1)
            _, later = next_event(lines)
            assert later["count"] == 1 and later["data_version"] > payload["data_version"]
        foreign = httpx.get(
            f"{server.url}/api/projects/{ids[0] + 1}/stream", headers=headers, timeout=10
        )
        assert foreign.status_code == 403
    finally:
        server.stop()
