"""The admin commands: migrate, project create|list|set, user create."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from heron.cli.admin import COMMANDS
from heron.config import load_settings
from heron.meta.accounts import authenticate_password
from heron.meta.apikeys import authenticate_api_key
from heron.meta.db import head_revision, meta_session
from heron.meta.models import User
from heron.meta.projects import get_project, project_by_write_key
from heron.meta.roles import Role


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> click.Group:
    monkeypatch.setenv("HERON_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HERON_META_URL", raising=False)
    group = click.Group("heron")
    for command in COMMANDS:
        group.add_command(command)
    return group


def run(cli: click.Group, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def run_json(cli: click.Group, *args: str) -> dict[str, Any]:
    result = run(cli, *args, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert isinstance(payload, dict)
    return payload


def test_migrate_creates_the_data_dir(cli: click.Group, tmp_path: Path) -> None:
    payload = run_json(cli, "migrate")
    assert payload["revision"] == head_revision()
    assert (tmp_path / "data" / "meta.sqlite3").exists()
    assert f"revision {head_revision()}" in run(cli, "migrate").stdout


def test_project_create_prints_working_credentials(cli: click.Group) -> None:
    payload = run_json(cli, "project", "create", "Coaching", "--timezone", "Europe/Berlin")
    assert set(payload) == {"project_id", "write_key", "api_key"}
    with meta_session(load_settings()) as s:
        project = project_by_write_key(s, payload["write_key"])
        assert project is not None
        assert (project.id, project.name, project.timezone) == (
            payload["project_id"],
            "Coaching",
            "Europe/Berlin",
        )
        principal = authenticate_api_key(s, payload["api_key"])
        assert principal is not None
        assert (principal.project_id, principal.role) == (project.id, Role.OWNER)


def test_project_create_rejects_bad_timezone(cli: click.Group) -> None:
    result = run(cli, "project", "create", "P", "--timezone", "Mars/Olympus")
    assert result.exit_code == 2
    assert "unknown timezone 'Mars/Olympus'" in result.stderr


def test_project_list(cli: click.Group) -> None:
    assert run(cli, "project", "list").stdout.strip() == "No projects."
    first = run_json(cli, "project", "create", "A")
    run_json(cli, "project", "create", "B", "--timezone", "Asia/Tokyo")
    projects = run_json(cli, "project", "list")["projects"]
    assert [(p["name"], p["timezone"]) for p in projects] == [("A", "UTC"), ("B", "Asia/Tokyo")]
    assert projects[0]["write_key"] == first["write_key"]
    assert "api_key" not in projects[0]
    assert "Asia/Tokyo" in run(cli, "project", "list").stdout


def test_project_set(cli: click.Group) -> None:
    project_id = str(run_json(cli, "project", "create", "P")["project_id"])
    payload = run_json(cli, "project", "set", project_id, "stripe_webhook_secret", "whsec_abc")
    assert payload == {"project_id": int(project_id), "key": "stripe_webhook_secret"}
    assert run(cli, "project", "set", project_id, "timezone", "America/Chicago").exit_code == 0
    assert run(cli, "project", "set", project_id, "currency", "eur").exit_code == 0
    with meta_session(load_settings()) as s:
        project = get_project(s, int(project_id))
        assert project is not None
        assert project.settings == {"stripe_webhook_secret": "whsec_abc"}
        assert (project.timezone, project.currency) == ("America/Chicago", "EUR")


def test_project_set_errors(cli: click.Group) -> None:
    project_id = str(run_json(cli, "project", "create", "P")["project_id"])
    bad_tz = run(cli, "project", "set", project_id, "timezone", "Nowhere")
    assert bad_tz.exit_code == 2 and "unknown timezone" in bad_tz.stderr
    assert run(cli, "project", "set", project_id, "colour", "red").exit_code == 2
    missing = run(cli, "project", "set", "999", "name", "x")
    assert missing.exit_code == 1 and "no project with id 999" in missing.stderr


def test_user_create(cli: click.Group) -> None:
    project_id = run_json(cli, "project", "create", "P")["project_id"]
    payload = run_json(
        cli,
        "user",
        "create",
        "Coach@Example.com",
        "--password",
        "hunter2!",
        "--role",
        "coach",
        "--project",
        str(project_id),
    )
    assert set(payload) == {"user_id", "api_key"}
    with meta_session(load_settings()) as s:
        user = authenticate_password(s, "coach@example.com", "hunter2!")
        assert user is not None and user.id == payload["user_id"]
        assert s.get(User, user.id).password_hash != "hunter2!"  # type: ignore[union-attr]
        principal = authenticate_api_key(s, payload["api_key"])
        assert principal is not None
        assert (principal.user_id, principal.project_id, principal.role) == (
            user.id,
            project_id,
            Role.COACH,
        )


def create_user(cli: click.Group, email: str, role: str, *extra: str) -> Result:
    return run(cli, "user", "create", email, "--password", "pw", "--role", role, *extra)


def test_user_create_errors(cli: click.Group) -> None:
    assert create_user(cli, "ada@example.com", "owner").exit_code == 0
    duplicate = create_user(cli, "ADA@example.com", "viewer")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr
    bad_role = create_user(cli, "bob@example.com", "god")
    assert bad_role.exit_code == 2 and "'god' is not one of" in bad_role.stderr
    no_project = create_user(cli, "bob@example.com", "viewer", "--project", "42")
    assert no_project.exit_code == 1 and "no project with id 42" in no_project.stderr
    bad_email = create_user(cli, "bob", "viewer")
    assert bad_email.exit_code == 2 and "not an e-mail address" in bad_email.stderr
