"""Mailbox sync use cases on in-memory adapters: incremental sync -> events, full sync, push, polling, watches."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from adapters.in_memory.mailbox import InMemoryMailbox
from application.mail_access import MailAccess
from application.ports.mailbox import Mailbox
from application.use_cases.mail.handle_google_push import HandleGooglePushInput, parse_pubsub_envelope
from application.use_cases.mail.modify_labels import ModifyLabels, ModifyLabelsInput
from application.use_cases.mail.sync_mailbox import SYNC_JOB, last_check_key
from domain.errors import NotConfigured, ReauthRequired, ServiceUnavailable, UpstreamError
from domain.events import EventType
from domain.identity import Principal, scopes_for_role
from domain.mail import DRAFT, INBOX, SENT, STARRED, TRASH, UNREAD, EmailAddress, OutgoingMessage
from domain.mail_account import AccountStatus, MailProvider
from domain.mail_sync import (
    ChangeKind,
    InvalidPushMessage,
    MailChange,
    MailHistory,
    MessageSummary,
    SyncedAccount,
    WatchStatus,
    change_events,
)
from tests.support.fake_gmail import pubsub_envelope
from tests.support.sync_world import T0, SyncWorld, deliver

SUMMARY_KEYS = {"account_id", "message_id", "thread_id", "from", "subject", "snippet", "label_ids"}


@pytest.fixture
def world() -> SyncWorld:
    return SyncWorld()


def kinds(world: SyncWorld, user_id: str) -> list[tuple[str, str]]:
    return [(e.type.value, e.data["message_id"]) for e in world.events(user_id)]


# ---------------------------------------------------------------- incremental sync


def test_first_sync_starts_the_feed_and_later_arrivals_are_announced_once(world: SyncWorld) -> None:
    account, box = world.add_account("ann@example.com")
    old = deliver(box, world.clock, subject="Before sync existed")
    first = world.sync(account)
    assert first.baseline and first.events == 0 and world.events(account.user_id) == []

    new = deliver(box, world.clock, subject="Quarterly numbers", text="Secret body 42")
    result = world.sync(account)
    assert (result.baseline, result.changes, result.events) == (False, 1, 1)
    [event] = world.events(account.user_id)
    assert event.type is EventType.EMAIL_RECEIVED and event.account_id == account.id
    assert set(event.data) == SUMMARY_KEYS
    assert event.data["message_id"] == new != old
    assert event.data["subject"] == "Quarterly numbers"
    assert event.data["from"] == {"name": "Pat", "address": "pat@example.com"}
    assert event.data["label_ids"] == [INBOX, UNREAD]
    # relayed to live clients after the commit
    assert [p.event.id for p in world.published(account.user_id)] == [event.id]
    # a repeated sync finds nothing new and stores nothing twice
    again = world.sync(account)
    assert (again.changes, again.events, again.cursor) == (0, 0, result.cursor)
    assert len(world.events(account.user_id)) == 1


def test_sends_label_changes_trash_and_drafts_become_the_right_events(world: SyncWorld) -> None:
    account, box = world.add_account("ann@example.com")
    world.sync(account)
    mine = deliver(box, world.clock, sender="ann@example.com", subject="note to self")  # own address: not "received"
    other = deliver(box, world.clock, subject="From Pat")
    box.modify_labels([other], add=[STARRED], remove=[UNREAD])
    box.trash([other])
    draft = box.create_draft(OutgoingMessage(to=(EmailAddress(address="x@example.com"),), subject="draft"))
    sent = box.send_draft(draft.id)
    spam_only = deliver(box, world.clock, subject="spam", labels=("SPAM",))
    world.sync(account)
    events = world.events(account.user_id)
    assert [(e.type.value, e.data["message_id"]) for e in events] == [
        ("email.received", other),
        ("email.labels_changed", other),
        ("email.labels_changed", other),
        ("email.sent", sent.id),
    ]
    assert mine not in {e.data["message_id"] for e in events} and spam_only not in str(events)
    starred, trashed = events[1].data, events[2].data
    assert (starred["added"], starred["removed"], starred["label_ids"]) == ([STARRED], [UNREAD], [INBOX, STARRED])
    assert (trashed["added"], trashed["removed"]) == ([TRASH], [])
    assert set(events[3].data) == SUMMARY_KEYS and events[3].data["label_ids"] == [SENT]


def test_change_events_rules_for_deletions_and_unknown_labels() -> None:
    account = SyncedAccount("acc", "user", "me@example.com")
    summary = MessageSummary("m2", "t2", frozenset({INBOX}), EmailAddress(address="a@b.c"), "s", "", T0)
    changes = [
        MailChange("7", ChangeKind.MESSAGE_DELETED, "m1", "t1", frozenset({INBOX})),
        MailChange("8", ChangeKind.MESSAGE_DELETED, "d1", "t1", frozenset({DRAFT})),  # a draft replaced or sent
        MailChange("9", ChangeKind.MESSAGE_ADDED, "m2", "t2"),  # labels unknown: the summary's count
        MailChange("10", ChangeKind.MESSAGE_ADDED, "gone", "t3", frozenset({INBOX})),  # deleted before we looked
        MailChange("11", ChangeKind.LABELS_ADDED, "m2", "t2", frozenset({INBOX}), frozenset()),  # nothing changed
    ]
    events = change_events(account, changes, {"m2": summary}, T0)
    assert [(e.type, e.data["message_id"]) for e in events] == [
        (EventType.EMAIL_DELETED, "m1"),
        (EventType.EMAIL_RECEIVED, "m2"),
    ]
    assert events[0].data == {"account_id": "acc", "message_id": "m1", "thread_id": "t1"}
    # deterministic: the same changes give the same ids
    assert [e.id for e in change_events(account, changes, {"m2": summary}, T0 + timedelta(hours=1))] == [
        e.id for e in events
    ]


class CountingMailbox(InMemoryMailbox):
    """Counts what a sync asks of the mailbox."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.summarised: list[str] = []
        self.reads = 0
        self.searches = 0

    def summaries(self, message_ids: Any) -> list[MessageSummary]:
        self.summarised.extend(message_ids)
        return super().summaries(message_ids)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        self.searches += 1
        return super().search(*args, **kwargs)


