"""The ``heron`` command line. Each family of commands lives in its own module."""

from __future__ import annotations

import click

from heron.cli import admin, bench, data, importing, metrics, revenue, server


@click.group()
@click.version_option(package_name="heron")
def main() -> None:
    """Heron: self-hosted product analytics."""


for module in (admin, server, data, importing, bench, revenue, metrics):
    for command in module.COMMANDS:
        main.add_command(command)
