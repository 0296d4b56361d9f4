"""Cohorts: sets of persons defined by who they are or what they did.

A definition is one criterion or an ``and`` / ``or`` / ``not`` group of them:

- static: ``{"distinct_ids": [...]}`` — the persons those ids resolve to (after merges)
  among the project's events;
- person properties: ``{"properties": [filter, ...]}`` — persons whose properties match
  every filter (a person without stored properties has none set);
- behavioural: ``{"event": X, "operator": "gte|lte|eq", "count": N, "days": D}`` — did X
  at least / at most / exactly N times in the last D days (``filters`` narrow the
  events); ``{"did": X, "not_did": Y, "days": D}`` — did X but not Y in that window;
- acquisition: ``{"first_seen": {"date_from", "date_to"}, "event": X?}`` — whose first
  event (of kind X, when given) falls in the period.

"The last D days" is the range ``date_from: "-Dd"`` means everywhere in Heron: from the
start of the local day D days ago up to the end of today, in the project timezone.
Persons are those with at least one event in the project, so ``lte`` / ``eq 0`` and
``not`` include persons who never did the event. Every definition compiles to one
sqlglot query selecting ``person_id`` (resolved through identity merges), which analyses
use through :attr:`QueryContext.cohort_members` and ``CohortQuery`` lists.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlglot import exp

from heron.query.context import QueryContext
from heron.query.properties import PropertyFilter, filter_expr
from heron.query.registry import DateBound, QuerySpec, SpecError, register
from heron.query.runner import Runner
from heron.query.source import event_rows, person_id

MAX_STATIC_IDS = 100_000
MAX_DAYS = 3650
EventName = Annotated[str, Field(min_length=1, max_length=200)]


class _Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    tag: ClassVar[str]


class StaticCohort(_Criterion):
    tag = "static"
    distinct_ids: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=MAX_STATIC_IDS
    )


class PersonPropertyCohort(_Criterion):
    tag = "properties"
    properties: list[PropertyFilter] = Field(min_length=1)

    @field_validator("properties")
    @classmethod
    def _on_persons(cls, filters: list[PropertyFilter]) -> list[PropertyFilter]:
        return [f.model_copy(update={"type": "person"}) for f in filters]


class BehaviouralCohort(_Criterion):
    tag = "behavioral"
    event: EventName
    operator: Literal["gte", "lte", "eq"] = "gte"
    count: int = Field(default=1, ge=0, le=1_000_000_000)
    days: int = Field(ge=1, le=MAX_DAYS)
    filters: list[PropertyFilter] = Field(default_factory=list)


class DidNotDidCohort(_Criterion):
    tag = "did_not_did"
    did: EventName
    not_did: EventName
    days: int = Field(ge=1, le=MAX_DAYS)


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    date_from: DateBound
    date_to: DateBound = None


class AcquisitionCohort(_Criterion):
    tag = "first_seen"
    first_seen: Period
    event: EventName | None = None


class AndGroup(_Criterion):
    tag = "and"
    and_: list[CohortDefinition] = Field(alias="and", min_length=1, max_length=50)


class OrGroup(_Criterion):
    tag = "or"
    or_: list[CohortDefinition] = Field(alias="or", min_length=1, max_length=50)


class NotGroup(_Criterion):
    tag = "not"
    not_: CohortDefinition = Field(alias="not")


_KEYS = (
    ("and", "and"),
    ("or", "or"),
    ("not", "not"),
    ("distinct_ids", "static"),
    ("properties", "properties"),
    ("did", "did_not_did"),
    ("first_seen", "first_seen"),
    ("event", "behavioral"),
)


def _tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return next((tag for key, tag in _KEYS if key in value), None)
    return getattr(value, "tag", None)


CohortDefinition = Annotated[
    Annotated[AndGroup, Tag("and")]
    | Annotated[OrGroup, Tag("or")]
    | Annotated[NotGroup, Tag("not")]
    | Annotated[StaticCohort, Tag("static")]
    | Annotated[PersonPropertyCohort, Tag("properties")]
    | Annotated[DidNotDidCohort, Tag("did_not_did")]
    | Annotated[AcquisitionCohort, Tag("first_seen")]
    | Annotated[BehaviouralCohort, Tag("behavioral")],
    Discriminator(
        _tag,
        custom_error_type="cohort_criterion",
        custom_error_message="a cohort criterion needs one of the keys: "
        + ", ".join(key for key, _ in _KEYS),
    ),
]
for _group in (AndGroup, OrGroup, NotGroup):
    _group.model_rebuild()
DEFINITION: TypeAdapter[CohortDefinition] = TypeAdapter(CohortDefinition)


def parse_definition(data: Any, loc: tuple[str | int, ...] = ("definition",)) -> CohortDefinition:
    """A JSON definition → its model, or :class:`SpecError` with pydantic's errors."""
    try:
        return DEFINITION.validate_python(data)
    except ValidationError as exc:
        raise SpecError(
            [
                {"loc": [*loc, *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False)
            ]
        ) from None


def canonical(definition: CohortDefinition) -> Any:
    """The definition as plain JSON with its public key names (for storage and cache keys)."""
    return DEFINITION.dump_python(definition, mode="json", by_alias=True)


# -- compilation ----------------------------------------------------------------------------

Compiler = Callable[[QueryContext, Any], exp.Query]
_COMPILERS: dict[type[_Criterion], Compiler] = {}


def _compiles(kind: type[_Criterion]) -> Callable[[Compiler], Compiler]:
    def add(fn: Compiler) -> Compiler:
        _COMPILERS[kind] = fn
        return fn

    return add


def members_query(ctx: QueryContext, definition: CohortDefinition) -> exp.Query:
    """A query selecting the distinct ``person_id`` of every member."""
    return _COMPILERS[type(definition)](ctx, definition)


def _persons(ctx: QueryContext, query: exp.Select) -> exp.Select:
    return query.select(exp.alias_(person_id(ctx), "person_id"))


def _everyone(ctx: QueryContext) -> exp.Query:
    return _persons(ctx, event_rows(ctx, None)).distinct()


@_compiles(StaticCohort)
def _static(ctx: QueryContext, c: StaticCohort) -> exp.Query:
    ids = [exp.Literal.string(i) for i in sorted(set(c.distinct_ids))]
    rows = event_rows(ctx, None).where(exp.In(this=exp.column("distinct_id", "e"), expressions=ids))
    return _persons(ctx, rows).distinct()


@_compiles(PersonPropertyCohort)
def _properties(ctx: QueryContext, c: PersonPropertyCohort) -> exp.Query:
    return _persons(ctx, event_rows(ctx, None, filters=c.properties)).distinct()


def _hit(ctx: QueryContext, event: str, days: int, filters: list[PropertyFilter]) -> exp.Expr:
    """Whether a row is ``event`` in the last ``days`` days and matches ``filters``."""
    rng = ctx.time_range(f"-{days}d", None)
    ts = exp.column("timestamp", "e")
    conditions = [
        exp.EQ(this=exp.column("event", "e"), expression=exp.Literal.string(event)),
        exp.GTE(this=ts, expression=ctx.dialect.timestamp(rng.start_utc)),
        exp.LT(this=ts.copy(), expression=ctx.dialect.timestamp(rng.end_utc)),
        *(filter_expr(ctx.dialect, f) for f in filters),
    ]
    return exp.and_(*conditions)


def _hits(hit: exp.Expr) -> exp.Expr:
    """How many of a person's rows are hits.

    ``COUNT(CASE … THEN 1 END)``, not ``SUM(CASE … ELSE 0)``: DuckDB 2.0.0 derives wrong
    statistics for the sum when the overrides join is provably empty and prunes the group.
    """
    return exp.Count(this=exp.Case().when(hit, exp.Literal.number(1)))


def _grouped(ctx: QueryContext, rows: exp.Select, having: exp.Expr) -> exp.Query:
    return _persons(ctx, rows).group_by(person_id(ctx)).having(having)


@_compiles(BehaviouralCohort)
def _behavioural(ctx: QueryContext, c: BehaviouralCohort) -> exp.Query:
    """Persons by their hit count; when no hits cannot qualify (``gte``/``eq`` a positive
    count), only the hit rows are read instead of every event of every person."""
    cmp = {"gte": exp.GTE, "lte": exp.LTE, "eq": exp.EQ}[c.operator]
    hit = _hit(ctx, c.event, c.days, c.filters)
    rows = event_rows(ctx, None, person_properties=any(f.type == "person" for f in c.filters))
    if c.operator != "lte" and c.count > 0:
        rows = rows.where(hit.copy())
    return _grouped(ctx, rows, cmp(this=_hits(hit), expression=exp.Literal.number(c.count)))


@_compiles(DidNotDidCohort)
def _did_not_did(ctx: QueryContext, c: DidNotDidCohort) -> exp.Query:
    """Only the rows of either event in the window are read: members have a ``did`` hit."""
    did, not_did = _hit(ctx, c.did, c.days, []), _hit(ctx, c.not_did, c.days, [])
    rows = event_rows(ctx, None).where(exp.or_(did.copy(), not_did.copy()))
    having = exp.and_(
        exp.GT(this=_hits(did), expression=exp.Literal.number(0)),
        exp.EQ(this=_hits(not_did), expression=exp.Literal.number(0)),
    )
    return _grouped(ctx, rows, having)


@_compiles(AcquisitionCohort)
def _acquisition(ctx: QueryContext, c: AcquisitionCohort) -> exp.Query:
    rng = ctx.time_range(c.first_seen.date_from, c.first_seen.date_to)
    first = exp.Min(this=exp.column("timestamp", "e"))
    in_period = exp.and_(
        exp.GTE(this=first, expression=ctx.dialect.timestamp(rng.start_utc)),
        exp.LT(this=first.copy(), expression=ctx.dialect.timestamp(rng.end_utc)),
    )
    rows = event_rows(ctx, None, events=[c.event] if c.event else None)
    return _grouped(ctx, rows, in_period)


def _operand(query: exp.Query, index: int) -> exp.Select:
    return exp.select("person_id").from_(query.subquery(f"c{index}"))


def combine(queries: list[exp.Query], op: Literal["and", "or"]) -> exp.Query:
    """Members of all (``and``) or any (``or``) of the queries."""
    operands: list[exp.Query] = [_operand(q, i) for i, q in enumerate(queries)]
    setop = exp.intersect if op == "and" else exp.union
    return reduce(lambda a, b: setop(a, b, distinct=True), operands)


@_compiles(AndGroup)
def _and(ctx: QueryContext, c: AndGroup) -> exp.Query:
    return combine([members_query(ctx, part) for part in c.and_], "and")


@_compiles(OrGroup)
def _or(ctx: QueryContext, c: OrGroup) -> exp.Query:
    return combine([members_query(ctx, part) for part in c.or_], "or")


@_compiles(NotGroup)
def _not(ctx: QueryContext, c: NotGroup) -> exp.Query:
    return exp.except_(
        _operand(_everyone(ctx), 0), _operand(members_query(ctx, c.not_), 1), distinct=True
    )


# -- CohortQuery ----------------------------------------------------------------------------


class CohortQuery(QuerySpec):
    """Members of an inline ``definition`` and/or of the saved cohort ``cohort``.

    Result: ``{"count": int, "persons": [{"person_id", "properties"}]}`` — the first
    ``limit`` members after ``offset``, ordered by person id.
    """

    kind: Literal["CohortQuery"] = "CohortQuery"
    definition: CohortDefinition | None = None
    limit: int = Field(default=100, ge=0, le=10_000)
    offset: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _needs_members(self) -> CohortQuery:
        if self.definition is None and self.cohort is None:
            raise ValueError("give a cohort definition, a saved cohort id, or both")
        used = [f for f in ("date_from", "date_to", "breakdown") if getattr(self, f)]
        if used or self.filters:
            raise ValueError(f"CohortQuery does not take {', '.join(used or ['filters'])}")
        return self


@register(CohortQuery)
def run_cohort(spec: CohortQuery, runner: Runner) -> dict[str, Any]:
    ctx = runner.ctx
    parts: list[exp.Query] = []
    if spec.definition is not None:
        parts.append(members_query(ctx, spec.definition))
    if spec.cohort is not None:
        if ctx.cohort_members is None:
            raise ValueError("saved cohorts are not available in this context")
        parts.append(ctx.cohort_members(spec.cohort))
    members = parts[0] if len(parts) == 1 else combine(parts, "and")
    count = runner.execute(
        exp.select(exp.alias_(exp.Count(this=exp.Star()), "n")).from_(members.subquery("m"))
    )
    total = int(count.column("n")[0].as_py()) if count.num_rows else 0
    persons: list[dict[str, Any]] = []
    if spec.limit and total > spec.offset:
        page = (
            exp.select(exp.column("person_id", "m"), exp.column("properties", "p"))
            .from_(members.subquery("m"))
            .join(
                exp.table_("persons", alias="p"),
                on=exp.EQ(
                    this=exp.column("person_id", "p"), expression=exp.column("person_id", "m")
                ),
                join_type="left",
            )
            .order_by(exp.cast(exp.column("person_id", "m"), "TEXT"))
            .limit(spec.limit)
            .offset(spec.offset)
        )
        rows = runner.execute(page).to_pylist()
        persons = [
            {"person_id": str(r["person_id"]), "properties": _props(r["properties"])} for r in rows
        ]
    return {"count": total, "persons": persons}


def _props(value: Any) -> dict[str, Any]:
    if isinstance(value, str) and value:
        loaded = orjson.loads(value)
        return loaded if isinstance(loaded, dict) else {}
    return value if isinstance(value, dict) else {}
