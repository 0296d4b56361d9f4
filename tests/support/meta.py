"""A migrated SQLite metadata database with projects, for tests that need one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from heron.meta.db import make_engine, migrate, session_factory
from heron.meta.projects import create_project


@contextmanager
def migrated_meta(
    tmp_path: Path, projects: tuple[str, ...] = ("first", "second")
) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh database holding these projects (ids 1, 2, …)."""
    url = f"sqlite:///{tmp_path / 'meta.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory.begin() as s:
        for name in projects:
            create_project(s, name)
    try:
        yield factory
    finally:
        engine.dispose()
