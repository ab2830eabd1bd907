"""MailSyncRepository contract (uow.mail_sync): in-memory, SQLite and PostgreSQL behave alike."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from application.ports.unit_of_work import UnitOfWork
from domain.identity import new_id
from domain.mail_account import AccountStatus, MailAccount, MailProvider
from domain.mail_sync import MailSyncState, WatchStatus
from tests.contract.test_unit_of_work import T0, make_user
from tests.support.uow import UowFactory, uow_factory


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def uows(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    yield from uow_factory(request.param, request, tmp_path)


def add_account(uow: UnitOfWork, user_id: str, provider: MailProvider, address: str, minutes: int = 0) -> MailAccount:
    account = MailAccount(
        id=new_id(),
        user_id=user_id,
        provider=provider,
        address=address,
        status=AccountStatus.ACTIVE,
        created_at=T0 + timedelta(minutes=minutes),
        updated_at=T0,
    )
    uow.mail_accounts.add(account)
    return account


def setup_account(uows: UowFactory, email: str = "a@example.com") -> MailAccount:
    with uows() as uow:
        user = make_user(email)
        uow.users.add(user)
        account = add_account(uow, user.id, MailProvider.GOOGLE, email)
        uow.commit()
    return account


def test_state_is_created_by_the_first_write_and_kept_only_on_commit(uows: UowFactory) -> None:
    account = setup_account(uows)
    with uows() as uow:
        assert uow.mail_sync.get(account.id) is None
        uow.mail_sync.advance(account.id, "1200", at=T0)
        assert uow.mail_sync.get(account.id) == MailSyncState(account.id, cursor="1200", last_synced_at=T0)
    with uows() as uow:
        assert uow.mail_sync.get(account.id) is None  # rolled back
        uow.mail_sync.advance(account.id, "1200", at=T0, full_sync=True)
        uow.commit()
    with uows() as uow:
        assert uow.mail_sync.get(account.id) == MailSyncState(
            account.id, cursor="1200", last_synced_at=T0, last_full_sync_at=T0
        )


def test_the_cursor_only_moves_forward_by_number(uows: UowFactory) -> None:
    account = setup_account(uows)
    later = T0 + timedelta(minutes=5)
    for cursor, at in (("99", T0), ("100", T0), ("98", later), ("0100", later)):
        with uows() as uow:
            uow.mail_sync.advance(account.id, cursor, at=at)
            uow.commit()
    with uows() as uow:
        state = uow.mail_sync.get(account.id)
    assert state is not None
    assert state.cursor == "100"  # not "98" (moved back), not "99" (compared as text)
    assert state.last_synced_at == later and state.last_full_sync_at is None


def test_racing_syncs_leave_the_furthest_cursor(uows: UowFactory) -> None:
    account = setup_account(uows)
    cursors = [str(random.randint(1, 10**12)) for _ in range(8)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(cursors))

    def sync(cursor: str) -> None:
        try:
            start.wait(timeout=10)
            with uows() as uow:
                uow.mail_sync.advance(account.id, cursor, at=T0)
                uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sync, args=(c,)) for c in cursors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with uows() as uow:
        state = uow.mail_sync.get(account.id)
    assert state is not None and state.cursor == max(cursors, key=int)


def test_watch_state_round_trips_and_leaves_the_cursor(uows: UowFactory) -> None:
    account = setup_account(uows)
    expires = T0 + timedelta(days=7)
    with uows() as uow:
        uow.mail_sync.advance(account.id, "5", at=T0)
        uow.mail_sync.record_watch(account.id, status=WatchStatus.ACTIVE, expires_at=expires)
        uow.commit()
    with uows() as uow:
        uow.mail_sync.record_watch(account.id, status=WatchStatus.FAILED, expires_at=expires, error="x" * 900)
        uow.commit()
    with uows() as uow:
        state = uow.mail_sync.get(account.id)
    assert state is not None
    assert (state.cursor, state.watch_status, state.watch_expires_at) == ("5", WatchStatus.FAILED, expires)
    assert state.watch_error == "x" * 500
    with uows() as uow:
        other = setup_account(uows, "b@example.com")
        uow.mail_sync.record_watch(other.id, status=WatchStatus.LAPSED, expires_at=None)
        uow.commit()
    with uows() as uow:
        assert uow.mail_sync.get(other.id) == MailSyncState(other.id, watch_status=WatchStatus.LAPSED)


def test_accounts_are_listed_for_polling_and_found_by_address(uows: UowFactory) -> None:
    with uows() as uow:
        alice, bob = make_user("alice@example.com"), make_user("bob@example.com")
        uow.users.add(alice)
        uow.users.add(bob)
        shared_a = add_account(uow, alice.id, MailProvider.GOOGLE, "Team@Example.com", minutes=1)
        demo = add_account(uow, alice.id, MailProvider.DEMO, "you@demo.mailagent.local", minutes=2)
        shared_b = add_account(uow, bob.id, MailProvider.GOOGLE, "team@example.com", minutes=3)
        own = add_account(uow, bob.id, MailProvider.GOOGLE, "bob@example.com", minutes=4)
        uow.commit()
    with uows() as uow:
        assert [a.id for a in uow.mail_sync.accounts()] == [shared_a.id, demo.id, shared_b.id, own.id]
        assert [a.id for a in uow.mail_sync.accounts(MailProvider.GOOGLE)] == [shared_a.id, shared_b.id, own.id]
        found = uow.mail_sync.accounts_with_address(MailProvider.GOOGLE, " TEAM@example.com ")
        assert [a.id for a in found] == [shared_a.id, shared_b.id]
        assert uow.mail_sync.accounts_with_address(MailProvider.DEMO, "team@example.com") == []
        assert uow.mail_sync.accounts_with_address(MailProvider.GOOGLE, "nobody@example.com") == []
        uow.mail_accounts.delete(own.id)
        uow.commit()
    with uows() as uow:
        assert own.id not in [a.id for a in uow.mail_sync.accounts()]
