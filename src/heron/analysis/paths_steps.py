"""Paths: each person's steps put in order, collapsed and paired into links, per engine.

Both plans read ``path_kept`` (``p``, ``ts``, ``name``: the rows a path can see) and a
dictionary of step names numbered in name order, so a row sorts by ``(ts, code)`` exactly as
by ``(ts, name)`` and the steps are ordered and compared as small integers, not strings.
They give ``path_links`` (``pos``, ``source_code``, ``target_code``: one row per person and
link); :meth:`StepPlan.links_select` counts those and names the codes.

DuckDB numbers the rows with one window (its sort is the cost; a list per person costs more)
and takes each person's first ``step_limit`` steps with ``min_by(code, i, n)``, an aggregate,
instead of a second window. ClickHouse sorts one packed integer per row in each person's
array (``(µs since the range start) · names + code``; its window functions and arrays of
tuples are several times slower), as ``Int64`` when the range and the dictionary fit in it
and ``Int128`` otherwise (the type is chosen when the dictionary is known, at analysis).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlglot import exp

from heron.query.context import TimeRange

MICROSECOND = timedelta(microseconds=1)
EPOCH = datetime(1970, 1, 1)
"""Time ranges are naive UTC."""
NARROW_KEYS = 2**63
"""Packed keys below this fit ``Int64``."""


@dataclass(frozen=True, slots=True)
class StepShape:
    """What the link plans need of a spec: how many steps, anchored at the end or not, and
    the time range (ClickHouse packs times relative to its start)."""

    limit: int
    ends: bool
    rng: TimeRange


class StepPlan(ABC):
    """One engine's way from ``path_kept`` to named, counted links."""

    name_of: ClassVar[str]
    """How the final select names the code of a link's side ``{0}`` (source or target)."""

    @abstractmethod
    def dictionary(self, names: exp.Select) -> list[exp.CTE]:
        """The CTEs holding the numbered step names, from ``names`` (distinct ``name``)."""

    @abstractmethod
    def links(self, shape: StepShape) -> dict[str, str]:
        """The CTEs from ``path_kept`` to ``path_links``."""

    def joins(self) -> str:
        """What the final select joins to name the codes."""
        return ""

    def links_select(self, min_weight: int, limit: int) -> str:
        """Count each link's persons, keep the heaviest and name their steps."""
        counts = (
            "SELECT pos, source_code, target_code, count(*) AS value FROM path_links "
            f"GROUP BY pos, source_code, target_code HAVING count(*) >= {min_weight}"
        )
        source, target = self.name_of.format("source"), self.name_of.format("target")
        return (
            f"SELECT pos, {source} AS source, {target} AS target, value FROM ({counts}) "
            f"AS path_counts{self.joins()} ORDER BY value DESC, pos, source, target LIMIT {limit}"
        )


def _pairs(shape: StepShape, steps: str, index: str) -> str:
    """``pos, source_code, target_code`` of link ``index`` of ``steps``, a person's steps in
    time order (reversed with ``end_event``: the anchor first)."""
    if shape.ends:
        return (
            f"{shape.limit} - {index} AS pos, {steps}[{index} + 1] AS source_code, "
            f"{steps}[{index}] AS target_code"
        )
    return f"{index} AS pos, {steps}[{index}] AS source_code, {steps}[{index} + 1] AS target_code"


class WindowSteps(StepPlan):
    """DuckDB: one window numbers each person's rows and finds the repeats."""

    name_of = "{0}_name.name"

    def dictionary(self, names: exp.Select) -> list[exp.CTE]:
        numbered = exp.select(
            "name", "CAST(row_number() OVER (ORDER BY name) - 1 AS INT) AS code"
        ).from_(names.subquery("path_names"))
        return [exp.CTE(this=numbered, alias=exp.TableAlias(this=exp.to_identifier("path_codes")))]

    def links(self, shape: StepShape) -> dict[str, str]:
        way = " DESC" if shape.ends else ""
        order = f"PARTITION BY p ORDER BY ts{way}, code{way}"
        return {
            "path_ordered": (
                f"SELECT p, code, row_number() OVER ({order}) AS i, lag(code) OVER ({order}) "
                "AS prev FROM path_kept JOIN path_codes USING (name)"
            ),
            "path_heads": (
                f"SELECT min_by(code, i, {shape.limit}) AS s FROM path_ordered "
                "WHERE i = 1 OR code <> prev GROUP BY p"
            ),
            "path_links": (
                f"SELECT {_pairs(shape, 's', 'i')} FROM "
                "(SELECT s, unnest(range(1, len(s))) AS i FROM path_heads) AS path_pairs"
            ),
        }

    def joins(self) -> str:
        return "".join(
            f" JOIN path_codes AS {side}_name ON {side}_name.code = path_counts.{side}_code"
            for side in ("source", "target")
        )


class ArraySteps(StepPlan):
    """ClickHouse: each person's packed keys sorted in an array."""

    name_of = "path_dict[{0}_code + 1]"

    def dictionary(self, names: exp.Select) -> list[exp.CTE]:
        listed = exp.select("arraySort(groupUniqArray(name))").from_(names.subquery("path_names"))
        return [
            exp.CTE(
                this=exp.Subquery(this=listed),
                alias=exp.TableAlias(this=exp.to_identifier("path_dict")),
                scalar=True,
            )
        ]

    def links(self, shape: StepShape) -> dict[str, str]:
        start = (shape.rng.start_utc - EPOCH) // MICROSECOND
        span = max((shape.rng.end_utc - shape.rng.start_utc) // MICROSECOND, 1)
        count = "toInt64(length(path_dict))"
        wide = f"if({count} <= {NARROW_KEYS // span}, 'Int64', 'Int128')"
        code = "toInt64(transform(toString(name), path_dict, range(length(path_dict)), 0))"
        key = f"_CAST(toUnixTimestamp64Micro(ts) - {start}, {wide}) * {count} + {code}"
        names = f"arrayMap(x -> toInt64(x % {count}), arraySort(groupArray({key})))"
        steps = "arrayFilter((x, i) -> i = 1 OR x <> names[i - 1], names, arrayEnumerate(names))"
        if shape.ends:
            steps = f"arrayReverse({steps})"
        bounds = f"1, least(toInt64(length(s)), {shape.limit})"
        return {
            "path_steps": (
                f"SELECT {steps} AS s FROM (SELECT {names} AS names FROM path_kept GROUP BY p) "
                "AS path_names"
            ),
            "path_links": (
                f"SELECT {_pairs(shape, 's', 'i')} FROM "
                f"(SELECT s, arrayJoin(range({bounds})) AS i FROM path_steps) AS path_pairs"
            ),
        }


PLANS: dict[str, type[StepPlan]] = {"duckdb": WindowSteps, "clickhouse": ArraySteps}


def steps_plan(dialect: str) -> StepPlan:
    """The plan of a backend dialect (``duckdb`` or ``clickhouse``)."""
    return PLANS[dialect]()
