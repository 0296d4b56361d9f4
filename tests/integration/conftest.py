"""Fixtures for tests that run the real app (in-process) on a temporary data dir."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from heron.app.factory import create_app
from heron.config import Settings
from heron.meta.db import meta_session
from heron.meta.projects import create_project


@dataclass
class LiveApp:
    client: TestClient
    settings: Settings
    project_id: int
    write_key: str
    other_project_id: int
    other_write_key: str

    @property
    def runtime(self):
        return self.client.app.state.runtime

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        return self.runtime.store.query(sql, params).to_pylist()

    def post(self, body, **kw):
        headers = {"Authorization": f"Bearer {self.write_key}", **kw.pop("headers", {})}
        if isinstance(body, bytes | str):
            return self.client.post("/v1/events", content=body, headers=headers, **kw)
        return self.client.post("/v1/events", json=body, headers=headers, **kw)


@contextmanager
def live_app(tmp_path, **overrides) -> Iterator[LiveApp]:
    settings = Settings(data_dir=tmp_path / "data", **overrides)
    with meta_session(settings) as session:
        first = create_project(session, "first")
        second = create_project(session, "second")
        session.flush()
        ids = (first.id, first.write_key, second.id, second.write_key)
    with TestClient(create_app(settings)) as client:
        yield LiveApp(client, settings, *ids)


@pytest.fixture
def live(tmp_path) -> Iterator[LiveApp]:
    with live_app(tmp_path) as app:
        yield app
