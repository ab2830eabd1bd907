"""Scheduled replies and forwards (issue 17): the schedule API takes a thread reference, so a reply or forward held
for the undo window (or scheduled for later) is sent in its conversation with In-Reply-To and References kept, and
a forward carries the original's files; bad references are refused with a sentence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.in_memory.clock import InMemoryClock
from application.use_cases.scheduled.send_scheduled_email import Outcome, SendScheduledEmailInput
from tests.support.app import Account, Api, make_app, make_settings

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
SCHEDULE = "/api/v1/emails/schedule"


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.clock = InMemoryClock(NOW)
        settings = make_settings(tmp_path, demo_mailbox_size=40, rate_limit_per_minute=100_000)
        app, self.container = make_app(settings, clock=self.clock)
        self.api = Api(app, settings)
        self.me = self.api.signup("me@example.com")
        assert self.api.post("/api/v1/mail/accounts/demo", headers=self.me.headers).status_code == 201

    def get(self, path: str, **params: Any) -> Any:
        r = self.api.get(path, params=params, headers=self.me.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def search(self, q: str) -> list[dict[str, Any]]:
        return self.get("/api/v1/emails", q=q, limit=100)  # type: ignore[no-any-return]

    def schedule(self, who: Account | None = None, **body: Any) -> Any:
        payload = {"send_at": "2026-02-01T12:00:10Z", "timezone": "UTC", **body}
        return self.api.post(SCHEDULE, json=payload, headers=(who or self.me).headers)

    def send_now(self, scheduled: dict[str, Any]) -> dict[str, Any]:
        """Let the undo window pass and run the send the wake-up job would run."""
        self.clock.advance(seconds=11)
        outcome = self.container.send_scheduled_email().execute(SendScheduledEmailInput(scheduled["id"], 1, "test"))
        assert outcome is Outcome.SENT
        self.me = self.api.login(self.me.email)
        done = self.get(f"/api/v1/emails/scheduled/{scheduled['id']}")
        assert done["status"] == "sent"
        return self.get(f"/api/v1/emails/{done['sent_message_id']}")  # type: ignore[no-any-return]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    yield w
    w.api.client.close()


def created(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def test_a_scheduled_reply_is_sent_in_its_thread_with_in_reply_to_and_references(world: World) -> None:
    original = world.get(f"/api/v1/emails/{world.search('in:inbox')[0]['id']}")
    assert original["message_id_header"]
    held = created(
        world.schedule(
            to=[original["from"]["address"]],
            subject=f"Re: {original['subject']}",
            text_body="Held for ten seconds, then sent in the thread.",
            reply_to_message_id=original["id"],
        )
    )
    assert held["in_reply_to"] == original["message_id_header"] and held["thread_id"] == original["thread_id"]
    sent = world.send_now(held)
    assert sent["thread_id"] == original["thread_id"]
    assert sent["in_reply_to"] == original["message_id_header"]
    thread = world.get(f"/api/v1/emails/{original['id']}/thread")
    assert thread["messages"][-1]["id"] == sent["id"]  # the conversation now ends with the reply
    assert "then sent in the thread" in thread["messages"][-1]["text_body"]


def test_a_scheduled_forward_takes_the_originals_files_unless_told_not_to(world: World) -> None:
    with_files = world.search("has:attachment")
    assert with_files, "the demo mailbox has mail with attachments"
    original = world.get(f"/api/v1/emails/{with_files[0]['id']}")
    assert original["attachments"]
    names = sorted(a["filename"] for a in original["attachments"])
    forward = created(
        world.schedule(
            to=["carol@example.org"],
            subject=f"Fwd: {original['subject']}",
            text_body="See below.",
            forward_message_id=original["id"],
        )
    )
    assert forward["attachments"] == len(names) and forward["thread_id"] == original["thread_id"]
    sent = world.send_now(forward)
    assert sorted(a["filename"] for a in sent["attachments"]) == names
    assert sent["in_reply_to"] == original["message_id_header"] and sent["thread_id"] == original["thread_id"]
    bare = created(
        world.schedule(
            to=["carol@example.org"],
            subject="Fwd: without the files",
            forward_message_id=original["id"],
            include_attachments=False,
            send_at="2026-02-01T12:00:30Z",
        )
    )
    assert bare["attachments"] == 0


def test_bad_thread_references_are_refused_readably(world: World) -> None:
    some = world.search("in:inbox")[0]["id"]
    both = world.schedule(to=["bob@example.com"], reply_to_message_id=some, forward_message_id=some)
    assert both.status_code == 422
    assert "not both" in both.json()["error"]["message"]
    unknown = world.schedule(to=["bob@example.com"], reply_to_message_id="no-such-message")
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["error"]["message"]
    nothing = world.get("/api/v1/emails/scheduled")
    assert nothing == []  # nothing was held by any refused request
