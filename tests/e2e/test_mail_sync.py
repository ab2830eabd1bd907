"""Mailbox sync end to end on the embedded default: `mailagent demo deliver` -> one stored `email.received` that
the serving process publishes; a label change through the API -> `email.labels_changed`; the push endpoint's
authentication and answers (and its token kept out of the logs)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from entrypoints.redaction import redact
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.fake_gmail import pubsub_envelope

runner = CliRunner()
PUSH_TOKEN = "push-token-" + "k" * 32


class Demo:
    def __init__(self, api: Api, container: Any, me: Account, app: Any) -> None:
        self.api, self.container, self.me, self.app = api, container, me, app

    def events(self, kind: str | None = None) -> list[Any]:
        with self.container.uow() as uow:
            found = [s.event for s in uow.events.after(self.me.user_id, 0, limit=1000)]
        return [e for e in found if kind is None or e.type.value == kind]


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Demo:
    env = {
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_JWT_SECRET": "test-secret-" + "x" * 40,
        "MAILAGENT_ARGON2_TIME_COST": "1",
        "MAILAGENT_ARGON2_MEMORY_KIB": "1024",
        "MAILAGENT_ARGON2_PARALLELISM": "1",
        "MAILAGENT_DEMO_MAILBOX_SIZE": "40",
        "MAILAGENT_GOOGLE_PUSH_TOKEN": PUSH_TOKEN,
        "COLUMNS": "200",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = make_settings(tmp_path, demo_mailbox_size=40, google_push_token=PUSH_TOKEN)
    app, container = make_app(settings)
    api = Api(app, settings)
    return Demo(api, container, api.signup("live@example.com"), app)


def cli_ok(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def test_demo_deliver_stores_one_email_received_that_the_server_publishes(demo: Demo) -> None:
    cli_ok("mail", "connect-demo", "--user", "live@example.com")
    out = cli_ok(
        "demo", "deliver", "--to", "live@example.com", "--from", "Pat Lee <pat@example.org>",
        "--subject", "Lunch on Friday?", "--body", "Shall we try the new place?",
    )  # fmt: skip
    assert "delivered message" in out and "1 event(s) stored" in out
    [event] = demo.events()
    assert event.type.value == "email.received"
    assert event.data["subject"] == "Lunch on Friday?"
    assert event.data["from"] == {"name": "Pat Lee", "address": "pat@example.org"}
    assert "INBOX" in event.data["label_ids"] and "UNREAD" in event.data["label_ids"]
    assert not {"text_body", "html_body", "body"} & set(event.data)
    # the API shows the delivered message
    listed = demo.api.get("/api/v1/emails", params={"q": 'subject:"Lunch on Friday"'}, headers=demo.me.headers)
    assert [m["id"] for m in listed.json()["data"]] == [event.data["message_id"]]

    # The CLI process did not mark it relayed: the serving process's relay publishes it to ITS live clients.
    bus = demo.container.event_bus()
    assert bus.published == []
    with TestClient(demo.app):  # lifespan: the in-process runtime starts and relays what is pending
        assert wait_for(lambda: [s.event.id for s in bus.published] == [event.id])

    # a second delivery: one more event; nothing announced twice
    cli_ok(
        "demo", "deliver", "--to", "live@example.com", "--subject", "Second",
        "--reply-to", "Pat <pat@elsewhere.example>", "--cc", "ann@example.org", "--cc", "Bo <bo@example.org>",
    )  # fmt: skip
    assert [e.data["subject"] for e in demo.events("email.received")] == ["Lunch on Friday?", "Second"]
    second = demo.events("email.received")[-1].data["message_id"]
    shown = demo.api.get(f"/api/v1/emails/{second}", headers=demo.me.headers).json()["data"]
    assert [a["address"] for a in shown["reply_to"]] == ["pat@elsewhere.example"]
    assert [a["address"] for a in shown["cc"]] == ["ann@example.org", "bo@example.org"]


def test_demo_deliver_needs_a_demo_mailbox(demo: Demo) -> None:
    result = runner.invoke(cli, ["demo", "deliver", "--to", "live@example.com"])
    assert result.exit_code == 1 and "connect-demo --user live@example.com" in result.output
    result = runner.invoke(cli, ["demo", "deliver", "--to", "nobody@example.com"])
    assert result.exit_code == 1 and "No user nobody@example.com" in result.output
    cli_ok("mail", "connect-demo", "--user", "live@example.com")
    result = runner.invoke(cli, ["demo", "deliver", "--from", "not an address"])
    assert result.exit_code == 1 and "--from must be an address" in result.output
    result = runner.invoke(cli, ["demo", "deliver", "--reply-to", "nope"])
    assert result.exit_code == 1 and "--reply-to must be an address" in result.output


@pytest.mark.property(16)
def test_api_actions_on_the_demo_mailbox_become_live_events(demo: Demo) -> None:
    with TestClient(demo.app, raise_server_exceptions=False) as client:
        h = demo.me.headers
        assert client.post("/api/v1/mail/accounts/demo", headers=h).status_code in (200, 201)
        inbox = client.get("/api/v1/emails", params={"q": "in:inbox is:unread", "limit": 2}, headers=h).json()["data"]
        ids = [m["id"] for m in inbox]
        r = client.post("/api/v1/emails/batch-modify", json={"ids": ids, "remove": ["UNREAD"]}, headers=h)
        assert r.status_code == 200, r.text
        assert wait_for(lambda: len(demo.events("email.labels_changed")) == 2)
        changed = demo.events("email.labels_changed")
        assert sorted(e.data["message_id"] for e in changed) == sorted(ids)
        assert all(e.data["removed"] == ["UNREAD"] and e.data["added"] == [] for e in changed)
        sent = client.post(
            "/api/v1/emails/send",
            json={"to": ["pat@example.org"], "subject": "Live send", "text_body": "hi"},
            headers=h,
        )
        assert sent.status_code == 200, sent.text
        assert wait_for(lambda: [e.data["subject"] for e in demo.events("email.sent")] == ["Live send"])
        # the seeded mailbox itself was never announced: the feed starts when the mailbox is connected
        assert demo.events("email.received") == []
        bus = demo.container.event_bus()
        assert wait_for(lambda: {s.event.id for s in bus.published} >= {e.id for e in demo.events()})


def test_push_endpoint_authentication_and_answers(demo: Demo, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = "/api/v1/mail/push/google"
    body = pubsub_envelope("nobody@gmail.com", 1234)
    missing = demo.api.post(url, json=body)
    assert missing.status_code == 401 and "token" in missing.json()["error"]["message"]
    wrong = demo.api.post(url, params={"token": "not-the-token-at-all"}, json=body)
    assert wrong.status_code == 403
    unknown = demo.api.post(url, params={"token": PUSH_TOKEN}, json=body)
    assert unknown.status_code == 200, unknown.text
    assert unknown.json()["data"] == {"history_id": "1234", "accounts": 0, "queued": 0}
    for bad, says in (
        (b"not json", "not JSON"),
        (b'{"message": {"data": "bm90IGpzb24="}}', "base64-encoded JSON"),
        (b'{"subscription": "x"}', "no `message`"),
    ):
        r = demo.api.post(url, params={"token": PUSH_TOKEN}, content=bad, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_push_message"
        assert says in r.json()["error"]["message"]
    # The server's log lines (the access log among them) never carry the token; only the test's own HTTP client
    # (httpx) logs the URL it calls.
    server_lines = [f"{r.getMessage()} {r.msg}" for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(url in line for line in server_lines)
    assert not any(PUSH_TOKEN in line for line in server_lines)
    assert redact(f"GET {url}?token={PUSH_TOKEN}") == f"GET {url}?token=[redacted]"  # registered for redaction


def test_push_is_not_configured_without_a_token(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, _ = make_app(settings)
    r = Api(app, settings).post("/api/v1/mail/push/google", params={"token": "x"}, json=pubsub_envelope("a@b.c", 1))
    assert r.status_code == 501 and "MAILAGENT_GOOGLE_PUSH_TOKEN" in r.json()["error"]["message"]
