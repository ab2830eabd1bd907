"""Scheduled emails: the entity and its status machine, and turning "when" (a wall time in a zone) into UTC.

Time rule (documented, and tested for DST): `send_at` is either an ISO 8601 datetime with an offset (the instant
is exact) or a wall time without one plus `timezone` (an IANA name such as `Europe/Berlin`, or an offset such as
`+02:00`). A wall time that does not exist in that zone (the spring-forward gap) is moved forward by the length of
the gap (America/New_York 2026-03-08 02:30 -> 03:30 EDT); a wall time that happens twice (the fall-back overlap)
means its first occurrence (fold=0), unless the offset in `send_at` says which one. Both cases are reported in
`ResolvedSendTime.adjustment`. Times in the past and unknown zones are refused.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any

from domain.errors import Conflict, ValidationFailed
from domain.mail import EmailAddress, OutgoingAttachment, OutgoingMessage

MAX_SCHEDULE_AHEAD = timedelta(days=366)
MAX_ERROR_CHARS = 500
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


class ScheduledStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for its time (or for the next attempt after a passing failure)
    SENDING = "sending"  # claimed by a worker, under a lease
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL_STATUSES: frozenset[ScheduledStatus] = frozenset(
    {ScheduledStatus.SENT, ScheduledStatus.FAILED, ScheduledStatus.CANCELLED}
)


class ScheduledAuditAction:
    SCHEDULED = "mail.send_scheduled"
    RESCHEDULED = "mail.send_rescheduled"
    CANCELLED = "mail.send_cancelled"
    SENT = "mail.send"  # the same action as an immediate send: the audit trail reads alike
    FAILED = "mail.send_failed"


# --------------------------------------------------------------------------------------------------- time zones
@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _fixed_offset(sign: str, hours: str, minutes: str | None) -> timezone:
    h, m = int(hours), int(minutes or 0)
    if h > 14 or m > 59 or (h == 14 and m):
        raise ValidationFailed(
            f"The offset {sign}{h:02d}:{m:02d} is out of range (-14:00 to +14:00).",
            details=[{"field": "timezone", "issue": "bad_offset"}],
        )
    delta = timedelta(hours=h, minutes=m)
    return timezone(-delta if sign == "-" else delta)


def offset_label(offset: timedelta) -> str:
    """`+02:00`, `-05:30`, and `UTC` for zero."""
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def parse_timezone(name: str) -> tuple[tzinfo, str]:
    """An IANA zone name (`Europe/Berlin`), `UTC`, or a fixed offset (`+02:00`, `-0530`, `UTC+2`) -> (tzinfo, the
    label to show). Unknown names raise ValidationFailed."""
    text = name.strip()
    if not text:
        raise ValidationFailed("The timezone is empty.", details=[{"field": "timezone", "issue": "empty"}])
    if len(text) <= 64 and text in _known_zones():
        return zoneinfo.ZoneInfo(text), text
    if text.upper() in ("UTC", "Z"):
        return UTC, "UTC"
    match = _OFFSET_RE.match(text)
    if match:
        tz = _fixed_offset(*match.groups())
        offset = tz.utcoffset(None)
        return tz, offset_label(offset)
    raise ValidationFailed(
        f"Unknown timezone '{text[:64]}': use an IANA name such as 'Europe/Berlin' or 'America/New_York', "
        "or an offset such as '+02:00'.",
        details=[{"field": "timezone", "issue": "unknown_timezone"}],
    )


def zone_for_label(label: str) -> tzinfo:
    """The tzinfo behind a stored timezone label (see parse_timezone); UTC if it no longer resolves."""
    try:
        return parse_timezone(label)[0]
    except ValidationFailed:
        return UTC


@dataclass(frozen=True)
class ResolvedSendTime:
    send_at: datetime  # aware UTC
    timezone: str  # the IANA name or offset label, for display
    adjustment: str | None = None  # set when a DST gap moved the time or an overlap had to be decided

    @property
    def local(self) -> datetime:
        return self.send_at.astimezone(zone_for_label(self.timezone))


def _parse_iso(value: str) -> datetime:
    text = value.strip()
    if not text or len(text) > 64:
        raise ValidationFailed(
            "send_at must be an ISO 8601 date and time, e.g. 2026-12-24T09:00:00 or 2026-12-24T09:00:00+01:00.",
            details=[{"field": "send_at", "issue": "not_iso_datetime"}],
        )
    try:
        return datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValidationFailed(
            f"send_at '{text}' is not an ISO 8601 date and time (e.g. 2026-12-24T09:00:00+01:00).",
            details=[{"field": "send_at", "issue": "not_iso_datetime"}],
        ) from None


def wall_time_to_utc(wall: datetime, zone: tzinfo) -> tuple[datetime, str | None]:
    """A naive wall time in `zone` -> (aware UTC, adjustment note). Gap: moved forward by the gap; overlap: the
    first occurrence."""
    wall = wall.replace(tzinfo=None)
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    off_first, off_second = first.utcoffset(), second.utcoffset()
    utc = first.astimezone(UTC)
    if off_first == off_second:
        return utc, None
    if utc.astimezone(zone).replace(tzinfo=None) != wall:
        # zoneinfo gives a nonexistent time the offset in force before the transition: converting with it lands
        # the gap's length after the wall time, which is the rule we promise.
        shown = utc.astimezone(zone)
        return utc, (
            f"{wall:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks spring forward); "
            f"moved to {shown:%H:%M} local time ({shown:%z})."
        )
    return utc, (
        f"{wall:%Y-%m-%d %H:%M} happens twice in {zone} (the clocks fall back); the first one "
        f"({offset_label(off_first or timedelta(0))}) was taken; give an offset to pick the other."
    )


def resolve_send_at(send_at: str | datetime, timezone_name: str | None, *, now: datetime) -> ResolvedSendTime:
    """Turn what a person typed into the UTC instant to send at (see the module docstring for the rules)."""
    when = send_at if isinstance(send_at, datetime) else _parse_iso(send_at)
    adjustment: str | None = None
    if timezone_name is not None and timezone_name.strip():
        zone, label = parse_timezone(timezone_name)
    else:
        zone, label = None, None
    if when.utcoffset() is not None:
        offset = when.utcoffset()
        assert offset is not None
        utc = when.astimezone(UTC)
        if zone is not None:
            wall = when.replace(tzinfo=None)
            allowed = {wall.replace(tzinfo=zone, fold=f).utcoffset() for f in (0, 1)}
            if offset not in allowed:
                shown = ", ".join(sorted(offset_label(o) for o in allowed if o is not None))
                raise ValidationFailed(
                    f"send_at says {offset_label(offset)} but {label} is at {shown} on {wall:%Y-%m-%d %H:%M}: "
                    "give the wall time without an offset, or drop the timezone.",
                    details=[{"field": "send_at", "issue": "offset_mismatch"}],
                )
        else:
            label = offset_label(offset)
    else:
        if zone is None:
            raise ValidationFailed(
                "send_at has no timezone: add an offset (e.g. 2026-12-24T09:00:00+01:00) or give 'timezone' "
                "(e.g. 'Europe/Berlin').",
                details=[{"field": "send_at", "issue": "missing_timezone"}],
            )
        utc, adjustment = wall_time_to_utc(when, zone)
    assert label is not None
    if utc < now:
        raise ValidationFailed(
            f"send_at {utc:%Y-%m-%d %H:%M:%S} UTC is in the past (it is now {now.astimezone(UTC):%Y-%m-%d %H:%M:%S} "
            "UTC): choose a later time, or send now instead.",
            details=[{"field": "send_at", "issue": "in_the_past"}],
        )
    if utc - now > MAX_SCHEDULE_AHEAD:
        raise ValidationFailed(
            f"send_at may be at most {MAX_SCHEDULE_AHEAD.days} days ahead.",
            details=[{"field": "send_at", "issue": "too_far_ahead"}],
        )
    return ResolvedSendTime(send_at=utc, timezone=label, adjustment=adjustment)


# ------------------------------------------------------------------------------------------------ the entity
@dataclass(frozen=True, kw_only=True)
class ScheduledEmail:
    """One message to send at `send_at`. Every change bumps `version`; writers compare-and-set on it, so a claim,
    a cancel and a reschedule racing each other cannot both win. `due_at` is when the next attempt may start
    (`send_at` at first, later after a passing failure)."""

    id: str
    user_id: str
    account_id: str
    message: OutgoingMessage  # with its deterministic Message-ID set
    send_at: datetime  # aware UTC
    timezone: str
    status: ScheduledStatus
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    attempts: int = 0
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    provider_message_id: str | None = None
    error: str | None = None
    sent_at: datetime | None = None
    version: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ScheduledStatus(self.status))
        if not self.message.message_id:
            raise ValidationFailed("A scheduled email needs its Message-ID.")
        for name in ("send_at", "created_at", "updated_at", "due_at"):
            if getattr(self, name).utcoffset() is None:
                raise ValidationFailed(f"{name} must carry a timezone.")

    @property
    def message_id(self) -> str:
        assert self.message.message_id is not None
        return self.message.message_id

    @property
    def local_send_at(self) -> datetime:
        return self.send_at.astimezone(zone_for_label(self.timezone))

    @classmethod
    def new(
        cls,
        *,
        id: str,
        user_id: str,
        account_id: str,
        message: OutgoingMessage,
        when: ResolvedSendTime,
        now: datetime,
    ) -> ScheduledEmail:
        return cls(
            id=id,
            user_id=user_id,
            account_id=account_id,
            message=message,
            send_at=when.send_at,
            timezone=when.timezone,
            status=ScheduledStatus.SCHEDULED,
            created_at=now,
            updated_at=now,
            due_at=when.send_at,
        )

    def _next(self, now: datetime, **changes: Any) -> ScheduledEmail:
        return replace(self, updated_at=now, version=self.version + 1, **changes)

    def is_due(self, now: datetime) -> bool:
        return self.status is ScheduledStatus.SCHEDULED and self.due_at <= now

    def lease_expired(self, now: datetime) -> bool:
        return self.status is ScheduledStatus.SENDING and (
            self.lease_expires_at is None or self.lease_expires_at <= now
        )

    def _refuse_change(self, verb: str) -> None:
        if self.status is ScheduledStatus.SENT:
            when = f" at {self.sent_at:%Y-%m-%d %H:%M:%S} UTC" if self.sent_at else ""
            raise Conflict(f"This email was already sent{when}; there is nothing to {verb}.")
        if self.status is ScheduledStatus.CANCELLED:
            raise Conflict(f"This scheduled email was already cancelled; there is nothing to {verb}.")
        if self.status is ScheduledStatus.FAILED:
            raise Conflict(
                f"Sending this email failed ({self.error or 'no reason given'}); there is nothing to {verb}."
            )
        if self.status is ScheduledStatus.SENDING:
            raise Conflict(f"This email is being sent right now; it is too late to {verb} it.")

    def cancel(self, now: datetime) -> ScheduledEmail:
        self._refuse_change("cancel")
        return self._next(now, status=ScheduledStatus.CANCELLED)

    def reschedule(self, when: ResolvedSendTime, now: datetime) -> ScheduledEmail:
        self._refuse_change("reschedule")
        return self._next(now, send_at=when.send_at, timezone=when.timezone, due_at=when.send_at, error=None)

    def claim(self, owner: str, now: datetime, lease: timedelta) -> ScheduledEmail:
        """Take it for sending (due and scheduled, or sending under an expired lease)."""
        if not (self.is_due(now) or self.lease_expired(now)):
            raise Conflict("This scheduled email is not due, or another worker holds it.")
        return self._next(
            now,
            status=ScheduledStatus.SENDING,
            lease_owner=owner[:64],
            lease_expires_at=now + lease,
            attempts=self.attempts + 1,
        )

    def renew(self, owner: str, now: datetime, lease: timedelta) -> ScheduledEmail:
        if self.status is not ScheduledStatus.SENDING:
            raise Conflict("Only an email being sent has a lease to renew.")
        return self._next(now, lease_owner=owner[:64], lease_expires_at=now + lease)

    def mark_sent(self, provider_message_id: str, now: datetime) -> ScheduledEmail:
        if self.status is not ScheduledStatus.SENDING:
            raise Conflict("Only an email being sent can be marked sent.")
        return self._next(
            now,
            status=ScheduledStatus.SENT,
            provider_message_id=provider_message_id,
            sent_at=now,
            lease_owner=None,
            lease_expires_at=None,
            error=None,
        )

    def mark_failed(self, error: str, now: datetime) -> ScheduledEmail:
        return self._next(
            now, status=ScheduledStatus.FAILED, error=error[:MAX_ERROR_CHARS], lease_owner=None, lease_expires_at=None
        )

    def retry_later(self, error: str, now: datetime, due_at: datetime) -> ScheduledEmail:
        """A passing failure: back to `scheduled`, due again at `due_at`."""
        return self._next(
            now,
            status=ScheduledStatus.SCHEDULED,
            error=error[:MAX_ERROR_CHARS],
            due_at=due_at,
            lease_owner=None,
            lease_expires_at=None,
        )


# ----------------------------------------------------------------------------------------- message <-> JSON
def _address_to_dict(a: EmailAddress) -> dict[str, str]:
    return {"address": a.address, "name": a.name}


def _address_from_dict(raw: Mapping[str, Any]) -> EmailAddress:
    return EmailAddress(address=str(raw["address"]), name=str(raw.get("name") or ""))


def message_to_dict(message: OutgoingMessage) -> dict[str, Any]:
    """JSON-ready form of an outgoing message (attachments base64), for storage until its send time."""
    return {
        "to": [_address_to_dict(a) for a in message.to],
        "cc": [_address_to_dict(a) for a in message.cc],
        "bcc": [_address_to_dict(a) for a in message.bcc],
        "reply_to": [_address_to_dict(a) for a in message.reply_to],
        "from": _address_to_dict(message.from_) if message.from_ else None,
        "subject": message.subject,
        "text_body": message.text_body,
        "html_body": message.html_body,
        "attachments": [
            {
                "filename": a.filename,
                "mime_type": a.mime_type,
                "content_base64": base64.b64encode(a.content).decode("ascii"),
                "content_id": a.content_id,
                "inline": a.inline,
            }
            for a in message.attachments
        ],
        "in_reply_to": message.in_reply_to,
        "references": list(message.references),
        "thread_id": message.thread_id,
        "message_id": message.message_id,
    }


def message_from_dict(raw: Mapping[str, Any]) -> OutgoingMessage:
    try:
        return OutgoingMessage(
            to=tuple(_address_from_dict(a) for a in raw.get("to") or ()),
            cc=tuple(_address_from_dict(a) for a in raw.get("cc") or ()),
            bcc=tuple(_address_from_dict(a) for a in raw.get("bcc") or ()),
            reply_to=tuple(_address_from_dict(a) for a in raw.get("reply_to") or ()),
            from_=_address_from_dict(raw["from"]) if raw.get("from") else None,
            subject=str(raw.get("subject") or ""),
            text_body=str(raw.get("text_body") or ""),
            html_body=raw.get("html_body"),
            attachments=tuple(
                OutgoingAttachment(
                    filename=str(a["filename"]),
                    mime_type=str(a["mime_type"]),
                    content=base64.b64decode(a["content_base64"], validate=True),
                    content_id=a.get("content_id"),
                    inline=bool(a.get("inline")),
                )
                for a in raw.get("attachments") or ()
            ),
            in_reply_to=raw.get("in_reply_to"),
            references=tuple(str(r) for r in raw.get("references") or ()),
            thread_id=raw.get("thread_id"),
            message_id=raw.get("message_id"),
        )
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise ValidationFailed(f"Not a stored message: {exc}") from None
