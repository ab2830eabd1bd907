"""One contract for ScheduledEmailRepository: the in-memory store, SQLite and PostgreSQL must behave alike —
round trips, compare-and-set updates, and claims that never hand the same row to two claimers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.errors import Conflict
from domain.identity import Role, User, UserStatus, new_id
from domain.mail import EmailAddress, OutgoingAttachment, OutgoingMessage
from domain.mime import deterministic_message_id
from domain.scheduled_email import ResolvedSendTime, ScheduledEmail, ScheduledStatus
from tests.support.uow import UowFactory, uow_factory

T0 = datetime(2026, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)
LEASE = 60.0


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    yield from uow_factory(request.param, request, tmp_path)


@pytest.fixture(params=["memory", "postgres"])
def skip_locked_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    """Stores where a second claimer proceeds while the first one's transaction is still open (SQLite instead
    makes it wait for the write lock: covered by the threaded test)."""
    yield from uow_factory(request.param, request, tmp_path)


def add_user(new_uow: UowFactory, email: str = "a@example.com") -> User:
    user = User(id=new_id(), email=email, role=Role.USER, status=UserStatus.ACTIVE, created_at=T0, password_hash="h")
    with new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    return user


def make_scheduled(user: User, send_at: datetime, **changes: object) -> ScheduledEmail:
    email_id = new_id()
    message = OutgoingMessage(
        to=(EmailAddress(address="bob@example.com", name="Bob"),),
        cc=(EmailAddress(address="carol@example.com"),),
        bcc=(EmailAddress(address="dave@example.com"),),
        subject="Quarterly numbers — Zoë",
        text_body="Hello\nthere",
        html_body="<p>Hello</p>",
        attachments=(OutgoingAttachment(filename="a.bin", mime_type="application/octet-stream", content=b"\x00\xff"),),
        from_=EmailAddress(address="me@example.com"),
        references=("<r1@x>",),
        in_reply_to="<r1@x>",
        message_id=deterministic_message_id(f"scheduled:{email_id}", "example.com"),
    )
    email = ScheduledEmail.new(
        id=email_id,
        user_id=user.id,
        account_id=new_id(),
        message=message,
        when=ResolvedSendTime(send_at=send_at, timezone="Europe/Berlin"),
        now=T0,
    )
    return replace(email, **changes)  # type: ignore[arg-type]


def store(new_uow: UowFactory, *emails: ScheduledEmail) -> None:
    with new_uow() as uow:
        for email in emails:
            uow.scheduled_emails.add(email)
        uow.commit()


def test_round_trip_and_nothing_kept_without_commit(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    email = make_scheduled(user, T0 + timedelta(hours=1))
    with new_uow() as uow:
        uow.scheduled_emails.add(email)
        assert uow.scheduled_emails.get(email.id) == email
    with new_uow() as uow:
        assert uow.scheduled_emails.get(email.id) is None
    store(new_uow, email)
    with new_uow() as uow:
        loaded = uow.scheduled_emails.get(email.id)
    assert loaded == email
    assert loaded is not None and loaded.message.attachments[0].content == b"\x00\xff"
    assert loaded.local_send_at.utcoffset() == timedelta(hours=1)  # Berlin in March, before DST


def test_list_for_user_filters_orders_and_pages(new_uow: UowFactory) -> None:
    alice, bob = add_user(new_uow, "alice@example.com"), add_user(new_uow, "bob@example.com")
    mine = [make_scheduled(alice, T0 + timedelta(minutes=n)) for n in (5, 1, 3, 4, 2)]
    mine[0] = replace(mine[0], status=ScheduledStatus.CANCELLED)
    theirs = make_scheduled(bob, T0)
    store(new_uow, *mine, theirs)
    by_time = sorted(mine, key=lambda e: e.send_at)
    with new_uow() as uow:
        page, total = uow.scheduled_emails.list_for_user(alice.id, offset=0, limit=2)
        assert total == 5 and [e.id for e in page] == [e.id for e in by_time[:2]]
        rest, _ = uow.scheduled_emails.list_for_user(alice.id, offset=2, limit=10)
        assert [e.id for e in rest] == [e.id for e in by_time[2:]]
        waiting, count = uow.scheduled_emails.list_for_user(alice.id, statuses={ScheduledStatus.SCHEDULED})
        assert count == 4 and all(e.status is ScheduledStatus.SCHEDULED for e in waiting)
        cancelled, _ = uow.scheduled_emails.list_for_user(alice.id, statuses=[ScheduledStatus.CANCELLED])
        assert [e.id for e in cancelled] == [mine[0].id]
        only_bob, n = uow.scheduled_emails.list_for_user(bob.id)
        assert n == 1 and [e.id for e in only_bob] == [theirs.id]


def test_update_is_compare_and_set_on_the_version(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    email = make_scheduled(user, T0 + timedelta(hours=1))
    store(new_uow, email)
    cancelled = email.cancel(T0 + timedelta(minutes=1))
    with new_uow() as uow:
        uow.scheduled_emails.update(cancelled, expected_version=email.version)
        uow.commit()
    with new_uow() as uow:
        assert uow.scheduled_emails.get(email.id) == cancelled
        assert cancelled.version == email.version + 1
    stale = email.reschedule(ResolvedSendTime(T0 + timedelta(hours=2), "UTC"), T0)
    with pytest.raises(Conflict), new_uow() as uow:
        uow.scheduled_emails.update(stale, expected_version=email.version)
    with pytest.raises(Conflict), new_uow() as uow:
        uow.scheduled_emails.update(make_scheduled(user, T0), expected_version=1)  # no such row


def test_update_all_writes_every_row_or_raises_conflict(new_uow: UowFactory) -> None:
    """The batch form of the compare-and-set (one statement on SQL): every row written when each still has its
    expected version; Conflict when one does not, and after the rollback nothing of the batch is kept."""
    user = add_user(new_uow)
    emails = [make_scheduled(user, T0 + timedelta(hours=1)) for _ in range(3)]
    store(new_uow, *emails)
    cancelled = [e.cancel(T0 + timedelta(minutes=1)) for e in emails[:2]]
    with new_uow() as uow:
        uow.scheduled_emails.update_all([(c, e.version) for c, e in zip(cancelled, emails, strict=False)])
        uow.commit()
    with new_uow() as uow:
        assert [uow.scheduled_emails.get(e.id) for e in emails] == [*cancelled, emails[2]]
    moved = [e.reschedule(ResolvedSendTime(T0 + timedelta(hours=2), "UTC"), T0) for e in emails]
    with pytest.raises(Conflict), new_uow() as uow:  # the first two moved on: their versions are stale
        uow.scheduled_emails.update_all([(m, e.version) for m, e in zip(moved, emails, strict=True)][::-1])
    with new_uow() as uow:
        assert [uow.scheduled_emails.get(e.id) for e in emails] == [*cancelled, emails[2]]  # the third rolled back
    with new_uow() as uow:
        uow.scheduled_emails.update_all([])
        uow.scheduled_emails.update_all([(moved[2], emails[2].version)])
        uow.commit()
    with new_uow() as uow:
        assert uow.scheduled_emails.get(emails[2].id) == moved[2]


def test_claim_due_takes_only_due_rows_and_expired_leases(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    now = T0 + timedelta(hours=1)
    due_early = make_scheduled(user, now - timedelta(minutes=10))
    due_now = make_scheduled(user, now)
    future = make_scheduled(user, now + timedelta(seconds=1))
    cancelled = make_scheduled(user, now - timedelta(minutes=5), status=ScheduledStatus.CANCELLED)
    sent = make_scheduled(user, now - timedelta(minutes=5), status=ScheduledStatus.SENT)
    leased = make_scheduled(
        user, now - timedelta(minutes=5), status=ScheduledStatus.SENDING, lease_expires_at=now + timedelta(seconds=5)
    )
    expired = make_scheduled(
        user,
        now - timedelta(minutes=1),
        status=ScheduledStatus.SENDING,
        lease_expires_at=now - timedelta(seconds=1),
        attempts=1,
        lease_owner="crashed",
    )
    retry_later = make_scheduled(user, now - timedelta(minutes=30), due_at=now + timedelta(minutes=1))
    store(new_uow, due_early, due_now, future, cancelled, sent, leased, expired, retry_later)

    with new_uow() as uow:
        claimed = uow.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="w1", limit=100)
        uow.commit()
    assert {e.id for e in claimed} == {due_early.id, due_now.id, expired.id}
    assert claimed[0].id == due_early.id  # earliest due first
    for email in claimed:
        assert email.status is ScheduledStatus.SENDING and email.lease_owner == "w1"
        assert email.lease_expires_at == now + timedelta(seconds=LEASE)
    by_id = {e.id: e for e in claimed}
    assert by_id[expired.id].attempts == 2 and by_id[expired.id].version == expired.version + 1
    assert by_id[due_now.id].attempts == 1
    with new_uow() as uow:
        assert uow.scheduled_emails.get(due_now.id) == by_id[due_now.id]
        assert uow.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="w2", limit=100) == []
        later = uow.scheduled_emails.claim_due(
            now=now + timedelta(seconds=LEASE + 1), lease_seconds=LEASE, owner="w2", limit=100
        )
    # After the lease (and retry_later's due time) passed, they are claimable again; uncommitted, so not kept.
    assert {e.id for e in later} == {due_early.id, due_now.id, expired.id, leased.id, future.id, retry_later.id}
    with new_uow() as uow:
        assert uow.scheduled_emails.get(leased.id) == leased


def test_claim_respects_the_limit_and_a_rollback_returns_the_rows(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    emails = [make_scheduled(user, T0 + timedelta(seconds=n)) for n in range(5)]
    store(new_uow, *emails)
    now = T0 + timedelta(minutes=1)
    with new_uow() as uow:
        first = uow.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="w", limit=2)
        assert [e.id for e in first] == [e.id for e in emails[:2]]
        second = uow.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="w", limit=10)
        assert [e.id for e in second] == [e.id for e in emails[2:]]  # its own claims are not claimable again
    with new_uow() as uow:  # rolled back: all five are still waiting
        again = uow.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="w", limit=10)
        assert len(again) == 5 and all(e.attempts == 1 for e in again)


def test_a_second_claimer_skips_rows_an_open_transaction_holds(skip_locked_uow: UowFactory) -> None:
    user = add_user(skip_locked_uow)
    emails = [make_scheduled(user, T0 + timedelta(seconds=n)) for n in range(6)]
    store(skip_locked_uow, *emails)
    now = T0 + timedelta(minutes=1)
    first, second = skip_locked_uow(), skip_locked_uow()
    with first:
        a = first.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="a", limit=4)
        with second:
            b = second.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="b", limit=10)
            second.commit()
        first.rollback()
    assert [e.id for e in a] == [e.id for e in emails[:4]]
    assert [e.id for e in b] == [e.id for e in emails[4:]]
    with skip_locked_uow() as uow:  # the first claimer rolled back: its four are free again
        c = uow.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner="c", limit=10)
        uow.commit()
    assert [e.id for e in c] == [e.id for e in emails[:4]]


def test_concurrent_claimers_never_take_the_same_row(new_uow: UowFactory) -> None:
    user = add_user(new_uow)
    emails = [make_scheduled(user, T0 + timedelta(milliseconds=n)) for n in range(60)]
    store(new_uow, *emails)
    now = T0 + timedelta(minutes=1)
    taken: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        mine: list[str] = []
        try:
            start.wait()
            while True:
                with new_uow() as uow:
                    batch = uow.scheduled_emails.claim_due(now=now, lease_seconds=LEASE, owner=name, limit=3)
                    uow.commit()
                if not batch:
                    break
                mine += [e.id for e in batch]
        except BaseException as exc:  # reported below
            errors.append(exc)
        taken[name] = mine

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    everything = [i for ids in taken.values() for i in ids]
    assert len(everything) == len(set(everything)) == len(emails)  # each row once, none left out
    with new_uow() as uow:
        for name, ids in taken.items():
            for email_id in ids:
                stored = uow.scheduled_emails.get(email_id)
                assert stored is not None and stored.lease_owner == name and stored.attempts == 1
