"""Slack: configure where a user's alerts go (the URL or token in the secret store), a test message, alerts for new
mail / approvals waiting / failed scheduled sends per the user's rules (events, quiet hours, a Gmail-syntax filter),
and the daily summary on the user's schedule through the Summarizer port."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from application.authorization import require_scope
from application.outbox import EventSink, enqueue_after_commit
from application.ports.clock import Clock
from application.ports.job_queue import RetryPolicy
from application.ports.notifier import Destination, Field, Notification, NotificationKind, Notifier
from application.ports.secret_store import SecretStore
from application.ports.summarizer import MailItem, Summarizer, SummaryRequest
from application.ports.unit_of_work import UnitOfWork
from domain.agent import PendingStatus
from domain.errors import NotFound, ValidationFailed
from domain.events import DomainEvent, EventType, StoredEvent
from domain.identity import Principal, Scope, new_id
from domain.mail import EmailAddress, Message
from domain.mail_query import MATCH_ALL, matches, parse_query
from domain.slack import (
    MAX_FILTER,
    SLACK_EVENT_TYPES,
    WEEKDAYS,
    QuietHours,
    SlackIntegration,
    SlackMode,
    SummarySchedule,
    normalize_slack_events,
    normalize_weekdays,
    parse_clock,
    validate_channel,
    validate_slack_webhook_url,
    zone,
)

logger = logging.getLogger(__name__)

NOTIFY_JOB = "slack.notify"
SUMMARIES_JOB = "slack.summaries"
# Slack failures are retried by the queue with backoff (5 s, 10 s, ... up to 5 min); the mail flow never waits.
NOTIFY_RETRY = RetryPolicy(max_attempts=6, base_delay_seconds=5, max_delay_seconds=300)
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class SlackRules:
    allow_loopback: bool = False  # the embedded default and tests may post to a local fake
    app_url: str = "http://127.0.0.1:8000"


def _require(principal: Principal) -> None:
    require_scope(principal, Scope.MAIL_READ)


def _secret_name(user_id: str) -> str:
    return f"users/{user_id}/slack/{new_id()[:12]}"


@dataclass(frozen=True)
class ConfigureSlackInput:
    principal: Principal
    webhook_url: str | None = None
    bot_token: str | None = None
    channel: str | None = None
    events: tuple[str, ...] = SLACK_EVENT_TYPES
    timezone: str = "UTC"
    quiet_start: str | None = None
    quiet_end: str | None = None
    mail_filter: str = ""
    summary_at: str | None = None  # "08:00": a daily summary at that local time
    summary_weekdays: tuple[str, ...] = WEEKDAYS[:5]
    enabled: bool = True


class ConfigureSlack:
    """Create or replace the user's Slack settings. A new URL or token replaces the stored one; leaving both out
    keeps the current one (change only the rules)."""

    def __init__(self, uow: UnitOfWork, secrets: SecretStore, clock: Clock, rules: SlackRules) -> None:
        self.uow, self.secrets, self.clock, self.rules = uow, secrets, clock, rules

    def execute(self, inp: ConfigureSlackInput) -> SlackIntegration:
        _require(inp.principal)
        if inp.webhook_url and inp.bot_token:
            raise ValidationFailed("Give an incoming webhook URL or a bot token with a channel, not both.")
        new_secret: tuple[SlackMode, str, str | None] | None = None
        if inp.webhook_url:
            url = validate_slack_webhook_url(inp.webhook_url, allow_loopback=self.rules.allow_loopback)
            new_secret = (SlackMode.WEBHOOK, url, None)
        elif inp.bot_token:
            token = inp.bot_token.strip()
            if not token.startswith("xoxb-") and not (self.rules.allow_loopback and token.startswith("xoxb")):
                raise ValidationFailed("A Slack bot token starts with xoxb-.")
            new_secret = (SlackMode.BOT, token, validate_channel(inp.channel or ""))
        events = normalize_slack_events(inp.events)
        zone(inp.timezone)
        quiet = None
        if inp.quiet_start or inp.quiet_end:
            if not (inp.quiet_start and inp.quiet_end):
                raise ValidationFailed("Quiet hours need a start and an end, e.g. 22:00 to 07:00.")
            quiet = QuietHours(parse_clock(inp.quiet_start, "quiet_start"), parse_clock(inp.quiet_end, "quiet_end"))
        mail_filter = inp.mail_filter.strip()
        if len(mail_filter) > MAX_FILTER:
            raise ValidationFailed(f"The filter may be at most {MAX_FILTER} characters long.")
        if mail_filter:
            parse_query(mail_filter)  # a readable ValidationFailed for bad syntax
        summary = (
            SummarySchedule(parse_clock(inp.summary_at, "summary_at"), normalize_weekdays(inp.summary_weekdays))
            if inp.summary_at
            else None
        )
        now = self.clock.now()
        stale: str | None = None
        with self.uow as uow:
            current = uow.slack.get(inp.principal.user_id)
            if new_secret is None and current is None:
                raise ValidationFailed("Connect Slack with an incoming webhook URL, or a bot token and a channel.")
            if new_secret is not None:
                mode, value, channel = new_secret
                ref = self.secrets.put(_secret_name(inp.principal.user_id), value)
                stale = current.secret_ref if current else None
            else:
                assert current is not None
                mode, ref = current.mode, current.secret_ref
                channel = validate_channel(inp.channel) if (inp.channel and mode is SlackMode.BOT) else current.channel
            integration = SlackIntegration(
                user_id=inp.principal.user_id,
                mode=mode,
                secret_ref=ref,
                channel=channel,
                events=events,
                timezone=inp.timezone,
                quiet_hours=quiet,
                mail_filter=mail_filter,
                summary=summary,
                last_summary_at=current.last_summary_at if current else now,
                enabled=inp.enabled,
                created_at=current.created_at if current else now,
                updated_at=now,
            )
            uow.slack.put(integration)
            uow.commit()
        if stale and stale != integration.secret_ref:
            self.secrets.delete(stale)
        return integration


class GetSlack:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def find(self, principal: Principal) -> SlackIntegration | None:
        """The user's Slack settings, or None when Slack is not connected (a state, not an error)."""
        _require(principal)
        with self.uow as uow:
            return uow.slack.get(principal.user_id)

    def execute(self, principal: Principal) -> SlackIntegration:
        found = self.find(principal)
        if found is None:
            raise NotFound("Slack is not connected.")
        return found


