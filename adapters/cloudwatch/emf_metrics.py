"""EmfMetrics: every recorded value becomes one CloudWatch embedded-metric-format (EMF) log line.

CloudWatch Logs turns such lines into metrics in `namespace` with no agent and no API call (the logs already go
there: stdout through Fluent Bit on EKS, or the watchtower handler). Labels become dimensions, except `user`,
which is kept as a plain property: a dimension per user would be a metric per user, and each costs money.
Lines are built by aws-embedded-metrics' own serializer; `emit` receives the parsed record (a dict) to log."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.serializers.log_serializer import LogSerializer

from application.ports.metrics import MetricKind, Metrics, MetricSpec, check_call

HIGH_CARDINALITY = frozenset({"user"})
UNITS = {MetricKind.COUNTER: "Count", MetricKind.HISTOGRAM: "Seconds", MetricKind.GAUGE: "None"}


class EmfMetrics(Metrics):
    def __init__(self, namespace: str, emit: Callable[[dict[str, Any]], None]) -> None:
        self.namespace = namespace
        self._emit = emit

    def increment(self, spec: MetricSpec, amount: float = 1.0, **labels: str) -> None:
        check_call(spec, MetricKind.COUNTER, labels)
        self._write(spec, amount, labels)

    def observe(self, spec: MetricSpec, value: float, **labels: str) -> None:
        check_call(spec, MetricKind.HISTOGRAM, labels)
        self._write(spec, value, labels)

    def set(self, spec: MetricSpec, value: float, **labels: str) -> None:
        check_call(spec, MetricKind.GAUGE, labels)
        self._write(spec, value, labels)

    def record(self, spec: MetricSpec, value: float, labels: dict[str, str]) -> dict[str, Any]:
        """The EMF record for one value (what `emit` receives)."""
        context = MetricsContext.empty()
        context.namespace = self.namespace
        dimensions = {k: v for k, v in labels.items() if k not in HIGH_CARDINALITY}
        context.set_dimensions([dimensions] if dimensions else [])
        for key in labels.keys() & HIGH_CARDINALITY:
            context.set_property(key, labels[key])
        unit = "Seconds" if spec.name.endswith("_seconds") and spec.kind is not MetricKind.COUNTER else UNITS[spec.kind]
        context.put_metric(spec.name, value, unit)
        (line,) = LogSerializer.serialize(context)
        record: dict[str, Any] = json.loads(line)
        return record

    def _write(self, spec: MetricSpec, value: float, labels: dict[str, str]) -> None:
        self._emit(self.record(spec, value, labels))