def test_sync_cost_follows_the_changes_not_the_mailbox(world: SyncWorld) -> None:
    box = CountingMailbox("ann@example.com", clock=world.clock.now)
    account, _ = world.add_account("ann@example.com", mailbox=box)
    for n in range(300):
        deliver(box, world.clock, subject=f"old {n}")
    world.sync(account)
    new = [deliver(box, world.clock, subject=f"new {n}") for n in range(10)]
    box.modify_labels(new[:3], add=[STARRED])
    result = world.sync(account)
    assert result.changes == 13 and result.events == 13
    assert box.summarised == new  # metadata of the added messages only; label changes need none
    assert box.searches == 0


class RacingMailbox(InMemoryMailbox):
    """Every sync reads the history before any of them commits: the worst interleaving of concurrent syncs."""

    barrier: threading.Barrier | None = None

    def history(self, cursor: str, *, limit: int = 500) -> MailHistory:
        page = super().history(cursor, limit=limit)
        if self.barrier is not None:
            self.barrier.wait(timeout=10)
        return page


def test_concurrent_syncs_of_one_account_store_each_event_once_and_keep_the_furthest_cursor(
    world: SyncWorld,
) -> None:
    box = RacingMailbox("ann@example.com", clock=world.clock.now)
    account, _ = world.add_account("ann@example.com", mailbox=box)
    world.sync(account)
    ids = [deliver(box, world.clock, subject=f"n{n}") for n in range(5)]
    box.modify_labels(ids[:2], add=[STARRED])
    box.barrier = threading.Barrier(4)
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(world.sync(account))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    box.barrier = None
    assert len(results) == 4 and all(r.changes == 7 for r in results)  # all four saw the same changes
    assert sum(r.events for r in results) == 7  # and stored them once between them
    events = world.events(account.user_id)
    assert len(events) == len({e.id for e in events}) == 7
    with world.uow() as uow:
        state = uow.mail_sync.get(account.id)
    assert state is not None and state.cursor == box.current_cursor()


