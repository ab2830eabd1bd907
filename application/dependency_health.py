"""Which outside dependencies (database, Redis) this process finds down, since when, and how many outages it has
seen; and the backoff to wait one out.

An outage is logged twice, whatever happens in between: once when it starts (warning) and once when it ends (info,
with its length). Every failure in between is only counted, so a worker retrying every few seconds through a
30-second Redis restart writes two lines, not fifteen tracebacks."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("mailagent.dependencies")


@dataclass(frozen=True)
class DependencyState:
    service: str
    down: bool
    down_for_seconds: float | None  # how long the current outage has lasted; None when up
    outages: int  # outages that started in this process (the current one included)
    failures: int  # failed calls counted in this process, over every outage


class Outages:
    """Thread-safe; one per process (the container's singleton). A failure within `settle_seconds` of a recovery
    belongs to the same outage (a connection that noticed late, a flapping server): it reopens it quietly."""

    def __init__(
        self,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        log: logging.Logger = logger,
        settle_seconds: float = 5.0,
    ) -> None:
        self._monotonic = monotonic
        self._log = log
        self._settle = settle_seconds
        self._lock = threading.Lock()
        self._down_since: dict[str, float] = {}
        self._recovered: dict[str, tuple[float, float]] = {}  # service -> (when it came back, when it went down)
        self._outages: dict[str, int] = {}
        self._failures: dict[str, int] = {}

    def failed(self, service: str, error: BaseException | str) -> bool:
        """Count a failed call to `service`; True (and one warning) if this starts an outage."""
        with self._lock:
            now = self._monotonic()
            self._failures[service] = self._failures.get(service, 0) + 1
            if service in self._down_since:
                return False
            back_at, went_down = self._recovered.get(service, (float("-inf"), now))
            if now - back_at < self._settle:
                self._down_since[service] = went_down  # the same outage: no new line, no new count
                return False
            self._down_since[service] = now
            self._outages[service] = self._outages.get(service, 0) + 1
            count = self._outages[service]
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self._log.warning(
            "%s is unreachable (%s); waiting it out with backoff (outage %d of this process)",
            service,
            str(reason)[:300],
            count,
        )
        return True

    def recovered(self, service: str) -> None:
        """`service` answered: ends its outage, if any (one info line with how long it lasted)."""
        with self._lock:
            since = self._down_since.pop(service, None)
            if since is None:
                return
            now = self._monotonic()
            reopened = service in self._recovered and self._recovered[service][1] == since
            self._recovered[service] = (now, since)
        if not reopened:
            self._log.info("%s is reachable again after %.1f s", service, now - since)

    def is_down(self, service: str) -> bool:
        with self._lock:
            return service in self._down_since

    def down(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(sorted(self._down_since))

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._outages)

    def states(self) -> list[DependencyState]:
        now = self._monotonic()
        with self._lock:
            services = sorted(set(self._outages) | set(self._failures))
            return [
                DependencyState(
                    service=s,
                    down=s in self._down_since,
                    down_for_seconds=round(now - self._down_since[s], 1) if s in self._down_since else None,
                    outages=self._outages.get(s, 0),
                    failures=self._failures.get(s, 0),
                )
                for s in services
            ]


class Backoff:
    """Exponential backoff with jitter: the n-th wait is drawn from [d/2, d] with d = min(cap, base * 2**n), so
    many processes that lost the same dependency do not come back in lockstep."""

    def __init__(self, base_seconds: float = 0.5, cap_seconds: float = 10.0, rng: random.Random | None = None) -> None:
        self._base, self._cap = base_seconds, cap_seconds
        self._rng = rng or random.Random()
        self._attempt = 0

    def next_wait(self) -> float:
        bound = min(self._cap, self._base * 2.0 ** min(self._attempt, 30))
        self._attempt += 1
        return bound / 2 + self._rng.uniform(0, bound / 2)

    def reset(self) -> None:
        self._attempt = 0
