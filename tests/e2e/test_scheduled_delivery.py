"""Scheduled emails delivered by the running app (jobs in process, real clock, the demo mailbox): sent at their
time and not before (property 69), their status follows (70), and the user is notified by a stored and published
`scheduled_email.sent` / `.failed` event (72)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.events import EventType, StoredEvent
from entrypoints.container import Container
from tests.support.app import Account, Api, make_app, make_settings

SCHEDULED = "/api/v1/emails/scheduled"


class Live:
    def __init__(self, api: Api, container: Container) -> None:
        self.api, self.container = api, container
        self.published: list[StoredEvent] = []
        self._lock = threading.Lock()
        container.event_bus().subscribe(self._seen)

    def _seen(self, event: StoredEvent) -> None:
        with self._lock:
            self.published.append(event)

    def user(self, email: str) -> tuple[Account, str]:
        account = self.api.signup(email)
        r = self.api.post("/api/v1/mail/accounts/demo", headers=account.headers)
        assert r.status_code == 201, r.text
        return account, r.json()["data"]["id"]

    def schedule(self, who: Account, seconds_ahead: float, subject: str) -> dict[str, Any]:
        at = datetime.now(UTC) + timedelta(seconds=seconds_ahead)
        r = self.api.post(
            "/api/v1/emails/schedule",
            json={"to": ["bob@example.com"], "subject": subject, "text_body": "hi", "send_at": at.isoformat()},
            headers=who.headers,
        )
        assert r.status_code == 201, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    def wait_for(self, who: Account, scheduled_id: str, status: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            data = self.api.get(f"{SCHEDULED}/{scheduled_id}", headers=who.headers).json()["data"]
            if data["status"] == status or time.monotonic() > deadline:
                assert data["status"] == status, data
                return data  # type: ignore[no-any-return]
            time.sleep(0.1)

    def sent_copies(self, who: Account, message_id: str) -> list[dict[str, Any]]:
        r = self.api.get("/api/v1/emails", params={"q": f"rfc822msgid:{message_id}"}, headers=who.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    def stored_events(self, user_id: str, kind: EventType) -> list[StoredEvent]:
        with self.container.uow() as uow:
            return [e for e in uow.events.after(user_id, 0, limit=1000) if e.event.type is kind]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    settings = make_settings(tmp_path, demo_mailbox_size=5, scheduled_dispatch_seconds=1)
    app, container = make_app(settings)
    api = Api(app, settings)
    with api.client:  # runs the lifespan: jobs, the ticker and the relay in this process
        yield Live(api, container)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.property(69, 70, 72)
def test_properties_69_70_72_sent_on_time_once_and_announced(live: Live) -> None:
    me, _ = live.user("me@example.com")
    other, _ = live.user("other@example.com")
    planned = [live.schedule(me, ahead, f"Scheduled {n}") for n, ahead in enumerate((1.5, 2.0, 2.5))]
    for item in planned:  # 70: waiting first
        assert live.api.get(f"{SCHEDULED}/{item['id']}", headers=me.headers).json()["data"]["status"] == "scheduled"
    for item in planned:
        done = live.wait_for(me, item["id"], "sent")
        send_at, sent_at = _utc(done["send_at"]), _utc(done["sent_at"])
        assert send_at <= sent_at < send_at + timedelta(seconds=3)  # 69: at its time, never before
        assert done["attempts"] == 1 and done["error"] is None
        copies = live.sent_copies(me, item["message_id"])
        assert [c["id"] for c in copies] == [done["sent_message_id"]]  # exactly once, in Sent
        assert copies[0]["subject"] == item["subject"]
    events = live.stored_events(me.user_id, EventType.SCHEDULED_EMAIL_SENT)
    assert sorted(e.event.data["scheduled_id"] for e in events) == sorted(i["id"] for i in planned)  # 72
    assert all(e.event.data["status"] == "sent" and "text_body" not in e.event.data for e in events)
    assert live.stored_events(other.user_id, EventType.SCHEDULED_EMAIL_SENT) == []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len([e for e in live.published if e.event.user_id == me.user_id]) < 3:
        time.sleep(0.05)
    announced = [e for e in live.published if e.event.type is EventType.SCHEDULED_EMAIL_SENT]
    assert sorted(e.event.id for e in announced) == sorted(e.event.id for e in events)  # relayed to live clients
    # And, like any send, the sync that follows announces each message as email.sent, once.
    sent_ids = sorted(
        live.api.get(f"{SCHEDULED}/{i['id']}", headers=me.headers).json()["data"]["sent_message_id"] for i in planned
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        seen = sorted(e.event.data["message_id"] for e in live.stored_events(me.user_id, EventType.EMAIL_SENT))
        if seen == sent_ids:
            break
        time.sleep(0.1)
    assert seen == sent_ids


@pytest.mark.property(70, 72)
def test_property_70_72_a_send_that_cannot_happen_ends_failed_and_is_announced(live: Live) -> None:
    me, account_id = live.user("me@example.com")
    item = live.schedule(me, 1.5, "Doomed")
    r = live.api.delete(f"/api/v1/mail/accounts/{account_id}", headers=me.headers)
    assert r.status_code == 200, r.text
    done = live.wait_for(me, item["id"], "failed")
    assert "no longer connected" in done["error"] and done["sent_message_id"] is None
    failed = live.stored_events(me.user_id, EventType.SCHEDULED_EMAIL_FAILED)
    assert [e.event.data["scheduled_id"] for e in failed] == [item["id"]]
    assert "no longer connected" in failed[0].event.data["error"]
    refused = live.api.delete(f"{SCHEDULED}/{item['id']}", headers=me.headers)
    assert refused.status_code == 409 and "failed" in refused.json()["error"]["message"]
