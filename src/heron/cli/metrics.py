"""``heron metrics …`` and ``heron snapshots …``: custom metrics, event maps, snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from heron.cli.admin import emit, json_option
from heron.cli.revenue import find_project, project_option
from heron.config import load_settings
from heron.meta.db import meta_session
from heron.meta.errors import InvalidValueError, NotFoundError
from heron.metrics.builtins import BUILTINS
from heron.metrics.events import EventNames
from heron.metrics.saved import delete_metric, list_metrics, save_metric


@click.group("metrics")
def metrics_group() -> None:
    """Metrics: list them, define custom ones, map event names."""


@metrics_group.command("list")
@project_option
@json_option
def metrics_list(project_id: int, as_json: bool) -> None:
    """List the built-in metrics and the project's own."""
    with meta_session(load_settings()) as s:
        find_project(s, project_id)
        own = [
            {
                "name": m.name,
                "description": m.description,
                "builtin": False,
                "definition": m.definition,
            }
            for m in list_metrics(s, project_id)
        ]
    rows = [b.describe() for b in BUILTINS.values()] + own
    emit(
        {"metrics": rows},
        as_json,
        lambda: "\n".join(f"{r['name']:28} {r['description']}" for r in rows),
    )


@metrics_group.command("define")
@click.argument("name")
@click.argument("definition")
@project_option
@json_option
def metrics_define(name: str, definition: str, project_id: int, as_json: bool) -> None:
    """Save custom metric NAME from DEFINITION (a JSON object, or @file.json)."""
    text = Path(definition[1:]).read_text() if definition.startswith("@") else definition
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"not JSON: {error}", param_hint="DEFINITION") from None
    with meta_session(load_settings()) as s:
        find_project(s, project_id)
        try:
            saved = save_metric(s, project_id, name, data)
        except InvalidValueError as error:
            raise click.BadParameter(error.message, param_hint=error.field) from None
        result = {"name": saved.name, "definition": saved.definition}
    emit(result, as_json, lambda: f"saved metric {name}")


@metrics_group.command("delete")
@click.argument("name")
@project_option
def metrics_delete(name: str, project_id: int) -> None:
    """Delete the project's custom metric NAME."""
    with meta_session(load_settings()) as s:
        try:
            delete_metric(s, project_id, name)
        except NotFoundError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"deleted metric {name}")


@metrics_group.command("map")
@click.argument("conventional")
@click.argument("events", nargs=-1, required=True)
@project_option
@json_option
def metrics_map(conventional: str, events: tuple[str, ...], project_id: int, as_json: bool) -> None:
    """Make built-in metrics read the project's EVENTS where they read CONVENTIONAL."""
    with meta_session(load_settings()) as s:
        project = find_project(s, project_id)
        mapping = dict((project.settings or {}).get("event_map") or {})
        mapping[conventional] = events[0] if len(events) == 1 else list(events)
        EventNames.from_settings({"event_map": mapping})
        project.settings = {**(project.settings or {}), "event_map": mapping}
        s.flush()
    emit({"event_map": mapping}, as_json, lambda: f"{conventional} → {', '.join(events)}")


@click.group("snapshots")
def snapshots_group() -> None:
    """Metric snapshots: pre-aggregated values MetricQuery uses while fresh."""


@snapshots_group.command("refresh")
@click.option("--project", "project_id", type=int, default=None, help="Only this project.")
@json_option
def snapshots_refresh(project_id: int | None, as_json: bool) -> None:
    """Bring snapshots up to date (run with the server stopped when using DuckDB)."""
    from heron.meta.db import close_meta, open_meta
    from heron.metrics.snapshot_scheduler import refresh_all
    from heron.metrics.snapshots import refresh_project
    from heron.store.base import open_store

    settings = load_settings()
    meta = open_meta(settings)
    store = open_store(settings.resolved_events_url)
    try:
        if project_id is None:
            count = refresh_all(store, meta)
        else:
            count = len(refresh_project(store, meta, project_id))
    finally:
        store.close()
        close_meta(meta)
    emit({"series": count}, as_json, lambda: f"refreshed {count} snapshot series")


COMMANDS = [metrics_group, snapshots_group]
