"""``heron revenue …``: import historical subscriptions, set exchange rates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from heron.cli.admin import emit, json_option
from heron.config import load_settings
from heron.meta.db import meta_session
from heron.meta.errors import NotFoundError
from heron.meta.projects import require_project
from heron.revenue import imports
from heron.revenue.store import record_event, set_rate

project_option = click.option(
    "--project", "project_id", type=int, required=True, help="Project id."
)


@click.group("revenue")
def revenue_group() -> None:
    """Revenue: import historical subscriptions, set exchange rates."""


@revenue_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@project_option
@json_option
def revenue_import(file: Path, project_id: int, as_json: bool) -> None:
    """Import historical subscriptions from a CSV or Parquet FILE (see docs/revenue.md)."""
    try:
        payloads = list(imports.rows(imports.read_table(file)))
    except imports.RowError as error:
        raise click.ClickException(str(error)) from None
    added = 0
    with meta_session(load_settings()) as s:
        find_project(s, project_id)
        for payload in payloads:
            started = imports.parse_time(payload["started_at"])
            assert started is not None
            event_id = imports.event_id(payload)
            added += record_event(
                s, project_id, "import", event_id, "subscription", started, payload
            )
    result = {"rows": len(payloads), "imported": added, "already_present": len(payloads) - added}
    emit(
        result,
        as_json,
        lambda: (
            f"imported {added} of {len(payloads)} rows ({len(payloads) - added} already present)"
        ),
    )


@revenue_group.command("rate")
@click.argument("currency")
@click.argument("rate", type=float)
@project_option
@json_option
def revenue_rate(currency: str, rate: float, project_id: int, as_json: bool) -> None:
    """Set how many units of the project currency one unit of CURRENCY is worth."""
    with meta_session(load_settings()) as s:
        find_project(s, project_id)
        try:
            set_rate(s, project_id, currency, rate)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    result = {"currency": currency.upper(), "rate": rate}
    emit(result, as_json, lambda: f"1 {currency.upper()} = {rate} project currency units")


def find_project(s: Any, project_id: int) -> Any:
    try:
        return require_project(s, project_id)
    except NotFoundError as error:
        raise click.ClickException(str(error)) from None


COMMANDS = [revenue_group]
