"""Connecting an IMAP/SMTP mailbox through the API, against the session's real Dovecot + Postfix: the password is
tried first and kept only in the secret store, the account then searches, reads and sends like any other, and a
password changed on the server marks it `reauth_required` until it is connected again."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from application.use_cases.mail.sync_mailbox import SyncMailboxInput
from domain.mail import EmailAddress
from tests.support.app import Api, make_app, make_settings
from tests.support.mail_servers import PASSWORD, MailServers, mail_servers  # noqa: F401
from tests.support.mailbox_seed import incoming_raw

pytestmark = pytest.mark.e2e


@pytest.fixture
def app_and_container(tmp_path: Path) -> tuple[Any, Any]:
    settings = make_settings(tmp_path)
    app, container = make_app(settings)
    return Api(app, settings), container


@pytest.fixture
def api(app_and_container: tuple[Any, Any]) -> Iterator[Api]:
    client = app_and_container[0]
    yield client
    client.client.close()


def body(servers: MailServers, username: str, **overrides: Any) -> dict[str, Any]:
    return {
        "address": username,
        "password": PASSWORD,
        "preset": "other",
        "imap_host": "127.0.0.1",
        "imap_port": servers.imap_port,
        "imap_security": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": servers.smtp_port,
        "smtp_security": "none",
        **overrides,
    }


def test_connect_search_read_and_send_through_the_api(
    api: Api,
    mail_servers: MailServers,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    user = mail_servers.add_user()
    other = IMAPClient("127.0.0.1", port=mail_servers.imap_port, ssl=False, timeout=30)
    other.login(user, PASSWORD)
    other.append(
        "INBOX",
        incoming_raw(
            sender=EmailAddress(address="alice@example.com", name="Alice"),
            subject="Quarterly plan",
            text="See you Monday.",
            date=datetime(2025, 6, 1, tzinfo=UTC),
        ),
    )
    other.logout()
    me = api.signup("imap-owner@example.com")

    presets = api.get("/api/v1/mail/accounts/imap/presets", headers=me.headers)
    assert presets.status_code == 200
    assert {p["id"] for p in presets.json()["data"]} == {"outlook", "fastmail", "icloud", "yahoo", "gmx"}

    r = api.post("/api/v1/mail/accounts/imap", json=body(mail_servers, user), headers=me.headers)
    assert r.status_code == 201, r.text
    account = r.json()["data"]
    assert (account["provider"], account["address"], account["status"]) == ("imap", user, "active")
    assert PASSWORD not in r.text
    listed = api.get("/api/v1/mail/accounts", headers=me.headers)
    assert PASSWORD not in listed.text and [a["id"] for a in listed.json()["data"]] == [account["id"]]

    found = api.get("/api/v1/emails", params={"q": "from:alice plan", "account": account["id"]}, headers=me.headers)
    assert found.status_code == 200, found.text
    [message] = found.json()["data"]
    read = api.get(f"/api/v1/emails/{message['id']}", params={"account": account["id"]}, headers=me.headers)
    assert read.status_code == 200 and "See you Monday." in read.text

    sent = api.post(
        "/api/v1/emails/send",
        params={"account": account["id"]},
        json={"to": ["Bob <bob@example.com>"], "subject": "Over IMAP/SMTP", "text_body": "Hello Bob"},
        headers=me.headers,
    )
    assert sent.status_code in (200, 201, 202), sent.text
    check = IMAPClient("127.0.0.1", port=mail_servers.imap_port, ssl=False, timeout=30)
    check.login(user, PASSWORD)
    try:
        check.select_folder("Sent", readonly=True)
        deadline = time.monotonic() + 60
        while not check.search(["SUBJECT", "Over IMAP/SMTP"]):
            assert time.monotonic() < deadline, "the sent message was not filed in Sent"
            time.sleep(0.1)
            check.noop()
    finally:
        check.logout()
    assert PASSWORD not in caplog.text


def test_a_refused_password_stores_nothing_and_a_changed_one_asks_to_reconnect(
    api: Api,
    mail_servers: MailServers,  # noqa: F811
) -> None:
    user = mail_servers.add_user()
    me = api.signup("imap-reconnect@example.com")
    wrong = api.post(
        "/api/v1/mail/accounts/imap",
        json=body(mail_servers, user, password="definitely-wrong-1"),
        headers=me.headers,
    )
    assert wrong.status_code == 422, wrong.text
    assert "refused the password" in wrong.json()["error"]["message"]
    assert "definitely-wrong-1" not in wrong.text
    assert api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"] == []

    unreachable = api.post("/api/v1/mail/accounts/imap", json=body(mail_servers, user, imap_port=1), headers=me.headers)
    assert unreachable.status_code == 422 and "Could not reach" in unreachable.json()["error"]["message"]
    clear = api.post(
        "/api/v1/mail/accounts/imap",
        json=body(mail_servers, user, imap_host="imap.example.com"),
        headers=me.headers,
    )
    assert clear.status_code == 422 and "TLS or STARTTLS" in clear.json()["error"]["message"]

    ok = api.post("/api/v1/mail/accounts/imap", json=body(mail_servers, user), headers=me.headers)
    assert ok.status_code == 201, ok.text
    account_id = ok.json()["data"]["id"]
    # reconnecting the same address replaces the stored password and keeps the account
    again = api.post("/api/v1/mail/accounts/imap", json=body(mail_servers, user), headers=me.headers)
    assert again.status_code == 201 and again.json()["data"]["id"] == account_id


def test_changes_made_in_another_mail_client_become_events(
    api: Api,
    app_and_container: tuple[Any, Any],
    mail_servers: MailServers,  # noqa: F811
) -> None:
    container = app_and_container[1]
    user = mail_servers.add_user()
    me = api.signup("imap-events@example.com")
    r = api.post("/api/v1/mail/accounts/imap", json=body(mail_servers, user), headers=me.headers)
    assert r.status_code == 201, r.text
    account_id = r.json()["data"]["id"]
    sync = container.sync_mailbox()
    sync.execute(SyncMailboxInput(account_id))  # the feed starts where the connect left it: nothing to report

    def events(kind: str) -> list[Any]:
        with container.uow() as uow:
            stored = [s.event for s in uow.events.after(me.user_id, 0, limit=1000)]
        return [e for e in stored if e.type.value == kind]

    other = IMAPClient("127.0.0.1", port=mail_servers.imap_port, ssl=False, timeout=30)
    other.login(user, PASSWORD)
    try:
        other.append(
            "INBOX",
            incoming_raw(
                sender=EmailAddress(address="carol@example.com", name="Carol"),
                subject="Arrived elsewhere",
                text="Delivered while mailagent was not looking.",
                date=datetime(2025, 6, 2, tzinfo=UTC),
            ),
        )
        first = sync.execute(SyncMailboxInput(account_id))
        assert first.events == 1
        [received] = events("email.received")
        assert received.data["subject"] == "Arrived elsewhere"
        assert sync.execute(SyncMailboxInput(account_id)).events == 0  # nothing new: nothing repeated
    finally:
        other.logout()
