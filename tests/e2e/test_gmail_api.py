"""A Gmail account end to end: OAuth connect (fake Google), then the mail API against the fake Gmail server —
automatic token refresh, `reauth_required` after the user revokes us, and no token in any answer or log (40)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from domain.mail import EmailAddress
from entrypoints.redaction import contains_secret
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.fake_gmail import FakeAccount, FakeGmailServer
from tests.support.fake_google_oauth import FakeGoogle, google_settings, running_fake_google
from tests.support.mailbox_seed import incoming_raw

ADDRESS = "ann@gmail.com"


class World:
    def __init__(
        self, api: Api, google: FakeGoogle, gmail: FakeGmailServer, account: FakeAccount, container: Any
    ) -> None:
        self.api, self.google, self.gmail, self.account, self.container = api, google, gmail, account, container
        self.bodies: list[str] = []

    def call(self, method: str, path: str, me: Account, **kwargs: Any) -> Any:
        r = getattr(self.api, method)(path, headers=me.headers, **kwargs)
        self.bodies.append(r.text)
        return r


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeGmailServer() as gmail, running_fake_google() as google:
        account = gmail.add_account(ADDRESS)
        now = datetime.now(UTC)
        for n in range(6):
            raw = incoming_raw(
                sender=EmailAddress(address=f"s{n}@example.com", name=f"Sender {n}"),
                to=(EmailAddress(address=ADDRESS),),
                subject=f"Quarterly report {n}",
                text=f"Numbers for part {n}.",
                date=now - timedelta(hours=n + 1),
            )
            account.deliver(raw, ["INBOX", "UNREAD"])
        google.on_issue = lambda email, access, refresh: gmail.adopt_grant(account, access, refresh)
        google.on_revoke = lambda email: account.revoke()
        settings = make_settings(tmp_path, **{**google_settings(google), "gmail_api_root": gmail.url})
        app, container = make_app(settings)
        yield World(Api(app, settings), google, gmail, account, container)


def connect(world: World) -> Account:
    me = world.api.signup("ann@example.com")
    url = world.call("get", "/api/v1/mail/accounts/google/authorize", me).json()["data"]["url"]
    callback = urlparse(world.google.consent(url, ADDRESS))
    done = world.api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert "connected=" in done.headers["location"], done.headers["location"]
    return me


@pytest.mark.property(40)
def test_gmail_search_read_send_and_label_through_the_api(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    me = connect(world)
    found = world.call("get", "/api/v1/emails", me, params={"q": "subject:quarterly is:unread"}).json()["data"]
    assert len(found) == 6 and all(m["unread"] for m in found)
    # Gmail quota is counted per user: one list (5 units) + 6 message reads (5 each) at least.
    meter = world.container.mailboxes().gmail_factory.meter
    assert meter.used(me.user_id) >= 5 + 6 * 5 and meter.used("someone-else") == 0
    one = world.call("get", f"/api/v1/emails/{found[0]['id']}", me).json()["data"]
    assert one["subject"].startswith("Quarterly report")
    sent = world.call("post", "/api/v1/emails/send", me, json={"to": ["bob@example.com"], "subject": "Hi",
                                                                 "text_body": "From the API"})  # fmt: skip
    assert sent.status_code == 200, sent.text
    assert world.gmail.count("gmail.users.messages.send") == 1
    ids = [m["id"] for m in found[:3]]
    r = world.call("post", "/api/v1/emails/batch-modify", me, json={"ids": ids, "remove": ["UNREAD"]})
    assert r.status_code == 200, r.text
    still_unread = world.call("get", "/api/v1/emails", me, params={"q": "is:unread"}).json()["data"]
    assert {m["id"] for m in still_unread} == {m["id"] for m in found[3:]}
    assert world.gmail.drift == []
    # Property 40: no token in any response or log line.
    assert not any(contains_secret(body) for body in world.bodies)
    leaks = [f"{r.name}: {r.getMessage()[:200]}" for r in caplog.records if contains_secret(r.getMessage())]
    assert leaks == []
    for token in [*world.google.access, *world.google.refresh]:
        assert token not in caplog.text and all(token not in b for b in world.bodies)


def test_an_expired_access_token_is_refreshed_transparently(world: World) -> None:
    me = connect(world)
    assert world.call("get", "/api/v1/emails", me).status_code == 200
    world.account.expire_tokens()
    again = world.call("get", "/api/v1/emails", me)
    assert again.status_code == 200 and len(again.json()["data"]) == 6
    assert any(r.get("grant_type") == "refresh_token" for r in world.google.token_requests)


@pytest.mark.property(11)
def test_a_revoked_grant_marks_the_account_reauth_required(world: World) -> None:
    me = connect(world)
    world.google.revoke_grant_of(ADDRESS)
    failed = world.call("get", "/api/v1/emails", me)
    assert failed.status_code == 409, failed.text
    assert failed.json()["error"]["code"] == "reauth_required"
    assert "connect" in failed.json()["error"]["message"].lower()
    accounts = world.call("get", "/api/v1/mail/accounts", me).json()["data"]
    assert accounts[0]["status"] == "reauth_required"
    calls_before = len(world.gmail.calls)
    assert world.call("get", "/api/v1/emails", me).status_code == 409
    assert len(world.gmail.calls) == calls_before  # no more calls to Google until reconnected
    # Reconnecting the same address brings it back.
    world.account.revoked = False
    url = world.call("get", "/api/v1/mail/accounts/google/authorize", me).json()["data"]["url"]
    callback = urlparse(world.google.consent(url, ADDRESS))
    world.api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    accounts = world.call("get", "/api/v1/mail/accounts", me).json()["data"]
    assert [a["status"] for a in accounts] == ["active"]
    assert world.call("get", "/api/v1/emails", me).status_code == 200


def test_connecting_gmail_starts_the_change_feed_at_once(world: World) -> None:
    """The connect enqueues a first sync (it records the cursor), so the first mail after connecting is announced
    by the next sync — not only mail after the first poll, minutes later."""
    from application.use_cases.mail.sync_mailbox import SyncMailboxInput
    from domain.events import EventType

    with world.api.client:  # the lifespan runs the in-process jobs
        me = connect(world)
        account_id = world.call("get", "/api/v1/mail/accounts", me).json()["data"][0]["id"]
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while datetime.now(UTC) < deadline:
            with world.container.uow() as uow:
                state = uow.mail_sync.get(account_id)
            if state is not None and state.cursor:
                break
            time.sleep(0.05)
        assert state is not None and state.cursor, "the connect did not sync"
        world.account.deliver(
            incoming_raw(
                sender=EmailAddress(address="new@example.com"),
                to=(EmailAddress(address=ADDRESS),),
                subject="Arrived right after connecting",
                text="hello",
                date=datetime.now(UTC),
            ),
            ["INBOX", "UNREAD"],
        )
        world.container.sync_mailbox().execute(SyncMailboxInput(account_id=account_id))
    with world.container.uow() as uow:
        received = [s.event for s in uow.events.after(me.user_id, 0, limit=100)]
    subjects = [e.data["subject"] for e in received if e.type is EventType.EMAIL_RECEIVED]
    assert subjects == ["Arrived right after connecting"]  # and not the six that were there before
