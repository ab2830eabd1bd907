"""One contract for EventBus: the in-process bus and Redis pub/sub (real Redis) deliver alike — every subscriber
gets every event once, in order, intact; closing stops delivery; one failing handler or a malformed message does
not stop the others; on Redis, every replica hears what any replica publishes."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from adapters.in_memory.event_bus import InMemoryEventBus
from application.ports.event_bus import EventBus
from domain.errors import ServiceUnavailable
from domain.events import DomainEvent, EventType, StoredEvent, stored_event_to_dict

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
WAIT = 5.0  # seconds a Redis delivery may take at most before the test fails
QUIET = 0.3  # how long we listen for deliveries that must NOT happen


class Recorder:
    """A handler that records what it got and lets the test wait for a count."""

    def __init__(self, fail: bool = False) -> None:
        self.got: list[StoredEvent] = []
        self.calls = 0
        self.fail = fail
        self._cond = threading.Condition()

    def __call__(self, event: StoredEvent) -> None:
        with self._cond:
            self.calls += 1
            self.got.append(event)
            self._cond.notify_all()
        if self.fail:
            raise RuntimeError("handler blew up")

    def wait_for(self, count: int, timeout: float = WAIT) -> list[StoredEvent]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.got) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return list(self.got)


def stored(seq: int, **data: Any) -> StoredEvent:
    return StoredEvent(
        seq=seq,
        event=DomainEvent(
            id=f"event-{seq}-{uuid.uuid4().hex[:6]}",
            user_id="user-1",
            type=list(EventType)[seq % len(EventType)],
            occurred_at=T0 + timedelta(seconds=seq),
            data=data or {"seq": seq},
            account_id=f"acct-{seq}" if seq % 2 else None,
        ),
    )


BusFactory = Callable[[], EventBus]


@pytest.fixture
def redis_bus_factory(request: pytest.FixtureRequest) -> Iterator[BusFactory]:
    """Buses ("replicas") on one Redis and one channel no other test uses, each with its own client."""
    import redis

    from adapters.redis.event_bus import RedisEventBus

    url = request.getfixturevalue("redis_url")
    channel = f"mailagent-test:{uuid.uuid4().hex[:10]}:events"
    made: list[tuple[EventBus, Any]] = []

    def make() -> EventBus:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        bus = RedisEventBus(client, channel=channel)
        made.append((bus, client))
        return bus

    make.channel = channel  # type: ignore[attr-defined]
    yield make
    for bus, client in made:
        bus.close()
        client.close()


@pytest.fixture(params=["memory", "redis"])
def bus(request: pytest.FixtureRequest) -> Iterator[EventBus]:
    if request.param == "memory":
        memory = InMemoryEventBus()
        yield memory
        memory.close()
    else:
        yield request.getfixturevalue("redis_bus_factory")()


def test_every_subscriber_gets_each_event_once_in_order_with_every_field(bus: EventBus) -> None:
    first, second = Recorder(), Recorder()
    bus.subscribe(first)
    bus.subscribe(second)
    events = [stored(n, n=n) for n in range(1, 21)]
    events.append(
        StoredEvent(
            seq=9_007_199_254_740_993,  # beyond a double's exact range: must not be rounded on the way
            event=DomainEvent(
                id="e" * 64,
                user_id="user-ü",
                type=EventType.AGENT_TASK_COMPLETED,
                occurred_at=datetime(2026, 3, 1, 11, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
                data={
                    "nested": {"list": [1, 2.5, "x", None, True, {"deep": []}], "empty": {}},
                    "text": 'quotes " and \\ and \n newlines, Zoë ✉',
                    "big": 2**62,
                    "negative": -0.125,
                },
                account_id="acct-x",
            ),
        )
    )
    for event in events:
        bus.publish(event)
    assert first.wait_for(len(events)) == events
    assert second.wait_for(len(events)) == events
    time.sleep(QUIET)
    assert first.got == events and second.got == events  # once each: nothing delivered twice
    last = first.got[-1].event
    assert last.occurred_at.utcoffset() == timedelta(hours=5, minutes=30)
    assert stored_event_to_dict(first.got[-1]) == stored_event_to_dict(events[-1])


def test_closing_a_subscription_stops_its_delivery_only(bus: EventBus) -> None:
    leaving, staying = Recorder(), Recorder()
    subscription = bus.subscribe(leaving)
    bus.subscribe(staying)
    bus.publish(stored(1))
    assert len(leaving.wait_for(1)) == 1 and len(staying.wait_for(1)) == 1
    subscription.close()
    subscription.close()  # idempotent
    bus.publish(stored(2))
    bus.publish(stored(3))
    assert [e.seq for e in staying.wait_for(3)] == [1, 2, 3]
    time.sleep(QUIET)
    assert [e.seq for e in leaving.got] == [1]


def test_a_handler_that_raises_does_not_stop_the_others_or_later_events(bus: EventBus) -> None:
    broken, healthy = Recorder(fail=True), Recorder()
    bus.subscribe(broken)
    bus.subscribe(healthy)
    for n in range(1, 6):
        bus.publish(stored(n))  # never raises to the publisher either
    assert [e.seq for e in healthy.wait_for(5)] == [1, 2, 3, 4, 5]
    assert [e.seq for e in broken.wait_for(5)] == [1, 2, 3, 4, 5]  # still called for every event


def test_a_subscriber_added_later_gets_only_later_events(bus: EventBus) -> None:
    early = Recorder()
    bus.subscribe(early)
    bus.publish(stored(1))
    early.wait_for(1)
    late = Recorder()
    bus.subscribe(late)
    bus.publish(stored(2))
    assert [e.seq for e in late.wait_for(1)] == [2]
    assert [e.seq for e in early.wait_for(2)] == [1, 2]
    time.sleep(QUIET)
    assert [e.seq for e in late.got] == [2]


# -- Redis only --------------------------------------------------------------------------------------------------


def test_two_replicas_on_one_redis_both_receive_what_either_publishes(redis_bus_factory: BusFactory) -> None:
    one, two = redis_bus_factory(), redis_bus_factory()
    heard_one, heard_two = Recorder(), Recorder()
    one.subscribe(heard_one)
    two.subscribe(heard_two)
    a, b = stored(1), stored(2)
    one.publish(a)
    assert heard_one.wait_for(1) == [a] and heard_two.wait_for(1) == [a]
    two.publish(b)
    assert heard_one.wait_for(2) == [a, b] and heard_two.wait_for(2) == [a, b]
    # A replica that only publishes (no subscribers, no listener thread) reaches the others too.
    three = redis_bus_factory()
    c = stored(3)
    three.publish(c)
    assert heard_one.wait_for(3) == [a, b, c] and heard_two.wait_for(3) == [a, b, c]


def test_malformed_messages_on_the_channel_are_dropped_and_the_listener_keeps_going(
    redis_bus_factory: BusFactory, redis_client: Any
) -> None:
    bus = redis_bus_factory()
    heard = Recorder()
    bus.subscribe(heard)
    good = stored(7, ok=True)
    valid = stored_event_to_dict(good)
    naive = dict(valid, occurred_at="2026-03-01T09:30:15")
    channel = redis_bus_factory.channel  # type: ignore[attr-defined]

    for garbage in (
        b"not json at all",
        b"\xff\xfe\x00binary",
        b"[1, 2, 3]",
        b"42",
        b"null",
        b'{"seq": "x"}',
        json.dumps(dict(valid, type="no.such.type")).encode(),
        json.dumps(naive).encode(),  # a time without a zone
        json.dumps(dict(valid, data=[1, 2])).encode(),
        json.dumps(dict(valid, id="")).encode(),
        json.dumps(dict(valid, account_id=5)).encode(),
        json.dumps(dict(valid, data=[["n", 1]])).encode(),
        json.dumps(dict(valid, seq=True)).encode(),
    ):
        redis_client.publish(channel, garbage)
    bus.publish(good)
    assert heard.wait_for(1) == [good]
    time.sleep(QUIET)
    assert heard.got == [good]
    bus.publish(stored(8))
    assert [e.seq for e in heard.wait_for(2)] == [7, 8]


def test_close_stops_the_listener_thread_and_a_new_subscriber_restarts_it(redis_bus_factory: BusFactory) -> None:
    bus = redis_bus_factory()
    heard = Recorder()
    before = set(threading.enumerate())
    bus.subscribe(heard)
    [listener] = [t for t in threading.enumerate() if t not in before and t.name == "redis-event-bus"]
    bus.close()
    assert not listener.is_alive(), "close() must stop this bus's listener"
    again = Recorder()
    bus.subscribe(again)
    bus.publish(stored(1))
    assert [e.seq for e in again.wait_for(1)] == [1]
    time.sleep(QUIET)
    assert heard.got == []  # subscribers from before close() are gone


def test_publishing_without_redis_is_service_unavailable() -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from adapters.redis.event_bus import RedisEventBus

    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    with pytest.raises(ServiceUnavailable):
        RedisEventBus(client, channel="nowhere").publish(stored(1))
    client.close()
