"""Per-project event names: a project maps Heron's conventional names to its own.

Project settings ``{"event_map": {"habit_checked": "habit_done"}}`` make every built-in
metric that reads ``habit_checked`` read ``habit_done`` instead. A conventional name may
map to a list of names (all count). Unmapped names are used as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ACTIVE_PATTERN = "^[^$]"
"""Active events: any event whose name does not start with ``$`` (METRICS.md)."""


@dataclass(frozen=True, slots=True)
class EventNames:
    """Conventional event name → the project's names for it."""

    mapping: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> EventNames:
        raw = settings.get("event_map") or {}
        if not isinstance(raw, Mapping):
            raise ValueError("project setting event_map must be an object of event names")
        out: dict[str, tuple[str, ...]] = {}
        for key, value in raw.items():
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
                raise ValueError(f"event_map[{key!r}] must be an event name or a list of them")
            out[str(key)] = tuple(names)
        return cls(out)

    def names(self, conventional: str) -> tuple[str, ...]:
        return self.mapping.get(conventional, (conventional,))

    def one(self, conventional: str) -> str:
        """The project's name when it maps to exactly one (trend series take one event)."""
        return self.names(conventional)[0]
