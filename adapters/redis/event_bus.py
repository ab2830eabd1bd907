"""RedisEventBus: fan-out across API replicas through Redis pub/sub (production)."""

from __future__ import annotations

import contextlib
import json
import logging
import threading

import redis

from application.ports.event_bus import EventBus, EventHandler, Subscription
from domain.errors import ServiceUnavailable
from domain.events import StoredEvent, stored_event_from_dict, stored_event_to_dict

logger = logging.getLogger(__name__)


class _RedisSubscription(Subscription):
    def __init__(self, bus: RedisEventBus, handler: EventHandler) -> None:
        self._bus, self.handler = bus, handler

    def close(self) -> None:
        self._bus._remove(self)


class RedisEventBus(EventBus):
    """One pub/sub connection and one listener thread per process, started by the first subscriber; local
    handlers run on that thread. If Redis drops, the listener reconnects; events published meanwhile are missed
    here and recovered by clients through replay (EventStore.after)."""

    def __init__(self, client: redis.Redis, *, channel: str = "mailagent:events") -> None:
        self._r = client
        self._channel = channel
        self._lock = threading.Lock()
        self._subs: list[_RedisSubscription] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._ready = threading.Event()

    def publish(self, event: StoredEvent) -> None:
        try:
            self._r.publish(self._channel, json.dumps(stored_event_to_dict(event), separators=(",", ":")))
        except redis.RedisError as exc:
            raise ServiceUnavailable("Live updates (Redis) cannot be reached.", service="redis") from exc

    def subscribe(self, handler: EventHandler) -> Subscription:
        sub = _RedisSubscription(self, handler)
        with self._lock:
            self._subs.append(sub)
            if self._thread is None:
                self._stop.clear()
                self._ready.clear()
                self._thread = threading.Thread(target=self._listen, name="redis-event-bus", daemon=True)
                self._thread.start()
        # Returning only once the SUBSCRIBE is acknowledged means nothing published afterwards is missed.
        self._ready.wait(timeout=5)
        return sub

    def _remove(self, sub: _RedisSubscription) -> None:
        with self._lock:
            if sub in self._subs:
                self._subs.remove(sub)

    def _listen(self) -> None:
        while not self._stop.is_set():
            pubsub = self._r.pubsub()
            try:
                pubsub.subscribe(self._channel)
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message is None:
                        continue
                    if message.get("type") == "subscribe":
                        # Redis confirmed the subscription: from here on nothing published is missed. (redis-py's
                        # `subscribed` turns true when SUBSCRIBE is sent, before Redis has acted on it.)
                        self._ready.set()
                    elif message.get("type") == "message":
                        self._dispatch(message["data"])
            except redis.RedisError:
                logger.warning("event bus: Redis connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)
            finally:
                with contextlib.suppress(redis.RedisError):
                    pubsub.close()

    def _dispatch(self, data: bytes | str) -> None:
        try:
            event = stored_event_from_dict(json.loads(data))
        except Exception:
            logger.warning("event bus: dropped a malformed message")
            return
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            try:
                sub.handler(event)
            except Exception:
                logger.exception("event handler failed for event %s", event.seq)

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        with self._lock:
            self._subs.clear()
