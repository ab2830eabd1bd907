"""Webhooks over HTTP on the embedded default, against a real local receiver that verifies every signature with
`standardwebhooks.Webhook(secret).verify`: register (secret once), read, change, delete, the event types, a test
event, a mail event through the relay and the job queue, rotation with two signatures, the deliveries log, replay
of a dead-lettered delivery, refusals with readable messages, and users kept apart.

The receiver-faults run (500, timeout, reset, 410, slow, 429) is at the end: 100 % of events delivered or
dead-lettered, each with a record of every attempt."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from domain.events import DomainEvent, EventType
from domain.webhooks import MAX_ATTEMPTS
from entrypoints.container import Container
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.webhook_receiver import Receiver, running_receiver

HOOKS = "/api/v1/integrations/webhooks"


class World:
    def __init__(self, api: Api, container: Container, receiver: Receiver) -> None:
        self.api, self.container, self.receiver = api, container, receiver
        self.me = api.signup("me@example.com")

    def create(self, path: str = "/in", who: Account | None = None, **body: Any) -> dict[str, Any]:
        r = self.api.post(HOOKS, json={"url": self.receiver.url(path), **body}, headers=(who or self.me).headers)
        assert r.status_code == 201, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    def emit(self, kind: EventType, eid: str, data: dict[str, Any] | None = None, who: Account | None = None) -> None:
        with self.container.uow() as uow:
            uow.events.append(
                DomainEvent(eid, (who or self.me).user_id, kind, datetime.now(UTC), data or {"message_id": eid})
            )
            uow.commit()
        self.container.outbox_relay().flush()

    def run_jobs(self) -> None:
        queue = self.container.job_queue()
        queue.start()
        try:
            assert queue.run_until_nothing_due(timeout=120)
        finally:
            queue.stop()

    def retry_all(self, endpoint_id: str) -> None:
        """What the queue does as retries come due (their waits are minutes to hours): one attempt for every
        pending delivery, until none is pending."""
        for _ in range(MAX_ATTEMPTS + 2):
            pending = [d for d in self.deliveries(endpoint_id) if d["status"] == "pending"]
            if not pending:
                return
            for d in pending:
                self.container.deliver_webhook().execute(d["id"])
        raise AssertionError("deliveries still pending after every attempt")

    def deliveries(self, endpoint_id: str) -> list[dict[str, Any]]:
        r = self.api.get(f"{HOOKS}/{endpoint_id}/deliveries", params={"limit": 200}, headers=self.me.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = make_settings(tmp_path, webhook_timeout_seconds=1.0, rate_limit_per_minute=100_000)
    app, container = make_app(settings)
    api = Api(app, settings)
    with running_receiver(hang_seconds=3, slow_seconds=0.3) as receiver:
        yield World(api, container, receiver)
    api.client.close()
    container.webhook_sender().close()


def verified(receiver: Receiver, secret: str, path: str = "/in") -> list[dict[str, Any]]:
    """Every request the receiver got on `path`, verified with the official package (raises if one fails)."""
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.received(path)]


@pytest.mark.property(48)
def test_register_read_change_delete_and_the_secret_is_shown_once(world: World) -> None:
    created = world.create(event_types=["email.received", "email.sent"], description="CRM")
    assert created["secret"].startswith("whsec_")
    assert created["event_types"] == ["email.received", "email.sent"] and created["enabled"] is True
    got = world.api.get(f"{HOOKS}/{created['id']}", headers=world.me.headers)
    assert got.status_code == 200 and "secret" not in got.json()["data"]
    listed = world.api.get(HOOKS, headers=world.me.headers).json()["data"]
    assert [e["id"] for e in listed] == [created["id"]] and created["secret"] not in str(listed)
    r = world.api.patch(
        f"{HOOKS}/{created['id']}", json={"enabled": False, "event_types": ["*"]}, headers=world.me.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["enabled"] is False and r.json()["data"]["disabled_reason"] == "by_owner"
    types = world.api.get(f"{HOOKS}/event-types", headers=world.me.headers).json()["data"]
    assert "email.received" in types and "agent.action_pending" in types
    assert world.api.delete(f"{HOOKS}/{created['id']}", headers=world.me.headers).status_code == 200
    assert world.api.get(f"{HOOKS}/{created['id']}", headers=world.me.headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"url": "ftp://example.com/x"}, "https"),
        ({"url": "http://example.com/x"}, "https"),
        ({"url": "https://10.0.0.8/x"}, "private"),
        ({"url": "https://169.254.169.254/latest"}, "metadata"),
        ({"url": "https://example.com/x", "event_types": ["email.exploded"]}, "Unknown event type"),
        ({"url": "https://example.com/x", "event_types": []}, "at least one"),
    ],
)
def test_refusals_say_why(world: World, body: dict[str, Any], words: str) -> None:
    r = world.api.post(HOOKS, json=body, headers=world.me.headers)
    assert r.status_code == 422, r.text
    assert words in r.json()["error"]["message"]


def test_another_users_endpoints_and_deliveries_are_invisible(world: World) -> None:
    mine = world.create()
    world.api.post(f"{HOOKS}/{mine['id']}/test", headers=world.me.headers)
    delivery = world.deliveries(mine["id"])[0]
    you = world.api.signup("you@example.com")
    for method, path in [
        ("get", f"{HOOKS}/{mine['id']}"),
        ("patch", f"{HOOKS}/{mine['id']}"),
        ("delete", f"{HOOKS}/{mine['id']}"),
        ("post", f"{HOOKS}/{mine['id']}/test"),
        ("post", f"{HOOKS}/{mine['id']}/rotate-secret"),
        ("get", f"{HOOKS}/{mine['id']}/deliveries"),
        ("post", f"{HOOKS}/deliveries/{delivery['id']}/replay"),
    ]:
        kwargs: dict[str, Any] = {"json": {}} if method == "patch" else {}
        r = getattr(world.api, method)(path, headers=you.headers, **kwargs)
        assert r.status_code == 404, (method, path, r.text)
    assert world.api.get(HOOKS, headers=you.headers).json()["data"] == []


def test_test_event_is_delivered_signed(world: World) -> None:
    created = world.create()
    r = world.api.post(f"{HOOKS}/{created['id']}/test", headers=world.me.headers)
    assert r.status_code == 200, r.text
    delivery = r.json()["data"]
    assert delivery["status"] == "delivered" and delivery["attempt_log"][0]["status_code"] == 200
    (payload,) = verified(world.receiver, created["secret"])
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == created["id"]
    assert world.receiver.received()[0].headers["webhook-id"] == delivery["event_id"]


@pytest.mark.property(49, 50)
def test_mail_events_go_through_the_relay_and_the_job_queue(world: World) -> None:
    created = world.create(event_types=["email.received"])
    world.emit(EventType.EMAIL_RECEIVED, "evt-in", {"message_id": "m1", "subject": "Grüße"})
    world.emit(EventType.EMAIL_SENT, "evt-out")  # not subscribed
    world.run_jobs()
    (payload,) = verified(world.receiver, created["secret"])
    assert payload["type"] == "email.received" and payload["data"]["subject"] == "Grüße"
    assert world.receiver.received()[0].headers["webhook-id"] == "evt-in"
    (delivery,) = world.deliveries(created["id"])
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["attempt_log"][0]["latency_ms"] >= 0


@pytest.mark.property(55)
def test_rotation_sends_two_signatures_that_both_verify(world: World) -> None:
    created = world.create()
    r = world.api.post(f"{HOOKS}/{created['id']}/rotate-secret", headers=world.me.headers)
    assert r.status_code == 200, r.text
    rotated = r.json()["data"]
    assert rotated["secret"] != created["secret"] and rotated["previous_secret_valid_until"] is not None
    world.api.post(f"{HOOKS}/{created['id']}/test", headers=world.me.headers)
    (request,) = world.receiver.received()
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    verified(world.receiver, created["secret"])
    verified(world.receiver, rotated["secret"])


@pytest.mark.property(52, 53)
def test_a_dead_lettered_delivery_is_listed_with_its_attempts_and_replayed(world: World) -> None:
    created = world.create("/flaky")
    world.receiver.script("/flaky", *["500"] * MAX_ATTEMPTS)
    world.emit(EventType.EMAIL_RECEIVED, "evt-dead")
    world.run_jobs()
    world.retry_all(created["id"])
    (delivery,) = world.deliveries(created["id"])
    assert delivery["status"] == "failed" and delivery["attempts"] == MAX_ATTEMPTS
    assert [a["status_code"] for a in delivery["attempt_log"]] == [500] * MAX_ATTEMPTS
    assert delivery["attempt_log"][0]["response"] == "internal error"
    failed_only = world.api.get(
        f"{HOOKS}/{created['id']}/deliveries", params={"status": "failed"}, headers=world.me.headers
    ).json()["data"]
    assert [d["id"] for d in failed_only] == [delivery["id"]]
    r = world.api.post(f"{HOOKS}/deliveries/{delivery['id']}/replay", headers=world.me.headers)
    assert r.status_code == 200, r.text
    world.run_jobs()
    (delivery,) = world.deliveries(created["id"])
    assert delivery["status"] == "delivered" and delivery["replays"] == 1
    ids = {r.headers["webhook-id"] for r in world.receiver.received("/flaky")}
    assert ids == {"evt-dead"}  # the same webhook-id on every attempt and the replay
    assert len(verified(world.receiver, created["secret"], "/flaky")) == MAX_ATTEMPTS + 1
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = world.api.post(f"{HOOKS}/{created['id']}/replay-failed", json={"since": since}, headers=world.me.headers)
    assert r.status_code == 200 and r.json()["data"]["replayed"] == 0


def test_a_410_disables_the_endpoint_and_tells_its_owner_live_and_by_mail(world: World) -> None:
    world.receiver.script("/gone", "410")
    created = world.create("/gone")
    world.emit(EventType.EMAIL_RECEIVED, "evt-gone")
    world.run_jobs()
    with world.container.uow() as uow:
        told = [s.event for s in uow.events.after(world.me.user_id, 0, limit=100)]
    (event,) = [e for e in told if e.type is EventType.WEBHOOK_ENDPOINT_DISABLED]
    assert event.data == {
        "endpoint_id": created["id"],
        "url_host": "127.0.0.1",
        "description": created["description"],
        "reason": "gone",
    }
    assert len(world.receiver.received("/gone")) == 1  # the disable is not delivered to the endpoint itself
    mails = [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(world.api.settings.outbox_dir.glob("*.eml"))
    ]
    (mail,) = [m for m in mails if "was disabled" in str(m["Subject"])]
    assert mail["To"] == "me@example.com"
    body = mail.get_body(("plain",))
    text = body.get_content() if body else ""
    assert created["id"] in text and "410 Gone" in text and "Settings -> Integrations" in text
    assert created["secret"] not in text


@pytest.mark.property(52, 53, 55)
def test_receiver_faults_every_event_delivered_or_dead_lettered_with_a_record(world: World) -> None:
    """Five endpoints, each with its own misbehaviour, and several events each. Every request the receiver got
    verifies with standardwebhooks; every event ends delivered or failed; every attempt is in the log."""
    scripts = {
        "/errors": ["500", "500", "ok"],
        "/timeout": ["hang", "ok"],
        "/reset": ["reset", "reset", "ok"],
        "/slow": ["slow", "slow", "slow"],
        "/throttled": ["429", "ok"],
        "/gone": ["500", "410"],
        "/dead": ["500"] * MAX_ATTEMPTS * 3,
    }
    endpoints = {}
    for path, script in scripts.items():
        world.receiver.script(path, *script)
        endpoints[path] = world.create(path)
    events = [f"evt-{i}" for i in range(3)]
    for eid in events:
        world.emit(EventType.EMAIL_RECEIVED, eid)
    world.run_jobs()
    for created in endpoints.values():
        world.retry_all(created["id"])

    outcome: dict[str, dict[str, str]] = {}
    for path, created in endpoints.items():
        deliveries = world.deliveries(created["id"])
        assert sorted(d["event_id"] for d in deliveries) == events  # nothing lost, nothing doubled
        for d in deliveries:
            assert d["status"] in ("delivered", "failed")
            assert len(d["attempt_log"]) == d["attempts"]
            # No attempt only when the endpoint was disabled (410) before this delivery's turn: said so.
            assert d["attempts"] >= 1 or (path == "/gone" and d["last_error"] == "The endpoint is disabled.")
            assert [a["number"] for a in d["attempt_log"]] == list(range(1, d["attempts"] + 1))
        outcome[path] = {d["event_id"]: d["status"] for d in deliveries}
        # Every request that reached the receiver carries valid signatures for this endpoint's secret.
        assert len(verified(world.receiver, created["secret"], path)) == len(world.receiver.received(path))

    for path in ("/errors", "/timeout", "/reset", "/slow", "/throttled"):
        assert set(outcome[path].values()) == {"delivered"}, (path, outcome[path])
    assert set(outcome["/dead"].values()) == {"failed"}
    assert "failed" in outcome["/gone"].values()
    gone = world.api.get(f"{HOOKS}/{endpoints['/gone']['id']}", headers=world.me.headers).json()["data"]
    assert gone["enabled"] is False and gone["disabled_reason"] == "gone"
    timeout_log = [a for d in world.deliveries(endpoints["/timeout"]["id"]) for a in d["attempt_log"]]
    assert any(a["error"] and "timed out" in a["error"] for a in timeout_log)
    throttled = [a for d in world.deliveries(endpoints["/throttled"]["id"]) for a in d["attempt_log"]]
    assert any(a["status_code"] == 429 for a in throttled)
