"""Mailbox sync on PostgreSQL and Redis: racing syncs of one account store each event once (the events' unique id,
INSERT .. ON CONFLICT DO NOTHING) and leave the furthest cursor (the conditional UPDATE); polling keeps each
account's last check in Redis."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.redis.cache import RedisCache
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.use_cases.mail.sync_mailbox import last_check_key
from domain.events import EventType
from domain.mail import STARRED
from tests.support.sync_world import SyncWorld, deliver
from tests.unit.test_mail_sync import RacingMailbox


@pytest.fixture
def world(postgres_url: str) -> Iterator[SyncWorld]:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    yield SyncWorld(uow_factory=lambda: SqlAlchemyUnitOfWork(factory))
    engine.dispose()


def test_racing_syncs_on_postgres_store_each_event_once(world: SyncWorld) -> None:
    box = RacingMailbox("ann@example.com", clock=world.clock.now)
    account, _ = world.add_account("ann@example.com", mailbox=box)
    world.sync(account)
    ids = [deliver(box, world.clock, subject=f"n{n}") for n in range(6)]
    box.modify_labels(ids[:3], add=[STARRED])
    box.barrier = threading.Barrier(4)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(world.sync(account))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    box.barrier = None
    assert errors == [] and len(results) == 4
    assert all(r.changes == 9 for r in results) and sum(r.events for r in results) == 9
    events = world.events(account.user_id)
    assert [e.type for e in events].count(EventType.EMAIL_RECEIVED) == 6 and len(events) == 9
    with world.uow() as uow:
        state = uow.mail_sync.get(account.id)
    assert state is not None and state.cursor == box.current_cursor()
    # published once each (the relay claims with FOR UPDATE SKIP LOCKED)
    assert sorted(p.event.id for p in world.published(account.user_id)) == sorted(e.id for e in events)


def test_polling_keeps_the_last_check_in_redis(world: SyncWorld, redis_client: Any, redis_prefix: str) -> None:
    world.cache = RedisCache(redis_client, prefix=redis_prefix)
    a, _ = world.add_account("ann@example.com")
    b, _ = world.add_account("bob@example.com")
    assert set(world.poll(300).execute().queued) == {a.id, b.id}
    assert redis_client.get(redis_prefix + last_check_key(a.id)).decode() == world.clock.now().isoformat()
    assert 0 < redis_client.ttl(redis_prefix + last_check_key(a.id)) <= 3600
    world.clock.advance(299)
    assert world.poll(300).execute().queued == ()
    world.clock.advance(2)
    assert set(world.poll(300).execute().queued) == {a.id, b.id}
