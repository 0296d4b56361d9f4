"""Where a query finds revenue state: ``ctx.extensions["revenue"]``, a :class:`RevenueSource`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from heron.revenue import store
from heron.revenue.currency import Rates
from heron.revenue.ledger import Ledger

EXTENSION = "revenue"


class RevenueSource(Protocol):
    def ledger(self) -> Ledger: ...

    def rates(self) -> Rates: ...


@dataclass(frozen=True, slots=True)
class FixedRevenue:
    """A ledger and rates at hand (tests, scripts)."""

    fixed_ledger: Ledger
    fixed_rates: Rates

    def ledger(self) -> Ledger:
        return self.fixed_ledger

    def rates(self) -> Rates:
        return self.fixed_rates


@dataclass(slots=True)
class MetaRevenue:
    """A project's log in the metadata database, read on first use (so cache hits skip it)."""

    meta: sessionmaker[Session]
    project_id: int
    _loaded: tuple[Ledger, Rates] | None = field(default=None, repr=False)

    def _load(self) -> tuple[Ledger, Rates]:
        if self._loaded is None:
            with self.meta() as s:
                facts = store.load_facts(s, self.project_id)
                self._loaded = (Ledger.build(facts), store.load_rates(s, self.project_id))
        return self._loaded

    def ledger(self) -> Ledger:
        return self._load()[0]

    def rates(self) -> Rates:
        return self._load()[1]


class RevenueExtension:
    """The query-service extension giving revenue kinds their project's log."""

    name = EXTENSION
    kinds = frozenset({"RevenueQuery", "MetricQuery"})

    def __init__(self, meta: sessionmaker[Session]) -> None:
        self.meta = meta

    def load(self, project_id: int) -> tuple[MetaRevenue, object]:
        with self.meta() as s:
            version = store.log_version(s, project_id)
        return MetaRevenue(self.meta, project_id), version
