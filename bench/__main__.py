"""``python -m bench SUITE [ARGS]...``: run one benchmark suite.

A suite is a module of this package with ``main(argv: list[str]) -> int`` that parses
its own arguments; add it to :data:`SUITES` to register it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUITES: dict[str, str] = {
    "compat": "bench.compat",
    "dashboard": "bench.dashboard",
    "executive": "bench.executive",
    "ingest": "bench.ingest",
    "queries": "bench.queries",
}
"""Suite name → module (imported only when its suite runs)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run a Heron benchmark suite; `python -m bench SUITE --help` for its options.",
    )
    parser.add_argument("suite", choices=sorted(SUITES))
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the suite's own arguments")
    args = parser.parse_args(argv)
    suite = importlib.import_module(SUITES[args.suite])
    code: int = suite.main(args.args)
    return code


if __name__ == "__main__":
    sys.exit(main())
