"""InMemoryEventBus: fan-out to the subscribers of this process (the embedded default; tests)."""

from __future__ import annotations

import logging
import threading

from application.ports.event_bus import EventBus, EventHandler, Subscription
from domain.events import StoredEvent

logger = logging.getLogger(__name__)


class _LocalSubscription(Subscription):
    def __init__(self, bus: InMemoryEventBus, handler: EventHandler) -> None:
        self._bus, self.handler = bus, handler

    def close(self) -> None:
        self._bus._remove(self)


class InMemoryEventBus(EventBus):
    """Handlers run synchronously on the publisher's thread; one that raises is logged and does not stop the
    others. `published` keeps every event for inspection in tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: list[_LocalSubscription] = []
        self.published: list[StoredEvent] = []

    def publish(self, event: StoredEvent) -> None:
        with self._lock:
            subs = list(self._subs)
            self.published.append(event)
        for sub in subs:
            try:
                sub.handler(event)
            except Exception:
                logger.exception("event handler failed for event %s", event.seq)

    def subscribe(self, handler: EventHandler) -> Subscription:
        sub = _LocalSubscription(self, handler)
        with self._lock:
            self._subs.append(sub)
        return sub

    def _remove(self, sub: _LocalSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def close(self) -> None:
        with self._lock:
            self._subs.clear()