def test_expired_history_falls_back_to_a_bounded_full_sync(world: SyncWorld) -> None:
    account, box = world.add_account("ann@example.com")
    world.sync(account)
    announced = deliver(box, world.clock, subject="seen by incremental sync")
    world.sync(account)
    world.clock.advance(days=10)
    stale = deliver(box, world.clock, subject="old but only just delivered")
    stored = box._messages[stale]  # an old message only now moved to the inbox: not news
    stored.message = replace(stored.message, internal_date=T0 - timedelta(days=30))
    fresh = [deliver(box, world.clock, subject=f"while history expired {n}") for n in range(3)]
    deliver(box, world.clock, sender="ann@example.com", subject="my own")
    box.expire_history()
    result = world.sync(account)
    assert result.full_sync and result.events == 3
    received = [e.data["message_id"] for e in world.events(account.user_id)]
    assert received == [announced, *reversed(fresh)]  # newest first in the full sync; nothing announced twice
    with world.uow() as uow:
        state = uow.mail_sync.get(account.id)
    assert state is not None and state.last_full_sync_at == world.clock.now()
    assert state.cursor == box.current_cursor()
    later = deliver(box, world.clock, subject="back to incremental")
    after = world.sync(account)
    assert not after.full_sync and world.events(account.user_id)[-1].data["message_id"] == later


def test_a_refused_grant_marks_the_account_and_stops(world: SyncWorld) -> None:
    account, _ = world.add_account("ann@gmail.com", provider=MailProvider.GOOGLE)
    world.mailboxes.open_error = ReauthRequired("revoked")
    result = world.sync(account)
    assert result.skipped
    with world.uow() as uow:
        stored = uow.mail_accounts.get(account.id)
    assert stored is not None and stored.status is AccountStatus.REAUTH_REQUIRED
    world.mailboxes.open_error = None
    assert world.sync(account).skipped  # not synced again until reconnected


def test_an_account_this_installation_cannot_open_is_skipped(world: SyncWorld) -> None:
    account, _ = world.add_account("ann@gmail.com", provider=MailProvider.GOOGLE)
    world.mailboxes.open_error = NotConfigured("Gmail is not configured on this installation.")
    assert world.sync(account).skipped == "Gmail is not configured on this installation."


def test_an_unreachable_provider_fails_the_job_without_moving_the_cursor(world: SyncWorld) -> None:
    account, box = world.add_account("ann@example.com")
    world.sync(account)
    deliver(box, world.clock)
    world.mailboxes.open_error = ServiceUnavailable("down")
    with pytest.raises(ServiceUnavailable):
        world.sync(account)
    world.mailboxes.open_error = None
    assert world.sync(account).events == 1  # the retry gets it


# ---------------------------------------------------------------- user actions are live too


def test_a_label_change_through_mail_access_queues_a_sync_after_commit(world: SyncWorld) -> None:
    account, box = world.add_account("ann@example.com")
    world.sync(account)
    message = deliver(box, world.clock)
    world.sync(account)
    with world.uow() as uow:
        user = uow.users.get(account.user_id)
    assert user is not None
    principal = Principal(user=user, scopes=scopes_for_role(user.role))
    access = MailAccess(world.uow(), world.mailboxes, world.clock, relay=world.relay)
    for _ in range(2):
        ModifyLabels(access).execute(ModifyLabelsInput(principal, (message,), add=(STARRED,)))
    syncs = world.jobs.named(SYNC_JOB)
    assert syncs == [{"account_id": account.id}] * 2  # a fresh job id each time
    world.sync(account)
    assert [e.type for e in world.events(account.user_id)] == [EventType.EMAIL_RECEIVED, EventType.EMAIL_LABELS_CHANGED]


