"""The per-unit folds that compute an ordered or strict funnel level exactly.

A *unit* (a person, or a person and a start interval) has a list of *entries*: one per
step its event matches, keyed ``ts * 32 + step`` (``ts`` in microseconds from the range
start; ``step`` 1…20, or 0 for a strict funnel's event that matches no step). Sorting the
keys gives ClickHouse's own order: by time, then by step, so equal timestamps count in
step order. A fold over the sorted list replays ``windowFunnel(window, 'strict_once')``
(with ``'strict_order'`` for strict funnels, ``'strict_increase'`` when asked):

- A chain starts at a step-1 entry. A step-k entry extends a chain at step k-1 when it
  is not earlier than the chain's last entry (strictly later with ``strict_increase``),
  at most ``window`` after the chain's start, and (``strict_once``) not the same event
  as one already in the chain. The level is the deepest chain.
- Strict: after the first step-1 entry, an entry of no step, or of a step more than one
  past the deepest level reached so far, ends the unit's processing.

Two folds, both exact:

- :func:`slots_fold`, when no event can fill two steps of one chain (no two steps can
  match the same event, or ``strict_increase`` keeps every chain's timestamps apart). A
  later start dominates an earlier one at the same level, so one slot per level holds
  the latest start (ClickHouse's classic algorithm). With ``strict_increase`` a second
  slot keeps the latest start among chains whose last entry is earlier than the best
  one's, since only those may be extended at the best one's timestamp.
- :func:`chains_fold`, otherwise: every chain is kept with the events it used, as
  ClickHouse does, except chains settled before the current timestamp that a later start
  at the same level dominates (they can never do better, and reuse no event to come).
  It is only needed for units where two step events share a timestamp: otherwise any
  two events of a chain have distinct timestamps, so ``strict_increase`` slots are exact.

The unit's *reported chain* is, among chains reaching its level, the one starting last,
with each step at its earliest possible time; its step timestamps give conversion times.
Both folds carry it in their state: a slot is only replaced by a strictly later start, so
it keeps the earliest times of its start.

Only integers computed here are formatted into the SQL text (see :mod:`funnels_lang`).
"""

from __future__ import annotations

from dataclasses import dataclass

from heron.analysis.funnels_lang import Lang

STEP_BITS = 32
"""Entry key multiplier: ``key = ts * STEP_BITS + step`` (steps 0…20 fit)."""
CHAIN = "{l: int, f: int, a: int, p: [uuid], t: [int]}"
REPORTED = "{nl: int, nf: int, t: [int]}"


@dataclass(frozen=True, slots=True)
class Fold:
    """A fold as SQL text: the lambda body (over ``acc`` and ``x``) and the initial state."""

    lang: Lang
    init: str
    body: str

    def call(self, items: str) -> str:
        return self.lang.reduce(items, self.body, self.init)


def _state_type(names: list[str], types: dict[str, str] | None = None) -> str:
    return "{" + ", ".join(f"{n}: {(types or {}).get(n, 'int')}" for n in names) + "}"


def _case(branches: list[tuple[str, str]], default: str) -> str:
    whens = " ".join(f"WHEN {cond} THEN {value}" for cond, value in branches)
    return f"CASE {whens} ELSE {default} END"


class _State:
    """Struct values of one state type, written as updates of ``acc``."""

    def __init__(self, lang: Lang, names: list[str], types: dict[str, str] | None = None):
        self.lang, self.names = lang, names
        self.logical = _state_type(names, types)

    def make(self, values: dict[str, str]) -> str:
        return self.lang.struct(values, self.logical)

    def update(self, changes: dict[str, str]) -> str:
        return self.make({n: changes.get(n, f"acc.{n}") for n in self.names})


