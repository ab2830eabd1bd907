"""InMemoryRateLimiter: fixed windows in a dict, for one process (the embedded default)."""

from __future__ import annotations

import math
import threading

from application.ports.clock import Clock
from application.ports.rate_limiter import RateDecision, RateLimiter


class InMemoryRateLimiter(RateLimiter):
    in_process = True

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def _window(self, window_seconds: int) -> tuple[int, int]:
        now = self._clock.now().timestamp()
        start = int(now // window_seconds) * window_seconds
        return start, max(1, math.ceil(start + window_seconds - now))

    def _decide(self, count: int, limit: int, retry: int) -> RateDecision:
        allowed = count <= limit
        return RateDecision(allowed, limit, max(0, limit - count), 0 if allowed else retry)

    def hit(self, key: str, *, limit: int, window_seconds: int, cost: int = 1) -> RateDecision:
        start, retry = self._window(window_seconds)
        with self._lock:
            if len(self._counts) > 100_000:  # drop finished windows now and then
                self._counts = {k: v for k, v in self._counts.items() if k[1] >= start}
            count = self._counts.get((key, start), 0) + cost
            self._counts[(key, start)] = count
        return self._decide(count, limit, retry)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        start, retry = self._window(window_seconds)
        with self._lock:
            count = self._counts.get((key, start), 0)
        decision = self._decide(count, limit, retry)
        return decision if count < limit else RateDecision(False, limit, 0, retry)

    def reset(self, key: str) -> None:
        with self._lock:
            for k in [k for k in self._counts if k[0] == key]:
                del self._counts[k]
