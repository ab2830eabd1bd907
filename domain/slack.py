"""Slack notifications: a user's integration (where to post, which events, quiet hours, a mail filter, the daily
summary's schedule), the URL rule for incoming webhooks, and when a summary is due."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from domain.errors import ValidationFailed
from domain.events import EventType

# The events a Slack rule can pick (new mail, approvals waiting, scheduled sends that failed).
SLACK_EVENT_TYPES: tuple[str, ...] = (
    EventType.EMAIL_RECEIVED.value,
    EventType.AGENT_ACTION_PENDING.value,
    EventType.SCHEDULED_EMAIL_FAILED.value,
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLACK_HOOK_HOST = "hooks.slack.com"
_CHANNEL = re.compile(r"[#@]?[A-Za-z0-9._-]{1,80}")
MAX_FILTER = 500


class SlackMode(enum.StrEnum):
    WEBHOOK = "webhook"  # an incoming-webhook URL (its channel is fixed by Slack)
    BOT = "bot"  # a bot token + channel, through chat.postMessage


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"Unknown time zone {name!r}; use an IANA name such as Europe/Berlin.") from None


def validate_slack_webhook_url(url: str, *, allow_loopback: bool) -> str:
    """Production: https://hooks.slack.com/services/... only. The embedded default and tests may also post to a
    local fake on http://127.0.0.1."""
    url = (url or "").strip()
    parts = urlsplit(url)
    segments = [p for p in parts.path.split("/") if p]
    slack_shaped = parts.scheme == "https" and (parts.hostname or "") == SLACK_HOOK_HOST
    if slack_shaped and segments[:1] == ["services"] and len(segments) >= 4 and not (parts.username or parts.password):
        return url
    if allow_loopback and parts.scheme == "http" and (parts.hostname or "") in ("127.0.0.1", "localhost"):
        return url
    raise ValidationFailed(
        "A Slack incoming webhook URL looks like https://hooks.slack.com/services/T…/B…/…",
        details=[{"field": "webhook_url", "message": "not a Slack incoming webhook URL"}],
    )


def validate_channel(channel: str) -> str:
    channel = (channel or "").strip()
    if not _CHANNEL.fullmatch(channel):
        raise ValidationFailed("Name the Slack channel, e.g. #mail or its id C0123456789.")
    return channel


def parse_clock(value: str, what: str) -> time:
    try:
        parsed = time.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed(f"{what} is a time of day like 08:30.") from None
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time  # may be before start: the quiet time runs over midnight

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class SummarySchedule:
    at: time  # local wall time
    weekdays: frozenset[str] = frozenset(WEEKDAYS[:5])
    enabled: bool = True

    def last_due(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        """The latest scheduled moment at or before `now` (aware), within the last 8 days; None if none."""
        local_now = now.astimezone(tz)
        for back in range(0, 8):
            day = (local_now - timedelta(days=back)).date()
            if WEEKDAYS[day.weekday()] not in self.weekdays:
                continue
            moment = datetime.combine(day, self.at, tzinfo=tz)
            if moment <= local_now:
                return moment
        return None


@dataclass(frozen=True)
class SlackIntegration:
    """One per user. The webhook URL or bot token lives in the secret store (`secret_ref`); never here."""

    user_id: str
    mode: SlackMode
    secret_ref: str
    channel: str | None
    events: frozenset[str]
    timezone: str
    created_at: datetime
    updated_at: datetime
    quiet_hours: QuietHours | None = None
    mail_filter: str = ""  # Gmail query syntax, e.g. is:important
    summary: SummarySchedule | None = None
    last_summary_at: datetime | None = None
    enabled: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def quiet_at(self, now: datetime) -> bool:
        if self.quiet_hours is None:
            return False
        return self.quiet_hours.contains(now.astimezone(zone(self.timezone)).time().replace(tzinfo=None))

    def summary_due(self, now: datetime) -> datetime | None:
        """The scheduled moment a summary is owed for (not sent yet), or None."""
        if not (self.enabled and self.summary and self.summary.enabled):
            return None
        due = self.summary.last_due(now, zone(self.timezone))
        if due is None or (self.last_summary_at is not None and self.last_summary_at >= due):
            return None
        return due


def normalize_slack_events(events: list[str] | tuple[str, ...]) -> frozenset[str]:
    chosen = frozenset(e.strip() for e in events)
    unknown = sorted(chosen - set(SLACK_EVENT_TYPES))
    if unknown:
        raise ValidationFailed(
            f"Unknown Slack event(s): {', '.join(unknown)}. Choose from {', '.join(SLACK_EVENT_TYPES)}."
        )
    return chosen


def normalize_weekdays(days: list[str] | tuple[str, ...]) -> frozenset[str]:
    chosen = frozenset(d.strip().lower()[:3] for d in days)
    unknown = sorted(chosen - set(WEEKDAYS))
    if unknown or not chosen:
        raise ValidationFailed(f"Weekdays are some of {', '.join(WEEKDAYS)}.")
    return chosen
