"""Webhooks in the application core (in-memory unit of work, in-process queue and bus, a scripted receiver):
registration (property 48), URL rules (54), event triggering through the relay (49), the envelope and its JSON
Schemas (50, 51), the retry schedule with jitter and Retry-After (52), every attempt recorded (53), 410 and the
5-day rule, leases and the sweep, rotation, replays, and users kept apart."""

from __future__ import annotations

import ipaddress
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.in_memory.job_queue import InProcessJobQueue
from adapters.in_memory.mailer import InMemoryMailer
from adapters.in_memory.secret_store import InMemorySecretStore
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from adapters.webhooks.sender import HttpxWebhookSender
from application.outbox import OutboxRelay
from application.ports.job_queue import JobRegistry
from application.ports.webhooks import OutgoingWebhook, SendResult, WebhookSender
from application.use_cases.notifications.deliver_webhooks import (
    DELIVER_JOB,
    DeliverWebhook,
    DeliveryPolicy,
    SweepWebhookDeliveries,
    WebhookFanOut,
)
from application.use_cases.notifications.manage_webhooks import (
    CreateWebhook,
    CreateWebhookInput,
    DeleteWebhook,
    DeleteWebhookInput,
    GetWebhook,
    GetWebhookInput,
    ListWebhooks,
    ListWebhooksInput,
    RotateWebhookSecret,
    RotateWebhookSecretInput,
    UpdateWebhook,
    UpdateWebhookInput,
    WebhookRules,
)
from application.use_cases.notifications.webhook_deliveries import (
    ListDeliveries,
    ListDeliveriesInput,
    ReplayDelivery,
    ReplayDeliveryInput,
    ReplayFailedSince,
    ReplayFailedSinceInput,
)
from domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from domain.events import DomainEvent, EventType
from domain.identity import Principal, Scope
from domain.webhooks import (
    ALL_EVENTS,
    MAX_ATTEMPTS,
    RETRY_SCHEDULE_SECONDS,
    WEBHOOK_EVENT_TYPES,
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    address_refusal,
    parse_webhook_url,
    retry_delay,
)
from tests.support.principals import principal_for
from tests.support.webhook_receiver import Receiver, running_receiver

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "webhooks"


class CountingQueue(InProcessJobQueue):
    def __init__(self, registry: JobRegistry, clock: InMemoryClock) -> None:
        super().__init__(registry, clock, workers=1)
        self.enqueued: list[str] = []

    def enqueue(self, name: str, payload: Any, **kw: Any) -> str:
        if name == DELIVER_JOB and kw.get("job_id", "").endswith("-1-0"):
            self.enqueued.append(str(payload["delivery_id"]))
        return super().enqueue(name, payload, **kw)


class ScriptedSender(WebhookSender):
    """A receiver in a list: answers are taken in order (then 200); every webhook it was handed is kept."""

    def __init__(self) -> None:
        self.answers: list[SendResult] = []
        self.sent: list[OutgoingWebhook] = []

    def send(self, webhook: OutgoingWebhook) -> SendResult:
        self.sent.append(webhook)
        return self.answers.pop(0) if self.answers else SendResult(200, 3, "ok")

    def signature(self, webhook: OutgoingWebhook) -> str:
        return ""


