"""One contract for Cache: TTL expiry, invalidation and hit/miss counting on the fake and on Redis (property 74)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.in_memory.cache import InMemoryCache
from adapters.redis.cache import RedisCache
from adapters.system.clock import SystemClock
from application.dependency_health import Outages
from application.fallbacks import FallthroughCache
from application.ports.cache import Cache


@pytest.fixture(params=["memory", "redis", "redis-with-fallthrough"])
def cache(request: pytest.FixtureRequest) -> Iterator[Cache]:
    if request.param == "memory":
        yield InMemoryCache(SystemClock())
    else:
        client: Any = request.getfixturevalue("redis_client")
        redis_cache = RedisCache(client, prefix=request.getfixturevalue("redis_prefix"))
        # The second is what production wires (entrypoints/containers/core.py), while Redis answers.
        yield redis_cache if request.param == "redis" else FallthroughCache(redis_cache, Outages())


def test_set_get_delete_and_stats(cache: Cache) -> None:
    assert cache.get("missing") is None
    cache.set("k", "välue ✓", ttl_seconds=60)
    assert cache.get("k") == "välue ✓"
    cache.set("k", "new", ttl_seconds=60)
    assert cache.get("k") == "new"
    cache.delete("k", "other")
    assert cache.get("k") is None
    stats = cache.stats()
    assert (stats.hits, stats.misses) == (2, 2)


def test_entries_expire_after_their_ttl(cache: Cache) -> None:
    cache.set("short", "x", ttl_seconds=1)
    cache.set("long", "y", ttl_seconds=60)
    assert cache.get("short") == "x"
    time.sleep(1.2)
    assert cache.get("short") is None
    assert cache.get("long") == "y"


@pytest.mark.property(74)
@given(
    entries=st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=50), max_size=10),
    ttl=st.integers(1, 100),
)
def test_property_ttl_expiry_on_a_moving_clock(entries: dict[str, str], ttl: int) -> None:
    from datetime import UTC, datetime

    from adapters.in_memory.clock import InMemoryClock

    clock = InMemoryClock(datetime(2026, 1, 1, tzinfo=UTC))
    cache = InMemoryCache(clock)
    for key, value in entries.items():
        cache.set(key, value, ttl_seconds=ttl)
    clock.advance(ttl - 0.001)
    assert all(cache.get(k) == v for k, v in entries.items())
    clock.advance(0.002)
    assert all(cache.get(k) is None for k in entries)


def test_the_in_memory_cache_stays_bounded() -> None:
    cache = InMemoryCache(SystemClock(), max_entries=10)
    for i in range(25):
        cache.set(f"k{i}", "v", ttl_seconds=60)
    assert cache.get("k24") == "v"
    assert sum(cache.get(f"k{i}") is not None for i in range(25)) <= 10
