"""Fixtures: a migrated SQLite metadata database per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from heron.meta.db import make_engine, migrate, session_factory


@pytest.fixture
def meta_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'meta.sqlite3'}"
    migrate(url)
    return url


@pytest.fixture
def factory(meta_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(meta_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as s:
        yield s
