"""The ``FunnelsQuery`` spec (CONTRACTS.md, FunnelsQuery) and its validation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from heron.query.dates import Interval
from heron.query.properties import PropertyFilter
from heron.query.registry import QuerySpec
from heron.query.source import GroupTypeName

WindowUnit = Literal["second", "minute", "hour", "day", "week"]
UNIT_SECONDS: dict[str, int] = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 604800,
}
MAX_UNORDERED_SAME_EVENT = 5
"""Unordered funnels test every subset of the steps sharing one event (see funnels_sql)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FunnelStep(_Model):
    event: str = Field(min_length=1, max_length=200)
    filters: list[PropertyFilter] = Field(default_factory=list)
    name: str | None = Field(default=None, max_length=400)


class ConversionWindow(_Model):
    value: int = Field(default=14, ge=1, le=100_000)
    unit: WindowUnit = "day"

    @property
    def microseconds(self) -> int:
        return self.value * UNIT_SECONDS[self.unit] * 1_000_000


class FunnelExclusion(_Model):
    """Persons doing ``event`` between steps ``from_step`` and ``to_step`` drop out after ``from_step``."""

    event: str = Field(min_length=1, max_length=200)
    filters: list[PropertyFilter] = Field(default_factory=list)
    from_step: int = Field(ge=1, le=19)
    to_step: int = Field(ge=2, le=20)

    @model_validator(mode="after")
    def _ordered(self) -> FunnelExclusion:
        if self.to_step <= self.from_step:
            raise ValueError("to_step must be after from_step")
        return self


class FunnelPersons(_Model):
    """List the persons who ``converted`` (reached ``step``) or ``dropped`` (stopped just before it)."""

    step: int = Field(ge=1, le=20)
    status: Literal["converted", "dropped"] = "converted"
    breakdown_value: str | None = None
    limit: int = Field(default=100, ge=1, le=10_000)
    offset: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _dropped_needs_previous(self) -> FunnelPersons:
        if self.status == "dropped" and self.step < 2:
            raise ValueError("dropped persons are listed from step 2 on")
        return self


class FunnelsQuery(QuerySpec):
    kind: Literal["FunnelsQuery"] = "FunnelsQuery"
    steps: list[FunnelStep] = Field(min_length=2, max_length=20)
    conversion_window: ConversionWindow = Field(default_factory=ConversionWindow)
    order: Literal["ordered", "strict", "unordered"] = "ordered"
    strict_increase: bool = False
    exclusions: list[FunnelExclusion] = Field(default_factory=list, max_length=20)
    funnel_viz: Literal["steps", "time_to_convert", "trends"] = "steps"
    interval: Interval = "day"
    """Interval of ``trends`` (by the start of each person's chain)."""
    bins: int = Field(default=10, ge=1, le=200)
    """Histogram bins of ``time_to_convert``."""
    persons: FunnelPersons | None = None
    aggregation_group_type: GroupTypeName | None = None
    """Count groups of this type instead of persons: every step by the same group."""

    @model_validator(mode="after")
    def _consistent(self) -> FunnelsQuery:
        count = len(self.steps)
        for exclusion in self.exclusions:
            if exclusion.to_step > count:
                raise ValueError(f"exclusion to_step {exclusion.to_step} is past the last step")
        if self.persons is not None and self.persons.step > count:
            raise ValueError(f"persons step {self.persons.step} is past the last step")
        if self.order == "unordered":
            if self.exclusions:
                raise ValueError("unordered funnels take no exclusions")
            if self.funnel_viz == "time_to_convert":
                raise ValueError("time_to_convert needs an ordered or strict funnel")
            if max(map(len, step_classes(self.steps))) > MAX_UNORDERED_SAME_EVENT:
                raise ValueError(
                    f"unordered funnels allow at most {MAX_UNORDERED_SAME_EVENT} steps "
                    "on the same event"
                )
        return self


def step_classes(steps: list[FunnelStep]) -> list[list[int]]:
    """Step indices (0-based) grouped by event: only steps of one event can share an event."""
    classes: dict[str, list[int]] = {}
    for index, step in enumerate(steps):
        classes.setdefault(step.event, []).append(index)
    return list(classes.values())


def may_overlap(steps: list[FunnelStep]) -> bool:
    """Whether one event could match two steps (two steps name the same event)."""
    return any(len(c) > 1 for c in step_classes(steps))
