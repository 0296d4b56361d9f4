"""Backend dialects: the few SQL primitives whose spelling or meaning differs per engine.

Analyses build sqlglot expressions from these primitives and the common builder API;
the final expression is rendered with the dialect's sqlglot name. A dialect is a small
declarative subclass registered by name (the habit of sqlglot's own dialects).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import datetime
from typing import ClassVar

import sqlglot
from sqlglot import exp

from heron.query.dates import Interval
from heron.store.clickhouse_schema import json_string

_DIALECTS: dict[str, type[SqlDialect]] = {}


@functools.lru_cache(maxsize=256)
def _parsed(name: str, sql: str) -> exp.Expression:
    """A template parsed once (the primitives' templates are few; callers get copies)."""
    return sqlglot.parse_one(sql, read=name)


class SqlDialect:
    name: ClassVar[str]
    truncations: ClassVar[dict[str, str]]
    add_seconds_template: ClassVar[str]
    offset_unit: ClassVar[int] = 1
    """What ``add_seconds_template`` counts in: 1 for seconds, 1_000_000 for microseconds."""
    json_template: ClassVar[str]
    number_template: ClassVar[str]
    regex_template: ClassVar[str]
    days_since_template: ClassVar[str]
    """Whole spans of ``{span}`` µs from ``{origin}`` (epoch µs) to the wall-clock time
    ``{value}``."""
    uint64_bit_template: ClassVar[str]
    """An unsigned 64-bit integer with only bit ``{shift}`` (0–63) set."""
    uint64_zero: ClassVar[str]
    bit_count_template: ClassVar[str]
    materialized_ctes: ClassVar[bool] = False
    """Whether a CTE can be marked ``MATERIALIZED`` (DuckDB); ClickHouse inlines CTEs."""

    def __init_subclass__(cls) -> None:
        _DIALECTS[cls.name] = cls
        # sqlglot loads a dialect's module on first use (~30 ms): at import instead, so the
        # server's first query does not pay it
        sqlglot.Dialect.get_or_raise(cls.name)

    def parse(self, sql: str) -> exp.Expression:
        return _parsed(self.name, sql).copy()

    def _template(self, template: str, **parts: exp.Expression | str) -> exp.Expression:
        names = {k: f"__p_{k}" for k in parts}
        tree = self.parse(template.format(**names))
        values = {f"__p_{k}": v for k, v in parts.items()}

        def fill(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Column) and node.name in values and not node.table:
                value = values[node.name]
                return (
                    value.copy() if isinstance(value, exp.Expression) else exp.Literal.string(value)
                )
            return node

        return tree.transform(fill)

    def timestamp(self, moment: datetime) -> exp.Expression:
        text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
        return exp.cast(exp.Literal.string(text), self.timestamp_type())

    def timestamp_type(self) -> exp.DataType:
        return exp.DataType.build("TIMESTAMP")

    def local_time(
        self, ts: exp.Expression, segments: list[tuple[datetime | None, int]]
    ) -> exp.Expression:
        """UTC timestamp → local wall-clock time, from precomputed offset segments."""
        unit = self.offset_unit
        if len(segments) == 1:
            offset: exp.Expression = exp.Literal.number(segments[0][1] * unit)
        else:
            case = exp.Case()
            for until, seconds in segments[:-1]:
                assert until is not None
                case = case.when(
                    exp.LT(this=ts.copy(), expression=self.timestamp(until)),
                    exp.Literal.number(seconds * unit),
                )
            offset = case.else_(exp.Literal.number(segments[-1][1] * unit))
        if isinstance(offset, exp.Literal) and offset.this == "0":
            return ts
        return self._template(self.add_seconds_template, ts=ts, seconds=offset)

    def trunc(self, interval: Interval, value: exp.Expression) -> exp.Expression:
        return self._template(self.truncations[interval], value=value)

    def json_string(self, column: exp.Expression, key: str) -> exp.Expression:
        """A top-level JSON property as text (NULL when absent)."""
        return self._template(self.json_template, column=column, key=self.json_key(key))

    def json_key(self, key: str) -> str:
        return key

    def json_path_string(self, column: exp.Expression, keys: Sequence[str]) -> exp.Expression:
        """A nested JSON value as text (NULL when absent), e.g. ``$groups`` → ``company``."""
        raise NotImplementedError

    def number(self, value: exp.Expression) -> exp.Expression:
        """Text → double, NULL when not a number."""
        return self._template(self.number_template, value=value)

    def regex(self, value: exp.Expression, pattern: str | exp.Expression) -> exp.Expression:
        """``value`` matches ``pattern``; a prefix comparison when the pattern is one."""
        prefix = prefix_test(value, pattern)
        return prefix if prefix is not None else self._regex(value, pattern)

    def _regex(self, value: exp.Expression, pattern: str | exp.Expression) -> exp.Expression:
        return self._template(self.regex_template, value=value, pattern=pattern)

    def days_since(self, value: exp.Expression, origin_us: int, days: int = 1) -> exp.Expression:
        """Whole spans of ``days`` days (weeks for 7) from the origin to ``value``."""
        span = exp.Literal.number(days * 86_400_000_000)
        return self._template(
            self.days_since_template, value=value, origin=exp.Literal.number(origin_us), span=span
        )

    def uint64_bit(self, shift: exp.Expression) -> exp.Expression:
        return self._template(self.uint64_bit_template, shift=shift)

    def bit_count(self, value: exp.Expression) -> exp.Expression:
        """The number of set bits of an unsigned 64-bit integer."""
        return self._template(self.bit_count_template, value=value)

    def person(self, event_person: exp.Expression, override: exp.Expression) -> exp.Expression:
        return exp.func("COALESCE", override, event_person)

    def one_of(self, value: exp.Expression, names: Sequence[str]) -> exp.Expression:
        """``value`` is one of ``names`` (an equality for one name)."""
        literals = [exp.Literal.string(name) for name in names]
        if len(literals) == 1:
            return exp.EQ(this=value, expression=literals[0])
        return exp.In(this=value, expressions=literals)


class DuckDBDialect(SqlDialect):
    name = "duckdb"
    materialized_ctes = True
    truncations: ClassVar[dict[str, str]] = {
        "hour": "DATE_TRUNC('hour', {value})",
        "day": "DATE_TRUNC('day', {value})",
        "week": "DATE_TRUNC('week', {value})",
        "month": "DATE_TRUNC('month', {value})",
    }
    add_seconds_template = "MAKE_TIMESTAMP(EPOCH_US({ts}) + {seconds})"
    offset_unit = 1_000_000
    """Offsets in integer microseconds: the same timestamp as ``{ts} + TO_SECONDS(…)``,
    but adding an interval costs about as much per row as the rest of a trend's scan."""
    json_template = "JSON_EXTRACT_STRING({column}, {key})"
    number_template = "TRY_CAST({value} AS DOUBLE)"
    regex_template = "REGEXP_MATCHES({value}, {pattern})"
    days_since_template = "(EPOCH_US({value}) - {origin}) // {span}"
    uint64_bit_template = "CAST(1 AS UBIGINT) << CAST({shift} AS UBIGINT)"
    uint64_zero = "CAST(0 AS UBIGINT)"
    bit_count_template = "BIT_COUNT({value})"

    def one_of(self, value: exp.Expression, names: Sequence[str]) -> exp.Expression:
        """A semi-join on the list for several names: DuckDB turns its build side into a
        filter inside the scan, so the other columns (properties) are read only for matching
        rows; a plain ``IN`` list is checked after the scan has read every column."""
        if len(names) == 1:
            return super().one_of(value, names)
        listed = exp.Array(expressions=[exp.Literal.string(name) for name in names])
        return exp.In(this=value, query=exp.select(exp.Unnest(expressions=[listed])).subquery())

    def json_key(self, key: str) -> str:
        """A JSON Pointer: only ``~`` and ``/`` need escaping, so any key is safe."""
        return "/" + key.replace("~", "~0").replace("/", "~1")

    def json_path_string(self, column: exp.Expression, keys: Sequence[str]) -> exp.Expression:
        pointer = "".join(self.json_key(key) for key in keys)
        return self._template(self.json_template, column=column, key=pointer)


class ClickHouseDialect(SqlDialect):
    """ClickHouse, spelled to return exactly what :class:`DuckDBDialect` returns.

    Timestamps are ``DateTime64(6, 'UTC')`` (literals say so, so no session time zone is
    involved); truncations return that type too. Person resolution tolerates either
    setting of ``join_use_nulls`` (an unmatched override reads as the nil UUID or NULL).
    """

    name = "clickhouse"
    truncations: ClassVar[dict[str, str]] = {
        "hour": "toDateTime64(toStartOfHour({value}), 6, 'UTC')",
        "day": "toDateTime64(toStartOfDay({value}), 6, 'UTC')",
        "week": "toDateTime64(toMonday({value}), 6, 'UTC')",
        "month": "toDateTime64(toStartOfMonth({value}), 6, 'UTC')",
    }
    add_seconds_template = "addSeconds({ts}, {seconds})"
    json_template = json_string("{column}", "{key}")
    number_template = (
        "toFloat64OrNull(if(match({value}, '(^|[^0-9])_|_($|[^0-9])'), {value}, "
        "replaceAll(if(startsWith({value}, '+-'), substring({value}, 2), {value}), '_', '')))"
    )
    """DuckDB's ``TRY_CAST(… AS DOUBLE)`` grammar: ASCII blanks around, ``_`` between
    digits, and a ``+`` before the sign are accepted (the blanks by :meth:`number`)."""
    regex_template = "match({value}, {pattern})"
    days_since_template = "intDiv(toUnixTimestamp64Micro({value}) - {origin}, {span})"
    uint64_bit_template = "bitShiftLeft(toUInt64(1), toUInt8({shift}))"
    uint64_zero = "toUInt64(0)"
    bit_count_template = "bitCount({value})"

    def timestamp_type(self) -> exp.DataType:
        return exp.DataType.build("DateTime64(6, 'UTC')", dialect="clickhouse")

    def json_path_string(self, column: exp.Expression, keys: Sequence[str]) -> exp.Expression:
        path = [exp.Literal.string(key) for key in keys]
        kind = exp.Literal.string("Nullable(String)")
        return exp.Anonymous(this="JSONExtract", expressions=[column, *path, kind])

    def number(self, value: exp.Expression) -> exp.Expression:
        trimmed = self._template("TRIM(BOTH {blanks} FROM {value})", value=value, blanks=_BLANKS)
        return self._template(self.number_template, value=trimmed)

    def _regex(self, value: exp.Expression, pattern: str | exp.Expression) -> exp.Expression:
        """RE2 as on DuckDB: ``.`` does not match a newline (ClickHouse's default does)."""
        template = self.regex_template
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            pattern = exp.Literal.string("(?-s)" + pattern.this)
        elif isinstance(pattern, str):
            pattern = "(?-s)" + pattern
        else:
            template = "match({value}, concat('(?-s)', {pattern}))"
        return self._template(template, value=value, pattern=pattern)

    def person(self, event_person: exp.Expression, override: exp.Expression) -> exp.Expression:
        return self._template(
            "coalesce(nullIf({override}, toUUID('00000000-0000-0000-0000-000000000000')), {event})",
            override=override,
            event=event_person,
        )


_BLANKS = " \t\n\r\v\f"
_STARTS_WITH = re.compile(r"\^([A-Za-z0-9_]+)")
_NOT_STARTING_WITH = re.compile(r"\^\[\^([^\\\]\[^-])\]")


def prefix_test(value: exp.Expression, pattern: str | exp.Expression) -> exp.Expression | None:
    """A regex that only tests how a text starts, as a plain prefix comparison.

    ``^abc`` (letters, digits, ``_``) is ``starts_with(value, 'abc')``; ``^[^c]`` (one
    character that is not ``c``; the active-event test ``^[^$]``) is a non-empty value
    not starting with ``c``. Both engines compare prefixes several times faster than they
    run a regex; any other pattern gives ``None`` (use the regex).
    """
    text = pattern.this if isinstance(pattern, exp.Literal) and pattern.is_string else pattern
    if not isinstance(text, str):
        return None
    if match := _STARTS_WITH.fullmatch(text):
        return exp.StartsWith(this=value.copy(), expression=exp.Literal.string(match[1]))
    if match := _NOT_STARTING_WITH.fullmatch(text):
        starts = exp.StartsWith(this=value.copy(), expression=exp.Literal.string(match[1]))
        return exp.Paren(
            this=exp.and_(
                exp.NEQ(this=value.copy(), expression=exp.Literal.string("")),
                exp.Not(this=starts),
            )
        )
    return None


def dialect(name: str) -> SqlDialect:
    try:
        return _DIALECTS[name]()
    except KeyError:
        raise ValueError(f"no SQL dialect named {name!r}") from None
