"""The shared providers every context may ask for: settings, clock, the database and its unit of work, Redis, rate
limits, cache, the job queue, live events and the outbox relay, circuit breakers and the secret store.

Profiles pick the adapters: `local` (SQLite, in-process jobs and events, in-memory limits and cache, local secrets)
or `production` (PostgreSQL, Redis + RQ, Redis pub/sub, Secrets Manager). Production-only SDKs are imported inside
their factory so the embedded default never pays for them."""

from __future__ import annotations

from typing import Any

from dependency_injector import containers, providers

from adapters.in_memory.cache import InMemoryCache
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.in_memory.job_queue import InProcessJobQueue
from adapters.in_memory.rate_limiter import InMemoryRateLimiter
from adapters.sqlalchemy.engine import make_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from adapters.system.clock import SystemClock
from application.dependency_health import Outages
from application.fallbacks import FallbackRateLimiter, FallthroughCache
from application.outbox import OutboxRelay
from application.session_tokens import revoked_token_cache_key
from application.use_cases.notifications.deliver_webhooks import WebhookFanOut
from application.use_cases.notifications.slack import SlackFanOut
from application.use_cases.read_events import PruneEvents, ReadEvents
from entrypoints.containers.builders import database_engine
from entrypoints.settings import Settings


def _redis_client(settings: Settings) -> Any:
    """The client of the request path (limits, cache, /readyz): short timeouts, so a hung Redis costs a request
    at most `redis_timeout_seconds` (and, through the fallbacks' pause, only the first requests of an outage)."""
    import redis  # production only: the embedded default never pays for importing it

    timeout = settings.redis_timeout_seconds
    return redis.Redis.from_url(
        settings.resolved_redis_url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
    )


def _redis_rate_limiter(client: Any, clock: Any, outages: Outages) -> Any:
    from adapters.redis.rate_limiter import RedisRateLimiter

    # Redis down or hung: this process's own counters take over (never a 500; login keeps working).
    return FallbackRateLimiter(RedisRateLimiter(client, clock), InMemoryRateLimiter(clock), outages)


def _redis_cache(client: Any, outages: Outages) -> Any:
    from adapters.redis.cache import RedisCache

    # Redis down or hung: reads fall through to the source; a revoked external token is never guessed (503).
    return FallthroughCache(RedisCache(client), outages, strict_prefixes=(revoked_token_cache_key(""),))


def _redis_event_bus(settings: Settings) -> Any:
    import redis

    from adapters.redis.event_bus import RedisEventBus

    # Its own client: the listener's connection must not share the request path's pool, and a publish (after a
    # commit) waits a little longer than a cache read before the outbox keeps the event for later.
    client = redis.Redis.from_url(
        settings.resolved_redis_url,
        socket_timeout=max(1.0, settings.redis_timeout_seconds),
        socket_connect_timeout=settings.redis_timeout_seconds,
        health_check_interval=30,
    )
    return RedisEventBus(client, channel=settings.event_channel)


def _rq_job_queue(settings: Settings, registry: Any) -> Any:
    import redis

    from adapters.rq.job_queue import RqJobQueue

    # RQ needs a client that returns bytes; the shared client is configured the same way, but keep it apart so
    # RQ's blocking calls never hold up the cache and the rate limiter.
    # Timeouts: an enqueue after a commit (on the request path) must not wait forever on a hung Redis; the job
    # then stays in the outbox and is relayed later. RQ's blocking dequeue runs on the worker's own client.
    client = redis.Redis.from_url(
        settings.resolved_redis_url,
        socket_timeout=max(2.0, settings.redis_timeout_seconds),
        socket_connect_timeout=settings.redis_timeout_seconds,
    )
    return RqJobQueue(client, queue_name=settings.job_queue_name, registry=registry)