@dataclass
class World:
    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: InMemoryClock = field(default_factory=lambda: InMemoryClock(T0))
    secrets: InMemorySecretStore = field(default_factory=InMemorySecretStore)
    sender: ScriptedSender = field(default_factory=ScriptedSender)
    rules: WebhookRules = field(default_factory=lambda: WebhookRules(allow_http_loopback=False))
    mailer: InMemoryMailer = field(default_factory=InMemoryMailer)

    def __post_init__(self) -> None:
        registry = JobRegistry()
        registry.register(DELIVER_JOB, lambda payload: None)
        self.queue = CountingQueue(registry, self.clock)
        self.relay = OutboxRelay(
            self.uow, self.queue, InMemoryEventBus(), self.clock, sinks=[WebhookFanOut(self.clock)]
        )
        self.deliver = DeliverWebhook(
            self.uow,
            self.sender,
            self.secrets,
            self.clock,
            self.relay,
            DeliveryPolicy(),
            rng=random.Random(7),
            mailer=self.mailer,
            app_url="https://mail.example.com",
        )
        for who in (ME, YOU):
            self.store.users[who.user_id] = who.user

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def create(
        self, who: Principal, url: str = "https://hooks.example.com/in", types: tuple[str, ...] = (ALL_EVENTS,)
    ) -> Any:
        return CreateWebhook(self.uow(), self.secrets, self.clock, self.rules).execute(
            CreateWebhookInput(who, url, types, "CRM")
        )

    def emit(self, who: Principal, kind: EventType, data: dict[str, Any] | None = None, eid: str = "e1") -> None:
        with self.uow() as uow:
            uow.events.append(DomainEvent(eid, who.user_id, kind, self.clock.now(), data or {"message_id": "m1"}))
            uow.commit()
        self.relay.flush()

    def deliveries(self) -> list[WebhookDelivery]:
        return [d for d in self.store.webhook_deliveries.values() if d is not None]

    def run_due(self) -> None:
        """What the queue does when jobs come due: one attempt for every pending delivery."""
        for d in sorted(self.deliveries(), key=lambda d: d.created_at):
            if d.status is DeliveryStatus.PENDING:
                self.deliver.execute(d.id)


@pytest.fixture
def world() -> Iterator[World]:
    yield World()


ME, YOU = principal_for("me"), principal_for("you")


# -- registration and URL rules --------------------------------------------------------------------------------

url_hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,20}){1,3}", fullmatch=True)


@pytest.mark.property(48)
@settings(max_examples=40, deadline=None)
@given(
    host=url_hosts,
    path=st.from_regex(r"(/[A-Za-z0-9._~-]{0,12}){0,3}", fullmatch=True),
    types=st.sets(st.sampled_from(WEBHOOK_EVENT_TYPES), min_size=1),
)
def test_property_48_registration_keeps_what_was_asked_and_shows_the_secret_once(
    host: str, path: str, types: set[str]
) -> None:
    world = World()
    url = f"https://{host}{path}"
    created = world.create(ME, url, tuple(types))
    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    (listed,) = ListWebhooks(world.uow()).execute(ListWebhooksInput(ME))
    assert listed == created.endpoint
    assert listed.url == url and listed.event_types == frozenset(types) and listed.enabled
    assert world.secrets.get(listed.secret_ref) == created.secret  # the secret lives in the secret store only
    assert created.secret not in repr(listed)


private_ips = st.one_of(
    st.ip_addresses(network="10.0.0.0/8"),
    st.ip_addresses(network="172.16.0.0/12"),
    st.ip_addresses(network="192.168.0.0/16"),
    st.ip_addresses(network="127.0.0.0/8"),
    st.ip_addresses(network="169.254.0.0/16"),
    st.ip_addresses(network="224.0.0.0/4"),
    st.ip_addresses(network="fc00::/7"),
    st.ip_addresses(network="fe80::/10"),
    st.ip_addresses(network="ff00::/8"),
    st.just(ipaddress.ip_address("::1")),
    st.just(ipaddress.ip_address("0.0.0.0")),
)


@pytest.mark.property(54)
@settings(max_examples=80, deadline=None)
@given(address=private_ips)
def test_property_54_internal_addresses_are_refused(address: Any) -> None:
    host = f"[{address}]" if address.version == 6 else str(address)
    with pytest.raises(ValidationFailed):
        parse_webhook_url(f"https://{host}/hook", allow_http_loopback=False)
    assert address_refusal(address, allow_loopback=False) is not None


