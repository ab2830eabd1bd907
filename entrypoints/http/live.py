"""LiveHub: routes events from the EventBus to this process's WebSocket connections, strictly by user."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import defaultdict
from typing import Any

from application.ports.event_bus import EventBus, Subscription
from domain.events import StoredEvent


def event_message(stored: StoredEvent) -> dict[str, Any]:
    """The wire form of an event: `id` is the sequence number a client resumes from."""
    event = stored.event
    data = dict(event.data)
    if event.account_id is not None:
        data.setdefault("account_id", event.account_id)
    return {"type": event.type.value, "id": str(stored.seq), "ts": event.occurred_at.isoformat(), "data": data}


def event_text(stored: StoredEvent) -> str:
    return json.dumps(event_message(stored), separators=(",", ":"))


Outgoing = tuple[int, str]  # (seq, the message as JSON text): serialised once per event, not once per socket


class LiveConnection:
    """One socket's inbox. The bus thread offers events; the socket's task awaits them. A client that cannot keep
    up (the inbox is full) is marked `overflowed` and disconnected; it resumes with its last event id."""

    def __init__(self, user_id: str, loop: asyncio.AbstractEventLoop, *, max_pending: int = 1000) -> None:
        self.user_id = user_id
        self.loop = loop
        self.inbox: asyncio.Queue[Outgoing | None] = asyncio.Queue(maxsize=max_pending)
        self.overflowed = False

    def put(self, outgoing: Outgoing) -> None:
        """On the connection's event loop."""
        if self.overflowed:
            return
        try:
            self.inbox.put_nowait(outgoing)
        except asyncio.QueueFull:
            self.overflowed = True
            self.inbox._queue.clear()  # type: ignore[attr-defined]  # drop the backlog: the client replays it
            self.inbox.put_nowait(None)


class LiveHub:
    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._lock = threading.Lock()
        self._by_user: dict[str, set[LiveConnection]] = defaultdict(set)
        self._subscription: Subscription | None = None

    def attach(self, connection: LiveConnection) -> None:
        with self._lock:
            self._by_user[connection.user_id].add(connection)
            subscribe = self._subscription is None
        if subscribe:
            subscription = self._bus.subscribe(self._deliver)
            with self._lock:
                if self._subscription is None:
                    self._subscription = subscription
                    return
            subscription.close()  # another socket subscribed meanwhile

    def detach(self, connection: LiveConnection) -> None:
        with self._lock:
            connections = self._by_user.get(connection.user_id)
            if connections is not None:
                connections.discard(connection)
                if not connections:
                    del self._by_user[connection.user_id]

    def connection_count(self) -> int:
        with self._lock:
            return sum(len(c) for c in self._by_user.values())

    def _deliver(self, stored: StoredEvent) -> None:
        with self._lock:
            targets = list(self._by_user.get(stored.event.user_id, ()))
        if not targets:
            return
        outgoing = (stored.seq, event_text(stored))
        by_loop: dict[asyncio.AbstractEventLoop, list[LiveConnection]] = defaultdict(list)
        for connection in targets:
            by_loop[connection.loop].append(connection)
        for loop, connections in by_loop.items():  # one wake-up per event loop, however many sockets
            loop.call_soon_threadsafe(_put_all, connections, outgoing)

    def close(self) -> None:
        with self._lock:
            subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.close()


def _put_all(connections: list[LiveConnection], outgoing: Outgoing) -> None:
    for connection in connections:
        connection.put(outgoing)
