"""PyBreakerCircuitBreakers: pybreaker's state machine, one circuit per service, timed by the Clock port.

pybreaker's own `CircuitBreaker.call` holds the breaker's lock while the guarded function runs, which would
let only one Gmail call at a time through per process (a slow call blocks every user). So the guarded call runs
outside that lock: this adapter admits a call (refusing it while the circuit is open, and letting exactly one
trial through when half-open), runs it, then replays the outcome through `CircuitBreaker.call` so pybreaker's
counters, thresholds, exclusions, transitions and listeners decide the state.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

import pybreaker

from application.ports.circuit_breaker import (
    CircuitBreakers,
    CircuitState,
    CircuitStats,
    counts_as_failure,
    service_name,
)
from application.ports.clock import Clock
from domain.errors import ServiceUnavailable

T = TypeVar("T")
logger = logging.getLogger(__name__)

_STATES = {
    pybreaker.STATE_CLOSED: CircuitState.CLOSED,
    pybreaker.STATE_OPEN: CircuitState.OPEN,
    pybreaker.STATE_HALF_OPEN: CircuitState.HALF_OPEN,
}


class _ClockedStorage(pybreaker.CircuitMemoryStorage):
    """pybreaker's memory storage, but `opened_at` follows the Clock port. pybreaker compares `opened_at` with
    the real `datetime.now(UTC)`; the value it reads back is shifted so that comparison agrees with the Clock
    (which tests move by hand)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(pybreaker.STATE_CLOSED)
        self._clock = clock
        self.opened_by_clock: datetime | None = None

    @property
    def opened_at(self) -> datetime | None:
        if self.opened_by_clock is None:
            return None
        return datetime.now(UTC) - (self._clock.now() - self.opened_by_clock)

    @opened_at.setter
    def opened_at(self, _real_now: datetime) -> None:
        self.opened_by_clock = self._clock.now()


class _Listener(pybreaker.CircuitBreakerListener):
    def __init__(self, circuit: _Circuit) -> None:
        self._circuit = circuit

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        self._circuit.state_changes += 1
        old = old_state.name if old_state is not None else None
        level = logging.WARNING if new_state.name == pybreaker.STATE_OPEN else logging.INFO
        logger.log(level, "circuit %s: %s -> %s", cb.name, old, new_state.name)