def slots_fold(
    lang: Lang,
    steps: int,
    window_us: int,
    *,
    strict: bool,
    strict_increase: bool,
    times: bool,
    descending: bool = False,
) -> Fold:
    """Level and latest start per level (``lvl``, ``b{j}``).

    With ``times``, slot ``j`` also keeps its chain's step timestamps ``t{j}_{i}``
    (``i`` = 2…j; step 1 is the start itself). With ``strict_increase``, ``l{j}`` is the
    best chain's last timestamp and ``p{j}`` (times ``q{j}_{i}``) the runner-up.

    ``descending`` entries are keyed ``ts * 32 + (31 - step)``: equal timestamps come in
    descending step order, so no entry extends a chain that reached the step before at
    the same timestamp. For a unit whose step events all have distinct timestamps, that
    is exactly ``strict_once`` with one slot per level, an event matching several steps
    included (not for strict funnels, whose stops depend on the ascending order).
    """
    assert not (descending and strict)
    ts = lang.idiv("x", str(STEP_BITS))
    step = f"({STEP_BITS - 1} - x % {STEP_BITS})" if descending else f"(x % {STEP_BITS})"
    levels = range(1, steps + 1)
    names = ["lvl", "stp", *(f"b{j}" for j in levels)]
    best_times = {j: [f"t{j}_{i}" for i in range(2, j + 1)] if times else [] for j in levels}
    prev_times = {j: [f"q{j}_{i}" for i in range(2, j + 1)] if times else [] for j in levels}
    names += [n for j in levels for n in best_times[j]]
    if strict_increase:
        names += [f"l{j}" for j in levels] + [f"p{j}" for j in levels]
        names += [n for j in levels for n in prev_times[j]]
    state = _State(lang, names)
    init = state.make({n: "0" if n in ("lvl", "stp") else "-1" for n in names})
    branches: list[tuple[str, str]] = []
    if strict:
        branches.append(("acc.stp = 1", "acc"))
        branches.append(
            (f"{step} = 0", state.update({"stp": "CASE WHEN acc.lvl >= 1 THEN 1 ELSE 0 END"}))
        )
    for j in levels:
        source, source_times = _source(j, ts, best_times, prev_times, strict_increase)
        if strict and j > 1:
            branches.append(
                (f"{step} = {j} AND acc.lvl >= 1 AND acc.lvl < {j - 1}", state.update({"stp": "1"}))
            )
        changes = {"lvl": f"greatest(acc.lvl, {j})", f"b{j}": source}
        if times and j > 1:
            changes.update(zip(best_times[j], [*source_times, ts], strict=True))
        if strict_increase:
            moved = f"acc.l{j} < {ts}"
            changes[f"l{j}"] = ts
            changes[f"p{j}"] = f"CASE WHEN {moved} THEN acc.b{j} ELSE acc.p{j} END"
            for prev, best in zip(prev_times[j], best_times[j], strict=True):
                changes[prev] = f"CASE WHEN {moved} THEN acc.{best} ELSE acc.{prev} END"
        condition = f"{step} = {j} AND {source} > acc.b{j}"
        if j > 1:
            condition += f" AND {ts} - {source} <= {window_us}"
        branches.append((condition, state.update(changes)))
    return Fold(lang, init, _case(branches, "acc"))


def _source(
    j: int,
    ts: str,
    best_times: dict[int, list[str]],
    prev_times: dict[int, list[str]],
    strict_increase: bool,
) -> tuple[str, list[str]]:
    """The chain a step-j entry extends: its start and step times (step 1 starts one)."""
    if j == 1:
        return ts, []
    best = [f"acc.{n}" for n in best_times[j - 1]]
    if not strict_increase:
        return f"acc.b{j - 1}", best
    settled = f"acc.l{j - 1} < {ts}"
    prev = [f"acc.{n}" for n in prev_times[j - 1]]
    return (
        f"(CASE WHEN {settled} THEN acc.b{j - 1} ELSE acc.p{j - 1} END)",
        [f"(CASE WHEN {settled} THEN {b} ELSE {q} END)" for b, q in zip(best, prev, strict=True)],
    )


