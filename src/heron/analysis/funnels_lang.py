"""SQL text for list folds, lambdas and typed structs, spelled per backend.

Funnel, retention and path queries fold per-person lists with lambdas, which sqlglot
cannot translate between DuckDB (``list_reduce``, ``{'a': …}`` structs) and ClickHouse
(``arrayFold``, typed tuples). :class:`Lang` spells those few constructs for one
backend; everything else in the generated text is common SQL, parsed by sqlglot in that
backend's dialect. Only integers and column names computed by Heron are formatted into
the text, never user values.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

Field = tuple[str, str]
"""A struct field: (name, logical type)."""


class Lang(ABC):
    name: ClassVar[str]
    types: ClassVar[dict[str, str]]
    functions: ClassVar[dict[str, str]] = {}

    def type(self, logical: str) -> str:
        """``int``, ``uuid``, ``text``, ``[T]`` (list of T) or ``{a: T, …}`` (struct)."""
        if logical.startswith("["):
            return self.list_type(self.type(logical[1:-1]))
        if logical.startswith("{"):
            return self.struct_type(_fields(logical))
        return self.types[logical]

    @abstractmethod
    def list_type(self, item: str) -> str:
        """The type of a list of ``item``."""

    @abstractmethod
    def struct_type(self, fields: Sequence[Field]) -> str:
        """The type of a struct of ``fields``."""

    @abstractmethod
    def struct(self, values: dict[str, str], logical: str) -> str:
        """A struct value of the logical struct type ``logical``."""

    def cast(self, value: str, logical: str) -> str:
        return f"CAST({value} AS {self.type(logical)})"

    def empty(self, logical: str) -> str:
        """An empty list of the logical list type."""
        return self.cast("[]", logical)

    @abstractmethod
    def reduce(self, items: str, body: str, init: str) -> str:
        """Fold ``items`` with ``body`` over ``acc`` and ``x``."""

    @abstractmethod
    def filter(self, items: str, param: str, body: str) -> str:
        """The elements ``param`` of ``items`` for which ``body`` holds."""

    @abstractmethod
    def filter_indexed(self, items: str, param: str, index: str, body: str) -> str:
        """Filter with the element's 1-based position bound to ``index``."""

    @abstractmethod
    def map(self, items: str, param: str, body: str) -> str:
        """``body`` for every element ``param`` of ``items``."""

    def func(self, name: str, *args: str) -> str:
        return f"{self.functions.get(name, name)}({', '.join(args)})"

    @abstractmethod
    def idiv(self, a: str, b: str) -> str:
        """Integer division."""

    @abstractmethod
    def quantile(self, value: str, level: float) -> str:
        """The exact, linearly interpolated quantile aggregate."""

    @abstractmethod
    def epoch_us(self, value: str) -> str:
        """Microseconds since the Unix epoch of a timestamp."""

    @abstractmethod
    def first_touch(self, value: str, ts: str, where: str = "true") -> str:
        """The value on the earliest row where ``where`` holds (non-NULL first, then smallest).

        The value is wrapped in a struct: both engines' ``arg_min`` skip NULL arguments.
        """

    def bits(self, value: str, mask: int) -> str:
        """``value`` bitwise-and ``mask``."""
        return f"({value} & {mask})"

    def sum_if(self, condition: str) -> str:
        return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def _fields(logical: str) -> list[Field]:
    """``{a: int, b: [uuid]}`` → ``[("a", "int"), ("b", "[uuid]")]`` (one level of nesting)."""
    inner, fields, depth, start = logical[1:-1], [], 0, 0
    for i, ch in enumerate(inner + ","):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            name, kind = inner[start:i].split(":", 1)
            fields.append((name.strip(), kind.strip()))
            start = i + 1
    return fields


