"""Engines, migrations and session helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heron.config import load_settings
from heron.meta.db import close_meta, head_revision, make_engine, meta_session, migrate, open_meta
from heron.meta.models import Base
from heron.meta.projects import create_project, list_projects


def test_migrate_creates_parent_directory_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a' / 'b' / 'meta.sqlite3'}"
    assert migrate(url) == head_revision()
    assert migrate(url) == head_revision()
    assert (tmp_path / "a" / "b" / "meta.sqlite3").exists()


def test_migrations_match_models(meta_url: str) -> None:
    engine = make_engine(meta_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_sqlite_uses_wal_and_foreign_keys(meta_url: str) -> None:
    engine = make_engine(meta_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(IntegrityError):
            connection.execute(
                text(
                    "INSERT INTO projects (organization_id, name, write_key, created_at)"
                    " VALUES (999, 'x', 'hw_x', '2025-01-01 00:00:00')"
                )
            )
    engine.dispose()


def test_role_check_constraint_in_database(session: Session) -> None:
    project = create_project(session, "P")
    session.commit()
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO api_keys (organization_id, role, label, prefix, key_hash, created_at)"
                " VALUES (:org, 'superuser', '', 'hk_abcde', 'h', '2025-01-01 00:00:00')"
            ),
            {"org": project.organization_id},
        )


def test_project_ids_are_never_reused(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        first = create_project(s, "first")
        first_id = first.id
    with factory.begin() as s:
        s.delete(s.get(type(first), first_id))
    with factory.begin() as s:
        assert create_project(s, "second").id == first_id + 1


def test_meta_session_commits_and_open_meta_creates_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HERON_META_URL", raising=False)
    settings = load_settings(data_dir=tmp_path / "data")
    with meta_session(settings) as s:
        create_project(s, "kept")
    with pytest.raises(RuntimeError), meta_session(settings) as s:
        create_project(s, "rolled back")
        raise RuntimeError
    factory = open_meta(settings)
    with factory() as s:
        assert [p.name for p in list_projects(s)] == ["kept"]
    close_meta(factory)
    assert (tmp_path / "data" / "meta.sqlite3").exists()
