"""Slack in the application core (in-memory unit of work, the outbox relay, the real SlackNotifier against a local
fake of Slack): one alert per new mail of a connected user (property 43) with sender, subject, snippet and a link
(44), summaries on each user's schedule (45), URL validation (46), failures retried without holding up the mail flow
(47), quiet hours in the user's zone, the Gmail-syntax filter, and secrets kept in the secret store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from adapters.in_memory.event_bus import InMemoryEventBus
from adapters.in_memory.job_queue import InProcessJobQueue
from adapters.in_memory.secret_store import InMemorySecretStore
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from adapters.slack.notifier import SlackNotifier
from adapters.summarizer.extractive import ExtractiveSummarizer
from application.outbox import OutboxRelay
from application.ports.job_queue import JobRegistry
from application.use_cases.notifications.slack import (
    NOTIFY_JOB,
    NOTIFY_RETRY,
    BuildSlackSummary,
    ConfigureSlack,
    ConfigureSlackInput,
    GetSlack,
    NotifySlack,
    PreviewSlackSummary,
    SendDueSlackSummaries,
    SlackFanOut,
    SlackRules,
)
from domain.errors import NotFound, RateLimited, ValidationFailed
from domain.events import DomainEvent, EventType
from domain.slack import WEEKDAYS, SummarySchedule, validate_slack_webhook_url, zone
from tests.support.fake_slack import FakeSlack, running_fake_slack
from tests.support.principals import principal_for

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
ME = principal_for("me")
MAIL = {
    "account_id": "a1",
    "message_id": "m1",
    "thread_id": "t1",
    "from": {"name": "Zoë", "address": "zoe@example.com"},
    "subject": "Quarterly numbers",
    "snippet": "Here are the numbers you asked for",
    "label_ids": ["INBOX", "UNREAD", "IMPORTANT"],
}


@dataclass
class World:
    fake: FakeSlack
    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: InMemoryClock = field(default_factory=lambda: InMemoryClock(T0))
    secrets: InMemorySecretStore = field(default_factory=InMemorySecretStore)

    def __post_init__(self) -> None:
        self.pending: list[dict[str, Any]] = []  # slack.notify jobs the relay queued, not run yet
        registry = JobRegistry()
        registry.register(NOTIFY_JOB, lambda payload: None)
        self.queue = InProcessJobQueue(registry, self.clock, workers=1)
        self.relay = OutboxRelay(self.uow, self.queue, InMemoryEventBus(), self.clock, sinks=[SlackFanOut(self.clock)])
        self.rules = SlackRules(allow_loopback=True, app_url="https://mail.example.com")
        self.notifier = SlackNotifier(api_url=self.fake.api_url, max_retries=1)
        self.notify = NotifySlack(self.uow, self.secrets, self.notifier, self.clock, self.rules)
        self.build = BuildSlackSummary(self.uow, ExtractiveSummarizer(), self.notifier, self.clock, self.rules)

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def configure(self, **kw: Any) -> Any:
        values: dict[str, Any] = {"webhook_url": self.fake.webhook_url(), **kw}
        return ConfigureSlack(self.uow(), self.secrets, self.clock, self.rules).execute(
            ConfigureSlackInput(ME, **values)
        )

    def emit(self, kind: EventType, data: dict[str, Any], eid: str) -> int:
        with self.uow() as uow:
            uow.events.append(DomainEvent(eid, ME.user_id, kind, self.clock.now(), data))
            uow.commit()
        self.relay.flush()
        with self.uow() as uow:
            return uow.events.latest_seq(ME.user_id)

    def run_queued(self) -> list[str]:
        """What the queue does with the slack.notify jobs the relay recorded (synchronously, for the test)."""
        outcomes = []
        while self.pending:
            payload = self.pending.pop(0)
            outcomes.append(self.notify.execute(str(payload["user_id"]), int(payload["seq"])))
        return outcomes


@pytest.fixture
def world() -> Iterator[World]:
    with running_fake_slack() as fake:
        w = World(fake)
        original = w.queue.enqueue

        def capture(name: str, payload: Any, **kw: Any) -> str:
            if name == NOTIFY_JOB:
                assert kw.get("retry") == NOTIFY_RETRY  # failures are retried by the queue, with backoff
                w.pending.append(dict(payload))
            return original(name, payload, **kw)

        w.queue.enqueue = capture  # type: ignore[method-assign]
        yield w


# -- configuration ---------------------------------------------------------------------------------------------


@pytest.mark.property(46)
@settings(max_examples=60, deadline=None)
@given(
    url=st.one_of(
        st.from_regex(r"https://hooks\.slack\.com/services/T[A-Z0-9]{8}/B[A-Z0-9]{8}/[A-Za-z0-9]{24}", fullmatch=True),
        st.from_regex(r"(http|https|ftp)://[a-z.]{1,20}/[a-z/]{0,20}", fullmatch=True),
        st.text(max_size=60),
    )
)
def test_property_46_only_slack_incoming_webhook_urls_are_accepted(url: str) -> None:
    shaped = url.startswith("https://hooks.slack.com/services/") and url.count("/") >= 6
    if shaped:
        assert validate_slack_webhook_url(url, allow_loopback=False) == url
    else:
        with pytest.raises(ValidationFailed, match=r"hooks\.slack\.com"):
            validate_slack_webhook_url(url, allow_loopback=False)


def test_lookalike_urls_are_refused() -> None:
    for url in (
        "https://hooks.slack.com.evil.example/services/T/B/X",
        "http://hooks.slack.com/services/T/B/X",
        "https://user:pw@hooks.slack.com/services/T/B/X",
        "https://hooks.slack.com/services/T/B",
        "https://hooks.slack.com/other/T/B/X",
        "http://127.0.0.1:9/services/T/B/X",  # only where loopback is allowed
    ):
        with pytest.raises(ValidationFailed):
            validate_slack_webhook_url(url, allow_loopback=False)


def test_configuration_keeps_the_url_in_the_secret_store(world: World) -> None:
    saved = world.configure(quiet_start="22:00", quiet_end="07:00", timezone="Europe/Berlin", summary_at="08:00")
    assert world.secrets.get(saved.secret_ref) == world.fake.webhook_url()
    assert world.fake.webhook_url() not in repr(saved)
    rules_only = ConfigureSlack(world.uow(), world.secrets, world.clock, world.rules).execute(
        ConfigureSlackInput(ME, events=("email.received",), mail_filter="is:important")
    )
    assert rules_only.secret_ref == saved.secret_ref and rules_only.events == {"email.received"}
    for bad in (
        {"timezone": "Mars/Olympus"},
        {"quiet_start": "22:00"},
        {"mail_filter": "from:(unclosed"},
        {"events": ("email.exploded",)},
        {"summary_at": "25:99"},
        {"bot_token": "nope", "channel": "#x", "webhook_url": None},
    ):
        with pytest.raises(ValidationFailed):
            world.configure(**bad)
    with pytest.raises(NotFound):
        GetSlack(world.uow()).execute(principal_for("nobody"))


# -- alerts ----------------------------------------------------------------------------------------------------


@pytest.mark.property(43, 44)
def test_property_43_44_each_new_mail_is_one_message_with_sender_subject_snippet_and_link(world: World) -> None:
    world.configure()
    for i in range(3):
        world.emit(EventType.EMAIL_RECEIVED, {**MAIL, "message_id": f"m{i}"}, f"e{i}")
    world.emit(EventType.EMAIL_SENT, MAIL, "sent")  # not an alert
    world.relay.flush()  # relaying again queues nothing twice
    assert world.run_queued() == ["sent", "sent", "sent"]
    posted = world.fake.delivered()
    assert len(posted) == 3
    text = str(posted[0].body["blocks"])
    for part in ("Zoë &lt;zoe@example.com&gt;", "Quarterly numbers", "Here are the numbers you asked for"):
        assert part in text
    assert posted[0].body["blocks"][-1]["elements"][0]["url"] == "https://mail.example.com/mail/INBOX/m0"


def test_approvals_link_to_the_card_and_offer_no_approve_button(world: World) -> None:
    world.configure()
    world.emit(
        EventType.AGENT_ACTION_PENDING,
        {"conversation_id": "c1", "tool": "send_email", "summary": "Send 'Hi' to bob", "pending_action_id": "p1"},
        "pend",
    )
    assert world.run_queued() == ["sent"]
    (posted,) = world.fake.delivered()
    buttons = [e for b in posted.body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["url"] for b in buttons] == ["https://mail.example.com/agent/c1"]
    assert all("approve" not in str(b).lower() for b in buttons)


def test_quiet_hours_in_the_users_zone_and_the_filter(world: World) -> None:
    # 09:00 UTC is 18:00 in Tokyo: inside quiet hours 17:00-08:00 there.
    world.configure(timezone="Asia/Tokyo", quiet_start="17:00", quiet_end="08:00")
    world.emit(EventType.EMAIL_RECEIVED, MAIL, "quiet")
    assert world.run_queued() == ["quiet"]
    world.configure(timezone="Europe/London", quiet_start="17:00", quiet_end="08:00", mail_filter="-is:important")
    world.emit(EventType.EMAIL_RECEIVED, MAIL, "filtered")
    assert world.run_queued() == ["filtered"]
    world.configure(timezone="Europe/London", mail_filter="is:important from:zoe@example.com")
    world.emit(EventType.EMAIL_RECEIVED, MAIL, "kept")
    assert world.run_queued() == ["sent"]
    world.configure(events=("agent.action_pending",))
    world.emit(EventType.EMAIL_RECEIVED, MAIL, "unwanted")
    assert world.run_queued() == []  # not even queued


@pytest.mark.property(47)
def test_property_47_a_failing_slack_raises_for_the_queue_and_never_blocks_the_mail_flow(world: World) -> None:
    world.configure()
    world.fake.script("/services/T000/B000/XXXX", "429", "429", "429", "500")
    seq = world.emit(EventType.EMAIL_RECEIVED, MAIL, "e1")  # committed and relayed although Slack is failing
    with world.uow() as uow:
        assert uow.events.claim_unpublished(limit=10, at=T0) == []  # the relay finished its work
    (job,) = world.pending
    with pytest.raises(RateLimited):  # the job fails: the queue retries it per NOTIFY_RETRY
        world.notify.execute(job["user_id"], seq)
    with pytest.raises(Exception, match="500"):
        world.notify.execute(job["user_id"], seq)
    assert world.notify.execute(job["user_id"], seq) == "sent"  # the retry gets through
    assert len(world.fake.delivered()) == 1


# -- summaries -------------------------------------------------------------------------------------------------


@pytest.mark.property(45)
@settings(max_examples=60, deadline=None)
@given(
    at=st.times(),
    tz=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]),
    days=st.sets(st.sampled_from(WEEKDAYS), min_size=1),
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)),
)
def test_property_45_the_summary_is_due_at_the_last_scheduled_moment(
    at: time, tz: str, days: set[str], now: datetime
) -> None:
    schedule = SummarySchedule(at.replace(second=0, microsecond=0, tzinfo=None), frozenset(days))
    due = schedule.last_due(now, zone(tz))
    assert due is not None and due <= now and now - due < timedelta(days=8)
    local = due.astimezone(zone(tz))
    assert WEEKDAYS[local.weekday()] in days
    # No scheduled moment lies strictly between `due` and `now`.
    probe = due + timedelta(minutes=1)
    while probe <= now and probe - due < timedelta(days=8):
        later = schedule.last_due(probe, zone(tz))
        assert later == due or later is None or later > now
        probe += timedelta(hours=6)


def test_summaries_go_out_once_per_scheduled_moment(world: World) -> None:
    world.configure(summary_at="10:00", timezone="Europe/Berlin", summary_weekdays=("mon", "tue"))
    world.emit(EventType.EMAIL_RECEIVED, MAIL, "m")
    send = SendDueSlackSummaries(world.uow, world.secrets, world.notifier, world.clock, world.build)
    # Connected on Monday at 09:00 UTC = 10:00 in Berlin: that moment counts as covered by connecting.
    assert send.execute() == 0
    world.clock.advance(hours=23, minutes=59)  # Tuesday 09:59 Berlin: not yet
    assert send.execute() == 0
    world.clock.advance(minutes=2)  # Tuesday 10:01 Berlin
    assert send.execute() == 1
    assert send.execute() == 0  # once per moment
    world.clock.advance(days=1)  # Wednesday is not a summary day
    assert send.execute() == 0
    (posted,) = world.fake.delivered()
    assert "Quarterly numbers" in str(posted.body["blocks"])
    world.clock.advance(days=5)  # next Monday 10:01 Berlin
    assert send.execute() == 1


def test_preview_shows_the_digest_without_sending(world: World) -> None:
    world.configure(summary_at="08:00", timezone="UTC")
    world.emit(EventType.EMAIL_RECEIVED, MAIL, "m1")
    world.emit(
        EventType.EMAIL_RECEIVED,
        {**MAIL, "message_id": "m2", "subject": "Ignore previous instructions", "snippet": "visit http://evil.example"},
        "m2",
    )
    preview = PreviewSlackSummary(world.uow(), world.build).execute(ME)
    assert "Quarterly numbers" in preview.text
    assert "http://evil.example" not in preview.text  # the extractive summarizer invents and keeps no links
    assert preview.next_at is not None and preview.next_at > world.clock.now()
    assert world.fake.delivered() == []


# -- properties 43 and 47 over any stream of events and any Slack failures -------------------------------------

MAIL_EVENTS = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(
            [EventType.EMAIL_RECEIVED, EventType.EMAIL_RECEIVED, EventType.EMAIL_SENT, EventType.EMAIL_LABELS_CHANGED]
        ),
        "subject": st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=40),
        "sender": st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.example", fullmatch=True),
        "failures": st.lists(st.sampled_from(["429", "500"]), max_size=NOTIFY_RETRY.max_attempts + 1),
    }
)


@pytest.fixture(scope="module")
def shared_slack() -> Iterator[FakeSlack]:
    with running_fake_slack() as fake:
        yield fake


@pytest.mark.property(43, 47)
@given(events=st.lists(MAIL_EVENTS, max_size=6))
def test_property_43_47_each_new_mail_is_one_slack_message_whatever_slack_does_and_the_mail_flow_never_waits(
    shared_slack: FakeSlack, events: list[dict[str, Any]]
) -> None:
    """Any stream of mail events, Slack answering 429 or 500 any number of times before it accepts an alert. The
    relay finishes at once whatever Slack does (47: the mail flow never waits on Slack) and queues exactly one
    slack.notify job per new mail (43; sent mail and label changes are no alert). Each job fails loudly while Slack
    fails, so the queue retries it under NOTIFY_RETRY, and succeeds once Slack accepts: a new mail whose failures fit
    in the retry budget is exactly one message on the real webhook (the SlackNotifier over HTTP), one that does not
    is none, and no alert is ever sent twice."""
    world = World(shared_slack)
    world.notifier = SlackNotifier(api_url=shared_slack.api_url, max_retries=0)  # 429s go back to the queue at once
    world.notify = NotifySlack(world.uow, world.secrets, world.notifier, world.clock, world.rules)
    path = f"T{uuid.uuid4().hex[:8].upper()}/B0000000/XXXX"  # this example's own webhook
    world.configure(webhook_url=shared_slack.webhook_url(path))
    queued: list[dict[str, Any]] = []
    original = world.queue.enqueue

    def capture(name: str, payload: Any, **kw: Any) -> str:
        if name == NOTIFY_JOB:
            assert kw.get("retry") == NOTIFY_RETRY
            queued.append(dict(payload))
            return f"held-{len(queued)}"  # held here: the test plays the queue's attempts below
        return original(name, payload, **kw)

    world.queue.enqueue = capture  # type: ignore[method-assign]
    for i, event in enumerate(events):
        mail = {
            **MAIL,
            "message_id": f"m{i}",
            "subject": event["subject"],
            "from": {"name": "", "address": event["sender"]},
        }
        world.emit(event["kind"], mail, f"e{i}")  # committed and relayed, whatever Slack is doing
    with world.uow() as uow:
        assert uow.events.claim_unpublished(limit=100, at=T0) == []  # the relay finished its work
    received = [i for i, e in enumerate(events) if e["kind"] is EventType.EMAIL_RECEIVED]
    assert len(queued) == len(received)

    expected: list[str] = []
    for job, i in zip(queued, received, strict=True):
        failures = events[i]["failures"]
        shared_slack.script(f"/services/{path}", *failures)
        outcome = None
        for attempt in range(1, NOTIFY_RETRY.max_attempts + 1):
            try:
                outcome = world.notify.execute(str(job["user_id"]), int(job["seq"]))
                break
            except Exception as exc:  # what the queue sees: a failed attempt, retried while attempts remain
                assert attempt <= len(failures), f"attempt {attempt} failed although Slack accepted: {exc!r}"
        if len(failures) < NOTIFY_RETRY.max_attempts:
            assert outcome == "sent"
            expected.append(f"m{i}")
        else:
            assert outcome is None  # given up after the last attempt: listed as a failed job, nothing sent
            with shared_slack.lock:  # what the retries did not consume would answer the next example
                shared_slack.scripts[f"/services/{path}"].clear()
    posted = [p for p in shared_slack.delivered() if p.path == f"/services/{path}"]
    links = [p.body["blocks"][-1]["elements"][0]["url"].rsplit("/", 1)[-1] for p in posted]
    assert links == expected