class _Replay(Exception):
    """Stands for an outcome while it is replayed through pybreaker (keeps pybreaker from touching the original)."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(type(original).__name__)
        self.original = original


class _Circuit:
    def __init__(self, service: str, clock: Clock, fail_max: int, reset_timeout: float) -> None:
        self.service = service
        self.clock = clock
        self.reset_timeout = reset_timeout
        self.storage = _ClockedStorage(clock)
        self.lock = threading.Lock()
        self.probing = False
        self.failures = self.successes = self.ignored = self.rejections = self.state_changes = 0
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_timeout,
            exclude=[lambda exc: isinstance(exc, _Replay) and not counts_as_failure(exc.original)],
            listeners=[_Listener(self)],
            state_storage=self.storage,
            name=service,
            throw_new_error_on_trip=False,
        )

    # -- with self.lock held ------------------------------------------------------------------------------------

    def _remaining(self) -> float:
        opened = self.storage.opened_by_clock
        if opened is None:
            return 0.0
        return self.reset_timeout - (self.clock.now() - opened).total_seconds()

    def _refuse(self, retry_after: float) -> ServiceUnavailable:
        self.rejections += 1
        seconds = max(1, math.ceil(retry_after))
        name = service_name(self.service)
        return ServiceUnavailable(
            f"{name} is not answering reliably, so mailagent has paused calls to it for a moment; "
            f"try again in {seconds} second{'s' if seconds != 1 else ''}.",
            service=self.service,
            retry_after=seconds,
        )

    def _replay(self, outcome: BaseException | None) -> None:
        def run() -> None:
            if outcome is not None:
                raise _Replay(outcome)

        with contextlib.suppress(_Replay, pybreaker.CircuitBreakerError):
            self.breaker.call(run)

    # -- the three steps of a call ------------------------------------------------------------------------------

    def admit(self) -> bool:
        """Let a call through or raise ServiceUnavailable. True if the call is the half-open trial."""
        with self.lock:
            state = self.breaker.current_state
            if state == pybreaker.STATE_OPEN:
                remaining = self._remaining()
                if remaining > 0:
                    raise self._refuse(remaining)
                self.breaker.half_open()  # the cool-down is over: this caller tries
                state = pybreaker.STATE_HALF_OPEN
            if state == pybreaker.STATE_HALF_OPEN:
                if self.probing:  # one trial at a time; the others wait for its verdict
                    raise self._refuse(1)
                self.probing = True
                return True
            return False

    def finish(self, trial: bool, outcome: BaseException | None) -> None:
        with self.lock:
            if trial:
                self.probing = False
            if outcome is None:
                self.successes += 1
            elif counts_as_failure(outcome):
                self.failures += 1
            else:
                self.ignored += 1
            if self.breaker.current_state == pybreaker.STATE_OPEN:
                return  # a call that started before the circuit opened: the cool-down stands
            before = self.breaker.current_state
            self._replay(outcome)
            if before == pybreaker.STATE_CLOSED and self.breaker.current_state == pybreaker.STATE_OPEN:
                logger.warning(
                    "circuit %s opened after %d consecutive failures; calls fail fast for %.0fs",
                    self.service,
                    self.breaker.fail_max,
                    self.reset_timeout,
                )

    def state(self) -> CircuitState:
        with self.lock:
            state = _STATES[self.breaker.current_state]
            if state is CircuitState.OPEN and self._remaining() <= 0:
                return CircuitState.HALF_OPEN
            return state

    def stats(self) -> CircuitStats:
        state = self.state()
        with self.lock:
            remaining = self._remaining() if state is CircuitState.OPEN else 0
            return CircuitStats(
                service=self.service,
                state=state,
                consecutive_failures=self.breaker.fail_counter,
                failures=self.failures,
                successes=self.successes,
                ignored_errors=self.ignored,
                rejections=self.rejections,
                state_changes=self.state_changes,
                opened_at=self.storage.opened_by_clock,
                retry_after_seconds=max(1, math.ceil(remaining)) if remaining > 0 else None,
            )


class PyBreakerCircuitBreakers(CircuitBreakers):
    """Circuits are created on first use. `fail_max` consecutive counted failures open a circuit for
    `reset_timeout_seconds`; then one trial call decides (success closes, failure reopens). `overrides` sets
    (fail_max, reset_timeout_seconds) per service."""

    def __init__(
        self,
        clock: Clock,
        *,
        fail_max: int = 5,
        reset_timeout_seconds: float = 30.0,
        overrides: Mapping[str, tuple[int, float]] | None = None,
    ) -> None:
        if fail_max < 1 or reset_timeout_seconds <= 0:
            raise ValueError("fail_max must be at least 1 and reset_timeout_seconds positive")
        self._clock = clock
        self._defaults = (fail_max, reset_timeout_seconds)
        self._overrides = dict(overrides or {})
        self._circuits: dict[str, _Circuit] = {}
        self._lock = threading.Lock()

    def _circuit(self, service: str) -> _Circuit:
        with self._lock:
            circuit = self._circuits.get(service)
            if circuit is None:
                fail_max, reset = self._overrides.get(service, self._defaults)
                circuit = self._circuits[service] = _Circuit(service, self._clock, fail_max, reset)
            return circuit

    def call(self, service: str, fn: Callable[[], T]) -> T:
        circuit = self._circuit(service)
        trial = circuit.admit()
        try:
            result = fn()
        except Exception as exc:
            circuit.finish(trial, exc)
            raise
        except BaseException:  # interrupted (Ctrl-C, a dying thread): says nothing about the service
            if trial:
                with circuit.lock:
                    circuit.probing = False
            raise
        circuit.finish(trial, None)
        return result

    def state(self, service: str) -> CircuitState:
        return self._circuit(service).state()

    def stats(self) -> list[CircuitStats]:
        with self._lock:
            circuits = sorted(self._circuits.values(), key=lambda c: c.service)
        return [c.stats() for c in circuits]
