"""The Metrics port: the in-memory adapter and the Prometheus adapter record the same values and refuse the same
mistakes (unknown metric, wrong kind, wrong labels); plus the job registry's timing of every attempt."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client.parser import text_string_to_metric_families

from adapters.in_memory.metrics import InMemoryMetrics
from adapters.prometheus.metrics import PrometheusMetrics
from application.ports.job_queue import JobRegistry
from application.ports.metrics import (
    CATALOGUE,
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    JOB_DURATION,
    JOB_QUEUE_DEPTH,
    JOB_RUNS,
    SCHEDULER_HEARTBEAT,
    MetricKind,
    MetricSpec,
    NoMetrics,
    TeeMetrics,
)

Reader = Callable[[MetricSpec, dict[str, str]], float]


def _in_memory() -> tuple[InMemoryMetrics, Reader]:
    m = InMemoryMetrics()

    def read(spec: MetricSpec, labels: dict[str, str]) -> float:
        if spec.kind is MetricKind.HISTOGRAM:
            return float(len(m.observations(spec, **labels)))
        return m.value(spec, **labels)

    return m, read


def _prometheus() -> tuple[PrometheusMetrics, Reader]:
    m = PrometheusMetrics()

    def read(spec: MetricSpec, labels: dict[str, str]) -> float:
        wanted = {MetricKind.COUNTER: spec.name, MetricKind.HISTOGRAM: spec.name + "_count"}.get(spec.kind, spec.name)
        for family in text_string_to_metric_families(m.render().decode()):
            for sample in family.samples:
                if sample.name == wanted and sample.labels == labels:
                    return sample.value
        return 0.0

    return m, read


@pytest.fixture(params=["in_memory", "prometheus"])
def adapter(request: pytest.FixtureRequest) -> tuple[object, Reader]:
    return _in_memory() if request.param == "in_memory" else _prometheus()


def test_counters_add_up_per_label_set(adapter: tuple[object, Reader]) -> None:
    metrics, read = adapter
    labels = {"method": "GET", "route": "/x", "status": "200"}
    metrics.increment(HTTP_REQUESTS, **labels)  # type: ignore[attr-defined]
    metrics.increment(HTTP_REQUESTS, 2, **labels)  # type: ignore[attr-defined]
    metrics.increment(HTTP_REQUESTS, method="GET", route="/x", status="500")  # type: ignore[attr-defined]
    assert read(HTTP_REQUESTS, labels) == 3
    assert read(HTTP_REQUESTS, {**labels, "status": "500"}) == 1


def test_histograms_count_observations(adapter: tuple[object, Reader]) -> None:
    metrics, read = adapter
    for seconds in (0.01, 0.2, 3.0):
        metrics.observe(HTTP_REQUEST_DURATION, seconds, method="GET", route="/x")  # type: ignore[attr-defined]
    assert read(HTTP_REQUEST_DURATION, {"method": "GET", "route": "/x"}) == 3


def test_gauges_hold_the_last_value(adapter: tuple[object, Reader]) -> None:
    metrics, read = adapter
    metrics.set(SCHEDULER_HEARTBEAT, 100.0)  # type: ignore[attr-defined]
    metrics.set(SCHEDULER_HEARTBEAT, 250.0)  # type: ignore[attr-defined]
    assert read(SCHEDULER_HEARTBEAT, {}) == 250.0


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.increment(HTTP_REQUESTS, method="GET", route="/x"),  # a label missing
        lambda m: m.increment(HTTP_REQUESTS, method="GET", route="/x", status="200", user="u1"),  # one too many
        lambda m: m.observe(HTTP_REQUESTS, 1.0, method="GET", route="/x", status="200"),  # wrong kind
        lambda m: m.set(JOB_RUNS, 1.0, kind="j", outcome="succeeded"),  # a counter cannot be set
        lambda m: m.increment(MetricSpec("mailagent_made_up_total", MetricKind.COUNTER, "?")),  # not catalogued
    ],
)
def test_mistakes_are_refused(adapter: tuple[object, Reader], call: Callable[[object], None]) -> None:
    metrics, _ = adapter
    with pytest.raises(ValueError):
        call(metrics)
    with pytest.raises(ValueError):
        call(NoMetrics())


def test_prometheus_samples_gauges_at_scrape_time_and_survives_a_broken_sampler() -> None:
    metrics, read = _prometheus()
    depth = {"queued": 1}
    metrics.add_sampler(JOB_QUEUE_DEPTH, lambda: [({"queue": "q", "state": "queued"}, float(depth["queued"]))])
    assert read(JOB_QUEUE_DEPTH, {"queue": "q", "state": "queued"}) == 1
    depth["queued"] = 7
    assert read(JOB_QUEUE_DEPTH, {"queue": "q", "state": "queued"}) == 7

    def broken() -> list[tuple[dict[str, str], float]]:
        raise ConnectionError("redis down")

    metrics.add_sampler(SCHEDULER_HEARTBEAT, broken)
    metrics.increment(HTTP_REQUESTS, method="GET", route="/y", status="200")
    assert read(HTTP_REQUESTS, {"method": "GET", "route": "/y", "status": "200"}) == 1  # the rest still scrapes
    with pytest.raises(ValueError):
        metrics.set(SCHEDULER_HEARTBEAT, 1.0)  # sampled gauges are never also set


def test_every_catalogued_metric_is_exposed_with_its_help() -> None:
    metrics, _ = _prometheus()
    text = metrics.render().decode()
    for spec in CATALOGUE:
        if spec.kind is not MetricKind.GAUGE:  # gauges appear once set or sampled
            assert f"# HELP {spec.name} {spec.help}" in text.replace("\\\\", "\\")


def test_tee_records_in_every_target() -> None:
    a, b = InMemoryMetrics(), InMemoryMetrics()
    TeeMetrics(a, b).increment(JOB_RUNS, kind="j", outcome="failed")
    assert a.value(JOB_RUNS, kind="j", outcome="failed") == b.value(JOB_RUNS, kind="j", outcome="failed") == 1


def test_the_job_registry_times_every_attempt_and_counts_its_outcome() -> None:
    metrics = InMemoryMetrics()
    registry = JobRegistry(metrics)
    calls: list[int] = []

    def flaky(payload: dict[str, object]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("first attempt fails")

    registry.register("mail.flaky", flaky)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        registry.handler("mail.flaky")({})
    registry.handler("mail.flaky")({})
    assert metrics.value(JOB_RUNS, kind="mail.flaky", outcome="failed") == 1
    assert metrics.value(JOB_RUNS, kind="mail.flaky", outcome="succeeded") == 1
    assert len(metrics.observations(JOB_DURATION, kind="mail.flaky")) == 2


def test_emf_lines_keep_users_out_of_the_dimensions() -> None:
    from adapters.cloudwatch.emf_metrics import EmfMetrics
    from application.ports.metrics import GOOGLE_API_CALLS, SCHEDULED_SEND_LATENESS

    lines: list[dict[str, object]] = []
    emf = EmfMetrics("mailagent", lines.append)
    emf.increment(GOOGLE_API_CALLS, api="gmail", method="users.messages.get", user="u-1")
    emf.observe(SCHEDULED_SEND_LATENESS, 2.5)
    first, second = lines
    directive = first["_aws"]["CloudWatchMetrics"][0]  # type: ignore[index]
    assert directive["Dimensions"] == [["api", "method"]] and first["user"] == "u-1"
    assert second["mailagent_scheduled_send_lateness_seconds"] == 2.5
    assert second["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] == "Seconds"  # type: ignore[index]
    with pytest.raises(ValueError):
        emf.increment(GOOGLE_API_CALLS, api="gmail")