class DisconnectSlack:
    def __init__(self, uow: UnitOfWork, secrets: SecretStore) -> None:
        self.uow, self.secrets = uow, secrets

    def execute(self, principal: Principal) -> None:
        _require(principal)
        with self.uow as uow:
            found = uow.slack.get(principal.user_id)
            if found is None:
                raise NotFound("Slack is not connected.")
            uow.slack.delete(principal.user_id)
            uow.commit()
        self.secrets.delete(found.secret_ref)


def destination_of(secrets: SecretStore, integration: SlackIntegration) -> Destination:
    return Destination(integration.mode, secrets.get(integration.secret_ref), integration.channel)


def _sender(data: dict[str, Any]) -> str:
    sender = data.get("from")
    if isinstance(sender, dict):
        name, address = str(sender.get("name") or ""), str(sender.get("address") or "")
        return f"{name} <{address}>" if name else address
    return "unknown sender"


def notification_for(event: DomainEvent, app_url: str) -> Notification | None:
    """The Slack message for an event (sender, subject, snippet and a link into the web app); None if we do not
    post this kind. Approvals link to the card: deciding happens in the app, never from Slack."""
    data, base = dict(event.data), app_url.rstrip("/")
    if event.type is EventType.EMAIL_RECEIVED:
        message_id = str(data.get("message_id", ""))
        return Notification(
            NotificationKind.NEW_MAIL,
            title=f"New mail: {data.get('subject') or '(no subject)'}",
            text=str(data.get("snippet") or ""),
            fields=(Field("From", _sender(data)), Field("Subject", str(data.get("subject") or "(no subject)"))),
            link=f"{base}/mail/INBOX/{message_id}" if message_id else f"{base}/mail/INBOX",
        )
    if event.type is EventType.AGENT_ACTION_PENDING:
        conversation = str(data.get("conversation_id", ""))
        return Notification(
            NotificationKind.APPROVAL_WAITING,
            title="The agent is waiting for your approval",
            text=str(data.get("summary") or data.get("tool") or "An action needs your approval."),
            fields=(Field("Action", str(data.get("tool", ""))),),
            link=f"{base}/agent/{conversation}" if conversation else f"{base}/agent",
            link_label="Review in mailagent",
        )
    if event.type is EventType.SCHEDULED_EMAIL_FAILED:
        return Notification(
            NotificationKind.SCHEDULED_FAILED,
            title=f"A scheduled send failed: {data.get('subject') or '(no subject)'}",
            text=str(data.get("error") or "It could not be sent."),
            fields=(
                Field("To", ", ".join(str(a) for a in data.get("to") or [])),
                Field("Attempts", str(data.get("attempts", ""))),
            ),
            link=f"{base}/scheduled",
        )
    return None