class DuckLang(Lang):
    name = "duckdb"
    types: ClassVar[dict[str, str]] = {"int": "BIGINT", "uuid": "UUID", "text": "VARCHAR"}
    functions: ClassVar[dict[str, str]] = {
        "concat": "list_concat",
        "append": "list_append",
        "contains": "list_contains",
        "length": "len",
        "sort": "list_sort",
        "flatten": "flatten",
        "agg_list": "list",
        "unnest": "unnest",
    }

    def list_type(self, item: str) -> str:
        return f"{item}[]"

    def struct_type(self, fields: Sequence[Field]) -> str:
        return "STRUCT(" + ", ".join(f"{n} {self.type(t)}" for n, t in fields) + ")"

    def struct(self, values: dict[str, str], logical: str) -> str:
        items = [f"'{n}': {self.cast(values[n], t)}" for n, t in _fields(logical)]
        return "{" + ", ".join(items) + "}"

    def reduce(self, items: str, body: str, init: str) -> str:
        return f"list_reduce({items}, lambda acc, x: {body}, {init})"

    def filter(self, items: str, param: str, body: str) -> str:
        return f"list_filter({items}, lambda {param}: {body})"

    def filter_indexed(self, items: str, param: str, index: str, body: str) -> str:
        return f"list_filter({items}, lambda {param}, {index}: {body})"

    def map(self, items: str, param: str, body: str) -> str:
        return f"list_transform({items}, lambda {param}: {body})"

    def idiv(self, a: str, b: str) -> str:
        return f"({a} // {b})"

    def quantile(self, value: str, level: float) -> str:
        return f"quantile_cont({value}, {level})"

    def epoch_us(self, value: str) -> str:
        return f"epoch_us({value})"

    def first_touch(self, value: str, ts: str, where: str = "true") -> str:
        key = f"{{'t': {ts}, 'n': {value} IS NULL, 'v': {value}}}"
        return f"(arg_min({{'v': {value}}}, {key}) FILTER (WHERE {where})).v"


class ClickLang(Lang):
    name = "clickhouse"
    types: ClassVar[dict[str, str]] = {"int": "Int64", "uuid": "UUID", "text": "Nullable(String)"}
    functions: ClassVar[dict[str, str]] = {
        "concat": "arrayConcat",
        "append": "arrayPushBack",
        "contains": "has",
        "length": "length",
        "sort": "arraySort",
        "flatten": "arrayFlatten",
        "agg_list": "groupArray",
        "unnest": "arrayJoin",
    }

    def list_type(self, item: str) -> str:
        return f"Array({item})"

    def struct_type(self, fields: Sequence[Field]) -> str:
        return "Tuple(" + ", ".join(f"{n} {self.type(t)}" for n, t in fields) + ")"

    def cast(self, value: str, logical: str) -> str:
        return f"CAST({value}, '{self.type(logical)}')"

    def struct(self, values: dict[str, str], logical: str) -> str:
        items = ", ".join(values[n] for n, _ in _fields(logical))
        return self.cast(f"tuple({items})", logical)

    def reduce(self, items: str, body: str, init: str) -> str:
        return f"arrayFold((acc, x) -> {body}, {items}, {init})"

    def filter(self, items: str, param: str, body: str) -> str:
        return f"arrayFilter({param} -> {body}, {items})"

    def filter_indexed(self, items: str, param: str, index: str, body: str) -> str:
        return f"arrayFilter(({param}, {index}) -> {body}, {items}, arrayEnumerate({items}))"

    def map(self, items: str, param: str, body: str) -> str:
        return f"arrayMap({param} -> {body}, {items})"

    def idiv(self, a: str, b: str) -> str:
        return f"intDiv({a}, {b})"

    def bits(self, value: str, mask: int) -> str:
        return f"bitAnd({value}, {mask})"

    def quantile(self, value: str, level: float) -> str:
        return f"quantileExactInclusive({level})({value})"

    def epoch_us(self, value: str) -> str:
        return f"toUnixTimestamp64Micro({value})"

    def first_touch(self, value: str, ts: str, where: str = "true") -> str:
        key = f"tuple({ts}, isNull({value}), {value})"
        return f"tupleElement(argMin(tuple({value}), {key}) FILTER (WHERE {where}), 1)"


def lang(dialect: str) -> Lang:
    return ClickLang() if dialect == "clickhouse" else DuckLang()