# ---------------------------------------------------------------- push


def test_push_queues_one_sync_per_account_with_that_address(world: SyncWorld) -> None:
    a, _ = world.add_account("team@gmail.com", provider=MailProvider.GOOGLE)
    b, _ = world.add_account("bob@example.com", provider=MailProvider.GOOGLE, address="Team@Gmail.com")
    c, _ = world.add_account("carol@example.com", provider=MailProvider.GOOGLE, address="carol@gmail.com")
    outcome = world.push().execute(HandleGooglePushInput(pubsub_envelope("team@gmail.com", 4242)))
    assert (outcome.accounts, outcome.queued, outcome.history_id) == (2, 2, "4242")
    assert sorted(p["account_id"] for p in world.jobs.named(SYNC_JOB)) == sorted([a.id, b.id])
    # Pub/Sub redelivers: the same notification queues nothing new
    world.push().execute(HandleGooglePushInput(pubsub_envelope("team@gmail.com", 4242)))
    assert len(world.jobs.named(SYNC_JOB)) == 2
    # unknown address: accepted, ignored
    assert world.push().execute(HandleGooglePushInput(pubsub_envelope("who@gmail.com", 1))).accounts == 0
    assert c.id not in str(world.jobs.jobs)


def test_push_for_an_account_already_synced_past_it_queues_nothing(world: SyncWorld) -> None:
    account, _ = world.add_account("ann@gmail.com", provider=MailProvider.GOOGLE)
    with world.uow() as uow:
        uow.mail_sync.advance(account.id, "5000", at=T0)
        uow.commit()
    assert world.push().execute(HandleGooglePushInput(pubsub_envelope("ann@gmail.com", 4999))).queued == 0
    assert world.push().execute(HandleGooglePushInput(pubsub_envelope("ann@gmail.com", 5001))).queued == 1


def _b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(
    ("envelope", "says"),
    [
        ([], "JSON object"),
        ({}, "no `message`"),
        ({"message": {"data": ""}}, "no `data`"),
        ({"message": {"data": "%%%not base64%%%"}}, "base64"),
        ({"message": {"data": _b64(b"not json")}}, "base64-encoded JSON"),
        ({"message": {"data": _b64([1, 2])}}, "not a JSON object"),
        ({"message": {"data": _b64({"historyId": 1})}}, "emailAddress"),
        ({"message": {"data": _b64({"emailAddress": "a@b.c"})}}, "historyId"),
        ({"message": {"data": _b64({"emailAddress": "a@b.c", "historyId": "12x"})}}, "history id"),
        ({"message": {"data": _b64({"emailAddress": "a@b.c", "historyId": True})}}, "historyId"),
    ],
)
def test_malformed_push_bodies_are_refused_clearly(envelope: Any, says: str) -> None:
    with pytest.raises(InvalidPushMessage) as info:
        parse_pubsub_envelope(envelope)
    assert says in info.value.message


def test_push_data_may_be_urlsafe_base64_and_history_a_string() -> None:
    data = base64.urlsafe_b64encode(json.dumps({"emailAddress": "A@Gmail.com", "historyId": "77"}).encode())
    note = parse_pubsub_envelope({"message": {"data": data.decode().rstrip("=")}})
    assert (note.email_address, note.history_id) == ("a@gmail.com", "77")


# ---------------------------------------------------------------- polling


