"""One contract for UnitOfWork: the in-memory fake, SQLite and PostgreSQL must behave alike."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.ports.unit_of_work import AuditQuery
from application.use_cases.seal_audit_log import SealAuditLog
from domain.audit import GENESIS, AuditContext, AuditDraft, AuditHead, verify_chain
from domain.errors import Conflict
from domain.identity import (
    ApiKey,
    OneTimePurpose,
    OneTimeToken,
    RefreshToken,
    Role,
    Scope,
    Session,
    User,
    UserStatus,
    new_id,
)
from tests.support.uow import UowFactory, uow_factory

T0 = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def new_uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UowFactory]:
    yield from uow_factory(request.param, request, tmp_path)


def make_user(email: str = "a@example.com", **changes: object) -> User:
    user = User(id=new_id(), email=email, role=Role.USER, status=UserStatus.ACTIVE, created_at=T0, password_hash="h")
    return replace(user, **changes)  # type: ignore[arg-type]


def test_nothing_is_kept_without_commit(new_uow: UowFactory) -> None:
    user = make_user()
    with new_uow() as uow:
        uow.users.add(user)
        assert uow.users.get(user.id) == user  # visible inside its own transaction
    with new_uow() as uow:
        assert uow.users.get(user.id) is None


def test_a_reading_block_sees_what_was_committed_and_commits_nothing(new_uow: UowFactory) -> None:
    user = make_user()
    with new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    uow = new_uow()
    with uow.reading() as reading:
        assert reading.users.get(user.id) == user
        with pytest.raises(RuntimeError):
            reading.commit()
    with uow as writing:  # the same unit of work, used normally again
        writing.users.update(user.with_changes(display_name="Ann"))
        writing.commit()
    with new_uow().reading() as reading:
        changed = reading.users.get(user.id)
        assert changed is not None and changed.display_name == "Ann"


def test_an_audit_entry_commits_with_the_changes_of_its_unit_of_work(new_uow: UowFactory) -> None:
    user = make_user()
    with new_uow() as uow:  # read first, then audit and change: all in one transaction
        assert uow.users.get(user.id) is None
        uow.audit.append(AuditDraft("user.created", actor_id=None, target=user.id), at=T0)
        uow.users.add(user)
        uow.commit()
    with new_uow() as uow:
        uow.audit.append(AuditDraft("never", actor_id=None), at=T0)
        uow.users.add(make_user("b@example.com"))
        # no commit: neither the entry nor the user
    with new_uow() as uow:
        assert [e.action for e in uow.audit.all_in_order()] == ["user.created"]
        assert uow.users.get(user.id) == user and uow.users.get_by_email("b@example.com") is None


def test_commit_keeps_and_round_trips_every_field(new_uow: UowFactory) -> None:
    user = make_user(
        "Mixed.Case@Example.com",
        display_name="Zoë",
        email_verified_at=T0 + timedelta(hours=1),
        external_subject="sub-1",
        role=Role.ADMIN,
        undo_send_seconds=25,
        image_senders=("news@shop.example", "ana@example.com"),
    )
    with new_uow() as uow:
        uow.users.add(user)
        uow.commit()
    with new_uow() as uow:
        assert uow.users.get(user.id) == user
        uow.users.update(user.with_changes(undo_send_seconds=0, image_senders=()))
        uow.commit()
    with new_uow() as uow:
        changed = uow.users.get(user.id)
        assert changed is not None and (changed.undo_send_seconds, changed.image_senders) == (0, ())
        uow.users.update(user)
        uow.commit()
    with new_uow() as uow:
        assert uow.users.get_by_email("mixed.case@example.com") == user
        assert uow.users.get_by_external_subject("sub-1") == user
        assert uow.users.count() == 1


def test_e_mail_is_unique_regardless_of_case(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        uow.users.add(make_user("same@example.com"))
        uow.commit()
    with pytest.raises(Exception) as caught, new_uow() as uow:
        uow.users.add(make_user("same@example.com"))
        uow.commit()
    assert isinstance(caught.value, Conflict) or "unique" in str(caught.value).lower()


def test_sessions_tokens_and_keys_round_trip(new_uow: UowFactory) -> None:
    user = make_user()
    session = Session(id=new_id(), user_id=user.id, created_at=T0, expires_at=T0 + timedelta(days=1), ip="1.2.3.4")
    refresh = RefreshToken(id=new_id(), session_id=session.id, token_hash="d" * 64, issued_at=T0, expires_at=T0)
    otp = OneTimeToken(new_id(), user.id, OneTimePurpose.VERIFY_EMAIL, "e" * 64, T0, T0 + timedelta(hours=1))
    key = ApiKey(new_id()[:12], user.id, "ci", "mak_abcdefgh", "f" * 64, frozenset({Scope.MAIL_READ}), T0)
    with new_uow() as uow:
        uow.users.add(user)
        uow.sessions.add(session)
        uow.sessions.add_refresh_token(refresh)
        uow.one_time_tokens.add(otp)
        uow.api_keys.add(key)
        uow.commit()
    with new_uow() as uow:
        assert uow.sessions.get(session.id) == session
        assert uow.sessions.list_for_user(user.id) == [session]
        assert uow.sessions.get_refresh_token(refresh.id) == refresh
        assert uow.one_time_tokens.get(otp.id) == otp
        assert uow.api_keys.get(key.id) == key
        assert uow.api_keys.list_for_user(user.id) == [key]
        uow.one_time_tokens.invalidate_for_user(user.id, OneTimePurpose.VERIFY_EMAIL, T0)
        revoked = uow.sessions.revoke_all_for_user(user.id, at=T0, reason="test")
        uow.commit()
    with new_uow() as uow:
        assert revoked == [session.id]
        assert uow.sessions.get(session.id).revoked_reason == "test"  # type: ignore[union-attr]
        assert uow.one_time_tokens.get(otp.id).used_at == T0  # type: ignore[union-attr]


def test_a_refresh_token_can_be_consumed_once(new_uow: UowFactory) -> None:
    user = make_user()
    session = Session(id=new_id(), user_id=user.id, created_at=T0, expires_at=T0 + timedelta(days=1))
    token = RefreshToken(id=new_id(), session_id=session.id, token_hash="d" * 64, issued_at=T0, expires_at=T0)
    with new_uow() as uow:
        uow.users.add(user)
        uow.sessions.add(session)
        uow.sessions.add_refresh_token(token)
        uow.commit()
    with new_uow() as uow:
        assert uow.sessions.consume_refresh_token(token.id, at=T0) is True
        uow.commit()
    with new_uow() as uow:
        assert uow.sessions.consume_refresh_token(token.id, at=T0) is False
        assert uow.sessions.get_refresh_token(token.id).used_at == T0  # type: ignore[union-attr]


def test_audit_appends_form_an_unbroken_chain_once_sealed_even_when_concurrent(new_uow: UowFactory) -> None:
    def append_some(n: int) -> None:
        for i in range(5):
            with new_uow() as uow:
                uow.audit.append(
                    AuditDraft("test.action", actor_id=f"actor{n}", target=f"t{i}", context=AuditContext(ip="::1")),
                    at=T0 + timedelta(seconds=i),
                )
                uow.commit()

    threads = [threading.Thread(target=append_some, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with new_uow() as uow:
        assert uow.audit.sealed_page(after_seq=0, limit=100) == [] and uow.audit.head() == GENESIS  # not sealed yet
        assert len(uow.audit.all_in_order()) == 20
        backlog = uow.audit.backlog()
    assert backlog.count == 20 and backlog.oldest_at == T0
    report = SealAuditLog(new_uow(), InMemoryClock(T0 + timedelta(seconds=30)), batch_size=7).execute()
    assert (report.sealed, report.backlog, report.lag_seconds, report.head.seq) == (20, 0, 0.0, 20)
    with new_uow() as uow:
        events = list(uow.audit.all_in_order())
        head = uow.audit.head()
    assert [e.seq for e in events] == list(range(1, 21))
    assert [(e.occurred_at, e.id) for e in events] == sorted((e.occurred_at, e.id) for e in events)  # sealed in order
    assert head == AuditHead(20, str(events[-1].hash))
    assert verify_chain(events, head).ok


def test_audit_entries_land_with_their_commit_and_never_after_a_rollback(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        uow.audit.append(AuditDraft("dropped", actor_id=None), at=T0)
        uow.rollback()  # the same unit of work goes on and commits something else
        uow.audit.append(AuditDraft("kept", actor_id=None), at=T0)
        uow.commit()
    with new_uow() as uow:
        uow.audit.append(AuditDraft("never committed", actor_id=None), at=T0)
    with new_uow() as uow:
        uow.audit.append(AuditDraft("first of two", actor_id=None), at=T0)
        uow.audit.append(AuditDraft("second of two", actor_id=None), at=T0)
        uow.commit()
    with new_uow() as uow:
        assert sorted(e.action for e in uow.audit.all_in_order()) == ["first of two", "kept", "second of two"]


def test_only_one_sealer_at_a_time_and_later_entries_extend_the_chain(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        uow.audit.append(AuditDraft("first", actor_id=None), at=T0)
        uow.commit()
    clock = InMemoryClock(T0)
    with new_uow() as holder:
        assert holder.audit.lock_for_sealing()
        assert SealAuditLog(new_uow(), clock).execute().skipped  # someone else is sealing: nothing happens
        holder.rollback()
    assert SealAuditLog(new_uow(), clock).execute().sealed == 1
    with new_uow() as uow:
        uow.audit.append(
            AuditDraft("second", actor_id=None), at=T0 - timedelta(hours=1)
        )  # an older clock: sealed after anyway
        uow.commit()
    assert SealAuditLog(new_uow(), clock).execute().sealed == 1
    with new_uow() as uow:
        events = list(uow.audit.all_in_order())
        assert [e.action for e in events] == ["first", "second"] and verify_chain(events, uow.audit.head()).ok
        assert uow.audit.sealed_page(after_seq=1, limit=10) == events[1:]


def test_two_sealers_racing_with_writers_seal_every_entry_exactly_once(new_uow: UowFactory) -> None:
    """Two workers' sealers run while requests keep writing: every committed entry ends up in one unbroken chain,
    each exactly once, and no writer ever waits for a sealer (appends touch no shared row)."""
    writing = threading.Event()
    writing.set()
    clock = InMemoryClock(T0)
    written: list[str] = []

    def write(n: int) -> None:
        for i in range(15):
            with new_uow() as uow:
                written.append(uow.audit.append(AuditDraft("race", actor_id=f"w{n}", target=f"{i}"), at=T0).id)
                uow.commit()

    def seal() -> None:
        sealer = SealAuditLog(new_uow(), clock, batch_size=5)
        while writing.is_set():
            sealer.execute()
        sealer.execute()

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    sealers = [threading.Thread(target=seal) for _ in range(2)]
    for t in (*sealers, *writers):
        t.start()
    for t in writers:
        t.join(timeout=120)
    writing.clear()
    for t in sealers:
        t.join(timeout=120)
    SealAuditLog(new_uow(), clock).execute()  # whatever the last racing runs skipped
    with new_uow() as uow:
        events = list(uow.audit.all_in_order())
        head, backlog = uow.audit.head(), uow.audit.backlog()
    assert backlog.count == 0 and len(events) == 60 and sorted(e.id for e in events) == sorted(written)
    assert [e.seq for e in events] == list(range(1, 61)) and head.seq == 60
    assert verify_chain(events, head).ok


def test_audit_query_filters_and_pages_newest_first(new_uow: UowFactory) -> None:
    with new_uow() as uow:
        for i in range(12):
            uow.audit.append(
                AuditDraft("a.even" if i % 2 == 0 else "a.odd", actor_id="u1" if i < 6 else "u2"),
                at=T0 + timedelta(minutes=i),
            )
        uow.commit()
    with new_uow() as uow:
        page, total = uow.audit.query(AuditQuery(action="a.even", limit=4))
        assert total == 6 and len(page) == 4
        assert [e.occurred_at for e in page] == sorted((e.occurred_at for e in page), reverse=True)
        page2, _ = uow.audit.query(AuditQuery(action="a.even", offset=4, limit=4))
        assert {e.id for e in page}.isdisjoint({e.id for e in page2}) and len(page2) == 2
        mine, total_u2 = uow.audit.query(AuditQuery(actor_id="u2"))
        assert total_u2 == 6 and all(e.actor_id == "u2" for e in mine)
        window, total_w = uow.audit.query(AuditQuery(since=T0 + timedelta(minutes=3), until=T0 + timedelta(minutes=5)))
        assert total_w == 3 and {e.occurred_at for e in window} == {T0 + timedelta(minutes=m) for m in (3, 4, 5)}
        quiet, total_q = uow.audit.query(AuditQuery(actor_id="u1", exclude_actions=("a.odd", "a.other")))
        assert total_q == 3 and {e.action for e in quiet} == {"a.even"}


@given(emails=st.lists(st.emails().map(lambda e: e[:300]), min_size=1, max_size=5, unique_by=lambda e: e.lower()))
def test_users_round_trip_for_any_addresses_in_memory(emails: list[str]) -> None:
    """A fast property on the fake; the SQL adapters are held to the same assertions above."""
    uow_store = InMemoryStore()
    users = [make_user(e) for e in emails]
    with InMemoryUnitOfWork(uow_store) as uow:
        for user in users:
            uow.users.add(user)
        uow.commit()
    with InMemoryUnitOfWork(uow_store) as uow:
        for user in users:
            assert uow.users.get_by_email(user.email.upper()) == user
        assert list(uow.users.list(offset=0, limit=100)) == sorted(users, key=lambda u: (u.created_at, u.id))


def test_mail_accounts_round_trip_are_unique_per_user_and_deletable(new_uow: UowFactory) -> None:
    from domain.mail_account import AccountStatus, MailAccount, MailProvider

    owner, other = make_user("owner@example.com"), make_user("other@example.com")
    account = MailAccount(
        id=new_id(),
        user_id=owner.id,
        provider=MailProvider.GOOGLE,
        address="Owner@Gmail.com",
        status=AccountStatus.ACTIVE,
        created_at=T0,
        updated_at=T0,
        scopes=("https://www.googleapis.com/auth/gmail.modify",),
        secret_ref="local:users/x/oauth/google/y",
    )
    with new_uow() as uow:
        uow.users.add(owner)
        uow.users.add(other)
        uow.mail_accounts.add(account)
        uow.commit()
    with new_uow() as uow:
        assert uow.mail_accounts.get(account.id) == account
        assert uow.mail_accounts.find(owner.id, MailProvider.GOOGLE, "owner@gmail.com") == account
        assert uow.mail_accounts.find(other.id, MailProvider.GOOGLE, "owner@gmail.com") is None
        assert uow.mail_accounts.list_for_user(other.id) == []
        uow.mail_accounts.update(replace(account, status=AccountStatus.REAUTH_REQUIRED, last_error="revoked"))
        uow.commit()
    with new_uow() as uow:
        assert uow.mail_accounts.get(account.id).status is AccountStatus.REAUTH_REQUIRED  # type: ignore[union-attr]
        uow.mail_accounts.delete(account.id)
        assert uow.mail_accounts.get(account.id) is None and uow.mail_accounts.list_for_user(owner.id) == []
        uow.commit()
    with new_uow() as uow:
        assert uow.mail_accounts.get(account.id) is None


def test_an_oauth_state_is_consumed_once(new_uow: UowFactory) -> None:
    from domain.mail_account import OAuthState

    user = make_user()
    state = OAuthState(new_id(), user.id, "a" * 64, "v" * 64, T0, T0 + timedelta(minutes=10), return_to="/mail")
    with new_uow() as uow:
        uow.users.add(user)
        uow.oauth_states.add(state)
        uow.commit()
    with new_uow() as uow:
        assert uow.oauth_states.get(state.id) == state
        assert uow.oauth_states.consume(state.id, at=T0) is True
        uow.commit()
    with new_uow() as uow:
        assert uow.oauth_states.consume(state.id, at=T0) is False


def test_calendar_sync_state_round_trips_and_is_found_by_channel(new_uow: UowFactory) -> None:
    from domain.calendar_sync import CalendarSyncState
    from domain.mail_account import AccountStatus, MailAccount, MailProvider

    owner = make_user("cal@example.com")
    account = MailAccount(new_id(), owner.id, MailProvider.GOOGLE, "cal@gmail.com", AccountStatus.ACTIVE, T0, T0)
    state = CalendarSyncState(
        account.id,
        sync_token="CPDAlvWDx70CEPDAlvWDx70CGAU=",
        synced_at=T0,
        channel_id="chan-1",
        channel_resource_id="res-1",
        channel_token_hash="a" * 64,
        channel_expires_at=T0 + timedelta(days=7),
    )
    with new_uow() as uow:
        uow.users.add(owner)
        uow.mail_accounts.add(account)
        assert uow.calendar_sync.get(account.id) is None
        uow.calendar_sync.put(state)
        uow.commit()
    with new_uow() as uow:
        assert uow.calendar_sync.get(account.id) == state
        assert uow.calendar_sync.by_channel("chan-1") == state and uow.calendar_sync.by_channel("chan-0") is None
        uow.calendar_sync.put(replace(state, channel_id="chan-2", sync_token="next"))  # not committed
    with new_uow() as uow:
        assert uow.calendar_sync.get(account.id) == state
        uow.calendar_sync.put(replace(state, channel_id="chan-2", sync_token="next"))
        uow.commit()
    with new_uow() as uow:
        assert uow.calendar_sync.by_channel("chan-1") is None
        assert uow.calendar_sync.get(account.id).sync_token == "next"  # type: ignore[union-attr]
