"""Gmail sync end to end against the fake Gmail server: a Pub/Sub push -> an incremental sync (history.list and
metadata of the new message only) -> events; an expired history -> the bounded full sync; `users.watch` renewed
two days before its 7-day expiry and a lapsed watch detected and reported, on a clock the test moves."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from fastapi.testclient import TestClient

from adapters.in_memory.clock import InMemoryClock
from application.use_cases.mail.sync_mailbox import SyncMailboxInput, last_check_key
from domain.mail import EmailAddress
from domain.mail_sync import WatchStatus
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.fake_gmail import FakeAccount, FakeGmailServer, Fault
from tests.support.fake_google_oauth import FakeGoogle, google_settings, running_fake_google
from tests.support.mailbox_seed import incoming_raw

ADDRESS = "ann@gmail.com"
TOPIC = "projects/mailagent-test/topics/gmail-push"
TOKEN = "gmail-push-" + "t" * 32


class World:
    def __init__(self, **parts: Any) -> None:
        self.api: Api = parts["api"]
        self.app: Any = parts["app"]
        self.google: FakeGoogle = parts["google"]
        self.gmail: FakeGmailServer = parts["gmail"]
        self.account: FakeAccount = parts["account"]
        self.container: Any = parts["container"]
        self.clock: InMemoryClock = parts["clock"]
        self.me: Account | None = None
        self.account_id = ""

    def connect(self) -> None:
        self.me = self.api.signup("ann@example.com")
        url = self.api.get("/api/v1/mail/accounts/google/authorize", headers=self.me.headers).json()["data"]["url"]
        callback = urlparse(self.google.consent(url, ADDRESS))
        self.api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        accounts = self.api.get("/api/v1/mail/accounts", headers=self.me.headers).json()["data"]
        self.account_id = accounts[0]["id"]

    def deliver(self, subject: str, sender: str = "pat@example.org") -> str:
        raw = incoming_raw(
            sender=EmailAddress(address=sender, name="Pat"),
            to=(EmailAddress(address=ADDRESS),),
            subject=subject,
            text="the body stays at Google",
            date=self.clock.now(),
        )
        return self.account.deliver(raw, ["INBOX", "UNREAD"])

    def events(self, kind: str | None = None) -> list[Any]:
        assert self.me is not None
        with self.container.uow() as uow:
            found = [s.event for s in uow.events.after(self.me.user_id, 0, limit=1000)]
        return [e for e in found if kind is None or e.type.value == kind]

    def state(self) -> Any:
        with self.container.uow() as uow:
            return uow.mail_sync.get(self.account_id)

    def push(self, client: TestClient, history_id: int | None = None) -> Any:
        r = client.post(
            "/api/v1/mail/push/google", params={"token": TOKEN}, json=self.account.push_envelope(history_id)
        )
        assert r.status_code == 200, r.text
        return r.json()["data"]


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    clock = InMemoryClock(datetime.now(UTC).replace(microsecond=0))
    with FakeGmailServer() as gmail, running_fake_google() as google:
        account = gmail.add_account(ADDRESS, clock=clock.now)
        for n in range(30):  # mail that was there before: never fetched by an incremental sync
            account.deliver(
                incoming_raw(
                    sender=EmailAddress(address=f"s{n}@example.com"),
                    to=(EmailAddress(address=ADDRESS),),
                    subject=f"old {n}",
                    date=clock.now() - timedelta(days=3, hours=n),
                ),
                ["INBOX"],
            )
        google.on_issue = lambda email, access, refresh: gmail.adopt_grant(account, access, refresh)
        settings = make_settings(
            tmp_path,
            **{
                **google_settings(google),
                "gmail_api_root": gmail.url,
                "google_push_topic": TOPIC,
                "google_push_token": TOKEN,
            },
        )
        app, container = make_app(settings, clock=clock)
        world = World(
            api=Api(app, settings),
            app=app,
            google=google,
            gmail=gmail,
            account=account,
            container=container,
            clock=clock,
        )
        world.connect()
        yield world
        assert gmail.drift == []


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def settle_startup_work(world: World) -> None:
    """The app's start queues syncs of its own (the connect's, relayed from the outbox, and the ticker's first poll).
    Let them finish first: one running after the test's new mail would move the cursor past the push it sends."""
    cache = world.container.cache()
    assert wait_for(lambda: cache.get(last_check_key(world.account_id)) is not None), "the first poll never ran"
    assert world.container.job_queue().run_until_idle(timeout=10)


