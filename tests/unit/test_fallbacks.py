"""When the shared limiter or cache cannot answer, requests carry on (application/fallbacks.py): limits still hold
in this process, the cache is a miss, invalidations wait and are replayed first, strict keys refuse to guess. The
shared store is a controllable fake of the port (up, or raising ServiceUnavailable as the Redis adapters do)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from adapters.in_memory.cache import InMemoryCache
from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.rate_limiter import InMemoryRateLimiter
from application.dependency_health import Outages
from application.fallbacks import FallbackRateLimiter, FallthroughCache
from application.ports.cache import Cache, CacheStats
from application.ports.rate_limiter import RateDecision, RateLimiter
from domain.errors import ServiceUnavailable


class Switch:
    def __init__(self) -> None:
        self.down = False
        self.calls = 0

    def check(self) -> None:
        self.calls += 1
        if self.down:
            raise ServiceUnavailable("The rate limiter (Redis) cannot be reached.", service="redis")


class FlakyLimiter(RateLimiter):
    def __init__(self, clock: InMemoryClock, switch: Switch) -> None:
        self._inner, self._switch = InMemoryRateLimiter(clock), switch

    def hit(self, key: str, *, limit: int, window_seconds: int, cost: int = 1) -> RateDecision:
        self._switch.check()
        return self._inner.hit(key, limit=limit, window_seconds=window_seconds, cost=cost)

    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        self._switch.check()
        return self._inner.peek(key, limit=limit, window_seconds=window_seconds)

    def reset(self, key: str) -> None:
        self._switch.check()
        self._inner.reset(key)


class FlakyCache(Cache):
    def __init__(self, clock: InMemoryClock, switch: Switch) -> None:
        self.inner, self._switch = InMemoryCache(clock), switch

    def get(self, key: str) -> str | None:
        self._switch.check()
        return self.inner.get(key)

    def set(self, key: str, value: str, *, ttl_seconds: int) -> None:
        self._switch.check()
        self.inner.set(key, value, ttl_seconds=ttl_seconds)

    def delete(self, *keys: str) -> None:
        self._switch.check()
        self.inner.delete(*keys)

    def stats(self) -> CacheStats:
        return self.inner.stats()


class Monotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def clock() -> InMemoryClock:
    return InMemoryClock(datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC))


def test_limits_hold_in_this_process_while_the_shared_store_is_down_and_the_outage_is_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    switch, time = Switch(), Monotonic()
    c = clock()
    outages = Outages(monotonic=time)
    limiter = FallbackRateLimiter(FlakyLimiter(c, switch), InMemoryRateLimiter(c), outages, monotonic=time)
    assert limiter.hit("ip:1", limit=3, window_seconds=60).allowed

    switch.down = True
    with caplog.at_level(logging.WARNING, logger="mailagent.dependencies"):
        decisions = [limiter.hit("ip:1", limit=3, window_seconds=60) for _ in range(5)]
    # Never an error: the local counters answer, and they still stop the fourth request of the window.
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert decisions[-1].retry_after == 60
    assert outages.is_down("redis")
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert len(caplog.records) == 1
    # The store was asked once, then left alone during the pause: a hung Redis costs one timeout, not one per call.
    assert switch.calls == 2

    switch.down = False
    time.now += 10  # past the pause
    assert limiter.hit("ip:2", limit=3, window_seconds=60).allowed
    assert not outages.is_down("redis")


def test_failed_logins_counted_during_an_outage_still_block_afterwards() -> None:
    switch, time = Switch(), Monotonic()
    c = clock()
    limiter = FallbackRateLimiter(FlakyLimiter(c, switch), InMemoryRateLimiter(c), Outages(), monotonic=time)
    switch.down = True
    for _ in range(5):
        limiter.hit("login-fail:acct:ann", limit=5, window_seconds=900)
    switch.down = False
    time.now += 10
    assert not limiter.peek("login-fail:acct:ann", limit=5, window_seconds=900).allowed
    limiter.reset("login-fail:acct:ann")  # a successful login clears both
    assert limiter.peek("login-fail:acct:ann", limit=5, window_seconds=900).allowed


def test_the_cache_falls_through_while_down_and_replays_invalidations_first() -> None:
    switch, time = Switch(), Monotonic()
    shared = FlakyCache(clock(), switch)
    cache = FallthroughCache(shared, Outages(), monotonic=time)
    cache.set("session:live:s1", "snapshot", ttl_seconds=30)
    assert cache.get("session:live:s1") == "snapshot"

    switch.down = True
    assert cache.get("session:live:s1") is None  # a miss: the caller reads the source of truth
    cache.set("other", "x", ttl_seconds=30)  # skipped, no error
    cache.delete("session:live:s1")  # a logout during the outage: remembered
    assert cache.pending_invalidations() == 1

    switch.down = False
    time.now += 10
    # Redis is back with the old snapshot still in it: the remembered delete runs before anything is read.
    assert cache.get("session:live:s1") is None
    assert shared.inner.get("session:live:s1") is None
    assert cache.pending_invalidations() == 0
    cache.set("k", "v", ttl_seconds=30)
    assert cache.get("k") == "v"


def test_strict_keys_are_never_guessed_while_the_cache_is_down() -> None:
    switch = Switch()
    cache = FallthroughCache(FlakyCache(clock(), switch), Outages(), strict_prefixes=("token:revoked:",))
    switch.down = True
    with pytest.raises(ServiceUnavailable):
        cache.get("token:revoked:abc")  # "not revoked" cannot be assumed
    with pytest.raises(ServiceUnavailable):
        cache.set("token:revoked:abc", "1", ttl_seconds=60)  # a revocation must not be dropped silently
    assert cache.get("session:live:x") is None
