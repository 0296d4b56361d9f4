"""Listing a project's group types and groups (``GET /api/projects/{id}/groups…``).

The queries read the stored ``group_types`` and ``groups`` tables through the
:class:`~heron.query.runner.Runner`, so the project predicate is injected as for any
analysis.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel
from sqlglot import exp

from heron.query.runner import Runner


class GroupType(BaseModel):
    group_type: str
    group_type_index: int


class GroupTypeList(BaseModel):
    results: list[GroupType]


class Group(BaseModel):
    group_type: str
    group_key: str
    properties: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class GroupPage(BaseModel):
    results: list[Group]
    has_more: bool


def group_types(runner: Runner) -> list[GroupType]:
    """The project's group types, by index."""
    query = (
        exp.select("group_type", "group_type_index")
        .from_("group_types")
        .order_by("group_type_index")
    )
    return [GroupType.model_validate(row) for row in runner.execute(query).to_pylist()]


def groups(runner: Runner, group_type: str, *, limit: int, offset: int) -> GroupPage:
    """One page of the groups of a type, in key order."""
    query = (
        exp.select("group_type", "group_key", "properties", "created_at", "updated_at")
        .from_("groups")
        .where(exp.column("group_type").eq(exp.Literal.string(group_type)))
        .order_by("group_key")
        .limit(limit + 1)
        .offset(offset)
    )
    rows = runner.execute(query).to_pylist()
    results = [
        Group.model_validate({**row, "properties": orjson.loads(row["properties"])}) for row in rows
    ]
    return GroupPage(results=results[:limit], has_more=len(results) > limit)
