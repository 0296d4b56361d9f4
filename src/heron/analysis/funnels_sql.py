"""The SQL of a funnel, from matched rows to one row per unit (level, reported chain).

A *unit* is a person (merged identities resolved) or, with ``aggregation_group_type``,
a group of that type (from the events' ``$groups``; events without one are left out); for
``trends`` a unit and the interval holding the chain's start: a trends unit's step 1 only
matches events of its interval (exactly ``windowFunnel`` grouped by person and interval
with that condition).

``funnel_units`` has per unit: its keys, ``level`` (after exclusions), ``times`` (the
reported chain's step timestamps, microseconds from the range start; empty for unordered
funnels and when no aggregate needs them) and ``bv`` (the breakdown value by first
touch: the property on the unit's earliest step-1 event, non-NULL before NULL, then the
smallest; for unordered funnels, on its earliest step event).

Exclusions: with the reported chain ``T1…TL`` of a unit at level ``L``, an exclusion
``(event, a, b)`` applies when ``L > a`` and an exclusion event happens strictly after
``Ta`` and strictly before ``Tb`` (or, when ``L < b``, no later than the window after
``T1``: the chain was still open). The unit's level becomes the smallest applying ``a``.

Unordered funnels: a unit's level is the largest number of steps that distinct events
within one window ``[t, t + window]`` (``t`` the time of one of its step events) can
fill, each event filling at most one step. That maximum matching is ``n - Σ deficiency``
(Hall's theorem) over the groups of steps sharing an event name (steps of different
events never compete for an event); a group's deficiency is the largest
``|X| - (events in the window matching a step of X)`` over its subsets ``X`` (or 0).
The counts are window aggregates over each person's time-ordered rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import sqlglot
from sqlglot import exp

from heron.analysis.funnels_fold import STEP_BITS, Fold, chains_fold, slot_times, slots_fold
from heron.analysis.funnels_lang import lang
from heron.analysis.funnels_spec import FunnelsQuery, may_overlap, step_classes
from heron.analysis.intervals import Buckets
from heron.query.context import QueryContext, TimeRange
from heron.query.properties import PropertyFilter, filter_expr, property_expr
from heron.query.source import actor_id, event_rows

ROWS = "funnel_rows"
FOLDED = "funnel_folded"
STATES = "funnel_states"
MATERIALIZED = (FOLDED, STATES)
"""CTEs computed once: their folds must not be repeated where a filter is pushed down."""
UNITS = "funnel_units"
PERSON = "p"


def _and(conditions: Sequence[exp.Expr]) -> exp.Expr:
    return exp.and_(*conditions) if conditions else exp.true()


def _flag(condition: exp.Expr, value: int) -> exp.Expr:
    return exp.If(this=condition, true=exp.Literal.number(value), false=exp.Literal.number(0))


def _int_sum(terms: list[exp.Expr], int_type: exp.DataType) -> exp.Expr:
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.cast(total, int_type)


class FunnelSQL:
    """Builds the CTEs of one funnel query, in the context's dialect."""

    def __init__(self, ctx: QueryContext, spec: FunnelsQuery, rng: TimeRange) -> None:
        self.ctx = ctx
        self.lang = lang(ctx.dialect.name)
        self.spec = spec
        self.rng = rng
        self.k = len(spec.steps)
        self.window = spec.conversion_window.microseconds
        trends = spec.funnel_viz == "trends"
        self.buckets = Buckets.build(ctx, rng, spec.interval) if trends else None
        self.bucket_keys = self.buckets.group_names() if self.buckets else []
        self.keys = [PERSON, *self.bucket_keys]
        self.strict = spec.order == "strict"
        self.unordered = spec.order == "unordered"
        self.overlap = may_overlap(spec.steps)
        self.chains = self.overlap and not spec.strict_increase and not self.unordered
        self.need_times = bool(spec.exclusions) or (
            spec.persons is None and spec.funnel_viz != "trends"
        )

    def parse(self, sql: str) -> exp.Expr:
        return sqlglot.parse_one(sql, read=self.ctx.dialect.name)

    def text_type(self) -> exp.DataType:
        return exp.DataType.build(self.lang.type("text"), dialect=self.ctx.dialect.name)

    def int_type(self) -> exp.DataType:
        return exp.DataType.build(self.lang.type("int"), dialect=self.ctx.dialect.name)

    # -- matched rows -----------------------------------------------------------------------

    def rows(self) -> exp.Select:
        """Events of the steps and exclusions in range: person, time, step and exclusion bits."""
        spec, d = self.spec, self.ctx.dialect
        step_events = sorted({s.event for s in spec.steps})
        own_filters = [f for s in spec.steps for f in s.filters]
        own_filters += [f for x in spec.exclusions for f in x.filters]
        breakdown = spec.breakdown
        persons = any(f.type == "person" for f in own_filters) or (
            breakdown is not None and breakdown.type == "person"
        )
        query = event_rows(
            self.ctx,
            self.rng,
            events=sorted({*step_events, *(x.event for x in spec.exclusions)}),
            filters=spec.filters,
            cohort=spec.cohort,
            person_properties=persons,
            group_type=spec.aggregation_group_type,
            group_properties=[breakdown.group_type] if breakdown and breakdown.group_type else [],
        )
        ts = exp.column("timestamp", "e")
        start = self.parse(self.lang.epoch_us(d.timestamp(self.rng.start_utc).sql(d.name)))
        relative = exp.Sub(this=self.parse(self.lang.epoch_us("e.timestamp")), expression=start)
        masks = [_flag(self._matches(s.event, s.filters), 1 << i) for i, s in enumerate(spec.steps)]
        columns: list[exp.Expr] = [
            exp.alias_(actor_id(self.ctx, spec.aggregation_group_type), PERSON),
            exp.alias_(relative, "ts"),
            exp.alias_(_int_sum(masks, self.int_type()), "mask"),
        ]
        if spec.exclusions:
            marks = [
                _flag(self._matches(x.event, x.filters), 1 << i)
                for i, x in enumerate(spec.exclusions)
            ]
            columns.append(exp.alias_(_int_sum(marks, self.int_type()), "emask"))
        if self.strict:
            names = [exp.Literal.string(n) for n in step_events]
            event = exp.column("event", "e")
            columns.append(exp.alias_(_flag(exp.In(this=event, expressions=names), 1), "se"))
        if self.chains:
            columns.append(exp.alias_(exp.column("uuid", "e"), "u"))
        if self.buckets is not None:
            columns.extend(self.buckets.columns(self.ctx, ts.copy(), self.rng))
        value: exp.Expr = exp.null()
        if breakdown is not None:
            value = property_expr(
                d, breakdown.property, breakdown.type, group_type=breakdown.group_type
            )
        columns.append(exp.alias_(exp.cast(value, self.text_type()), "bv"))
        return query.select(*columns)

    def _matches(self, event: str, filters: list[PropertyFilter]) -> exp.Expr:
        conditions: list[exp.Expr] = [exp.column("event", "e").eq(exp.Literal.string(event))]
        conditions += [filter_expr(self.ctx.dialect, f) for f in filters]
        return _and(conditions)

    # -- units --------------------------------------------------------------------------------

    def units(self) -> list[tuple[str, exp.Expr]]:
        """CTEs from ``funnel_rows`` to ``funnel_units``."""
        ctes: list[tuple[str, exp.Expr]] = [(ROWS, self.rows())]
        if self.unordered:
            return ctes + self._unordered()
        L, source = self.lang, ROWS
        if self.buckets is not None:
            ctes.append(("funnel_trend_rows", self.parse(self._trend_rows())))
            source = "funnel_trend_rows"
        keys = ", ".join(self.keys)
        count = len(self.spec.exclusions)
        marks = "".join(f"x{i}, " for i in range(count))
        mark_lists = "".join(
            f"{L.func('agg_list', 'ts')} FILTER (WHERE {L.bits('emask', 1 << i)} != 0) AS x{i}, "
            for i in range(count)
        )
        descending = self.chains and not self.strict
        slots = slots_fold(
            L,
            self.k,
            self.window,
            strict=self.strict,
            strict_increase=self.spec.strict_increase or (self.chains and self.strict),
            times=self.need_times,
            descending=descending,
        )
        lvl = "st.lvl"
        times = slot_times(L, self.k, "st") if self.need_times else L.empty("[int]")
        first = self._first_touch(f"{L.bits('mask', 1)} = 1")
        grouped = f"{mark_lists}{first} AS bv FROM {source} GROUP BY {keys} "
        grouped += f"HAVING max({L.bits('mask', 1)}) = 1"
        states = FOLDED
        if not self.chains:
            ctes.append((FOLDED, self.parse(self._slots_folded(slots, grouped))))
        else:
            ctes.extend(
                self._tied_states(source, slots.init, slots.call("items"), grouped, descending)
            )
            states = STATES
            lvl = "CASE WHEN tied THEN -sc.rep.nl ELSE st.lvl END"
            times = f"CASE WHEN tied THEN sc.rep.t ELSE {times} END"
        chains = (
            f"SELECT {keys}, {lvl} AS lvl, {times} AS times, {marks}bv "
            f"FROM {states} WHERE {lvl} >= 1"
        )
        level = self._excluded_level()
        units = f"SELECT {keys}, times, bv, {level} AS level FROM ({chains}) AS funnel_chains"
        ctes.append((UNITS, self.parse(units)))
        return ctes

    def _slots_folded(self, slots: Fold, grouped: str) -> str:
        """Per unit, the slots fold over its sorted entries, runs of one step shortened.

        In a plain ordered funnel (not strict, no ``strict_increase``) only one entry of a
        run of consecutive entries of one step can change the slots: the last of a run of
        step-1 entries (a later start replaces an earlier one) and the first of a run of
        step-j entries (it moves the chain to step j; the next ones find the slot taken, or
        fall further outside the window). Dropping the others leaves the fold's result
        exactly as it was and makes the fold, the costly part, as short as the runs allow.
        """
        keys = ", ".join(self.keys)
        if self.strict or self.spec.strict_increase:
            return f"SELECT {keys}, {slots.call(self._items())} AS st, {grouped}"
        L, bits = self.lang, STEP_BITS
        step, before, after = f"x % {bits}", f"items[i - 1] % {bits}", f"items[i + 1] % {bits}"
        kept = L.filter_indexed(
            "items",
            "x",
            "i",
            f"CASE WHEN {step} = 1 THEN i = {L.func('length', 'items')} OR {after} != 1 "
            f"ELSE i = 1 OR {before} != {step} END",
        )
        marks = "".join(f"x{i}, " for i in range(len(self.spec.exclusions)))
        lists = f"SELECT {keys}, {self._items()} AS items, {grouped}"
        return f"SELECT {keys}, {slots.call(kept)} AS st, {marks}bv FROM ({lists}) AS funnel_items"

    def _tied_states(
        self, source: str, slots_init: str, slots_state: str, grouped: str, descending: bool
    ) -> list[tuple[str, exp.Expr]]:
        """States when one event can fill two steps: slots, unless two step events tie.

        Units without two step events at one timestamp get slots (descending entries, or
        ``strict_increase`` ones for strict funnels: exact there); only tied units pay for
        the chains fold and its event ids.
        """
        keys = ", ".join(self.keys)
        marks = "".join(f"x{i}, " for i in range(len(self.spec.exclusions)))
        chains = chains_fold(self.lang, self.k, self.window, strict=self.strict)
        step_rows = "FILTER (WHERE mask != 0)"
        tied = f"count(*) {step_rows} > count(DISTINCT ts) {step_rows}"
        items = self._items(descending=descending)
        lists = f"SELECT {keys}, {items} AS items, {tied} AS tied, {grouped}"
        same = " AND ".join(f"r.{k} = t.{k}" for k in self.keys)
        tied_items = (
            f"SELECT {', '.join(f'r.{k} AS {k}' for k in self.keys)}, "
            f"{self._items(with_ids=True)} AS items FROM {source} AS r "
            f"JOIN (SELECT {keys} FROM {FOLDED} WHERE tied) AS t ON {same} "
            f"GROUP BY {', '.join(f'r.{k}' for k in self.keys)}"
        )
        rest = f"{marks}bv FROM {FOLDED}"
        by_slots = (
            f"SELECT {keys}, {slots_state} AS st, {chains.init} AS sc, tied, {rest} WHERE NOT tied"
        )
        chosen = ", ".join(f"f.{k} AS {k}" for k in self.keys)
        marked = "".join(f"f.x{i} AS x{i}, " for i in range(len(self.spec.exclusions)))
        by_chains = (
            f"SELECT {chosen}, {slots_init} AS st, {chains.call('i.items')} AS sc, f.tied AS tied, "
            f"{marked}f.bv AS bv FROM {FOLDED} AS f JOIN funnel_tied_items AS i ON "
            + " AND ".join(f"f.{k} = i.{k}" for k in self.keys)
        )
        return [
            (FOLDED, self.parse(lists)),
            ("funnel_tied_items", self.parse(tied_items)),
            (STATES, self.parse(f"{by_slots} UNION ALL {by_chains}")),
        ]

    def _items(self, *, with_ids: bool = False, descending: bool = False) -> str:
        """The unit's sorted entry keys (``{k, u}`` structs with the event ids if asked;
        steps stored as ``31 - step`` if ``descending``, see :func:`slots_fold`)."""
        L = self.lang
        entry = "(mask != 0 OR se = 1)" if self.strict else "mask != 0"
        if not self.overlap:
            step = " ".join(f"WHEN {1 << j} THEN {j + 1}" for j in range(self.k))
            key = f"ts * {STEP_BITS} + CASE mask {step} ELSE 0 END"
            return L.func("sort", f"{L.func('agg_list', key)} FILTER (WHERE {entry})")
        keys = [
            f"CASE WHEN {L.bits('mask', 1 << j)} != 0 THEN ts * {STEP_BITS} + "
            f"{STEP_BITS - 2 - j if descending else j + 1} ELSE -1 END"
            for j in range(self.k)
        ]
        if self.strict:
            keys.append(f"CASE WHEN mask = 0 THEN ts * {STEP_BITS} ELSE -1 END")
        per_row = L.filter(f"[{', '.join(keys)}]", "v", "v >= 0")
        if with_ids:
            per_row = L.map(per_row, "v", L.struct({"k": "v", "u": "u"}, "{k: int, u: uuid}"))
        rows = f"{L.func('agg_list', per_row)} FILTER (WHERE {entry})"
        return L.func("sort", L.func("flatten", rows))

    def _trend_rows(self) -> str:
        """Rows per trends unit: step 1 only matches in the unit's own interval."""
        L = self.lang
        same = " AND ".join(f"r.{k} = s.{k}" for k in self.bucket_keys)
        kept = ", ".join(f"r.{c} AS {c}" for c in self._row_columns())
        bucket_columns = ", ".join(f"s.{k} AS {k}" for k in self.bucket_keys)
        group = ", ".join(self.keys)
        return (
            f"SELECT r.p AS p, {bucket_columns}, r.ts AS ts, "
            f"CASE WHEN {same} THEN r.mask ELSE r.mask - {L.bits('r.mask', 1)} END AS mask, "
            f"{kept} FROM {ROWS} AS r JOIN (SELECT {group}, min(ts) AS lo, max(ts) AS hi "
            f"FROM {ROWS} WHERE {L.bits('mask', 1)} = 1 GROUP BY {group}) AS s "
            f"ON r.p = s.p AND r.ts >= s.lo AND r.ts <= s.hi + {self.window}"
        )

    def _first_touch(self, where: str = "true") -> str:
        if self.spec.breakdown is None:
            return self.lang.cast("NULL", "text")
        return self.lang.first_touch("bv", "ts", where)

    def _row_columns(self) -> list[str]:
        columns = ["bv"]
        if self.spec.exclusions:
            columns.append("emask")
        if self.strict:
            columns.append("se")
        if self.chains:
            columns.append("u")
        return columns

    def _excluded_level(self) -> str:
        L = self.lang
        exclusions = sorted(enumerate(self.spec.exclusions), key=lambda p: p[1].from_step)
        whens = []
        for i, x in exclusions:
            a, b = x.from_step, x.to_step
            end = f"CASE WHEN lvl >= {b} THEN times[{b}] ELSE times[1] + {self.window + 1} END"
            inside = L.filter(f"x{i}", "v", f"v > times[{a}] AND v < {end}")
            whens.append(f"WHEN lvl > {a} AND {L.func('length', inside)} > 0 THEN {a}")
        return f"CASE {' '.join(whens)} ELSE lvl END" if whens else "lvl"

    def _unordered(self) -> list[tuple[str, exp.Expr]]:
        """Per anchor event, the steps a window from it can match; per unit, the best.

        Window counts are differences of running counts: rows up to ``t + window`` (the
        running count of the last row not after it, found by an ASOF join) minus rows
        before ``t``.
        """
        L = self.lang
        upto = "PARTITION BY p ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
        before = "PARTITION BY p ORDER BY ts RANGE BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
        running, counts, deficiencies = [], [], []
        for index, group in enumerate(step_classes(self.spec.steps)):
            terms = []
            for size in range(1, len(group) + 1):
                for subset in combinations(group, size):
                    bits = sum(1 << j for j in subset)
                    name = f"n{index}_{bits}"
                    hit = L.sum_if(f"{L.bits('mask', bits)} != 0")
                    running.append(f"{hit} OVER ({upto}) AS c_{name}")
                    running.append(f"coalesce({hit} OVER ({before}), 0) AS b_{name}")
                    counts.append(f"z.c_{name} - a.b_{name} AS {name}")
                    terms.append(f"{size} - {name}")
            deficiencies.append(f"greatest(0, {', '.join(terms)})")
        extra = "".join(f", {k}" for k in self.bucket_keys)
        cumulative = f"SELECT p, ts, bv{extra}, {', '.join(running)} FROM {ROWS} WHERE mask != 0"
        anchors = "".join(f", a.{k} AS {k}" for k in self.bucket_keys)
        counted = (
            f"SELECT a.p AS p, a.ts AS ts, a.bv AS bv{anchors}, {', '.join(counts)} "
            f"FROM funnel_cumulative AS a ASOF JOIN funnel_cumulative AS z "
            f"ON a.p = z.p AND a.ts + {self.window} >= z.ts"
        )
        matched = f"{self.k} - " + " - ".join(deficiencies)
        keys = ", ".join(self.keys)
        units = (
            f"SELECT {keys}, {L.empty('[int]')} AS times, {self._first_touch()} AS bv, "
            f"max({matched}) AS level FROM funnel_counted GROUP BY {keys}"
        )
        return [
            ("funnel_cumulative", self.parse(cumulative)),
            ("funnel_counted", self.parse(counted)),
            (UNITS, self.parse(units)),
        ]