def passes_filter(integration: SlackIntegration, event: DomainEvent, now: datetime) -> bool:
    """The Gmail-syntax filter applies to new mail (e.g. `is:important`, `from:boss@example.com`)."""
    if not integration.mail_filter or event.type is not EventType.EMAIL_RECEIVED:
        return True
    data = dict(event.data)
    sender = data.get("from") if isinstance(data.get("from"), dict) else None
    message = Message(
        id=str(data.get("message_id", "")),
        thread_id=str(data.get("thread_id", "")),
        label_ids=frozenset(str(x) for x in data.get("label_ids") or ()),
        snippet=str(data.get("snippet") or ""),
        subject=str(data.get("subject") or ""),
        from_=EmailAddress(address=str(sender.get("address") or ""), name=str(sender.get("name") or ""))
        if sender
        else None,
        date=event.occurred_at,
        internal_date=event.occurred_at,
    )
    query = parse_query(integration.mail_filter)
    return query == MATCH_ALL or matches(query, message, now)


class SlackFanOut(EventSink):
    """In the relay's transaction: one `slack.notify` job per event a connected user's rules ask for."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def accept(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> int:
        wanted = [s for s in events if s.event.type.value in SLACK_EVENT_TYPES]
        jobs = 0
        seen: dict[str, SlackIntegration | None] = {}
        for stored in wanted:
            user_id = stored.event.user_id
            if user_id not in seen:
                seen[user_id] = uow.slack.get(user_id)
            integration: SlackIntegration | None = seen[user_id]
            if integration is None or not integration.enabled or stored.event.type.value not in integration.events:
                continue
            enqueue_after_commit(
                uow,
                self.clock,
                NOTIFY_JOB,
                {"user_id": user_id, "seq": stored.seq},
                job_id=f"slk-{stored.event.id}",
                retry=NOTIFY_RETRY,
            )
            jobs += 1
        return jobs


class NotifySlack:
    """One alert (a job): the event, checked against the rules as they are now (quiet hours, the filter)."""

    def __init__(
        self, new_uow: UowFactory, secrets: SecretStore, notifier: Notifier, clock: Clock, rules: SlackRules
    ) -> None:
        self.new_uow, self.secrets, self.notifier, self.clock, self.rules = new_uow, secrets, notifier, clock, rules

    def execute(self, user_id: str, seq: int) -> str:
        """What happened: sent, quiet, filtered, off (not connected or not wanted), gone (the event was pruned)."""
        with self.new_uow() as uow:
            integration = uow.slack.get(user_id)
            found = uow.events.after(user_id, seq - 1, limit=1)
        if integration is None or not integration.enabled:
            return "off"
        if not found or found[0].seq != seq:
            return "gone"
        event, now = found[0].event, self.clock.now()
        if event.type.value not in integration.events:
            return "off"
        if integration.quiet_at(now):
            return "quiet"  # not deferred: the daily summary covers what arrived meanwhile
        if not passes_filter(integration, event, now):
            return "filtered"
        notification = notification_for(event, self.rules.app_url)
        if notification is None:
            return "off"
        self.notifier.send(destination_of(self.secrets, integration), notification)  # failures: the queue retries
        return "sent"


class SendSlackTest:
    def __init__(self, uow: UnitOfWork, secrets: SecretStore, notifier: Notifier, rules: SlackRules) -> None:
        self.uow, self.secrets, self.notifier, self.rules = uow, secrets, notifier, rules

    def execute(self, principal: Principal) -> None:
        integration = GetSlack(self.uow).execute(principal)
        self.notifier.send(
            destination_of(self.secrets, integration),
            Notification(
                NotificationKind.TEST,
                title="mailagent is connected",
                text="This is a test message. New mail, approvals waiting and failed scheduled sends will appear here.",
                link=self.rules.app_url.rstrip("/") + "/settings/integrations",
            ),
        )


def _mail_item(event: DomainEvent) -> MailItem:
    data = dict(event.data)
    labels = {str(x) for x in data.get("label_ids") or ()}
    return MailItem(
        id=str(data.get("message_id", event.id)),
        sender=_sender(data),
        subject=str(data.get("subject") or ""),
        snippet=str(data.get("snippet") or ""),
        received_at=event.occurred_at,
        unread="UNREAD" in labels,
        important="IMPORTANT" in labels,
        needs_reply="UNREAD" in labels and "CATEGORY_PROMOTIONS" not in labels,
    )


@dataclass(frozen=True)
class SummaryPreview:
    notification: Notification
    rendered: dict[str, object]
    text: str
    next_at: datetime | None
    period_start: datetime


class BuildSlackSummary:
    """The digest since the last summary (or 24 h): what arrived, what needs a reply, what the agent did, what waits
    for approval — from the user's events, through the Summarizer (mail content is data, never instructions)."""

    def __init__(
        self, new_uow: UowFactory, summarizer: Summarizer, notifier: Notifier, clock: Clock, rules: SlackRules
    ) -> None:
        self.new_uow, self.summarizer, self.notifier, self.clock, self.rules = (
            new_uow,
            summarizer,
            notifier,
            clock,
            rules,
        )

    def for_user(self, user_id: str, integration: SlackIntegration | None) -> SummaryPreview:
        now = self.clock.now()
        since = (integration.last_summary_at if integration and integration.last_summary_at else None) or (
            now - timedelta(hours=24)
        )
        since = max(since, now - timedelta(days=3))
        mails: list[MailItem] = []
        agent: list[str] = []
        with self.new_uow() as uow:
            after = 0
            while True:
                batch = uow.events.after(user_id, after, limit=500)
                for stored in batch:
                    e = stored.event
                    if e.occurred_at < since:
                        continue
                    if e.type is EventType.EMAIL_RECEIVED:
                        mails.append(_mail_item(e))
                    elif e.type is EventType.AGENT_TASK_COMPLETED:
                        agent.append(f"Finished a task ({e.occurred_at.astimezone(UTC):%H:%M} UTC)")
                    elif e.type is EventType.SCHEDULED_EMAIL_SENT:
                        agent.append(f"Sent the scheduled message '{e.data.get('subject', '')}'")
                if len(batch) < 500:
                    break
                after = batch[-1].seq
            waiting = uow.pending_actions.list_for_user(user_id, status=PendingStatus.PENDING, limit=50)
        tz = zone(integration.timezone if integration else "UTC")
        summary = self.summarizer.summarize(
            SummaryRequest(
                mails=tuple(mails),
                agent_activity=tuple(agent[-20:]),
                awaiting_approval=tuple(a.summary for a in waiting),
                period=f"since {since.astimezone(tz):%a %d %b %H:%M}",
            )
        )
        base = self.rules.app_url.rstrip("/")
        notification = Notification(
            NotificationKind.SUMMARY,
            title=summary.headline,
            sections=tuple((s.title, s.lines) for s in summary.sections),
            link=f"{base}/mail/INBOX",
        )
        next_at = None
        if integration and integration.summary:
            probe = now
            for _ in range(8 * 24):
                probe += timedelta(hours=1)
                due = integration.summary.last_due(probe, tz)
                if due is not None and due > now:
                    next_at = due
                    break
        return SummaryPreview(notification, self.notifier.render(notification), summary.as_text(), next_at, since)


