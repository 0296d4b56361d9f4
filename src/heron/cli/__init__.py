"""The ``heron`` command line. Each family of commands lives in its own module.

A command's module is imported only when that command runs (or help lists it): the modules
pull in the server, the query engine and the dashboards, which cost most of a second to
import, and ``heron import`` or ``heron query`` should not pay for the others.
"""

from __future__ import annotations

import importlib

import click

MODULES: dict[str, str] = {
    "migrate": "admin",
    "project": "admin",
    "user": "admin",
    "serve": "server",
    "demo": "server",
    "query": "data",
    "import": "importing",
    "bench": "bench",
    "revenue": "revenue",
    "metrics": "metrics",
    "snapshots": "metrics",
}
"""Each command's module in ``heron.cli``, which lists it in its ``COMMANDS``."""


class LazyGroup(click.Group):
    """A group whose commands come from :data:`MODULES`, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = MODULES.get(cmd_name)
        if module is None:
            return None
        commands = importlib.import_module(f"heron.cli.{module}").COMMANDS
        return next(c for c in commands if c.name == cmd_name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="heron")
def main() -> None:
    """Heron: self-hosted product analytics."""
