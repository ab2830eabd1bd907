"""Metrics: counters, histograms and gauges the application records, and the catalogue of every metric it has.

Use cases, jobs and adapters record through this port (`metrics.increment(JOB_RUNS, job=..., outcome=...)`) and
never import a metrics library. Every metric is declared once below, with its meaning and its labels; an adapter
refuses a name or label set the catalogue does not declare, so a typo fails a test instead of inventing a series.
docs/metrics.md is checked against this catalogue."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass


class MetricKind(enum.StrEnum):
    COUNTER = "counter"
    HISTOGRAM = "histogram"
    GAUGE = "gauge"


# Seconds, from a fast API call to a slow Gmail batch.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds, for work measured in minutes: jobs, lateness of scheduled sends, lags.
SLOW_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)


@dataclass(frozen=True)
class MetricSpec:
    name: str  # Prometheus name, `mailagent_` prefix; counters end in `_total`
    kind: MetricKind
    help: str  # one sentence an operator understands
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = LATENCY_BUCKETS  # histograms only
    fed_by: str = ""  # for a hook whose producer lands with another feature: who records it


def _counter(name: str, help: str, *labels: str, fed_by: str = "") -> MetricSpec:
    return MetricSpec(name, MetricKind.COUNTER, help, labels, fed_by=fed_by)


def _histogram(name: str, help: str, *labels: str, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> MetricSpec:
    return MetricSpec(name, MetricKind.HISTOGRAM, help, labels, buckets)


def _gauge(name: str, help: str, *labels: str, fed_by: str = "") -> MetricSpec:
    return MetricSpec(name, MetricKind.GAUGE, help, labels, fed_by=fed_by)


HTTP_REQUESTS = _counter(
    "mailagent_http_requests_total",
    "HTTP requests answered, by method, route template (e.g. /api/v1/emails/{message_id}) and status code.",
    "method",
    "route",
    "status",
)
HTTP_REQUEST_DURATION = _histogram(
    "mailagent_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by method and route template.",
    "method",
    "route",
)
GOOGLE_API_CALLS = _counter(
    "mailagent_google_api_calls_total",
    "Calls to Google APIs (every attempt, retries included), by API (gmail, calendar, people), method and user id.",
    "api",
    "method",
    "user",
)
GOOGLE_QUOTA_UNITS = _counter(
    "mailagent_google_quota_units_total",
    "Google quota units spent (Gmail allows 15,000 per user per minute), by API, method and user id.",
    "api",
    "method",
    "user",
)
CIRCUIT_STATE = _gauge(
    "mailagent_circuit_state",
    "State of the circuit breaker in front of an outside service, in this process: 0 closed, 1 half-open, 2 open.",
    "service",
)
WEBSOCKET_CONNECTIONS = _gauge(
    "mailagent_websocket_connections", "WebSocket clients connected to this API process right now."
)
JOB_QUEUE_DEPTH = _gauge(
    "mailagent_job_queue_depth",
    "Background jobs by state: queued (ready to run), scheduled (waiting for their time), running, failed.",
    "queue",
    "state",
)
JOB_RUNS = _counter(
    "mailagent_job_runs_total",
    "Background job attempts finished, by kind (the job's name) and outcome (succeeded or failed; a retry is a new "
    "attempt).",
    "kind",
    "outcome",
)
JOB_DURATION = _histogram(
    "mailagent_job_duration_seconds",
    "How long one attempt of a background job ran, by kind (the job's name).",
    "kind",
    buckets=SLOW_BUCKETS,
)
SCHEDULER_HEARTBEAT = _gauge(
    "mailagent_scheduler_last_tick_timestamp_seconds",
    "Unix time of the last tick of the periodic-job scheduler in this process (the alert fires when it stops).",
)
SCHEDULED_SENDS = _counter(
    "mailagent_scheduled_sends_total",
    "Scheduled e-mails that reached a final state, by outcome (sent or failed).",
    "outcome",
)
SCHEDULED_SEND_LATENESS = _histogram(
    "mailagent_scheduled_send_lateness_seconds",
    "How long after its send_at a scheduled e-mail was actually handed to the mailbox.",
    buckets=SLOW_BUCKETS,
)
MAIL_SYNC_LAG = _gauge(
    "mailagent_mail_sync_lag_seconds",
    "Longest time since any connected mailbox was last synced (0 with no mailbox).",
)
AGENT_TURNS = _counter(
    "mailagent_agent_turns_total",
    "Agent chat turns answered, by outcome (ok, or error when the model or a tool failed the turn).",
    "outcome",
)
AGENT_TOOL_CALLS = _counter(
    "mailagent_agent_tool_calls_total",
    "Tools the agent called in a chat turn, by tool name and outcome (ok, error, pending approval, rejected).",
    "tool",
    "outcome",
)
AGENT_PENDING_ACTIONS = _gauge(
    "mailagent_agent_pending_actions", "Agent actions waiting for a person's approval, all users together."
)
WEBHOOK_DELIVERIES = _counter(
    "mailagent_webhook_deliveries_total",
    "Outgoing webhook delivery attempts, by outcome (delivered, retrying, failed).",
    "outcome",
    fed_by="the webhooks feature (signed outgoing webhooks)",
)
AUDIT_SEALING_LAG = _gauge(
    "mailagent_audit_sealing_lag_seconds",
    "Age of the oldest audit entry not yet sealed into the hash chain (0 when all are sealed).",
    fed_by="the audit sealing job (scale work, issue 13)",
)

CATALOGUE: tuple[MetricSpec, ...] = (
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    GOOGLE_API_CALLS,
    GOOGLE_QUOTA_UNITS,
    CIRCUIT_STATE,
    WEBSOCKET_CONNECTIONS,
    JOB_QUEUE_DEPTH,
    JOB_RUNS,
    JOB_DURATION,
    SCHEDULER_HEARTBEAT,
    SCHEDULED_SENDS,
    SCHEDULED_SEND_LATENESS,
    MAIL_SYNC_LAG,
    AGENT_TURNS,
    AGENT_TOOL_CALLS,
    AGENT_PENDING_ACTIONS,
    WEBHOOK_DELIVERIES,
    AUDIT_SEALING_LAG,
)


def check_call(spec: MetricSpec, kind: MetricKind, labels: dict[str, str]) -> None:
    """What every adapter checks: a catalogued metric, used as its kind, with exactly its labels."""
    if spec not in CATALOGUE:
        raise ValueError(f"{spec.name} is not in the metrics catalogue (application/ports/metrics.py).")
    if spec.kind is not kind:
        raise ValueError(f"{spec.name} is a {spec.kind}, not a {kind}.")
    if tuple(sorted(labels)) != tuple(sorted(spec.labels)):
        raise ValueError(f"{spec.name} takes the labels {list(spec.labels)}, not {sorted(labels)}.")


class Metrics(ABC):
    """Records measurements. Label values are short strings; never put a secret or an e-mail address in one."""

    @abstractmethod
    def increment(self, spec: MetricSpec, amount: float = 1.0, **labels: str) -> None:
        """Add `amount` (>= 0) to a counter."""

    @abstractmethod
    def observe(self, spec: MetricSpec, value: float, **labels: str) -> None:
        """Record one observation in a histogram."""

    @abstractmethod
    def set(self, spec: MetricSpec, value: float, **labels: str) -> None:
        """Set a gauge."""


class NoMetrics(Metrics):
    """Records nothing: the default for code built without a metrics adapter (most unit tests)."""

    def increment(self, spec: MetricSpec, amount: float = 1.0, **labels: str) -> None:
        check_call(spec, MetricKind.COUNTER, labels)

    def observe(self, spec: MetricSpec, value: float, **labels: str) -> None:
        check_call(spec, MetricKind.HISTOGRAM, labels)

    def set(self, spec: MetricSpec, value: float, **labels: str) -> None:
        check_call(spec, MetricKind.GAUGE, labels)


NO_METRICS = NoMetrics()


class TeeMetrics(Metrics):
    """Records every value in several adapters (Prometheus for scraping and EMF lines for CloudWatch)."""

    def __init__(self, *targets: Metrics) -> None:
        self.targets = targets

    def increment(self, spec: MetricSpec, amount: float = 1.0, **labels: str) -> None:
        for target in self.targets:
            target.increment(spec, amount, **labels)

    def observe(self, spec: MetricSpec, value: float, **labels: str) -> None:
        for target in self.targets:
            target.observe(spec, value, **labels)

    def set(self, spec: MetricSpec, value: float, **labels: str) -> None:
        for target in self.targets:
            target.set(spec, value, **labels)
