"""Command: ``heron bench [SUITE] [ARGS]...`` runs ``python -m bench`` of a source checkout.

The benchmarks live beside the package in the repository (``bench/``), not inside it, so
this command works from a checkout (an editable install), not from an installed wheel.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click

import heron


def repository_root() -> Path:
    """The checkout holding ``src/heron``: three levels above ``heron/__init__.py``."""
    return Path(heron.__file__).resolve().parents[2]


@click.command(
    "bench",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@click.argument("suite", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def bench(suite: str | None, args: tuple[str, ...]) -> None:
    """Run a benchmark suite (e.g. `heron bench ingest --quick`); no SUITE lists them."""
    root = repository_root()
    if not (root / "bench" / "__main__.py").is_file():
        raise click.ClickException(
            f"no benchmarks at {root / 'bench'}: `heron bench` runs from a source checkout "
            "of Heron (pip install -e .), where bench/ sits beside src/"
        )
    argv = [suite, *args] if suite else ["--help"]
    done = subprocess.run([sys.executable, "-m", "bench", *argv], cwd=root, check=False)
    sys.exit(done.returncode)


COMMANDS: list[click.Command] = [bench]
