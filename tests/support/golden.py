"""Golden files: compiled SQL pinned per spec and dialect, rewritten on request."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).parents[1] / "unit" / "analysis" / "golden"


def assert_golden(name: str, sql: str) -> None:
    """``sql`` equals the golden file ``name``; ``HERON_UPDATE_GOLDEN=1`` rewrites it first."""
    path = GOLDEN / name
    if os.environ.get("HERON_UPDATE_GOLDEN") == "1":
        path.write_text(sql)
    assert path.exists(), f"{path.name} is missing: run with HERON_UPDATE_GOLDEN=1"
    assert sql == path.read_text()
