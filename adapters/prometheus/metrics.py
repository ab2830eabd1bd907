"""PrometheusMetrics: the catalogue's metrics on prometheus-client, served as Prometheus text.

Two modes:
- single process (`mailagent serve`): metrics live in this object's own registry, with the process collector.
- multiprocess (`mailagent worker`, or any server started with PROMETHEUS_MULTIPROC_DIR): RQ runs every job in a
  forked work horse, so values are written to memory-mapped files in `multiprocess_dir` and summed at scrape
  time by prometheus-client's MultiProcessCollector. The worker's own process writes files named after its pid;
  every child it forks writes the files of one shared `child-<pid>` identity. That is safe because RQ runs one
  work horse at a time per worker and each horse re-reads the files when it starts, so counts accumulate across
  jobs instead of leaving one file per job behind.

Gauges that describe the present (queue depth, open circuits, connected clients) are *sampled*: a function is
called at scrape time by the process that serves the scrape (`add_sampler`), so they are never stale."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client import multiprocess as prom_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, start_http_server
from prometheus_client.registry import Collector

from application.ports.metrics import CATALOGUE, MetricKind, Metrics, MetricSpec, check_call

logger = logging.getLogger(__name__)

Sample = tuple[dict[str, str], float]
Sampler = Callable[[], Iterable[Sample]]

CONTENT_TYPE = CONTENT_TYPE_LATEST
MAX_CACHED_SERIES = 10_000  # labelled children kept for the hot path; label values are bounded by design


def _prometheus_name(spec: MetricSpec) -> str:
    # prometheus-client appends _total to counters itself.
    return spec.name.removesuffix("_total") if spec.kind is MetricKind.COUNTER else spec.name


class _SampledGauges(Collector):
    def __init__(self) -> None:
        self.samplers: dict[str, tuple[MetricSpec, Sampler]] = {}

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for spec, sampler in list(self.samplers.values()):
            try:
                samples = list(sampler())
            except Exception as exc:  # one broken source (Redis down...) must not blank the whole scrape
                logger.warning("metrics: could not sample %s (%s)", spec.name, type(exc).__name__)
                continue
            family = GaugeMetricFamily(spec.name, spec.help, labels=list(spec.labels))
            for labels, value in samples:
                family.add_metric([labels[name] for name in spec.labels], value)
            yield family


class PrometheusMetrics(Metrics):
    def __init__(self, *, multiprocess_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._multiprocess_dir = multiprocess_dir
        self._sampled = _SampledGauges()
        self._registry = CollectorRegistry(auto_describe=True)
        if multiprocess_dir is not None:
            multiprocess_dir.mkdir(parents=True, exist_ok=True)
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(multiprocess_dir)
            main_pid = os.getpid()
            values.ValueClass = values.MultiProcessValue(
                lambda: str(main_pid) if os.getpid() == main_pid else f"child-{main_pid}"
            )
            prom_multiprocess.MultiProcessCollector(self._registry, path=str(multiprocess_dir))
            metric_registry: CollectorRegistry | None = None  # values live in the files, not in a registry
        else:
            from prometheus_client import PlatformCollector, ProcessCollector

            ProcessCollector(registry=self._registry)
            PlatformCollector(registry=self._registry)
            metric_registry = self._registry
        self._registry.register(self._sampled)
        self._metric_registry = metric_registry
        self._metrics: dict[str, Any] = {}
        self._children: dict[tuple[Any, ...], Any] = {}  # (name, kind, *label items) -> labelled child
        for spec in CATALOGUE:
            if spec.kind is MetricKind.COUNTER:
                self._metrics[spec.name] = Counter(
                    _prometheus_name(spec), spec.help, spec.labels, registry=metric_registry
                )
            elif spec.kind is MetricKind.HISTOGRAM:
                self._metrics[spec.name] = Histogram(
                    spec.name, spec.help, spec.labels, buckets=spec.buckets, registry=metric_registry
                )
            # Gauges are made on first use: a sampled gauge is never stored.

    @property
    def multiprocess(self) -> bool:
        return self._multiprocess_dir is not None

    # -- the port --------------------------------------------------------------------------------------------

    def increment(self, spec: MetricSpec, amount: float = 1.0, **labels: str) -> None:
        self._metric(spec, MetricKind.COUNTER, labels).inc(amount)

    def observe(self, spec: MetricSpec, value: float, **labels: str) -> None:
        self._metric(spec, MetricKind.HISTOGRAM, labels).observe(value)

    def set(self, spec: MetricSpec, value: float, **labels: str) -> None:
        self._metric(spec, MetricKind.GAUGE, labels).set(value)

    # -- sampling and exposition -----------------------------------------------------------------------------

    def add_sampler(self, spec: MetricSpec, sampler: Sampler) -> None:
        """Compute gauge `spec` at every scrape of this process by calling `sampler`."""
        if spec.kind is not MetricKind.GAUGE:
            raise ValueError(f"only gauges are sampled; {spec.name} is a {spec.kind}")
        with self._lock:
            if spec.name in self._metrics:
                raise ValueError(f"{spec.name} is already recorded with set(); it cannot also be sampled")
            self._sampled.samplers[spec.name] = (spec, sampler)

    def render(self) -> bytes:
        """Every metric in the Prometheus text format (CONTENT_TYPE)."""
        return generate_latest(self._registry)

    def serve(self, host: str, port: int) -> Any:
        """Serve the metrics on their own listener (a daemon thread); returns the server (`.shutdown()`)."""
        server, _ = start_http_server(port, addr=host, registry=self._registry)
        return server

    def close(self) -> None:
        if self._multiprocess_dir is not None:
            values.close_all_multiprocess_files()

    def _metric(self, spec: MetricSpec, kind: MetricKind, labels: dict[str, str]) -> Any:
        # Hot path (every HTTP request records two): a series seen before is one dict lookup, checked once.
        key = (spec.name, kind, *labels.items())
        child = self._children.get(key)
        if child is not None:
            return child
        child = self._new_child(spec, kind, labels)
        if len(self._children) < MAX_CACHED_SERIES:
            self._children[key] = child
        return child

    def _new_child(self, spec: MetricSpec, kind: MetricKind, labels: dict[str, str]) -> Any:
        check_call(spec, kind, labels)
        metric = self._metrics.get(spec.name)
        if metric is None:
            with self._lock:
                if spec.name in self._sampled.samplers:
                    raise ValueError(f"{spec.name} is sampled at scrape time; it cannot be set()")
                metric = self._metrics.get(spec.name)
                if metric is None:
                    metric = Gauge(
                        spec.name,
                        spec.help,
                        spec.labels,
                        registry=self._metric_registry,
                        multiprocess_mode="mostrecent",
                    )
                    self._metrics[spec.name] = metric
        return metric.labels(**labels) if spec.labels else metric
