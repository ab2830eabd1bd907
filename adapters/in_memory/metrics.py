"""InMemoryMetrics: every counter, histogram and gauge kept in dicts, with inspection helpers for tests."""

from __future__ import annotations

import threading
from collections import defaultdict

from application.ports.metrics import MetricKind, Metrics, MetricSpec, check_call

LabelKey = tuple[tuple[str, str], ...]


def _key(labels: dict[str, str]) -> LabelKey:
    return tuple(sorted(labels.items()))


class InMemoryMetrics(Metrics):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, dict[LabelKey, float]] = defaultdict(dict)
        self._observations: dict[str, dict[LabelKey, list[float]]] = defaultdict(lambda: defaultdict(list))

    def increment(self, spec: MetricSpec, amount: float = 1.0, **labels: str) -> None:
        _require(spec, MetricKind.COUNTER, labels)
        if amount < 0:
            raise ValueError(f"{spec.name} is a counter: it only goes up (got {amount}).")
        with self._lock:
            series = self._values[spec.name]
            series[_key(labels)] = series.get(_key(labels), 0.0) + amount

    def observe(self, spec: MetricSpec, value: float, **labels: str) -> None:
        _require(spec, MetricKind.HISTOGRAM, labels)
        with self._lock:
            self._observations[spec.name][_key(labels)].append(value)

    def set(self, spec: MetricSpec, value: float, **labels: str) -> None:
        _require(spec, MetricKind.GAUGE, labels)
        with self._lock:
            self._values[spec.name][_key(labels)] = value

    # -- inspection ------------------------------------------------------------------------------------------

    def value(self, spec: MetricSpec, **labels: str) -> float:
        """A counter's or gauge's current value for these labels (0 if never recorded)."""
        with self._lock:
            return self._values[spec.name].get(_key(labels), 0.0)

    def total(self, spec: MetricSpec, **partial: str) -> float:
        """Sum of a counter over every series whose labels include `partial`."""
        with self._lock:
            return sum(v for k, v in self._values[spec.name].items() if set(partial.items()) <= set(k))

    def observations(self, spec: MetricSpec, **labels: str) -> list[float]:
        with self._lock:
            return list(self._observations[spec.name].get(_key(labels), []))

    def series(self, spec: MetricSpec) -> list[dict[str, str]]:
        """The label sets recorded for a metric."""
        with self._lock:
            keys = list(self._values[spec.name]) + list(self._observations[spec.name])
        return [dict(k) for k in keys]


def _require(spec: MetricSpec, kind: MetricKind, labels: dict[str, str]) -> None:
    check_call(spec, kind, labels)
