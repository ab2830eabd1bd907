"""Metrics wiring: the Prometheus adapter for this process, the gauges sampled at scrape time, and the listeners.

- `mailagent serve`: `GET /metrics` on the API port (needs MAILAGENT_METRICS_TOKEN as a bearer token), and, with
  MAILAGENT_METRICS_PORT, a token-free listener on MAILAGENT_METRICS_HOST (a separate bind address for in-cluster
  scraping; keep it off the public network).
- `mailagent worker`: the metrics listener on MAILAGENT_METRICS_PORT; multiprocess mode, since RQ forks a work
  horse per job (see adapters/prometheus/metrics.py).
Every metric is declared in application/ports/metrics.py and explained in docs/metrics.md."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from application.ports.circuit_breaker import CircuitState
from application.ports.metrics import (
    AGENT_PENDING_ACTIONS,
    CIRCUIT_STATE,
    JOB_QUEUE_DEPTH,
    MAIL_SYNC_LAG,
    SCHEDULER_HEARTBEAT,
    WEBSOCKET_CONNECTIONS,
    Metrics,
    TeeMetrics,
)

if TYPE_CHECKING:
    from adapters.prometheus.metrics import PrometheusMetrics, Sample

logger = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CIRCUIT_STATES = {CircuitState.CLOSED: 0.0, CircuitState.HALF_OPEN: 1.0, CircuitState.OPEN: 2.0}


def build_prometheus(settings: Any) -> PrometheusMetrics:
    from adapters.prometheus.metrics import PrometheusMetrics

    directory = os.environ.get(MULTIPROC_ENV)
    return PrometheusMetrics(multiprocess_dir=Path(directory) if directory else None)


def build_metrics(settings: Any, prometheus: PrometheusMetrics) -> Metrics:
    """What use cases record into: Prometheus, and EMF log lines too when MAILAGENT_CLOUDWATCH_EMF is on."""
    if not settings.cloudwatch_emf:
        return prometheus
    from adapters.cloudwatch.emf_metrics import EmfMetrics
    from entrypoints.logging_setup import get_logger

    emf_log = get_logger("mailagent.metrics")
    return TeeMetrics(
        prometheus, EmfMetrics(settings.cloudwatch_namespace, lambda record: emf_log.info("metric", **record))
    )


def ship_logs_to_cloudwatch(settings: Any, *, stream: str) -> Any:
    """Send every log line (JSON, redacted like stdout) to the CloudWatch Logs group MAILAGENT_CLOUDWATCH_LOG_GROUP
    with watchtower (batched, in a background thread). Returns the handler (None when not configured). The group,
    its retention and the metric namespace come from ops/aws (the pods' IAM role may only write to it)."""
    if not settings.cloudwatch_log_group:
        return None
    import socket

    import boto3
    import watchtower

    from entrypoints.logging_setup import RedactingFilter, json_formatter

    client = boto3.client("logs", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
    handler = watchtower.CloudWatchLogHandler(
        log_group_name=settings.cloudwatch_log_group,
        log_stream_name=f"{socket.gethostname()}/{stream}/{os.getpid()}",
        boto3_client=client,
        create_log_group=False,  # made by the template, with its retention
        send_interval=5,
    )
    handler.setFormatter(json_formatter())
    handler.addFilter(RedactingFilter())
    logging.getLogger().addHandler(handler)
    atexit.register(handler.close)  # flushes what is still queued
    return handler


def use_multiprocess_metrics() -> None:
    """For `mailagent worker`: values go to memory-mapped files that forked work horses share. A fresh directory
    per run (removed at exit) unless PROMETHEUS_MULTIPROC_DIR names one, which is then the operator's to clean."""
    if os.environ.get(MULTIPROC_ENV):
        return
    directory = tempfile.mkdtemp(prefix="mailagent-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    main_pid = os.getpid()
    # Work horses exit through os._exit and never run this; only the worker itself removes the directory.
    atexit.register(lambda: os.getpid() == main_pid and shutil.rmtree(directory, ignore_errors=True))


def install_samplers(container: Any, *, app_state: Any = None, forking_worker: bool = False) -> PrometheusMetrics:
    """Gauges computed when this process is scraped: the queue, the scheduler's heartbeat, the circuits, the
    database's view of pending approvals and sync lag, and (API only) connected WebSocket clients.

    `forking_worker` (the RQ worker): RQ forks a work horse per job while the scrape thread may be running, and a
    child must never inherit a lock or a pooled connection that thread holds. So the worker samples only what it
    can read on a connection of its own (the queue, from Redis) and the ticker's in-memory heartbeat; the database
    gauges and the circuits come from the API replicas."""
    metrics: PrometheusMetrics = container.prometheus()
    settings = container.settings()
    production = settings.profile == "production"
    queue_name = settings.job_queue_name if production else "in-process"

    def queue_depth() -> list[Sample]:
        if production:
            import redis

            from adapters.rq.job_queue import queue_depth as rq_depth

            client = redis.Redis.from_url(settings.resolved_redis_url, socket_timeout=5, socket_connect_timeout=5)
            try:
                depth = rq_depth(client, settings.job_queue_name)
            finally:
                client.close()
        else:
            depth = container.job_queue().depth()
        return [({"queue": queue_name, "state": state}, float(n)) for state, n in depth.items()]

    def scheduler_heartbeat() -> list[Sample]:
        ticker = container.ticker()
        return [({}, ticker.last_tick)] if ticker.last_tick is not None else []

    def circuits() -> list[Sample]:
        return [({"service": c.service}, CIRCUIT_STATES[c.state]) for c in container.circuit_breakers().stats()]

    def pending_actions() -> list[Sample]:
        from adapters.sqlalchemy.gauges import count_pending_actions

        return [({}, float(count_pending_actions(container.session_factory())))]

    def sync_lag() -> list[Sample]:
        from adapters.sqlalchemy.gauges import longest_sync_lag_seconds

        now = container.clock().now()
        return [({}, longest_sync_lag_seconds(container.session_factory(), now))]

    metrics.add_sampler(JOB_QUEUE_DEPTH, queue_depth)
    if forking_worker or settings.jobs_in_process:  # the process that runs the ticker
        metrics.add_sampler(SCHEDULER_HEARTBEAT, scheduler_heartbeat)
    if not forking_worker:
        metrics.add_sampler(CIRCUIT_STATE, circuits)
        metrics.add_sampler(AGENT_PENDING_ACTIONS, pending_actions)
        metrics.add_sampler(MAIL_SYNC_LAG, sync_lag)
    if app_state is not None:  # the API: its WebSocket hub is made on the first connection

        def websockets() -> list[Sample]:
            hub = getattr(app_state, "live_hub", None)
            return [({}, float(hub.connection_count() if hub is not None else 0))]

        metrics.add_sampler(WEBSOCKET_CONNECTIONS, websockets)
    return metrics


def serve_metrics_port(container: Any) -> Any:
    """Start the token-free metrics listener when MAILAGENT_METRICS_PORT is set; returns it (or None)."""
    settings = container.settings()
    if settings.metrics_port is None:
        return None
    server = container.prometheus().serve(settings.metrics_host, settings.metrics_port)
    logger.info("metrics on http://%s:%s/metrics", settings.metrics_host, settings.metrics_port)
    return server


# OpenTelemetry's providers before anything is set up: FastAPI counts these as "not configured" (fastapi.telemetry).
_DEFERRED_OTEL_PROVIDERS = frozenset({"ProxyTracerProvider", "_ProxyMeterProvider", "ProxyLoggerProvider"})


def fastapi_telemetry() -> dict[str, Any] | None:
    """FastAPI's own OpenTelemetry (spans, metrics, log events per request) as FastAPI would have it when OpenTelemetry
    is set up in this process, before the app is made (`opentelemetry-instrument mailagent serve`, or an SDK set up in
    code) or FastAPI is asked to set it up (FASTAPI_OTEL_AUTO_CONFIGURE=true): None, FastAPI's defaults. Otherwise
    off: FastAPI would ask on every request whether a provider has appeared since (~5 µs: three environment lookups
    and three provider look-ups, bench/request_cpu.py), and mailagent reports through Prometheus, not OpenTelemetry."""
    if os.getenv("FASTAPI_OTEL_AUTO_CONFIGURE", "").lower() == "true":
        return None
    from opentelemetry import _logs, metrics, trace

    providers = (trace.get_tracer_provider(), metrics.get_meter_provider(), _logs.get_logger_provider())
    if any(type(provider).__name__ not in _DEFERRED_OTEL_PROVIDERS for provider in providers):
        return None
    return {"tracing": False, "metrics": False, "logs": False}
