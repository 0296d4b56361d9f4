"""Query kinds: each analysis registers its spec model and its runner under its ``kind``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from heron.query.properties import Breakdown, PropertyFilter
from heron.query.runner import Runner

DateBound = date | datetime | str | None


class QuerySpec(BaseModel):
    """Fields common to every query (CONTRACTS.md, Queries)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    date_from: DateBound = None
    date_to: DateBound = None
    filters: list[PropertyFilter] = Field(default_factory=list)
    breakdown: Breakdown | None = None
    cohort: int | None = None


RunFn = Callable[[Any, Runner], Any]


@dataclass(frozen=True, slots=True)
class QueryKind:
    spec: type[QuerySpec]
    run: RunFn


KINDS: dict[str, QueryKind] = {}


def register(spec: type[QuerySpec]) -> Callable[[RunFn], RunFn]:
    """Decorate an analysis' runner: ``@register(TrendsQuery) def run(spec, runner): …``."""
    kind = spec.model_fields["kind"].default
    if not isinstance(kind, str):
        raise TypeError(f"{spec.__name__}.kind needs a string default")

    def add(run: RunFn) -> RunFn:
        KINDS[kind] = QueryKind(spec, run)
        return run

    return add


class SpecError(ValueError):
    """An invalid spec; ``errors`` is pydantic's error list (or one synthetic entry)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(
            "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg')}" for e in errors)
        )
        self.errors = errors


def parse_spec(data: Any) -> QuerySpec:
    """A JSON object → the registered spec model of its ``kind``."""
    if isinstance(data, QuerySpec):
        return data
    if not isinstance(data, dict):
        raise SpecError([{"loc": [], "msg": "query must be an object", "type": "type_error"}])
    kind = data.get("kind")
    if kind not in KINDS:
        known = ", ".join(sorted(KINDS))
        raise SpecError(
            [
                {
                    "loc": ["kind"],
                    "msg": f"unknown kind {kind!r}; known: {known}",
                    "type": "value_error",
                }
            ]
        )
    try:
        return KINDS[kind].spec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(
            [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False)
            ]
        ) from None
