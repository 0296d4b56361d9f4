"""The statements a funnel query runs: aggregates over ``funnel_units`` (small results).

Breakdown values keep the ``limit`` values with most units (ties by value), put every
other value in ``"$other"`` and units without the property in ``"$none"`` (as trends).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from heron.analysis.funnels_sql import MATERIALIZED, UNITS, FunnelSQL

OTHER = "$other"
NONE = "$none"


def _with_units(sql: FunnelSQL, body: str, after: Sequence[tuple[str, str]] = ()) -> exp.Select:
    select = sql.parse(body)
    assert isinstance(select, exp.Select)
    ctes = sql.units()
    if sql.spec.breakdown is not None:
        top = (
            f"SELECT bv FROM {UNITS} WHERE bv IS NOT NULL GROUP BY bv "
            f"ORDER BY count(*) DESC, bv LIMIT {sql.spec.breakdown.limit}"
        )
        ctes.append(("funnel_top_values", sql.parse(top)))
    ctes.extend((name, sql.parse(text)) for name, text in after)
    for name, cte in ctes:
        select = select.with_(name, as_=cte, materialized=True if name in MATERIALIZED else None)
    return select


def breakdown_value(sql: FunnelSQL) -> str:
    text = sql.lang.type("text")
    if sql.spec.breakdown is None:
        return sql.lang.cast("NULL", "text")
    return (
        f"CASE WHEN bv IS NULL THEN CAST('{NONE}' AS {text}) "
        "WHEN bv IN (SELECT bv FROM funnel_top_values) THEN bv "
        f"ELSE CAST('{OTHER}' AS {text}) END"
    )


def levels(sql: FunnelSQL) -> exp.Select:
    """Every unit's keys, level and reported times (for tests and diagnostics)."""
    return _with_units(sql, f"SELECT {', '.join(sql.keys)}, level, times FROM {UNITS}")


def steps(sql: FunnelSQL) -> exp.Select:
    """Per breakdown value: ``c{j}`` units at step j, ``m{j}``/``a{j}`` median/mean seconds."""
    columns = [f"{breakdown_value(sql)} AS breakdown_value"]
    for j in range(1, sql.k + 1):
        columns.append(f"count(*) FILTER (WHERE level >= {j}) AS c{j}")
        if j > 1:
            seconds = f"(times[{j}] - times[{j - 1}]) / 1e6"
            only = f"FILTER (WHERE level >= {j} AND {sql.lang.func('length', 'times')} >= {j})"
            columns.append(f"{sql.lang.quantile(seconds, 0.5)} {only} AS m{j}")
            columns.append(f"avg({seconds}) {only} AS a{j}")
    return _with_units(sql, f"SELECT {', '.join(columns)} FROM {UNITS} GROUP BY 1")


def trends(sql: FunnelSQL) -> exp.Select:
    """Per interval (and breakdown value): units entered, and units at the last step."""
    keys = ", ".join(sql.bucket_keys)
    return _with_units(
        sql,
        f"SELECT {keys}, {breakdown_value(sql)} AS breakdown_value, count(*) AS entered, "
        f"count(*) FILTER (WHERE level >= {sql.k}) AS converted FROM {UNITS} GROUP BY ALL",
    )


def time_to_convert(sql: FunnelSQL, bins: int) -> exp.Select:
    """Histogram (whole-second bins over all values) of step 1 → last step seconds.

    A row per (breakdown value, bin) with that value's mean, median and total.
    """
    seconds = f"(times[{sql.k}] - times[1]) / 1e6"
    per_value = "OVER (PARTITION BY breakdown_value)"
    converted = (
        f"SELECT breakdown_value, s, avg(s) {per_value} AS mean, "
        f"{sql.lang.quantile('s', 0.5)} {per_value} AS median, count(*) {per_value} AS total "
        f"FROM (SELECT {breakdown_value(sql)} AS breakdown_value, {seconds} AS s "
        f"FROM {UNITS} WHERE level >= {sql.k}) AS converted"
    )
    bounds = (
        "SELECT min(s) AS lo, greatest(ceil((max(s) - min(s)) / "
        f"{bins}), 1) AS width FROM funnel_converted"
    )
    body = (
        f"SELECT breakdown_value, least(floor((s - lo) / width), {bins - 1}) AS bin, "
        "max(lo) AS bin_lo, max(width) AS bin_width, count(*) AS n, max(mean) AS mean_s, "
        "max(median) AS median_s, max(total) AS total_n "
        "FROM funnel_converted CROSS JOIN funnel_bounds GROUP BY breakdown_value, bin"
    )
    return _with_units(sql, body, [("funnel_converted", converted), ("funnel_bounds", bounds)])


def persons(
    sql: FunnelSQL, step: int, dropped: bool, value: str | None, limit: int, offset: int
) -> exp.Select:
    """Ids (as text, in text order) of the persons who reached ``step`` or stopped before it."""
    condition = f"level = {step - 1}" if dropped else f"level >= {step}"
    text = sql.lang.type("text")
    body = (
        f"SELECT DISTINCT CAST(p AS {text}) AS p FROM {UNITS} "
        f"WHERE {condition} ORDER BY p LIMIT {limit} OFFSET {offset}"
    )
    select = _with_units(sql, body)
    if value is not None and sql.spec.breakdown is not None:
        chosen = exp.EQ(this=sql.parse(breakdown_value(sql)), expression=exp.Literal.string(value))
        select = select.where(chosen)
    return select
