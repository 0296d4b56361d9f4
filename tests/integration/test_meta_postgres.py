"""The metadata layer on a real PostgreSQL: migrations and repository round trips."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import click
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from heron.cli.admin import COMMANDS
from heron.meta.accounts import authenticate_password, create_user
from heron.meta.apikeys import authenticate_api_key, create_api_key, revoke_api_key
from heron.meta.bootstrap import ensure_default_setup
from heron.meta.db import head_revision, make_engine, migrate, session_factory
from heron.meta.errors import DuplicateError
from heron.meta.models import ApiKey, Base, Project
from heron.meta.projects import create_project, project_by_write_key, set_project_setting
from heron.meta.roles import Role

pytestmark = pytest.mark.integration

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432: {error}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"heron_meta_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with _admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def factory(pg_url: str) -> Iterator[sessionmaker[Session]]:
    migrate(pg_url)
    engine = make_engine(pg_url)
    yield session_factory(engine)
    engine.dispose()


def test_migrate_is_idempotent_and_matches_models(pg_url: str) -> None:
    assert migrate(pg_url) == head_revision()
    assert migrate(pg_url) == head_revision()
    engine = make_engine(pg_url)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    engine.dispose()


def test_projects_round_trip(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        project = create_project(s, "Coaching", timezone="Europe/Paris")
        project_id, write_key = project.id, project.write_key
        set_project_setting(s, project_id, "stripe_webhook_secret", "whsec_1")
        set_project_setting(s, project_id, "currency", "eur")
    with factory() as s:
        found = project_by_write_key(s, write_key)
        assert found is not None and found.id == project_id
        assert (found.timezone, found.currency) == ("Europe/Paris", "EUR")
        assert found.settings == {"stripe_webhook_secret": "whsec_1"}
        assert found.created_at.tzinfo is not None


def test_users_and_keys_round_trip(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        project = create_project(s, "p")
        user, personal_key = create_user(s, "Ada@Example.com", "s3cret", "analyst", project.id)
        user_id, project_id, org_id = user.id, project.id, project.organization_id
        service_key = create_api_key(s, organization_id=org_id, role=Role.ADMIN, label="ci")
    with factory.begin() as s:
        signed_in = authenticate_password(s, "ada@example.com", "s3cret")
        assert signed_in is not None and signed_in.id == user_id
        assert signed_in.password_hash.startswith("$argon2id$")
        assert authenticate_password(s, "ada@example.com", "wrong") is None
        personal = authenticate_api_key(s, personal_key)
        assert personal is not None
        assert (personal.user_id, personal.project_id, personal.role) == (
            user_id,
            project_id,
            Role.ANALYST,
        )
        service = authenticate_api_key(s, service_key)
        assert service is not None and service.project_id is None
        with pytest.raises(DuplicateError):
            create_user(s, "ADA@example.com", "x", "viewer")
        revoke_api_key(s, service.api_key_id)
    with factory() as s:
        assert authenticate_api_key(s, service_key) is None
        used = s.get(ApiKey, personal.api_key_id)
        assert used is not None and used.last_used_at is not None
        assert used.last_used_at.tzinfo is not None


def test_database_enforces_roles_and_unique_write_keys(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        project = create_project(s, "p")
        org_id, write_key = project.organization_id, project.write_key
    with factory() as s, pytest.raises(IntegrityError):
        s.execute(
            text(
                "INSERT INTO api_keys (organization_id, role, label, prefix, key_hash, created_at)"
                " VALUES (:org, 'superuser', '', 'hk_abcde', 'h', now())"
            ),
            {"org": org_id},
        )
    with factory() as s, pytest.raises(IntegrityError):
        s.add(Project(organization_id=org_id, name="copy", write_key=write_key, settings={}))
        s.flush()


def test_default_setup(factory: sessionmaker[Session]) -> None:
    with factory.begin() as s:
        setup = ensure_default_setup(s)
        assert setup is not None
    with factory.begin() as s:
        assert ensure_default_setup(s) is None
        principal = authenticate_api_key(s, setup.api_key)
        assert principal is not None and principal.role is Role.OWNER


def test_cli_on_postgres(pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HERON_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HERON_META_URL", pg_url)
    group = click.Group("heron", commands=COMMANDS)
    result = CliRunner().invoke(group, ["project", "create", "P", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    engine = make_engine(pg_url)
    with session_factory(engine)() as s:
        assert project_by_write_key(s, payload["write_key"]) is not None
        assert authenticate_api_key(s, payload["api_key"]) is not None
    engine.dispose()


def test_dashboards_and_sessions_round_trip(factory: sessionmaker[Session]) -> None:
    from tests.unit.meta.dashboard_cases import check_round_trip

    check_round_trip(factory)
