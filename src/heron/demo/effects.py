"""The ground truth a generated data set carries, so analyses can be tested against it.

Every rate here is a parameter the generator draws from, stated with the definition
under which it can be measured in the data. "Signup cohort" means persons whose
``signup`` falls in the range at least the relevant number of days before its end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

FLAG = "$feature/new-onboarding"


@dataclass(frozen=True, slots=True)
class Funnel:
    """A funnel with a planted drop.

    ``unit == "person"``: of the signup cohort, the share reaching each step within
    ``window_days`` of signup, every step after the previous one (ClickHouse
    ``windowFunnel`` semantics from the ``signup``). ``unit == "campaign_id"``: per
    (person, ``campaign_id``) e-mail, each step after the previous one; the last step
    (``purchase``) is in the ``$session_id`` of the landing ``pageview`` the click opened.
    """

    steps: tuple[str, ...]
    rates: tuple[float, ...]
    """Conversion from the previous step, one per step after the first."""
    window_days: int
    unit: str
    drop_step: int
    """Index in ``steps`` of the step with the planted low conversion."""


@dataclass(frozen=True, slots=True)
class Churn:
    """A churn driver: doing ``driver_event`` early keeps persons active.

    Of the signup cohort (at least ``after_days + 7`` days before the end): the share with
    at least one of ``active_events`` at ``after_days`` or more after signup is
    ``retained_with`` for persons who did ``driver_event`` within ``driver_days`` of signup,
    and ``retained_without`` for the others.
    """

    driver_event: str
    driver_days: int
    after_days: int
    active_events: tuple[str, ...]
    retained_with: float
    retained_without: float


@dataclass(frozen=True, slots=True)
class Experiment:
    """An A/B test: signed-up persons carry ``flag`` = variant on their events from signup.

    The share of the signup cohort doing ``conversion_event`` within ``window_days`` of
    signup is ``control_rate`` in ``control`` and ``control_rate × (1 + relative_lift)``
    in ``test``; persons are split ``test_share`` / rest at random.
    """

    conversion_event: str
    window_days: int
    control_rate: float
    relative_lift: float
    flag: str = FLAG
    variants: tuple[str, str] = ("control", "test")
    test_share: float = 0.5

    @property
    def test_rate(self) -> float:
        return self.control_rate * (1.0 + self.relative_lift)


@dataclass(frozen=True, slots=True)
class Identity:
    """Shares of persons by how they are identified.

    ``visitor_share`` of new persons only ever browse anonymously; of the members who
    sign up, ``anonymous_share`` browse anonymously first and are merged by ``$identify``
    with ``$anon_distinct_id`` at signup, and ``alias_share`` (of those signing up in the
    range) get a ``$create_alias`` whose ``alias`` is then the distinct id of their
    server-side events. Members active before the range get their person properties
    from a ``$set`` event at its start.
    """

    visitor_share: float
    anonymous_share: float
    alias_share: float


@dataclass(frozen=True, slots=True)
class Spike:
    """``event`` counts on ``local_date`` are ``multiplier`` × what they would have been."""

    event: str
    local_date: dt.date
    multiplier: float


@dataclass(frozen=True, slots=True)
class Truth:
    """The per-product parameters; :class:`Planted` adds the dates of one data set."""

    funnel: Funnel
    churn: Churn
    experiment: Experiment
    identity: Identity
    spike_event: str
    spike_multiplier: float
    ties: tuple[tuple[str, str], ...]
    """Event pairs a person emits with the exact same timestamp."""


@dataclass(frozen=True, slots=True)
class Planted:
    """The ground truth of ``generate(product, n_events, seed=…, end=…, days=…)``."""

    product: str
    timezone: str
    n_events: int
    start: dt.date
    end: dt.date
    funnel: Funnel
    churn: Churn
    experiment: Experiment
    identity: Identity
    spike: Spike
    ties: tuple[tuple[str, str], ...]
    dst_changes: tuple[dt.date, ...]
    """Local dates in the range on which the project timezone changes its UTC offset."""


def spike_day(seed: int, days: int) -> int:
    """The spike's day index in the range: away from its edges, chosen by the seed."""
    margin = min(21, days // 4)
    span = max(1, days - 2 * margin)
    return margin + (seed * 7919 + 37) % span
