"""Scheduled emails in the domain: turning a wall time and a zone into UTC (property 73, DST gaps and overlaps),
refusing what cannot be scheduled, the status machine, and the stored form of the message."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from domain.errors import Conflict, ValidationFailed
from domain.mail import EmailAddress, OutgoingMessage
from domain.mime import deterministic_message_id
from domain.scheduled_email import (
    ResolvedSendTime,
    ScheduledEmail,
    ScheduledStatus,
    message_from_dict,
    message_to_dict,
    parse_timezone,
    resolve_send_at,
)
from tests.support.mail_strategies import outgoing_messages

NOW = datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
ZONES = sorted(zoneinfo.available_timezones())


def _issue(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return str(exc.value.details[0]["issue"])


# ------------------------------------------------------------------------------------------ property 73
def _oracle(wall: datetime, zone: zoneinfo.ZoneInfo) -> tuple[datetime | None, timedelta]:
    """Independently of the code under test: the first UTC instant whose local wall time is `wall` (None inside a
    gap), and the offset change around `wall` (after minus before)."""
    before = (wall - timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    after = (wall + timedelta(days=1)).replace(tzinfo=zone).utcoffset()
    assert before is not None and after is not None
    offsets = {before, after, *(wall.replace(tzinfo=zone, fold=f).utcoffset() for f in (0, 1))}
    candidates = sorted(
        (wall - o).replace(tzinfo=UTC)
        for o in offsets
        if o is not None and (wall - o).replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) == wall
    )
    return (candidates[0] if candidates else None), after - before


@pytest.mark.property(73)
@given(
    zone_name=st.sampled_from(ZONES),
    wall=st.datetimes(min_value=datetime(2026, 1, 3), max_value=datetime(2026, 12, 28)).map(
        lambda d: d.replace(microsecond=0)
    ),
)
@example(zone_name="America/New_York", wall=datetime(2026, 3, 8, 2, 30))  # spring-forward gap
@example(zone_name="America/New_York", wall=datetime(2026, 11, 1, 1, 30))  # fall-back overlap
@example(zone_name="Europe/Berlin", wall=datetime(2026, 3, 29, 2, 30))
@example(zone_name="Europe/Berlin", wall=datetime(2026, 10, 25, 2, 30))
@example(zone_name="Australia/Lord_Howe", wall=datetime(2026, 10, 4, 2, 15))  # a 30-minute gap
def test_property_73_timezone_conversion_is_correct(zone_name: str, wall: datetime) -> None:
    """Property 73: a wall time in an IANA zone becomes the UTC instant that shows that wall time there (the first
    one when it happens twice); a wall time that does not exist moves forward by exactly the gap; and the resolved
    instant, given back as an ISO time with its offset and the zone, resolves to itself."""
    zone = zoneinfo.ZoneInfo(zone_name)
    resolved = resolve_send_at(wall.isoformat(), zone_name, now=NOW)
    assert resolved.send_at.tzinfo is UTC and resolved.timezone == zone_name
    expected, change = _oracle(wall, zone)
    local = resolved.send_at.astimezone(zone).replace(tzinfo=None)
    if expected is not None:
        assert resolved.send_at == expected
        assert local == wall
    else:
        assert change > timedelta(0)
        assert local == wall + change
        assert resolved.adjustment and "does not exist" in resolved.adjustment
    assert resolved.local == resolved.send_at.astimezone(zone)
    again = resolve_send_at(resolved.send_at.astimezone(zone).isoformat(), zone_name, now=NOW)
    assert again.send_at == resolved.send_at


@pytest.mark.property(73)
@given(
    wall=st.datetimes(min_value=datetime(2026, 1, 3), max_value=datetime(2026, 12, 28)),
    minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_property_73_offsets_are_exact(wall: datetime, minutes: int) -> None:
    offset = timedelta(minutes=minutes)
    sign = "-" if minutes < 0 else "+"
    label = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    by_zone = resolve_send_at(wall.isoformat(), label, now=NOW)
    in_text = resolve_send_at(wall.isoformat() + label, None, now=NOW)
    assert by_zone.send_at == in_text.send_at == (wall - offset).replace(tzinfo=UTC)
    assert by_zone.timezone == in_text.timezone == ("UTC" if minutes == 0 else label)
    assert by_zone.local.replace(tzinfo=None) == wall


# ------------------------------------------------------------------------------------------ DST, explicitly
def test_new_york_spring_forward_gap_moves_forward_by_an_hour() -> None:
    r = resolve_send_at("2026-03-08T02:30:00", "America/New_York", now=NOW)
    assert r.send_at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert r.local.isoformat() == "2026-03-08T03:30:00-04:00"
    assert r.adjustment is not None and "03:30" in r.adjustment


def test_new_york_fall_back_overlap_takes_the_first_unless_an_offset_says_otherwise() -> None:
    first = resolve_send_at("2026-11-01T01:30:00", "America/New_York", now=NOW)
    assert first.send_at == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert first.adjustment is not None and "twice" in first.adjustment
    second = resolve_send_at("2026-11-01T01:30:00-05:00", "America/New_York", now=NOW)
    assert second.send_at == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert second.local.isoformat() == "2026-11-01T01:30:00-05:00" and second.adjustment is None


def test_berlin_gap_and_overlap() -> None:
    gap = resolve_send_at("2026-03-29T02:30", "Europe/Berlin", now=NOW)
    assert gap.send_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert gap.local.isoformat() == "2026-03-29T03:30:00+02:00"
    overlap = resolve_send_at("2026-10-25T02:30", "Europe/Berlin", now=NOW)
    assert overlap.send_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST, the first
    later = resolve_send_at("2026-10-25T02:30+01:00", "Europe/Berlin", now=NOW)
    assert later.send_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    plain = resolve_send_at("2026-07-01T09:00", "Europe/Berlin", now=NOW)
    assert plain.send_at == datetime(2026, 7, 1, 7, 0, tzinfo=UTC) and plain.adjustment is None


def test_lord_howe_half_hour_gap() -> None:
    r = resolve_send_at("2026-10-04T02:15", "Australia/Lord_Howe", now=NOW)
    assert r.local.replace(tzinfo=None) == datetime(2026, 10, 4, 2, 45)


# ------------------------------------------------------------------------------------------ refusals
@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "Europe/Berlim", "../../etc/passwd", "Europe/", "+15:00"])
def test_unknown_zones_are_refused_clearly(name: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        resolve_send_at("2026-07-01T09:00", name, now=NOW)
    assert caught.value.details[0]["field"] == "timezone"
    assert "Unknown timezone" in caught.value.message or "out of range" in caught.value.message


def test_refusals_say_what_is_wrong() -> None:
    with pytest.raises(ValidationFailed) as caught:
        resolve_send_at("2026-07-01T09:00", None, now=NOW)
    assert _issue(caught) == "missing_timezone" and "offset" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        resolve_send_at("2025-12-31T23:59:59Z", None, now=NOW)
    assert _issue(caught) == "in_the_past" and "past" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        resolve_send_at("2025-12-31T23:00", "Europe/Berlin", now=NOW)  # 22:00 UTC, an hour before NOW
    assert _issue(caught) == "in_the_past"
    with pytest.raises(ValidationFailed) as caught:
        resolve_send_at("next tuesday", "Europe/Berlin", now=NOW)
    assert _issue(caught) == "not_iso_datetime"
    with pytest.raises(ValidationFailed) as caught:
        resolve_send_at("2026-07-01T09:00+05:00", "Europe/Berlin", now=NOW)
    assert _issue(caught) == "offset_mismatch" and "+02:00" in caught.value.message
    with pytest.raises(ValidationFailed) as caught:
        resolve_send_at("2028-07-01T09:00Z", None, now=NOW)
    assert _issue(caught) == "too_far_ahead"
    assert resolve_send_at(NOW, None, now=NOW).send_at == NOW  # exactly now is allowed


def test_timezone_labels() -> None:
    assert parse_timezone("UTC")[1] == "UTC"
    assert parse_timezone("+0530")[1] == "+05:30"
    assert parse_timezone("UTC-3")[1] == "-03:00"
    assert parse_timezone(" Asia/Kolkata ")[1] == "Asia/Kolkata"
    assert resolve_send_at("2026-07-01T09:00Z", None, now=NOW).timezone == "UTC"
    assert resolve_send_at("2026-07-01T09:00-07:00", None, now=NOW).timezone == "-07:00"


# ------------------------------------------------------------------------------------------ the entity
def _email(send_at: datetime = NOW + timedelta(hours=1)) -> ScheduledEmail:
    message = OutgoingMessage(
        to=(EmailAddress(address="bob@example.com"),),
        subject="Hi",
        message_id=deterministic_message_id("s1", "example.com"),
    )
    return ScheduledEmail.new(
        id="s1", user_id="u1", account_id="a1", message=message, when=ResolvedSendTime(send_at, "UTC"), now=NOW
    )


@pytest.mark.property(70)
def test_status_machine() -> None:
    email = _email()
    assert email.status is ScheduledStatus.SCHEDULED and email.version == 1 and email.due_at == email.send_at
    with pytest.raises(Conflict):
        email.claim("w", NOW, timedelta(seconds=60))  # not due yet
    due = NOW + timedelta(hours=1)
    sending = email.claim("w", due, timedelta(seconds=60))
    assert (sending.status, sending.attempts, sending.version) == (ScheduledStatus.SENDING, 1, 2)
    with pytest.raises(Conflict) as caught:
        sending.cancel(due)
    assert "being sent" in caught.value.message
    assert sending.lease_expired(due + timedelta(seconds=60)) and not sending.lease_expired(due)
    sent = sending.mark_sent("p1", due)
    assert sent.sent_at == due and sent.lease_owner is None and sent.provider_message_id == "p1"
    with pytest.raises(Conflict) as caught:
        sent.cancel(due)
    assert "already sent" in caught.value.message
    with pytest.raises(Conflict):
        sent.reschedule(ResolvedSendTime(due + timedelta(hours=1), "UTC"), due)
    cancelled = email.cancel(NOW)
    with pytest.raises(Conflict) as caught:
        cancelled.cancel(NOW)
    assert "already cancelled" in caught.value.message
    moved = email.reschedule(ResolvedSendTime(NOW + timedelta(hours=3), "Europe/Berlin"), NOW)
    assert moved.due_at == moved.send_at == NOW + timedelta(hours=3) and moved.version == 2
    later = sending.retry_later("timeout", due, due + timedelta(seconds=30))
    assert later.status is ScheduledStatus.SCHEDULED and later.error == "timeout" and not later.is_due(due)


@pytest.mark.property(68)
@given(outgoing_messages())
def test_the_stored_message_round_trips(message: OutgoingMessage) -> None:
    assert message_from_dict(message_to_dict(message)) == message
