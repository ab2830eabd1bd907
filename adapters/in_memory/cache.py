"""InMemoryCache: a TTL dict for one process (the embedded default)."""

from __future__ import annotations

import threading

from application.ports.cache import Cache, CacheStats
from application.ports.clock import Clock


class InMemoryCache(Cache):
    in_process = True

    def __init__(self, clock: Clock, *, max_entries: int = 100_000) -> None:
        self._clock = clock
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._stats = CacheStats()
        self._max = max_entries

    def get(self, key: str) -> str | None:
        now = self._clock.now().timestamp()
        with self._lock:
            item = self._data.get(key)
            if item is None or item[1] <= now:
                self._data.pop(key, None)
                self._stats.misses += 1
                return None
            self._stats.hits += 1
            return item[0]

    def set(self, key: str, value: str, *, ttl_seconds: int) -> None:
        expires = self._clock.now().timestamp() + ttl_seconds
        with self._lock:
            if len(self._data) >= self._max:
                now = self._clock.now().timestamp()
                self._data = {k: v for k, v in self._data.items() if v[1] > now}
                if len(self._data) >= self._max:
                    self._data.pop(next(iter(self._data)))
            self._data[key] = (value, expires)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._stats.hits, self._stats.misses)
