"""What a request does when the shared rate limiter or cache (Redis in production) cannot answer: it carries on.

The failure policy, per use (docs/operations.md, "When Redis is down"):

- Rate limits and brute-force counters (FallbackRateLimiter) fall back to counters in this process: every limit
  still holds, per replica instead of per installation, and nobody gets a 500 or a 503 because a counter is away.
  Login keeps working.
- The cache (FallthroughCache) falls through to the source of truth: a read is a miss, a write is skipped. An
  invalidation (a logout, a revoked key, a role change) that cannot reach the cache is remembered and replayed,
  before anything else, as soon as the cache answers again, so a snapshot taken before the outage cannot outlive it
  unnoticed. Keys whose absence would grant access (a revoked external token) are `strict`: they are never
  guessed, the call fails with ServiceUnavailable (503) instead.

After a failure the shared store is left alone for `retry_after_seconds`, so a hung Redis costs one short timeout
per replica and per few seconds, not one per request. Outages are logged once and counted (Outages)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from application.dependency_health import Outages
from application.ports.cache import Cache, CacheStats
from application.ports.rate_limiter import RateDecision, RateLimiter
from domain.errors import InfrastructureError, ServiceUnavailable

MAX_PENDING_INVALIDATIONS = 100_000


class _Breaker:
    """Open (skip the shared store) for a few seconds after each failure; thread-safe."""

    def __init__(self, service: str, outages: Outages, retry_after_seconds: float, monotonic: Callable[[], float]):
        self.service = service
        self._outages = outages
        self._retry_after = retry_after_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._open_until = float("-inf")

    def closed(self) -> bool:
        with self._lock:
            return self._monotonic() >= self._open_until

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._open_until = self._monotonic() + self._retry_after
        self._outages.failed(self.service, exc)

    def succeeded(self) -> None:
        self._outages.recovered(self.service)


class FallbackRateLimiter(RateLimiter):
    """The shared limiter while it answers, this process's own counters while it does not."""

    def __init__(
        self,
        shared: RateLimiter,
        local: RateLimiter,
        outages: Outages,
        *,
        service: str = "redis",
        retry_after_seconds: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shared, self._local = shared, local
        self._breaker = _Breaker(service, outages, retry_after_seconds, monotonic)

    def hit(self, key: str, *, limit: int, window_seconds: int, cost: int = 1) -> RateDecision:
        if self._breaker.closed():
            try:
                decision = self.shared.hit(key, limit=limit, window_seconds=window_seconds, cost=cost)
            except InfrastructureError as exc:
                self._breaker.failed(exc)
            else:
                self._breaker.succeeded()
                return decision
        return self._local.hit(key, limit=limit, window_seconds=window_seconds, cost=cost)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        if self._breaker.closed():
            try:
                decision = self.shared.peek(key, limit=limit, window_seconds=window_seconds)
            except InfrastructureError as exc:
                self._breaker.failed(exc)
            else:
                self._breaker.succeeded()
                # Failures counted here during an outage still count once the shared store is back.
                local = self._local.peek(key, limit=limit, window_seconds=window_seconds)
                return local if decision.allowed and not local.allowed else decision
        return self._local.peek(key, limit=limit, window_seconds=window_seconds)

    def reset(self, key: str) -> None:
        self._local.reset(key)
        if self._breaker.closed():
            try:
                self.shared.reset(key)
            except InfrastructureError as exc:
                self._breaker.failed(exc)  # the shared counter then simply runs out with its window
            else:
                self._breaker.succeeded()


class FallthroughCache(Cache):
    """The shared cache while it answers; a miss (and a remembered invalidation) while it does not."""

    def __init__(
        self,
        shared: Cache,
        outages: Outages,
        *,
        strict_prefixes: tuple[str, ...] = (),
        service: str = "redis",
        retry_after_seconds: float = 3.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.shared = shared
        self._strict = strict_prefixes
        self._breaker = _Breaker(service, outages, retry_after_seconds, monotonic)
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._misses_while_down = 0

    def _is_strict(self, key: str) -> bool:
        return bool(self._strict) and key.startswith(self._strict)

    def _unavailable(self, exc: BaseException | None = None) -> ServiceUnavailable:
        error = ServiceUnavailable("The cache (Redis) cannot be reached; try again shortly.", service="redis")
        if exc is not None:
            error.__cause__ = exc
        return error

    def _usable(self) -> bool:
        """The shared cache may be asked: it is not in its pause and every remembered invalidation reached it."""
        if not self._breaker.closed():
            return False
        with self._lock:
            pending = list(self._pending)
        if not pending:
            return True
        try:
            self.shared.delete(*pending)
        except InfrastructureError as exc:
            self._breaker.failed(exc)
            return False
        with self._lock:
            self._pending.difference_update(pending)
        return True

    def get(self, key: str) -> str | None:
        if self._usable():
            try:
                value = self.shared.get(key)
            except InfrastructureError as exc:
                self._breaker.failed(exc)
            else:
                self._breaker.succeeded()
                return value
        if self._is_strict(key):
            raise self._unavailable()
        with self._lock:
            self._misses_while_down += 1
        return None

    def set(self, key: str, value: str, *, ttl_seconds: int) -> None:
        if self._usable():
            try:
                self.shared.set(key, value, ttl_seconds=ttl_seconds)
            except InfrastructureError as exc:
                self._breaker.failed(exc)
            else:
                self._breaker.succeeded()
                return
        if self._is_strict(key):
            raise self._unavailable()

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        if self._usable():
            try:
                self.shared.delete(*keys)
            except InfrastructureError as exc:
                self._breaker.failed(exc)
            else:
                self._breaker.succeeded()
                return
        with self._lock:
            if len(self._pending) + len(keys) > MAX_PENDING_INVALIDATIONS:
                raise self._unavailable()  # rather refuse the change than forget its invalidation
            self._pending.update(keys)

    def pending_invalidations(self) -> int:
        with self._lock:
            return len(self._pending)

    def stats(self) -> CacheStats:
        shared = self.shared.stats()
        with self._lock:
            return CacheStats(shared.hits, shared.misses + self._misses_while_down)
