"""CircuitBreakers: one circuit per external service (Gmail, Slack, webhook targets, the LLM) that fails fast
for a cool-down after repeated failures, so a dead dependency costs a person seconds, not minutes of retries."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from domain.errors import InfrastructureError

T = TypeVar("T")

# How a service is named to a person in "... is not answering" messages; unknown services use their key.
SERVICE_NAMES: dict[str, str] = {
    "gmail": "Gmail",
    "calendar": "Google Calendar",
    "people": "Google Contacts",
    "slack": "Slack",
    "webhooks": "The webhook target",
    "llm": "The language model",
}


def service_name(service: str) -> str:
    return SERVICE_NAMES.get(service, service)


class CircuitState(enum.StrEnum):
    CLOSED = "closed"  # calls go through; consecutive failures are counted
    OPEN = "open"  # calls fail at once with ServiceUnavailable until the cool-down has passed
    HALF_OPEN = "half_open"  # one trial call goes through: success closes the circuit, failure opens it again


def counts_as_failure(exc: BaseException) -> bool:
    """Whether an exception says the SERVICE is unwell. Only infrastructure trouble counts (unreachable, 5xx,
    timeouts, dropped connections). A person's bad input or missing id (NotFound, ValidationFailed), an account's
    revoked grant (ReauthRequired), one account's quota (QuotaExceeded) or a permission problem are answers from
    a healthy service: they must never open a circuit that every user shares. Neither do our own bugs."""
    return isinstance(exc, InfrastructureError | TimeoutError | ConnectionError)


@dataclass(frozen=True)
class CircuitStats:
    """Counters since this process started (each replica keeps its own circuits)."""

    service: str
    state: CircuitState
    consecutive_failures: int  # in the current closed period
    failures: int  # calls that failed in a way that counts (see counts_as_failure)
    successes: int  # calls that returned
    ignored_errors: int  # calls that raised something that does not count (NotFound, ReauthRequired, ...)
    rejections: int  # calls refused without trying because the circuit was open
    state_changes: int
    opened_at: datetime | None  # when it last opened (aware UTC), None if it never did
    retry_after_seconds: int | None  # while open: seconds until a trial call is allowed


class CircuitBreakers(ABC):
    """`call(service, fn)` runs `fn` through that service's circuit. While the circuit is open it raises
    ServiceUnavailable (with `retry_after` and a message a person understands) without calling `fn`; otherwise
    it returns what `fn` returns or re-raises what `fn` raised, after counting it."""

    @abstractmethod
    def call(self, service: str, fn: Callable[[], T]) -> T: ...

    @abstractmethod
    def state(self, service: str) -> CircuitState:
        """The circuit's state now (an open circuit whose cool-down has passed reports HALF_OPEN)."""

    @abstractmethod
    def stats(self) -> list[CircuitStats]:
        """Every circuit this process has used, by service name."""
