"""Revenue state in the metadata database: the provider event log and exchange rates.

The log keeps each provider event verbatim, once (unique on project, provider and event
id). State is never stored: it is rebuilt from the log ordered by the providers' own
event times, so redeliveries and out-of-order deliveries give the same state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heron.meta.models import Project
from heron.meta.revenue_models import ExchangeRate, RevenueEvent
from heron.revenue import imports, revenuecat_events, stripe_events
from heron.revenue.currency import Rates
from heron.revenue.model import Fact

TRANSLATORS = {
    "stripe": stripe_events.facts,
    "revenuecat": lambda payload: revenuecat_events.facts(payload.get("event") or {}),
    "import": imports.facts,
}


def record_event(
    s: Session,
    project_id: int,
    provider: str,
    event_id: str,
    event_type: str,
    occurred_at: datetime,
    payload: dict[str, Any],
) -> bool:
    """Append one provider event; ``False`` when the project already has it (nothing changes)."""
    exists = select(RevenueEvent.id).where(
        RevenueEvent.project_id == project_id,
        RevenueEvent.provider == provider,
        RevenueEvent.event_id == event_id,
    )
    if s.scalars(exists).first() is not None:
        return False
    row = RevenueEvent(
        project_id=project_id,
        provider=provider,
        event_id=event_id,
        event_type=event_type,
        occurred_at=occurred_at,
        payload=payload,
    )
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:
        return False
    return True


def load_facts(s: Session, project_id: int) -> list[Fact]:
    """Every fact of the project's log, in provider time order (ties by provider event id)."""
    query = (
        select(RevenueEvent.provider, RevenueEvent.payload)
        .where(RevenueEvent.project_id == project_id)
        .order_by(RevenueEvent.occurred_at, RevenueEvent.provider, RevenueEvent.event_id)
    )
    out: list[Fact] = []
    for provider, payload in s.execute(query):
        out.extend(TRANSLATORS[provider](payload))
    return out


def log_version(s: Session, project_id: int) -> list[Any]:
    """Changes whenever the project's log or rates change (for result caching)."""
    count, last = s.execute(
        select(func.count(RevenueEvent.id), func.max(RevenueEvent.id)).where(
            RevenueEvent.project_id == project_id
        )
    ).one()
    return [count, last, sorted(load_rates(s, project_id).rates.items())]


def load_rates(s: Session, project_id: int) -> Rates:
    """The project's currency and its stored rates."""
    project = s.get(Project, project_id)
    target = project.currency if project is not None else "USD"
    query = select(ExchangeRate).where(ExchangeRate.project_id == project_id)
    return Rates(target.upper(), {r.currency: r.rate for r in s.scalars(query)})


def set_rate(s: Session, project_id: int, currency: str, rate: float) -> None:
    """Store (or replace) the rate of ``currency`` into the project currency."""
    code = currency.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"currency must be a three-letter ISO code, got {currency!r}")
    if not rate > 0:
        raise ValueError(f"rate must be positive, got {rate!r}")
    query = select(ExchangeRate).where(
        ExchangeRate.project_id == project_id, ExchangeRate.currency == code
    )
    found = s.scalars(query).first()
    if found is None:
        s.add(ExchangeRate(project_id=project_id, currency=code, rate=float(rate)))
    else:
        found.rate = float(rate)
    s.flush()