def test_polling_queues_accounts_not_checked_within_the_interval(world: SyncWorld) -> None:
    a, _ = world.add_account("ann@example.com")
    b, _ = world.add_account("bob@example.com")
    first = world.poll(300).execute()
    assert set(first.queued) == {a.id, b.id}
    world.clock.advance(120)
    assert world.poll(300).execute().queued == ()
    world.sync(a)  # a sync (push, the user's own action) counts as a check
    world.clock.advance(200)
    assert world.poll(300).execute().queued == (b.id,)
    world.clock.advance(300)
    assert set(world.poll(300).execute().queued) == {a.id, b.id}
    with world.uow() as uow:
        uow.mail_accounts.update(replace(a, status=AccountStatus.REAUTH_REQUIRED))
        uow.commit()
    world.clock.advance(301)
    assert world.poll(300).execute().queued == (b.id,)
    assert world.cache.get(last_check_key(b.id)) == world.clock.now().isoformat()


class BrokenCache:
    def get(self, key: str) -> str | None:
        raise ServiceUnavailable("cache down", service="cache")

    def set(self, key: str, value: str, *, ttl_seconds: int) -> None:
        raise ServiceUnavailable("cache down", service="cache")


def test_polling_without_a_cache_syncs_everyone(world: SyncWorld) -> None:
    a, _ = world.add_account("ann@example.com")
    world.cache = BrokenCache()  # type: ignore[assignment]
    assert world.poll(300).execute().queued == (a.id,)
    assert world.poll(300).execute().queued == (a.id,)


# ---------------------------------------------------------------- watch renewal


def test_watches_are_started_renewed_two_days_ahead_and_lapses_detected(world: SyncWorld) -> None:
    account, box = world.add_account("ann@gmail.com", provider=MailProvider.GOOGLE)
    world.add_account("demo@example.com")  # a demo account is never watched

    def state() -> Any:
        with world.uow() as uow:
            return uow.mail_sync.get(account.id)

    assert world.renew(topic=None).execute().configured is False and box.watches == []
    report = world.renew().execute()
    assert report.renewed == [account.id] and box.watches == ["projects/mailagent-test/topics/gmail"]
    assert state().watch_status is WatchStatus.ACTIVE and state().watch_expires_at == T0 + timedelta(days=7)
    world.clock.advance(days=4, hours=23)
    assert world.renew().execute().renewed == []  # expires in 2 days and 1 hour: not yet
    world.clock.advance(hours=2)
    assert world.renew().execute().renewed == [account.id]
    renewed_until = state().watch_expires_at
    assert renewed_until == world.clock.now() + timedelta(days=7)

    # Google refuses renewals (e.g. the Pub/Sub topic permission was removed) until the watch runs out
    box.watch_error = UpstreamError("Gmail refused the watch", service="gmail")
    world.clock.advance(days=6)
    failed = world.renew().execute()
    assert failed.failed and state().watch_status is WatchStatus.FAILED and state().watch_error
    assert world.events(account.user_id) == []
    world.clock.advance(days=1, seconds=1)
    lapsed = world.renew().execute()
    assert lapsed.lapsed == [account.id]
    [event] = world.events(account.user_id)
    assert event.type is EventType.MAILBOX_WATCH_LAPSED
    assert event.data["expired_at"] == renewed_until.isoformat()
    assert [p.event.id for p in world.published(account.user_id)] == [event.id]
    world.clock.advance(hours=1)
    world.renew().execute()
    assert len(world.events(account.user_id)) == 1  # the same lapse is reported once
    box.watch_error = None
    back = world.renew().execute()
    assert back.renewed == [account.id] and state().watch_status is WatchStatus.ACTIVE


def test_an_account_without_push_support_is_left_alone(world: SyncWorld) -> None:
    plain = InMemoryMailbox("ann@gmail.com")
    account, _ = world.add_account("ann@gmail.com", provider=MailProvider.GOOGLE, mailbox=plain)
    report = world.renew().execute()
    assert report.renewed == [] and report.failed == {}
    with world.uow() as uow:
        assert uow.mail_sync.get(account.id) is None


def test_mailbox_port_defaults_refuse_push() -> None:
    box: Mailbox = InMemoryMailbox()
    with pytest.raises(NotConfigured):
        box.watch("projects/p/topics/t")
    with pytest.raises(NotConfigured):
        box.stop_watch()
