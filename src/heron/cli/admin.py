"""Commands: admin (``migrate``, ``project create|list|set``, ``user create``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from sqlalchemy.engine import make_url

from heron.config import load_settings
from heron.meta.accounts import create_user
from heron.meta.apikeys import create_api_key
from heron.meta.db import meta_session, migrate
from heron.meta.errors import DuplicateError, InvalidValueError, NotFoundError
from heron.meta.projects import (
    KNOWN_SETTINGS,
    create_project,
    list_projects,
    set_project_setting,
)
from heron.meta.roles import ROLE_NAMES, Role
from heron.meta.validation import validate_timezone

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def emit(payload: dict[str, Any], as_json: bool, text: Callable[[], str]) -> None:
    """Print ``payload`` as one JSON line, or its human-readable ``text``."""
    click.echo(json.dumps(payload) if as_json else text())


def check_timezone(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    """Click callback: reject unknown timezones with a usage error (exit code 2)."""
    try:
        return validate_timezone(value)
    except InvalidValueError as error:
        raise click.BadParameter(error.message, param=param) from None


@click.command("migrate")
@json_option
def migrate_command(as_json: bool) -> None:
    """Create or upgrade the metadata database."""
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_meta_url
    revision = migrate(url)
    shown = make_url(url).render_as_string(hide_password=True)
    payload = {"meta_url": shown, "revision": revision}
    emit(payload, as_json, lambda: f"Metadata database {shown} is at revision {revision}.")


@click.group("project")
def project_group() -> None:
    """Create, list and configure projects."""


@project_group.command("create")
@click.argument("name")
@click.option("--timezone", default="UTC", show_default=True, callback=check_timezone)
@json_option
def project_create(name: str, timezone: str, as_json: bool) -> None:
    """Create a project; prints its id, write key and a new owner API key."""
    with meta_session(load_settings()) as s:
        try:
            project = create_project(s, name, timezone=timezone)
        except InvalidValueError as error:
            raise click.BadParameter(error.message, param_hint=error.field) from None
        api_key = create_api_key(
            s,
            organization_id=project.organization_id,
            role=Role.OWNER,
            project_id=project.id,
            label="project owner key",
        )
        payload = {"project_id": project.id, "write_key": project.write_key, "api_key": api_key}
    emit(
        payload,
        as_json,
        lambda: "\n".join(
            [
                f"project_id: {payload['project_id']}",
                f"write_key:  {payload['write_key']}",
                f"api_key:    {payload['api_key']}  (shown once; keep it secret)",
            ]
        ),
    )


@project_group.command("list")
@json_option
def project_list(as_json: bool) -> None:
    """List projects."""
    with meta_session(load_settings()) as s:
        rows = [
            {
                "project_id": p.id,
                "organization_id": p.organization_id,
                "name": p.name,
                "timezone": p.timezone,
                "currency": p.currency,
                "write_key": p.write_key,
            }
            for p in list_projects(s)
        ]
    emit(
        {"projects": rows},
        as_json,
        lambda: (
            "\n".join(
                f"{r['project_id']}\t{r['name']}\t{r['timezone']}\t{r['currency']}\t{r['write_key']}"
                for r in rows
            )
            or "No projects."
        ),
    )


@project_group.command("set")
@click.argument("project_id", type=int)
@click.argument("key", type=click.Choice(KNOWN_SETTINGS), metavar="KEY")
@click.argument("value")
@json_option
def project_set(project_id: int, key: str, value: str, as_json: bool) -> None:
    """Set a project setting (timezone, currency and name update the project itself)."""
    with meta_session(load_settings()) as s:
        try:
            set_project_setting(s, project_id, key, value)
        except InvalidValueError as error:
            raise click.BadParameter(error.message, param_hint="VALUE") from None
        except NotFoundError as error:
            raise click.ClickException(str(error)) from None
    payload = {"project_id": project_id, "key": key}
    emit(payload, as_json, lambda: f"Set {key} on project {project_id}.")


@click.group("user")
def user_group() -> None:
    """Manage users."""


@user_group.command("create")
@click.argument("email")
@click.option("--password", required=True, help="The user's sign-in password.")
@click.option("--role", required=True, type=click.Choice(ROLE_NAMES))
@click.option("--project", "project_id", type=int, help="Limit the user to one project.")
@json_option
def user_create(
    email: str, password: str, role: str, project_id: int | None, as_json: bool
) -> None:
    """Create a user with a role; prints the user id and a personal API key."""
    with meta_session(load_settings()) as s:
        try:
            user, api_key = create_user(s, email, password, role, project_id=project_id)
        except InvalidValueError as error:
            raise click.BadParameter(error.message, param_hint=error.field) from None
        except (DuplicateError, NotFoundError) as error:
            raise click.ClickException(str(error)) from None
        payload = {"user_id": user.id, "api_key": api_key}
    emit(
        payload,
        as_json,
        lambda: f"user_id: {payload['user_id']}\napi_key: {payload['api_key']}  (shown once)",
    )


COMMANDS: list[click.Command] = [migrate_command, project_group, user_group]
