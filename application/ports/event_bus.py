"""EventBus: fan-out of stored events to every process that serves live clients (in-process or Redis pub/sub)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from domain.events import StoredEvent

EventHandler = Callable[[StoredEvent], None]


class Subscription(ABC):
    @abstractmethod
    def close(self) -> None:
        """Stop delivering to this handler (idempotent)."""


class EventBus(ABC):
    """At-most-once, best-effort fan-out: a subscriber that was not listening misses the message and catches up
    from the event store (`uow.events.after`). Handlers run on the bus's own thread and must not block."""

    @abstractmethod
    def publish(self, event: StoredEvent) -> None:
        """Deliver to every subscriber of every process sharing this bus. ServiceUnavailable if it cannot."""

    @abstractmethod
    def subscribe(self, handler: EventHandler) -> Subscription:
        """Call `handler` for every event published from now on, by any process."""

    @abstractmethod
    def close(self) -> None:
        """Release connections and threads."""