def _secret_store(settings: Settings) -> Any:
    if settings.secrets_backend == "secretsmanager":
        from adapters.secrets_manager.secret_store import build_secrets_manager_secret_store

        return build_secrets_manager_secret_store(
            region=settings.aws_region, prefix=settings.secrets_manager_prefix, endpoint_url=settings.aws_endpoint_url
        )
    import base64

    from adapters.local_secrets.secret_store import LocalSecretStore, load_or_create_key

    key = (
        base64.b64decode(settings.secrets_key.get_secret_value())
        if settings.secrets_key
        else load_or_create_key(settings.keys_dir / "secrets.key")
    )
    return LocalSecretStore(settings.data_dir / "secrets", key)


def _prometheus(settings: Settings) -> Any:
    from entrypoints.observability import build_prometheus

    return build_prometheus(settings)


def _metrics(settings: Settings, prometheus: Any) -> Any:
    from entrypoints.observability import build_metrics

    return build_metrics(settings, prometheus)


def _circuit_breakers(settings: Settings, clock: Any) -> Any:
    from adapters.pybreaker.circuit_breakers import PyBreakerCircuitBreakers  # pybreaker imports redis: on demand

    return PyBreakerCircuitBreakers(
        clock, fail_max=settings.circuit_fail_max, reset_timeout_seconds=settings.circuit_reset_seconds
    )


class CoreContainer(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    # Read once: a process's profile never changes, and every Selector below asks it on each call (the rate
    # limiter and the cache on every authenticated request: ~0.8 µs each as a Callable, bench/request_cpu.py).
    profile = providers.Singleton(lambda s: s.profile, settings)
    clock = providers.Singleton(SystemClock)
    # Which dependencies this process finds down (logged once per outage, counted): workers, limiters, /readyz.
    outages = providers.Singleton(Outages)
    # Prometheus in every process (entrypoints/observability.py; multiprocess in `mailagent worker`), plus
    # CloudWatch embedded-metric-format log lines when MAILAGENT_CLOUDWATCH_EMF is on.
    prometheus = providers.Singleton(_prometheus, settings)
    metrics = providers.Singleton(_metrics, settings, prometheus)

    # Persistence: SQLite in the local profile, PostgreSQL (pooled) in production: same adapter, other URL.
    engine = providers.Singleton(database_engine, settings)
    session_factory = providers.Singleton(make_session_factory, engine)
    uow = providers.Factory(SqlAlchemyUnitOfWork, session_factory)

    redis_client = providers.Singleton(_redis_client, settings)
    rate_limiter = providers.Selector(
        profile,
        local=providers.Singleton(InMemoryRateLimiter, clock),
        production=providers.Singleton(_redis_rate_limiter, redis_client, clock, outages),
    )
    cache = providers.Selector(
        profile,
        local=providers.Singleton(InMemoryCache, clock),
        production=providers.Singleton(_redis_cache, redis_client, outages),
    )

    # Background work: in-process threads in the embedded default, Redis + RQ workers in production. The job
    # registry names every job of every context, so the application container provides it (entrypoints/container.py).
    job_registry = providers.Dependency()
    job_queue = providers.Selector(
        profile,
        local=providers.Singleton(InProcessJobQueue, job_registry, clock, workers=settings.provided.job_workers),
        production=providers.Singleton(_rq_job_queue, settings, job_registry),
    )
    event_bus = providers.Selector(
        profile,
        local=providers.Singleton(InMemoryEventBus),
        production=providers.Singleton(_redis_event_bus, settings),
    )
    # The relay also turns relayed events into webhook deliveries and Slack alerts, in the same transaction.
    webhook_fan_out = providers.Singleton(WebhookFanOut, clock)
    slack_fan_out = providers.Singleton(SlackFanOut, clock)
    outbox_relay = providers.Singleton(
        OutboxRelay,
        uow.provider,
        job_queue,
        event_bus,
        clock,
        outages=outages,
        sinks=providers.List(webhook_fan_out, slack_fan_out),
    )
    read_events = providers.Factory(ReadEvents, uow)
    prune_events = providers.Factory(PruneEvents, uow, clock, settings.provided.event_retention_seconds)

    # One circuit per outside service ("gmail", later "slack", "webhooks", "llm"), per process.
    circuit_breakers = providers.Singleton(_circuit_breakers, settings, clock)
    secret_store = providers.Singleton(_secret_store, settings)