def slot_times(lang: Lang, steps: int, state: str) -> str:
    """The reported chain's step timestamps, from a :func:`slots_fold` state with times."""
    whens = []
    for j in range(1, steps + 1):
        items = [f"{state}.b{j}", *(f"{state}.t{j}_{i}" for i in range(2, j + 1))]
        whens.append(f"WHEN {j} THEN [{', '.join(items)}]")
    return f"CASE {state}.lvl {' '.join(whens)} ELSE {lang.empty('[int]')} END"


def chains_fold(lang: Lang, steps: int, window_us: int, *, strict: bool) -> Fold:
    """Every live chain with its events (``x`` is ``{k: key, u: event uuid}``).

    State: ``stp`` (strict stop), ``sq`` (chains ``{l, f, a, p, t}``: level, first and last
    timestamp, event ids, step timestamps) and ``rep``, the reported chain as
    ``{nl, nf, t}`` (minus its level, minus its start, its times: the smallest is the
    best), so the level is ``-rep.nl``. New chains are bound once by mapping a lambda
    over a one-element list (SQL lambdas have no ``let``).
    """
    L = lang
    ts, step = L.idiv("x.k", str(STEP_BITS)), f"(x.k % {STEP_BITS})"
    level = "(-acc.rep.nl)"
    state = _State(L, ["stp", "sq", "rep"], {"sq": f"[{CHAIN}]", "rep": REPORTED})
    init = state.make(
        {
            "stp": "0",
            "sq": L.empty(f"[{CHAIN}]"),
            "rep": L.struct({"nl": "0", "nf": "0", "t": L.empty("[int]")}, REPORTED),
        }
    )
    newer = "d.f > c.f OR (d.f = c.f AND (d.t < c.t OR (d.t = c.t AND h < i)))"
    dominated = L.filter_indexed("acc.sq", "d", "h", f"d.a < {ts} AND d.l = c.l AND ({newer})")
    kept = L.filter_indexed(
        "acc.sq", "c", "i", f"c.a = {ts} OR NOT ({L.func('length', dominated)} > 0)"
    )
    ranked = L.map("n", "c", L.struct({"nl": "-c.l", "nf": "-c.f", "t": "c.t"}, REPORTED))
    best = L.func("sort", L.func("concat", "[acc.rep]", ranked)) + "[1]"
    extended = state.make({"stp": "acc.stp", "sq": L.func("concat", kept, "n"), "rep": best})
    branches: list[tuple[str, str]] = []
    if strict:
        branches.append(("acc.stp = 1", "acc"))
        branches.append(
            (f"{step} = 0", state.update({"stp": f"CASE WHEN {level} >= 1 THEN 1 ELSE 0 END"}))
        )
    for j in range(1, steps + 1):
        if j == 1:
            chain = {"l": "1", "f": ts, "a": ts, "p": "[x.u]", "t": f"[{ts}]"}
            new = f"[{L.struct(chain, CHAIN)}]"
        else:
            grown = {
                "l": str(j),
                "f": "c.f",
                "a": ts,
                "p": L.func("append", "c.p", "x.u"),
                "t": L.func("append", "c.t", ts),
            }
            live = L.filter(
                "acc.sq",
                "c",
                f"c.l = {j - 1} AND {ts} - c.f <= {window_us} "
                f"AND NOT {L.func('contains', 'c.p', 'x.u')}",
            )
            new = L.map(live, "c", L.struct(grown, CHAIN))
            if strict:
                branches.append(
                    (
                        f"{step} = {j} AND {level} >= 1 AND {level} < {j - 1}",
                        state.update({"stp": "1"}),
                    )
                )
        branches.append((f"{step} = {j}", L.map(f"[{new}]", "n", extended) + "[1]"))
    return Fold(L, init, _case(branches, "acc"))