@pytest.mark.property(54)
@settings(max_examples=40, deadline=None)
@given(host=url_hosts, scheme=st.sampled_from(["http", "ftp", "file", "gopher", "javascript"]))
def test_property_54_only_https_outside_the_embedded_default(host: str, scheme: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_webhook_url(f"{scheme}://{host}/x", allow_http_loopback=False)
    with pytest.raises(ValidationFailed):  # http only to the loopback host, even where allowed
        parse_webhook_url(f"{scheme}://{host}/x", allow_http_loopback=True)


def test_url_rules_with_readable_messages() -> None:
    ok = parse_webhook_url("http://127.0.0.1:8123/in", allow_http_loopback=True)
    assert ok.port == 8123 and ok.host == "127.0.0.1"
    for url, words in [
        ("http://127.0.0.1:8123/in", "https"),
        ("https://user:pw@example.com/", "password"),
        ("https://169.254.169.254/latest/meta-data", "metadata"),
        ("https://localhost/", "loopback"),
        ("https:///nohost", "host"),
        ("https://example.com/#frag", "fragment"),
        ("https://example.com/" + "a" * 2000, "2000"),
        ("not a url", "https"),
    ]:
        with pytest.raises(ValidationFailed) as info:
            parse_webhook_url(url, allow_http_loopback=False)
        assert words in info.value.message, (url, info.value.message)
    assert address_refusal(ipaddress.ip_address("93.184.216.34"), allow_loopback=False) is None


def test_registration_refuses_bad_input(world: World) -> None:
    with pytest.raises(ValidationFailed, match="Unknown event type"):
        world.create(ME, types=("email.exploded",))
    with pytest.raises(ValidationFailed, match="at least one"):
        world.create(ME, types=())
    with pytest.raises(PermissionDenied):
        world.create(principal_for("reader", frozenset({Scope.AGENT})))


def test_endpoints_are_private_to_their_owner(world: World) -> None:
    mine = world.create(ME).endpoint
    for attempt in (
        lambda: GetWebhook(world.uow()).execute(GetWebhookInput(YOU, mine.id)),
        lambda: UpdateWebhook(world.uow(), world.clock, world.rules).execute(
            UpdateWebhookInput(YOU, mine.id, enabled=False)
        ),
        lambda: DeleteWebhook(world.uow(), world.secrets, world.clock).execute(DeleteWebhookInput(YOU, mine.id)),
        lambda: RotateWebhookSecret(world.uow(), world.secrets, world.clock).execute(
            RotateWebhookSecretInput(YOU, mine.id)
        ),
        lambda: ListDeliveries(world.uow()).execute(ListDeliveriesInput(YOU, mine.id)),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert ListWebhooks(world.uow()).execute(ListWebhooksInput(YOU)) == []


# -- triggering, envelope and schemas ---------------------------------------------------------------------------


@pytest.mark.property(49)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    subscribed=st.sets(st.sampled_from([*WEBHOOK_EVENT_TYPES, ALL_EVENTS]), min_size=1),
    emitted=st.lists(st.sampled_from(list(EventType)), min_size=1, max_size=8),
)
def test_property_49_an_event_reaches_exactly_the_endpoints_that_subscribe(
    subscribed: set[str], emitted: list[EventType]
) -> None:
    world = World()
    endpoint = world.create(ME, types=tuple(subscribed)).endpoint
    other = world.create(YOU).endpoint  # another user's endpoint hears nothing of mine
    for i, kind in enumerate(emitted):
        world.emit(ME, kind, eid=f"e{i}")
    expected = {
        f"e{i}"
        for i, kind in enumerate(emitted)
        if kind.value in WEBHOOK_EVENT_TYPES and (ALL_EVENTS in subscribed or kind.value in subscribed)
    }
    assert {d.event_id for d in world.deliveries() if d.endpoint_id == endpoint.id} == expected
    assert not [d for d in world.deliveries() if d.endpoint_id == other.id]
    # Each delivery has its first job queued (by the relay, in the transaction that relayed the event), and
    # relaying again creates nothing twice.
    assert sorted(world.queue.enqueued) == sorted(d.id for d in world.deliveries())
    world.relay.flush()
    assert len(world.deliveries()) == len(expected)


def test_disabled_endpoints_get_no_deliveries(world: World) -> None:
    endpoint = world.create(ME).endpoint
    UpdateWebhook(world.uow(), world.clock, world.rules).execute(UpdateWebhookInput(ME, endpoint.id, enabled=False))
    world.emit(ME, EventType.EMAIL_RECEIVED)
    assert world.deliveries() == []


def _schema(event_type: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{event_type}.schema.json").read_text())
    return loaded


SAMPLE_DATA: dict[str, dict[str, Any]] = {
    "email.received": {
        "account_id": "a1",
        "message_id": "m1",
        "thread_id": "t1",
        "from": {"name": "Zoë", "address": "zoe@example.com"},
        "subject": "Grüße",
        "snippet": "Hallo",
        "label_ids": ["INBOX", "UNREAD"],
    },
    "email.labels_changed": {
        "account_id": "a1",
        "message_id": "m1",
        "thread_id": "t1",
        "added": ["STARRED"],
        "removed": [],
        "label_ids": ["INBOX", "STARRED"],
    },
    "email.deleted": {"account_id": "a1", "message_id": "m1", "thread_id": "t1"},
    "agent.action_pending": {
        "conversation_id": "c1",
        "tool": "send_email",
        "status": "pending",
        "summary": "Send 'Hi' to bob@example.com",
        "pending_action_id": "p1",
        "snapshot_hash": "ab" * 32,
        "card": {"title": "Send", "body": "the draft's text"},
    },
    "agent.task_completed": {"conversation_id": "c1"},
}


@pytest.mark.property(50, 51)
@pytest.mark.parametrize("kind", sorted(SAMPLE_DATA))
def test_property_50_51_payload_is_the_stable_envelope_and_matches_its_schema(world: World, kind: str) -> None:
    world.create(ME)
    world.emit(ME, EventType(kind), SAMPLE_DATA[kind], eid="evt-42")
    (delivery,) = world.deliveries()
    payload = json.loads(delivery.body)
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == kind and payload["timestamp"] == "2026-03-01T09:00:00Z"
    jsonschema.validate(payload, _schema(kind))
    # Completeness: every field of the event is there (the approval card excepted), plus the event id.
    expected = {k: v for k, v in SAMPLE_DATA[kind].items() if k != "card"}
    assert payload["data"] == {"event_id": "evt-42", **expected}
    world.run_due()
    (sent,) = world.sender.sent
    assert sent.message_id == "evt-42" and sent.body == delivery.body  # webhook-id is the event id


def test_every_event_type_has_a_schema_in_docs() -> None:
    for kind in (*WEBHOOK_EVENT_TYPES, "webhook.test"):
        schema = _schema(kind)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["type"] == {"const": kind}


# -- retries, recording, dead letters ---------------------------------------------------------------------------


@pytest.mark.property(52)
@settings(max_examples=200, deadline=None)
@given(failed=st.integers(1, MAX_ATTEMPTS + 3), seed=st.integers(0, 2**32), retry_after=st.none() | st.floats(0, 10**6))
def test_property_52_retry_schedule_with_jitter_and_retry_after(
    failed: int, seed: int, retry_after: float | None
) -> None:
    delay = retry_delay(failed, random.Random(seed), retry_after)
    if failed >= MAX_ATTEMPTS:
        assert delay is None  # 8 attempts in all, then dead-lettered
        return
    assert delay is not None
    step = RETRY_SCHEDULE_SECONDS[failed]
    low, high = step * 0.9, step * 1.1
    if retry_after:
        low, high = max(low, min(retry_after, 36000)), max(high, min(retry_after, 36000))
    assert low <= delay <= high


@pytest.mark.property(52, 53)
def test_property_52_53_a_failing_receiver_is_retried_on_schedule_and_every_attempt_is_kept(world: World) -> None:
    world.create(ME)
    world.emit(ME, EventType.EMAIL_RECEIVED)
    world.sender.answers = [SendResult(500, 5, "boom")] * MAX_ATTEMPTS
    waits: list[float] = []
    for _ in range(MAX_ATTEMPTS):
        (delivery,) = world.deliveries()
        assert delivery.status is DeliveryStatus.PENDING
        if delivery.next_attempt_at and delivery.next_attempt_at > world.clock.now():
            waits.append((delivery.next_attempt_at - world.clock.now()).total_seconds())
            world.clock.advance(seconds=waits[-1])
        world.run_due()
    (delivery,) = world.deliveries()
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS
    for wait, step in zip(waits, RETRY_SCHEDULE_SECONDS[1:], strict=True):
        assert step * 0.9 <= wait <= step * 1.1
    with world.uow() as uow:
        attempts = uow.webhooks.attempts(delivery.id)
    assert [a.number for a in attempts] == list(range(1, MAX_ATTEMPTS + 1))
    assert [a.outcome for a in attempts] == ["retrying"] * (MAX_ATTEMPTS - 1) + ["failed"]
    assert all(a.status_code == 500 and a.response == "boom" for a in attempts)
    # One job per retry was queued with its due time.
    assert len(world.sender.sent) == MAX_ATTEMPTS


def test_retry_after_stretches_the_wait(world: World) -> None:
    world.create(ME)
    world.emit(ME, EventType.EMAIL_RECEIVED)
    world.sender.answers = [SendResult(429, 2, "slow down", retry_after=900)]
    world.run_due()
    (delivery,) = world.deliveries()
    assert delivery.next_attempt_at == T0 + timedelta(seconds=900)


def test_410_dead_letters_and_disables_the_endpoint(world: World) -> None:
    created = world.create(ME)
    endpoint = created.endpoint
    world.emit(ME, EventType.EMAIL_RECEIVED, eid="a")
    world.emit(ME, EventType.EMAIL_SENT, eid="b")
    world.sender.answers = [SendResult(410, 2, "gone")]
    world.run_due()
    by_event = {d.event_id: d for d in world.deliveries()}
    assert by_event["a"].status is DeliveryStatus.FAILED and by_event["a"].last_status_code == 410
    assert by_event["b"].status is DeliveryStatus.FAILED and by_event["b"].last_error == "The endpoint is disabled."
    got = GetWebhook(world.uow()).execute(GetWebhookInput(ME, endpoint.id))
    assert not got.enabled and got.disabled_reason is DisabledReason.GONE
    assert len(world.sender.sent) == 1
    assert_owner_told(world, endpoint.id, created.secret, "gone", "410 Gone")


def assert_owner_told(world: World, endpoint_id: str, secret: str, reason: str, why: str) -> None:
    """One `webhook.endpoint_disabled` event in the owner's stream (what the WebSocket replays and pushes) and one
    system mail to the owner; the secret in neither, and no delivery of that event to any endpoint."""
    with world.uow() as uow:
        told = [s.event for s in uow.events.after(ME.user_id, 0, limit=100)]
        assert not uow.events.after(YOU.user_id, 0, limit=100)
    disabled = [e for e in told if e.type is EventType.WEBHOOK_ENDPOINT_DISABLED]
    assert [e.data for e in disabled] == [
        {"endpoint_id": endpoint_id, "url_host": "hooks.example.com", "description": "CRM", "reason": reason}
    ]
    assert all(d.event_type != EventType.WEBHOOK_ENDPOINT_DISABLED.value for d in world.deliveries())
    (mail,) = world.mailer.sent
    assert mail.to == ME.user.email and "disabled" in mail.subject and "hooks.example.com" in mail.subject
    assert why in mail.text and endpoint_id in mail.text
    assert "Settings -> Integrations" in mail.text and f"PATCH /api/v1/integrations/webhooks/{endpoint_id}" in mail.text
    assert mail.link == "https://mail.example.com/settings/integrations"
    assert secret not in mail.text and secret not in json.dumps([e.data for e in told])


def test_an_endpoint_failing_for_five_days_is_disabled_and_success_clears_the_streak(world: World) -> None:
    created = world.create(ME)
    endpoint = created.endpoint
    world.emit(ME, EventType.EMAIL_RECEIVED, eid="ok-later")
    world.sender.answers = [SendResult(None, 1, error="connection refused"), SendResult(200, 1)]
    world.run_due()
    assert GetWebhook(world.uow()).execute(GetWebhookInput(ME, endpoint.id)).failing_since == T0
    world.run_due()
    assert GetWebhook(world.uow()).execute(GetWebhookInput(ME, endpoint.id)).failing_since is None
    world.emit(ME, EventType.EMAIL_RECEIVED, eid="never")
    world.sender.answers = [SendResult(503, 1)] * MAX_ATTEMPTS
    for _ in range(MAX_ATTEMPTS):
        world.clock.advance(days=1)
        world.run_due()
    got = GetWebhook(world.uow()).execute(GetWebhookInput(ME, endpoint.id))
    assert not got.enabled and got.disabled_reason is DisabledReason.FAILING
    assert_owner_told(world, endpoint.id, created.secret, "failing", "failed for 5 days")


def test_a_leased_delivery_is_not_sent_twice_and_the_sweep_recovers_a_lost_one(world: World) -> None:
    world.create(ME)
    world.emit(ME, EventType.EMAIL_RECEIVED)
    (delivery,) = world.deliveries()
    with world.uow() as uow:  # a worker took it and was killed mid-attempt
        assert uow.webhooks.lease(delivery.id, now=T0, until=T0 + timedelta(seconds=60)) is not None
        uow.commit()
    assert world.deliver.execute(delivery.id) is not None
    assert world.sender.sent == []  # held by the dead worker's lease
    sweep = SweepWebhookDeliveries(world.uow, world.clock, world.queue, DeliveryPolicy())
    assert sweep.execute() == 0  # not overdue yet
    world.clock.advance(seconds=121)
    assert sweep.execute() == 1
    world.run_due()
    (delivery,) = world.deliveries()
    assert delivery.status is DeliveryStatus.DELIVERED and len(world.sender.sent) == 1


# -- rotation and replays ---------------------------------------------------------------------------------------


def test_rotation_signs_with_both_secrets_for_24_hours(world: World) -> None:
    created = world.create(ME)
    rotated = RotateWebhookSecret(world.uow(), world.secrets, world.clock).execute(
        RotateWebhookSecretInput(ME, created.endpoint.id)
    )
    assert rotated.secret != created.secret
    world.emit(ME, EventType.EMAIL_RECEIVED, eid="a")
    world.run_due()
    assert world.sender.sent[-1].secrets == (rotated.secret, created.secret)
    world.clock.advance(hours=24, seconds=1)
    world.emit(ME, EventType.EMAIL_RECEIVED, eid="b")
    world.run_due()
    assert world.sender.sent[-1].secrets == (rotated.secret,)
    again = RotateWebhookSecret(world.uow(), world.secrets, world.clock).execute(
        RotateWebhookSecretInput(ME, created.endpoint.id)
    )
    assert not world.secrets.exists(created.endpoint.secret_ref)  # two rotations back: deleted
    assert world.secrets.get(again.endpoint.previous_secret_ref or "") == rotated.secret


def test_replay_one_and_all_failed_since(world: World) -> None:
    endpoint = world.create(ME).endpoint
    for i in range(3):
        world.emit(ME, EventType.EMAIL_RECEIVED, eid=f"e{i}")
    world.sender.answers = [SendResult(500, 1)] * (3 * MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS):
        world.run_due()
    assert all(d.status is DeliveryStatus.FAILED for d in world.deliveries())
    first = min(world.deliveries(), key=lambda d: d.event_id)
    with pytest.raises(NotFound):
        ReplayDelivery(world.uow, world.clock, world.relay).execute(ReplayDeliveryInput(YOU, first.id))
    replayed = ReplayDelivery(world.uow, world.clock, world.relay).execute(ReplayDeliveryInput(ME, first.id))
    assert replayed.status is DeliveryStatus.PENDING and replayed.replays == 1
    with pytest.raises(Conflict):  # still being tried
        ReplayDelivery(world.uow, world.clock, world.relay).execute(ReplayDeliveryInput(ME, first.id))
    world.run_due()
    assert world.sender.sent[-1].message_id == first.event_id  # same webhook-id: receivers de-duplicate
    count = ReplayFailedSince(world.uow, world.clock, world.relay).execute(ReplayFailedSinceInput(ME, endpoint.id, T0))
    assert count == 2
    world.run_due()
    assert all(d.status is DeliveryStatus.DELIVERED for d in world.deliveries())
    listed = ListDeliveries(world.uow()).execute(ListDeliveriesInput(ME, endpoint.id))
    assert all(len(attempts) == MAX_ATTEMPTS + 1 for _, attempts in listed)


def test_deleting_an_endpoint_deletes_its_secrets_and_deliveries(world: World) -> None:
    created = world.create(ME)
    world.emit(ME, EventType.EMAIL_RECEIVED)
    DeleteWebhook(world.uow(), world.secrets, world.clock).execute(DeleteWebhookInput(ME, created.endpoint.id))
    assert not world.secrets.exists(created.endpoint.secret_ref)
    assert world.deliveries() == []
    world.run_due()
    assert world.sender.sent == []


# -- properties 50, 51 and 53 over any event data and any run of receiver answers -------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the (small) part of JSON Schema docs/webhooks/ uses: const, type (or a list of types), string
    (maxLength), integer, array of items, object with properties and required ones."""
    if "const" in schema:
        return st.just(schema["const"])
    kinds = schema.get("type")
    if isinstance(kinds, list):
        return st.one_of([from_schema({**schema, "type": kind}) for kind in kinds])
    if kinds == "null":
        return st.none()
    if kinds == "string":
        return st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=schema.get("maxLength", 60))
    if kinds == "integer":
        return st.integers(0, 10**9)
    if kinds == "array":
        return st.lists(from_schema(schema.get("items", {"type": "string"})), max_size=4)
    if kinds == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v) for k, v in properties.items() if k in required},
            optional={k: from_schema(v) for k, v in properties.items() if k not in required},
        )
    raise AssertionError(f"a schema form this strategy does not know: {schema}")


@st.composite
def event_data(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    data_schema = dict(_schema(kind)["properties"]["data"])
    data_schema["properties"] = {k: v for k, v in data_schema["properties"].items() if k != "event_id"}
    data_schema["required"] = [k for k in data_schema["required"] if k != "event_id"]
    data: dict[str, Any] = draw(from_schema(data_schema))
    # Fields the schema does not name (it allows them) reach the receiver too; an approval card never does.
    known = set(data_schema["properties"]) | {"event_id", "card"}
    extra = draw(st.dictionaries(st.from_regex(r"x_[a-z]{1,8}", fullmatch=True), TEXT, max_size=2))
    data.update({k: v for k, v in extra.items() if k not in known})
    if draw(st.booleans()):
        data["card"] = {"title": "Send", "body": draw(TEXT)}
    return data


ANSWERS = st.lists(
    st.one_of(
        st.sampled_from([400, 404, 408, 429, 500, 502, 503]).map(lambda code: SendResult(code, 5, f"answer {code}")),
        st.just(SendResult(None, 15000, error="timed out")),
        st.floats(1, 10**5).map(lambda wait: SendResult(429, 3, "slow down", retry_after=wait)),
    ),
    max_size=MAX_ATTEMPTS + 1,
)


@pytest.mark.property(50, 51, 53)
@given(
    kind=st.sampled_from(WEBHOOK_EVENT_TYPES),
    data=st.data(),
    failures=ANSWERS,
    success=st.sampled_from([200, 201, 202, 204, 299]),
)
def test_property_50_51_53_any_event_is_one_schema_valid_complete_payload_and_every_attempt_is_kept(
    kind: str, data: st.DataObject, failures: list[SendResult], success: int
) -> None:
    """Any event data its documented schema allows (plus fields it does not name), and a receiver that fails in
    any way any number of times before it answers 2xx. Every attempt sends the same body: the envelope
    {type, timestamp, data} (50), valid against docs/webhooks/<type>.schema.json, carrying every field of the event
    and its id, the approval card excepted (51). Every attempt is kept, numbered, with what the receiver answered and
    its outcome: retrying while attempts remain, then delivered on the 2xx or failed after the last one (53)."""
    world = World()
    world.create(ME)
    fields = data.draw(event_data(kind))
    world.emit(ME, EventType(kind), fields, eid="evt-p")
    (delivery,) = world.deliveries()
    payload = json.loads(delivery.body)
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == kind and payload["timestamp"] == "2026-03-01T09:00:00Z"
    jsonschema.validate(payload, _schema(kind))
    assert payload["data"] == {"event_id": "evt-p", **{k: v for k, v in fields.items() if k != "card"}}

    world.sender.answers = [*failures, SendResult(success, 4, "thanks")]
    for _ in range(MAX_ATTEMPTS):
        (delivery,) = world.deliveries()
        if delivery.status is not DeliveryStatus.PENDING:
            break
        if delivery.next_attempt_at and delivery.next_attempt_at > world.clock.now():
            world.clock.advance(seconds=(delivery.next_attempt_at - world.clock.now()).total_seconds())
        world.run_due()
    (delivery,) = world.deliveries()
    answered = [*failures, SendResult(success, 4, "thanks")][:MAX_ATTEMPTS]
    assert [w.body for w in world.sender.sent] == [delivery.body] * len(answered)
    assert all(w.message_id == "evt-p" for w in world.sender.sent)
    with world.uow() as uow:
        attempts = list(uow.webhooks.attempts(delivery.id))
    assert [a.number for a in attempts] == list(range(1, len(answered) + 1))
    assert [a.status_code for a in attempts] == [r.status_code for r in answered]
    assert [a.response for a in attempts] == [r.response for r in answered]
    last = "delivered" if len(failures) < MAX_ATTEMPTS else "failed"
    assert [a.outcome for a in attempts] == ["retrying"] * (len(answered) - 1) + [last]
    assert delivery.status is (DeliveryStatus.DELIVERED if last == "delivered" else DeliveryStatus.FAILED)
    assert delivery.attempts == len(answered) and delivery.last_status_code == answered[-1].status_code


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.mark.property(50, 53)
@settings(max_examples=30)
@given(
    kind=st.sampled_from(WEBHOOK_EVENT_TYPES),
    data=st.data(),
    behaviours=st.lists(st.sampled_from(["500", "429", "reset", "redirect"]), max_size=3),
)
def test_property_50_53_over_http_the_receiver_gets_the_signed_payload_and_every_attempt_is_kept(
    receiver: Receiver, kind: str, data: st.DataObject, behaviours: list[str]
) -> None:
    """The same with the real sender (httpx, over HTTP) and a real receiver that fails any way it can before it
    answers 200: every POST carries exactly the stored body, signed as the standardwebhooks package signs it, and
    every attempt is kept with the status the receiver gave (none for a reset connection)."""
    world = World(rules=WebhookRules(allow_http_loopback=True))
    world.deliver.sender = HttpxWebhookSender(allow_loopback=True, timeout_seconds=30)
    path = f"/in/{uuid.uuid4().hex}"
    receiver.script(path, *behaviours)
    created = world.create(ME, receiver.url(path))
    world.emit(ME, EventType(kind), data.draw(event_data(kind)), eid=f"evt-{uuid.uuid4().hex[:8]}")
    for _ in range(len(behaviours) + 1):
        (delivery,) = world.deliveries()
        if delivery.next_attempt_at and delivery.next_attempt_at > world.clock.now():
            world.clock.advance(seconds=(delivery.next_attempt_at - world.clock.now()).total_seconds())
        world.run_due()
    (delivery,) = world.deliveries()
    assert delivery.status is DeliveryStatus.DELIVERED
    jsonschema.validate(json.loads(delivery.body), _schema(kind))
    got = receiver.received(path)
    assert [r.answered for r in got] == [*behaviours, "ok"]
    for request in got:
        assert request.body == delivery.body.encode()
        assert request.headers["webhook-id"] == delivery.event_id
        # What standardwebhooks' verify() checks, at the test clock's time (verify() itself compares with now).
        sent_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
        expected = Webhook(created.secret).sign(delivery.event_id, sent_at, request.body.decode())
        assert expected in request.headers["webhook-signature"].split(" ")
    with world.uow() as uow:
        attempts = list(uow.webhooks.attempts(delivery.id))
    codes = {"500": 500, "429": 429, "reset": None, "redirect": 302, "ok": 200}
    assert [a.status_code for a in attempts] == [codes[b] for b in [*behaviours, "ok"]]
    assert [a.outcome for a in attempts] == ["retrying"] * len(behaviours) + ["delivered"]
