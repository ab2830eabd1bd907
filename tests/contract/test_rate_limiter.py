"""One contract for RateLimiter: the in-memory counter and Redis must count and reset alike (properties 13, 75)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.rate_limiter import InMemoryRateLimiter
from adapters.redis.rate_limiter import RedisRateLimiter
from application.dependency_health import Outages
from application.fallbacks import FallbackRateLimiter
from application.ports.rate_limiter import RateLimiter

Factory = Callable[[InMemoryClock], RateLimiter]


@pytest.fixture(params=["memory", "redis", "redis-with-fallback"])
def make_limiter(request: pytest.FixtureRequest) -> Iterator[Factory]:
    if request.param == "memory":
        yield InMemoryRateLimiter
    else:
        client: Any = request.getfixturevalue("redis_client")
        prefix: str = request.getfixturevalue("redis_prefix")
        if request.param == "redis":
            yield lambda clock: RedisRateLimiter(client, clock, prefix=prefix)
        else:  # what production wires (entrypoints/containers/core.py), while Redis answers
            yield lambda clock: FallbackRateLimiter(
                RedisRateLimiter(client, clock, prefix=prefix), InMemoryRateLimiter(clock), Outages()
            )


def start_clock() -> InMemoryClock:
    # The start of a window, so a test's hits never straddle two windows by accident.
    return InMemoryClock(datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC))


def test_counts_exactly_up_to_the_limit(make_limiter: Factory) -> None:
    limiter = make_limiter(start_clock())
    decisions = [limiter.hit("k", limit=3, window_seconds=60) for _ in range(5)]
    assert [d.allowed for d in decisions] == [True, True, True, False, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0, 0]
    assert decisions[-1].retry_after == 60
    assert all(d.retry_after == 0 for d in decisions[:3])


def test_keys_are_independent_and_peek_does_not_count(make_limiter: Factory) -> None:
    limiter = make_limiter(start_clock())
    for _ in range(3):
        assert limiter.peek("a", limit=2, window_seconds=60).allowed
    limiter.hit("a", limit=2, window_seconds=60)
    limiter.hit("a", limit=2, window_seconds=60)
    assert not limiter.peek("a", limit=2, window_seconds=60).allowed
    assert limiter.hit("b", limit=2, window_seconds=60).allowed


def test_a_new_window_starts_fresh_and_reset_clears(make_limiter: Factory) -> None:
    clock = start_clock()
    limiter = make_limiter(clock)
    for _ in range(3):
        limiter.hit("k", limit=2, window_seconds=60)
    clock.advance(30)
    late = limiter.hit("k", limit=2, window_seconds=60)
    assert not late.allowed and late.retry_after == 30
    clock.advance(30)
    assert limiter.hit("k", limit=2, window_seconds=60).allowed
    limiter.hit("k", limit=2, window_seconds=60)
    limiter.reset("k")
    assert limiter.peek("k", limit=2, window_seconds=60).remaining == 2


@pytest.mark.property(75)
@given(limit=st.integers(1, 20), hits=st.integers(0, 40), cost=st.integers(1, 3))
def test_property_counter_accuracy_in_memory(limit: int, hits: int, cost: int) -> None:
    limiter = InMemoryRateLimiter(start_clock())
    allowed = [limiter.hit("p", limit=limit, window_seconds=60, cost=cost).allowed for _ in range(hits)]
    assert sum(allowed) == min(hits, limit // cost)


@pytest.mark.property(75)
@given(limit=st.integers(1, 10), hits=st.integers(0, 15))
def test_property_counter_accuracy_in_redis(limit: int, hits: int, redis_client: Any, redis_prefix: str) -> None:
    limiter = RedisRateLimiter(redis_client, start_clock(), prefix=f"{redis_prefix}{limit}-{hits}:")
    limiter.reset("p")
    allowed = [limiter.hit("p", limit=limit, window_seconds=60).allowed for _ in range(hits)]
    assert sum(allowed) == min(hits, limit)
