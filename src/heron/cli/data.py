"""Commands: data (``query``)."""

from __future__ import annotations

import json
from typing import Any

import click


@click.command("query")
@click.option("--project", "project_id", type=int, required=True, help="The project's id.")
@click.argument("spec_file", type=click.File("r"), metavar="SPEC.json")
def query_command(project_id: int, spec_file: Any) -> None:
    """Run a query spec (a JSON file, or - for stdin) and print the JSON result."""
    from heron.analysis.service import query
    from heron.query.registry import SpecError
    from heron.query.sql import QueryTimeout

    try:
        spec = json.load(spec_file)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="SPEC.json") from None
    try:
        result = query(spec, project_id)
    except SpecError as exc:
        raise click.ClickException(f"invalid query: {exc}") from None
    except (LookupError, QueryTimeout) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result, indent=2))


COMMANDS: list[click.Command] = [query_command]
