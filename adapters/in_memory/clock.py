"""InMemoryClock: a clock tests can set and move forward."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from application.ports.clock import Clock


class InMemoryClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds, **delta)
            return self._now

    def set(self, value: datetime) -> None:
        with self._lock:
            self._now = value
