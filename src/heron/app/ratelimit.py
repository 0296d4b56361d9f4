"""Token buckets: a steady rate with room for bursts, one bucket per key."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class TokenBuckets:
    """``rate`` tokens per second per key, holding at most ``burst`` tokens."""

    def __init__(
        self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else rate
        self.clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: object, cost: float = 1.0) -> float:
        """Spend ``cost`` tokens. Returns 0 if allowed, else seconds until it would be."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if cost <= tokens:
                self._buckets[key] = (tokens - cost, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            needed = min(cost, self.burst) - tokens
            return needed / self.rate if self.rate > 0 else math.inf


def retry_after_header(wait_seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(wait_seconds)))}
