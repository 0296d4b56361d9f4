"""Query results → tables (``columns`` + ``rows``), one pure function per query kind.

Widget exports (CSV, XLSX, JSON) and the PDF's table text all start from these tables.
Time series come out long (one row per series × interval), which every spreadsheet can
pivot; a kind without its own function is flattened generically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Cell = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    rows: list[list[Cell]]

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


ToTable = Callable[[Any], Table]
TABLES: dict[str, ToTable] = {}


def table_for(kind: str) -> Callable[[ToTable], ToTable]:
    def add(fn: ToTable) -> ToTable:
        TABLES[kind] = fn
        return fn

    return add


def to_table(kind: str, results: Any) -> Table:
    """The table of a result of query kind ``kind``."""
    return TABLES.get(kind, generic_table)(results)


def _cell(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _entries(results: Any) -> list[dict[str, Any]]:
    return results if isinstance(results, list) else [results]


@table_for("TrendsQuery")
def trends_table(results: list[dict[str, Any]]) -> Table:
    rows: list[list[Cell]] = []
    for entry in results:
        for label, value in zip(entry.get("labels", []), entry.get("data", []), strict=False):
            rows.append(
                [
                    entry.get("label"),
                    _cell(entry.get("breakdown_value")),
                    entry.get("compare", "current"),
                    _cell(label),
                    value,
                ]
            )
    return Table(["series", "breakdown_value", "period", "interval_start", "value"], rows)


@table_for("FunnelsQuery")
def funnels_table(results: Any) -> Table:
    columns = [
        "breakdown_value",
        "step",
        "event",
        "count",
        "conversion_rate",
        "conversion_from_previous",
        "median_seconds_to_convert",
    ]
    rows: list[list[Cell]] = []
    for entry in _entries(results):
        for number, step in enumerate(entry.get("steps", []), start=1):
            rows.append(
                [
                    _cell(entry.get("breakdown_value")),
                    number,
                    step.get("name") or step.get("event"),
                    step.get("count"),
                    step.get("conversion_rate"),
                    step.get("conversion_from_previous"),
                    step.get("median_seconds_to_convert"),
                ]
            )
    return Table(columns, rows)


@table_for("RetentionQuery")
def retention_table(results: dict[str, Any]) -> Table:
    cohorts = results.get("cohorts", [])
    width = max((len(c.get("values", [])) for c in cohorts), default=1)
    columns = ["cohort_start", "size", *(f"period_{n}" for n in range(width))]
    rows: list[list[Cell]] = []
    for cohort in cohorts:
        values = list(cohort.get("values", []))
        rows.append([_cell(cohort.get("cohort_start")), cohort.get("size"), *values])
        rows[-1].extend([None] * (len(columns) - len(rows[-1])))
    return Table(columns, rows)


@table_for("StickinessQuery")
def stickiness_table(results: list[dict[str, Any]]) -> Table:
    rows: list[list[Cell]] = [
        [entry.get("label"), days, persons]
        for entry in results
        for days, persons in zip(entry.get("days", []), entry.get("data", []), strict=False)
    ]
    return Table(["series", "active_intervals", "persons"], rows)


@table_for("LifecycleQuery")
def lifecycle_table(results: dict[str, Any]) -> Table:
    statuses = ["new", "returning", "resurrecting", "dormant"]
    labels = results.get("labels", [])
    rows: list[list[Cell]] = [
        [_cell(label), *(results.get(s, [0] * len(labels))[i] for s in statuses)]
        for i, label in enumerate(labels)
    ]
    return Table(["interval_start", *statuses], rows)


@table_for("PathsQuery")
def paths_table(results: dict[str, Any]) -> Table:
    rows: list[list[Cell]] = [
        [link.get("source"), link.get("target"), link.get("value")]
        for link in results.get("links", [])
    ]
    return Table(["source", "target", "value"], rows)


@table_for("HeatmapQuery")
def heatmap_table(results: dict[str, Any]) -> Table:
    rows: list[list[Cell]] = [
        [day, hour, results["data"][d][h]]
        for d, day in enumerate(results.get("weekdays", []))
        for h, hour in enumerate(results.get("hours", []))
    ]
    return Table(["weekday", "hour", "value"], rows)


@table_for("SQLQuery")
def sql_table(results: dict[str, Any]) -> Table:
    return Table(
        [str(c) for c in results.get("columns", [])],
        [[_cell(v) for v in row] for row in results.get("rows", [])],
    )


def generic_table(results: Any) -> Table:
    """Any JSON result: a list of objects → their keys as columns; else one ``value`` cell."""
    entries = _entries(results)
    if entries and all(isinstance(e, dict) for e in entries):
        columns: list[str] = []
        for entry in entries:
            columns.extend(k for k in entry if k not in columns)
        return Table(columns, [[_cell(e.get(c)) for c in columns] for e in entries])
    return Table(["value"], [[_cell(e)] for e in entries])
