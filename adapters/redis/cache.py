"""RedisCache: the shared cache, so an invalidation on one replica is seen by all."""

from __future__ import annotations

import threading

import redis

from application.ports.cache import Cache, CacheStats
from domain.errors import ServiceUnavailable


class RedisCache(Cache):
    def __init__(self, client: redis.Redis, *, prefix: str = "mailagent:cache:") -> None:
        self._r = client
        self._prefix = prefix
        self._stats = CacheStats()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        try:
            raw = self._r.get(self._prefix + key)
        except redis.RedisError as exc:
            raise ServiceUnavailable("The cache (Redis) cannot be reached.", service="redis") from exc
        with self._lock:
            if raw is None:
                self._stats.misses += 1
            else:
                self._stats.hits += 1
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def set(self, key: str, value: str, *, ttl_seconds: int) -> None:
        try:
            self._r.set(self._prefix + key, value, ex=max(1, ttl_seconds))
        except redis.RedisError as exc:
            raise ServiceUnavailable("The cache (Redis) cannot be reached.", service="redis") from exc

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        try:
            self._r.delete(*(self._prefix + k for k in keys))
        except redis.RedisError as exc:
            raise ServiceUnavailable("The cache (Redis) cannot be reached.", service="redis") from exc

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._stats.hits, self._stats.misses)
