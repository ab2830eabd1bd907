"""The production profile on real PostgreSQL and Redis: two replicas share sessions, limits and revocations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.app import PASSWORD, Api, make_app, make_settings


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str, redis_url: str, redis_client: Any) -> tuple[Api, Api, Any]:
    settings = make_settings(
        tmp_path,
        profile="production",
        database_url=postgres_url,
        redis_url=redis_url,
        rate_limit_per_minute=8,
        anonymous_rate_limit_per_minute=1000,
        # These tests are about sharing, not outages: a shared Redis slowed past the 250 ms default by a busy
        # machine would hand a call to one replica's own counters (tests/integration/test_request_path_faults.py).
        redis_timeout_seconds=5,
    )
    first, container = make_app(settings)
    second, _ = make_app(settings, migrate=False)
    # Each test gets clean Redis counters (the keys are global to the installation by design).
    for key in redis_client.scan_iter(match="mailagent:*", count=1000):
        redis_client.delete(key)
    return Api(first, settings), Api(second, settings), container


def test_production_profile_uses_postgres_and_redis(replicas: tuple[Api, Api, Any]) -> None:
    _, _, container = replicas
    from adapters.redis.cache import RedisCache
    from adapters.redis.rate_limiter import RedisRateLimiter
    from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
    from application.fallbacks import FallbackRateLimiter, FallthroughCache

    # Redis, behind the fallbacks that keep requests going when it is away (application/fallbacks.py).
    assert isinstance(container.rate_limiter(), FallbackRateLimiter)
    assert isinstance(container.rate_limiter().shared, RedisRateLimiter)
    assert isinstance(container.cache(), FallthroughCache)
    assert isinstance(container.cache().shared, RedisCache)
    uow = container.uow()
    assert isinstance(uow, SqlAlchemyUnitOfWork)
    assert container.engine().dialect.name == "postgresql"


def test_readyz_checks_database_and_redis(replicas: tuple[Api, Api, Any], tmp_path: Path, postgres_url: str) -> None:
    a, _, _ = replicas
    ready = a.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["data"]["checks"] == {"database": "ok", "redis": "ok"}
    broken = make_settings(tmp_path, profile="production", database_url=postgres_url, redis_url="redis://127.0.0.1:1/0")
    app, _ = make_app(broken, migrate=False)
    answer = Api(app, broken).get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["error"]["details"] == [{"service": "redis"}]
    assert "redis" in answer.json()["error"]["message"]


def test_a_session_made_on_one_replica_works_and_ends_on_the_other(replicas: tuple[Api, Api, Any]) -> None:
    a, b, _ = replicas
    acct = a.signup("pat@example.com")
    assert b.get("/api/v1/auth/me", headers=acct.headers).status_code == 200  # also warms b's session cache
    assert a.post("/api/v1/auth/logout", headers=acct.headers).status_code == 200
    # The revocation is visible to the other replica at once (shared Redis cache invalidated, not just local).
    assert b.get("/api/v1/auth/me", headers=acct.headers).status_code == 401


@pytest.mark.property(13)
def test_the_per_user_rate_limit_is_shared_across_replicas(replicas: tuple[Api, Api, Any]) -> None:
    a, b, _ = replicas
    acct = a.signup("quinn@example.com")
    statuses = [(a if i % 2 else b).get("/api/v1/auth/me", headers=acct.headers).status_code for i in range(10)]
    assert statuses == [200] * 8 + [429] * 2
    limited = a.get("/api/v1/auth/me", headers=acct.headers)
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_brute_force_counters_are_shared_across_replicas(replicas: tuple[Api, Api, Any]) -> None:
    a, b, _ = replicas
    a.signup("rex@example.com")
    for i in range(5):
        client = a if i % 2 else b
        r = client.post("/api/v1/auth/login", json={"email": "rex@example.com", "password": "Wrong-pass 123"})
        assert r.status_code == 401
    locked = a.post("/api/v1/auth/login", json={"email": "rex@example.com", "password": PASSWORD})
    assert locked.status_code == 429