def test_push_triggers_an_incremental_sync_that_reads_only_what_changed(world: World) -> None:
    world.container.sync_mailbox().execute(SyncMailboxInput(world.account_id))  # first sync: the feed starts
    assert world.state().cursor == str(world.account.history_id)
    with TestClient(world.app) as client:
        settle_startup_work(world)
        world.gmail.clear_log()
        new = world.deliver("Contract draft attached")
        answer = world.push(client)
        assert (answer["accounts"], answer["queued"]) == (1, 1)
        assert wait_for(lambda: len(world.events("email.received")) == 1)
        [event] = world.events("email.received")
        assert (event.data["message_id"], event.data["subject"]) == (new, "Contract draft attached")
        assert event.data["from"]["address"] == "pat@example.org"
        # cost: one history page and the new message's metadata, nothing that grows with the 30 old messages
        assert world.gmail.count("history.list") == 1
        assert world.gmail.count("messages.get") == 1 and world.gmail.count("messages.list") == 0

        # a label change made in Gmail itself, and a message deleted for good
        world.account.relabel(world.account.messages[new], {"INBOX", "STARRED"})
        world.account.remove(next(iter(m for m in world.account.messages if m != new)))
        world.push(client)
        assert wait_for(lambda: len(world.events()) == 4)
        added, removed, deleted = world.events()[1:]  # the fake records adding and removing as two records
        assert added.type.value == removed.type.value == "email.labels_changed"
        assert (added.data["added"], added.data["removed"]) == (["STARRED"], [])
        assert (removed.data["added"], removed.data["removed"], removed.data["label_ids"]) == (
            [],
            ["UNREAD"],
            ["INBOX", "STARRED"],
        )
        assert deleted.type.value == "email.deleted" and deleted.data["message_id"] != new
        # Pub/Sub redelivers an old notification: accepted, nothing queued, nothing stored twice
        assert world.push(client, history_id=int(world.state().cursor) - 1)["queued"] == 0
        time.sleep(0.2)
        assert len(world.events()) == len({e.id for e in world.events()})


def test_an_expired_history_is_answered_with_a_bounded_full_sync(world: World) -> None:
    world.container.sync_mailbox().execute(SyncMailboxInput(world.account_id))
    world.clock.advance(hours=2)
    fresh = [world.deliver(f"while away {n}") for n in range(3)]
    world.account.expire_history()  # Gmail forgot it: history.list answers 404
    with TestClient(world.app) as client:
        world.push(client)
        assert wait_for(lambda: len(world.events("email.received")) == 3)
    assert sorted(e.data["message_id"] for e in world.events("email.received")) == sorted(fresh)
    # (the poll that the runtime's first tick queues may race the push's sync: both fall back, nothing is doubled)
    assert world.gmail.count("history.list", status=404) >= 1 and len(world.events()) == 3
    state = world.state()
    assert state.last_full_sync_at == world.clock.now() and state.cursor == str(world.account.history_id)


def test_watches_are_renewed_before_expiry_and_a_lapse_is_reported(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    renew = world.container.renew_watches
    first = renew().execute()
    assert first.renewed == [world.account_id]
    assert world.account.watch_topic == TOPIC
    expires = world.clock.now() + timedelta(days=7)
    assert world.state().watch_expires_at == expires and world.state().watch_status is WatchStatus.ACTIVE
    world.clock.advance(days=4)
    assert renew().execute().renewed == []
    world.clock.advance(days=1, hours=1)  # 47 hours left: renewed now
    assert renew().execute().renewed == [world.account_id]
    expires = world.clock.now() + timedelta(days=7)
    assert world.state().watch_expires_at == expires and world.gmail.count("users.watch") == 2

    world.gmail.inject(
        Fault(status=403, reason="forbidden", message="topic permission", method="gmail.users.watch", times=99)
    )
    world.clock.advance(days=6)
    failed = renew().execute()
    assert world.account_id in failed.failed and world.state().watch_status is WatchStatus.FAILED
    caplog.set_level(logging.WARNING)
    world.clock.advance(days=1, minutes=1)
    lapsed = renew().execute()
    assert lapsed.lapsed == [world.account_id]
    [event] = world.events("mailbox.watch_lapsed")
    assert event.data["expired_at"] == expires.isoformat() and event.data["address"] == ADDRESS
    assert "LAPSED" in caplog.text
    renew().execute()
    assert len(world.events("mailbox.watch_lapsed")) == 1

    world.gmail.faults.clear()
    assert renew().execute().renewed == [world.account_id]
    assert world.state().watch_status is WatchStatus.ACTIVE
