"""A project's metric settings as a query sees them: event names, options, saved metrics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from heron.metrics.events import EventNames

EXTENSION = "metrics"
OPTIONS_KEY = "metric_options"


@dataclass(frozen=True, slots=True)
class MetricSettings:
    names: EventNames = field(default_factory=EventNames)
    options: Mapping[str, Any] = field(default_factory=dict)
    saved: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_project(
        cls, settings: Mapping[str, Any], saved: Mapping[str, dict[str, Any]]
    ) -> MetricSettings:
        options = settings.get(OPTIONS_KEY) or {}
        return cls(EventNames.from_settings(settings), dict(options), dict(saved))