class PreviewSlackSummary:
    def __init__(self, uow: UnitOfWork, build: BuildSlackSummary) -> None:
        self.uow, self.build = uow, build

    def execute(self, principal: Principal) -> SummaryPreview:
        _require(principal)
        with self.uow as uow:
            integration = uow.slack.get(principal.user_id)
        return self.build.for_user(principal.user_id, integration)


class SendDueSlackSummaries:
    """The periodic job: every connected user whose scheduled moment passed since their last summary gets one."""

    def __init__(
        self, new_uow: UowFactory, secrets: SecretStore, notifier: Notifier, clock: Clock, build: BuildSlackSummary
    ) -> None:
        self.new_uow, self.secrets, self.notifier, self.clock, self.build = new_uow, secrets, notifier, clock, build

    def execute(self) -> int:
        now, sent = self.clock.now(), 0
        with self.new_uow() as uow:
            due = [(i, d) for i in uow.slack.with_summaries() if (d := i.summary_due(now)) is not None]
        for integration, moment in due:
            try:
                preview = self.build.for_user(integration.user_id, integration)
                self.notifier.send(destination_of(self.secrets, integration), preview.notification)
            except Exception as exc:  # one user's Slack failing must not hold up the others; retried next tick
                logger.warning("slack: summary for user %s failed: %s", integration.user_id, type(exc).__name__)
                continue
            with self.new_uow() as uow:
                current = uow.slack.get(integration.user_id)
                if current is not None:
                    uow.slack.put(replace(current, last_summary_at=max(moment, now)))
                    uow.commit()
            sent += 1
        return sent
