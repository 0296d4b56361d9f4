"""docs/access.md prints the role table; it must say what ``POLICY`` enforces."""

from __future__ import annotations

from pathlib import Path

from heron.app.access import POLICY, Action
from heron.meta.roles import Role

DOC = Path(__file__).resolve().parents[3] / "docs" / "access.md"
ROWS = [
    Action.READ,
    Action.QUERY,
    Action.RUN_SQL,
    Action.READ_REVENUE,
    Action.EDIT,
    Action.ADMIN,
    Action.ORGANIZATION,
]


def table() -> list[list[str]]:
    lines = [line for line in DOC.read_text().splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def test_the_documented_table_is_the_policy() -> None:
    header, _rule, *rows = table()
    roles = [Role(name) for name in header[1:]]
    assert set(roles) == set(Role)
    assert len(rows) == len(ROWS) == len(POLICY)
    for action, row in zip(ROWS, rows, strict=True):
        allowed = {role for role, cell in zip(roles, row[1:], strict=True) if cell == "✓"}
        assert allowed == set(POLICY[action]), action
