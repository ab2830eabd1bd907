"""One contract for WebhookRepository: the in-memory store, SQLite and PostgreSQL keep endpoints, deliveries and
attempts alike — round trips, nothing kept without commit, one delivery per endpoint and event, leases that only
one holder gets, listing and paging, the overdue sweep's view, and deletion with everything under it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.errors import Conflict
from domain.identity import Role, User, UserStatus, new_id
from domain.webhooks import (
    ALL_EVENTS,
    DeliveryAttempt,
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.support.uow import UowFactory, uow_factory

T0 = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    yield from uow_factory(request.param, request, tmp_path)


def add_user(new_uow: UowFactory, email: str = "a@example.com") -> User:
    user = User(id=new_id(), email=email, role=Role.USER, status=UserStatus.ACTIVE, created_at=T0, password_hash="h")
    with new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    return user


def endpoint(user: User, at: datetime = T0, **changes: object) -> WebhookEndpoint:
    made = WebhookEndpoint(
        id=new_id(),
        user_id=user.id,
        url="https://hooks.example.com/in?x=1",
        description="Zoë's CRM",
        event_types=frozenset({"email.received", "email.sent"}),
        enabled=True,
        secret_ref="local:users/u/webhooks/e/1",
        created_at=at,
        updated_at=at,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def delivery(ep: WebhookEndpoint, event_id: str = "ev1", at: datetime = T0, **changes: object) -> WebhookDelivery:
    made = WebhookDelivery(
        id=new_id(),
        endpoint_id=ep.id,
        user_id=ep.user_id,
        event_id=event_id,
        event_type="email.received",
        body='{"data":{"subject":"Grüße"},"timestamp":"2026-03-01T09:30:15Z","type":"email.received"}',
        status=DeliveryStatus.PENDING,
        attempts=0,
        created_at=at,
        next_attempt_at=at,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def test_endpoint_round_trips_every_field_and_needs_a_commit(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    ep = endpoint(
        user,
        event_types=frozenset({ALL_EVENTS}),
        enabled=False,
        disabled_reason=DisabledReason.GONE,
        previous_secret_ref="local:users/u/webhooks/e/0",
        previous_secret_expires_at=T0 + timedelta(hours=24),
        failing_since=T0 - timedelta(days=1),
    )
    with new_uow() as uow:
        uow.webhooks.add_endpoint(ep)  # no commit
    with new_uow() as uow:
        assert uow.webhooks.get_endpoint(ep.id) is None
        uow.webhooks.add_endpoint(ep)
        uow.commit()
    with new_uow() as uow:
        assert uow.webhooks.get_endpoint(ep.id) == ep
        changed = replace(ep, url="https://other.example.com/", enabled=True, disabled_reason=None)
        uow.webhooks.update_endpoint(changed)
        uow.commit()
    with new_uow() as uow:
        assert uow.webhooks.get_endpoint(ep.id) == changed


def test_endpoints_are_listed_per_user_oldest_first(new_uow: UowFactory) -> None:
    a, b = add_user(new_uow, "a@example.com"), add_user(new_uow, "b@example.com")
    second, first, other = endpoint(a, T0 + timedelta(seconds=5)), endpoint(a), endpoint(b)
    with new_uow() as uow:
        for ep in (second, first, other):
            uow.webhooks.add_endpoint(ep)
        uow.commit()
    with new_uow() as uow:
        assert [e.id for e in uow.webhooks.endpoints_for_user(a.id)] == [first.id, second.id]
        assert [e.id for e in uow.webhooks.endpoints_for_user(b.id)] == [other.id]


def test_one_delivery_per_endpoint_and_event(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    ep, ep2 = endpoint(user), endpoint(user)
    with new_uow() as uow:
        uow.webhooks.add_endpoint(ep)
        uow.webhooks.add_endpoint(ep2)
        uow.commit()
    d = delivery(ep)
    with new_uow() as uow:
        assert uow.webhooks.add_delivery(d) is True
        assert uow.webhooks.add_delivery(delivery(ep)) is False  # same event, same endpoint
        assert uow.webhooks.add_delivery(delivery(ep2)) is True  # same event, another endpoint
        uow.commit()
    with new_uow() as uow:
        assert uow.webhooks.get_delivery(d.id) == d
        assert uow.webhooks.add_delivery(delivery(ep)) is False  # also against committed rows
        uow.commit()


def test_lease_is_taken_once_and_only_when_pending(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    ep = endpoint(user)
    d, done = delivery(ep, "e1"), delivery(ep, "e2", status=DeliveryStatus.DELIVERED, next_attempt_at=None)
    with new_uow() as uow:
        uow.webhooks.add_endpoint(ep)
        uow.webhooks.add_delivery(d)
        uow.webhooks.add_delivery(done)
        uow.commit()
    until = T0 + timedelta(seconds=60)
    with new_uow() as uow:
        leased = uow.webhooks.lease(d.id, now=T0, until=until)
        assert leased is not None and leased.leased_until == until
        assert uow.webhooks.lease(done.id, now=T0, until=until) is None
        uow.commit()
    with new_uow() as uow:
        assert uow.webhooks.lease(d.id, now=T0 + timedelta(seconds=30), until=until) is None  # held
        assert uow.webhooks.lease(d.id, now=until, until=until + timedelta(seconds=60)) is not None  # ran out


def test_racing_leases_one_wins(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    ep = endpoint(user)
    d = delivery(ep)
    with new_uow() as uow:
        uow.webhooks.add_endpoint(ep)
        uow.webhooks.add_delivery(d)
        uow.commit()
    first, second = new_uow(), new_uow()
    with first:
        assert first.webhooks.lease(d.id, now=T0, until=T0 + timedelta(seconds=60)) is not None
        first.commit()
    with second:
        # Started after the first committed: sees the lease and does not take it.
        assert second.webhooks.lease(d.id, now=T0, until=T0 + timedelta(seconds=60)) is None


def test_racing_leases_in_the_memory_store_conflict_at_commit() -> None:
    from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork

    store = InMemoryStore()
    user = User(id=new_id(), email="a@example.com", role=Role.USER, status=UserStatus.ACTIVE, created_at=T0)
    ep = endpoint(user)
    d = delivery(ep)
    with InMemoryUnitOfWork(store) as uow:
        uow.users.add(user)
        uow.webhooks.add_endpoint(ep)
        uow.webhooks.add_delivery(d)
        uow.commit()
    a, b = InMemoryUnitOfWork(store), InMemoryUnitOfWork(store)
    with a, b:
        assert a.webhooks.lease(d.id, now=T0, until=T0 + timedelta(seconds=60)) is not None
        assert b.webhooks.lease(d.id, now=T0, until=T0 + timedelta(seconds=60)) is not None
        a.commit()
        with pytest.raises(Conflict):
            b.commit()


def test_deliveries_listed_newest_first_filtered_and_paged(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    ep = endpoint(user)
    items = [
        delivery(
            ep, f"e{i}", T0 + timedelta(seconds=i), status=DeliveryStatus.FAILED if i % 2 else DeliveryStatus.DELIVERED
        )
        for i in range(5)
    ]
    with new_uow() as uow:
        uow.webhooks.add_endpoint(ep)
        for d in items:
            uow.webhooks.add_delivery(d)
        uow.commit()
    with new_uow() as uow:
        listed = uow.webhooks.deliveries_for_endpoint(ep.id, status=None, before=None, limit=3)
        assert [d.event_id for d in listed] == ["e4", "e3", "e2"]
        page2 = uow.webhooks.deliveries_for_endpoint(ep.id, status=None, before=listed[-1].created_at, limit=3)
        assert [d.event_id for d in page2] == ["e1", "e0"]
        failed = uow.webhooks.deliveries_for_endpoint(ep.id, status=DeliveryStatus.FAILED, before=None, limit=10)
        assert [d.event_id for d in failed] == ["e3", "e1"]
        since = uow.webhooks.failed_since(ep.id, T0 + timedelta(seconds=2), limit=10)
        assert [d.event_id for d in since] == ["e3"]


def test_overdue_sees_pending_due_and_unleased_only(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    ep = endpoint(user)
    now = T0 + timedelta(minutes=10)
    lost = delivery(ep, "lost", next_attempt_at=T0)
    held = delivery(ep, "held", next_attempt_at=T0, leased_until=now + timedelta(seconds=30))
    expired_lease = delivery(ep, "expired", next_attempt_at=T0, leased_until=now - timedelta(seconds=1))
    later = delivery(ep, "later", next_attempt_at=now + timedelta(minutes=5))
    done = delivery(ep, "done", status=DeliveryStatus.DELIVERED, next_attempt_at=None)
    with new_uow() as uow:
        uow.webhooks.add_endpoint(ep)
        for d in (lost, held, expired_lease, later, done):
            uow.webhooks.add_delivery(d)
        uow.commit()
    with new_uow() as uow:
        found = uow.webhooks.overdue(now, before=now - timedelta(seconds=60), limit=10)
        assert sorted(d.event_id for d in found) == ["expired", "lost"]


def test_attempts_round_trip_in_order_and_go_with_their_endpoint(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    ep = endpoint(user)
    d = delivery(ep)
    attempts = [
        DeliveryAttempt(new_id(), d.id, 2, T0 + timedelta(seconds=5), None, 15000, "", "timed out", "retrying"),
        DeliveryAttempt(new_id(), d.id, 1, T0, 500, 12, "oops ünïcode", None, "retrying"),
        DeliveryAttempt(new_id(), d.id, 3, T0 + timedelta(seconds=300), 204, 3, "", None, "delivered"),
    ]
    with new_uow() as uow:
        uow.webhooks.add_endpoint(ep)
        uow.webhooks.add_delivery(d)
        for a in attempts:
            uow.webhooks.add_attempt(a)
        uow.commit()
    with new_uow() as uow:
        assert [a.number for a in uow.webhooks.attempts(d.id)] == [1, 2, 3]
        assert uow.webhooks.attempts(d.id)[0] == attempts[1]
        uow.webhooks.delete_endpoint(ep.id)
        uow.commit()
    with new_uow() as uow:
        assert uow.webhooks.get_endpoint(ep.id) is None
        assert uow.webhooks.get_delivery(d.id) is None
        assert uow.webhooks.attempts(d.id) == []
