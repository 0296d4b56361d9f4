"""Property references and filters → SQL expressions.

Event properties with a materialised column read that column; others are extracted from
the JSON ``properties``. Person properties come from the resolved person's row, group
properties (``"type": "group", "group_type": "company"``) from the row of the event's group
of that type, joined by :func:`heron.query.source.event_rows` as :func:`group_alias`.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlglot import exp

from heron.events import MATERIALISED_COLUMNS
from heron.query.dialects import SqlDialect
from heron.store.groups import MAX_TYPE_LENGTH

PropertyType = Literal["event", "person", "group"]
Operator = Literal[
    "eq",
    "neq",
    "gt",
    "gte",
    "lt",
    "lte",
    "contains",
    "not_contains",
    "regex",
    "is_set",
    "is_not_set",
    "in",
    "not_in",
]
_COLUMN_FOR = {prop: column for column, prop in MATERIALISED_COLUMNS.items()}
EVENT_FIELDS = {"event", "distinct_id", "session_id", "uuid"}


class _GroupTyped(BaseModel):
    """A property reference whose ``type`` may be ``group`` (then naming its ``group_type``)."""

    type: PropertyType = "event"
    group_type: str | None = Field(default=None, min_length=1, max_length=MAX_TYPE_LENGTH)

    @model_validator(mode="after")
    def _group_type_with_groups(self) -> _GroupTyped:
        if (self.type == "group") != (self.group_type is not None):
            raise ValueError('group_type is required with "type": "group", and only then')
        return self


class PropertyFilter(_GroupTyped):
    """``{"property": k, "operator": op, "value": v, "type": "event|person|group"}``."""

    model_config = ConfigDict(extra="forbid")

    property: str = Field(min_length=1, max_length=400)
    operator: Operator = "eq"
    value: Any = None


class Breakdown(_GroupTyped):
    model_config = ConfigDict(extra="forbid")

    property: str = Field(min_length=1, max_length=400)
    limit: int = Field(default=10, ge=1, le=1000)


def group_alias(group_type: str) -> str:
    """The alias of the joined group rows of a type (a digest, so any type name is safe)."""
    return "g_" + hashlib.sha256(group_type.encode()).hexdigest()[:16]


def property_expr(
    d: SqlDialect,
    name: str,
    kind: PropertyType = "event",
    *,
    events: str = "e",
    persons: str = "p",
    group_type: str | None = None,
) -> exp.Expression:
    """The text value of a property (NULL when absent)."""
    if kind == "person":
        return d.json_string(exp.column("properties", persons), name)
    if kind == "group":
        if group_type is None:
            raise ValueError("a group property needs its group_type")
        return d.json_string(exp.column("properties", group_alias(group_type)), name)
    if name in EVENT_FIELDS:
        return exp.column(name, events)
    column = _COLUMN_FOR.get(name)
    if column is not None:
        return exp.column(column, events)
    return d.json_string(exp.column("properties", events), name)


def filter_expr(
    d: SqlDialect, f: PropertyFilter, *, events: str = "e", persons: str = "p"
) -> exp.Expression:
    """One filter as a boolean SQL expression."""
    value = property_expr(
        d, f.property, f.type, events=events, persons=persons, group_type=f.group_type
    )
    op = f.operator
    if op == "is_set":
        return exp.Not(this=exp.Is(this=value, expression=exp.Null()))
    if op == "is_not_set":
        return exp.Is(this=value, expression=exp.Null())
    if op in ("in", "not_in"):
        values = f.value if isinstance(f.value, list) else [f.value]
        test = _one_of(d, value, values)
        return _not(test) if op == "not_in" else test
    if op in ("gt", "gte", "lt", "lte"):
        number = _number(f.value, f.property)
        cls = {"gt": exp.GT, "gte": exp.GTE, "lt": exp.LT, "lte": exp.LTE}[op]
        return cls(this=d.number(value), expression=exp.Literal.number(number))
    if op in ("contains", "not_contains"):
        like = exp.ILike(
            this=value, expression=exp.Literal.string(f"%{_escape_like(str(f.value))}%")
        )
        return _not(like) if op == "not_contains" else like
    if op == "regex":
        return d.regex(value, exp.Literal.string(str(f.value)))
    if isinstance(f.value, list):
        test = _one_of(d, value, f.value)
    else:
        test = exp.EQ(this=value, expression=_text(f.value))
    return _not(test) if op == "neq" else test


def _not(test: exp.Expression) -> exp.Expression:
    """NOT that also keeps rows where the property is absent (what users mean by "is not")."""
    return exp.Or(
        this=exp.Not(this=exp.Paren(this=test)),
        expression=exp.Is(this=test.this.copy(), expression=exp.Null()),
    )


def _one_of(d: SqlDialect, value: exp.Expression, values: list[Any]) -> exp.Expression:
    """``value IN (…)``; on a stored column (event, a hot property) the dialect's
    :meth:`~heron.query.dialects.SqlDialect.one_of`, which lets the scan skip other rows."""
    if isinstance(value, exp.Column) and all(isinstance(v, str) for v in values):
        return d.one_of(value, values)
    return exp.In(this=value, expressions=[_text(v) for v in values])


def _text(value: Any) -> exp.Expression:
    if isinstance(value, bool):
        return exp.Literal.string("true" if value else "false")
    if value is None:
        return exp.Null()
    return exp.Literal.string(str(value))


def _number(value: Any, name: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"filter on {name!r} needs a numeric value, got {value!r}") from None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
