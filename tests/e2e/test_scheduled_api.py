"""Scheduled emails over HTTP on the demo mailbox: scheduling and what is stored (properties 67, 68), cancelling
(71), time zones and DST (73), refusals with readable messages, rescheduling, and users kept apart."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from application.use_cases.scheduled.dispatch_due_scheduled_emails import DispatchDueScheduledEmailsInput
from application.use_cases.scheduled.send_scheduled_email import Outcome, SendScheduledEmailInput
from entrypoints.container import Container
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.mail_strategies import addresses

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
SCHEDULE = "/api/v1/emails/schedule"
SCHEDULED = "/api/v1/emails/scheduled"


class World:
    def __init__(self, api: Api, clock: InMemoryClock, container: Container) -> None:
        self.api, self.clock, self.container = api, clock, container
        self.me = self.user("me@example.com")

    def user(self, email: str) -> Account:
        account = self.api.signup(email)
        r = self.api.post("/api/v1/mail/accounts/demo", headers=account.headers)
        assert r.status_code == 201, r.text
        return account

    def advance(self, **delta: float) -> None:
        """Move the clock, then sign in again (access tokens live 15 minutes)."""
        self.clock.advance(**delta)
        self.me = self.api.login(self.me.email)

    def schedule(self, who: Account | None = None, **body: Any) -> Any:
        payload = {"to": ["Bob <bob@example.com>"], "subject": "Later", "text_body": "Hi Bob", **body}
        return self.api.post(SCHEDULE, json=payload, headers=(who or self.me).headers)

    def sent_copies(self, who: Account, message_id: str) -> list[dict[str, Any]]:
        r = self.api.get(
            "/api/v1/emails", params={"q": f"in:sent rfc822msgid:{message_id}", "limit": 50}, headers=who.headers
        )
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = InMemoryClock(NOW)
    settings = make_settings(tmp_path, demo_mailbox_size=10, rate_limit_per_minute=100_000)
    app, container = make_app(settings, clock=clock)
    api = Api(app, settings)
    yield World(api, clock, container)
    api.client.close()


def created(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["data"] is None
    return body["error"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------ properties 67, 68, 73
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]


@pytest.mark.property(67, 68, 73)
@given(
    zone=st.sampled_from(ZONES),
    ahead=st.integers(min_value=2 * 3600, max_value=300 * 86400),
    to=st.lists(addresses(), min_size=1, max_size=3),
    subject=st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=60).map(str.strip),
)
def test_properties_67_68_73_scheduling_stores_what_was_asked(
    world: World, zone: str, ahead: int, to: list[Any], subject: str
) -> None:
    """67: a valid message with a future time is scheduled (201, an id, status scheduled); 68: reading it back gives
    the recipients, subject and time that were asked for; 73: the wall time in the zone is the UTC instant whose
    local time it is (the oracle: zoneinfo's conversion of the UTC instant back to the zone)."""
    tz = zoneinfo.ZoneInfo(zone)
    wall = (NOW + timedelta(seconds=ahead)).astimezone(tz).replace(tzinfo=None, microsecond=0)
    data = created(world.schedule(to=[str(a) for a in to], subject=subject, send_at=wall.isoformat(), timezone=zone))
    assert data["status"] == "scheduled" and data["id"] and data["attempts"] == 0
    stored = world.api.get(f"{SCHEDULED}/{data['id']}", headers=world.me.headers).json()["data"]
    assert stored == {**data, "adjustment": None}
    assert [a["address"] for a in stored["to"]] == [a.address for a in to]
    assert stored["subject"] == subject and stored["timezone"] == zone
    send_at = datetime.fromisoformat(stored["send_at"].replace("Z", "+00:00"))
    local = datetime.fromisoformat(stored["local_send_at"])
    assert send_at.astimezone(tz).replace(tzinfo=None) == wall or data["adjustment"]  # a DST gap moves it
    assert local == send_at and local.utcoffset() == send_at.astimezone(tz).utcoffset()
    assert stored["message_id"].startswith("<") and stored["from"]["address"].endswith("demo.mailagent.local")


def test_dst_gap_and_overlap_over_http(world: World) -> None:
    gap = created(world.schedule(send_at="2026-03-08T02:30:00", timezone="America/New_York"))
    assert gap["send_at"] == "2026-03-08T07:30:00Z" and gap["local_send_at"] == "2026-03-08T03:30:00-04:00"
    assert "does not exist" in gap["adjustment"]
    first = created(world.schedule(send_at="2026-11-01T01:30:00", timezone="America/New_York"))
    assert first["send_at"] == "2026-11-01T05:30:00Z" and "twice" in first["adjustment"]
    second = created(world.schedule(send_at="2026-11-01T01:30:00-05:00", timezone="America/New_York"))
    assert second["send_at"] == "2026-11-01T06:30:00Z" and second["local_send_at"].endswith("-05:00")
    berlin = created(world.schedule(send_at="2026-03-29T02:30", timezone="Europe/Berlin"))
    assert berlin["send_at"] == "2026-03-29T01:30:00Z" and berlin["local_send_at"] == "2026-03-29T03:30:00+02:00"
    exact = created(world.schedule(send_at="2026-06-01T09:00:00+05:30"))
    assert exact["send_at"] == "2026-06-01T03:30:00Z" and exact["timezone"] == "+05:30"


# ------------------------------------------------------------------------------------ refusals
def test_bad_times_zones_and_bodies_are_refused_readably(world: World) -> None:
    past = error(world.schedule(send_at="2026-02-01T11:59:00Z"), 422)
    assert past["code"] == "validation_failed" and "in the past" in past["message"]
    assert past["details"][0]["field"] == "send_at"
    zone = error(world.schedule(send_at="2026-06-01T09:00", timezone="Mars/Olympus_Mons"), 422)
    assert "Unknown timezone 'Mars/Olympus_Mons'" in zone["message"] and zone["details"][0]["field"] == "timezone"
    naive = error(world.schedule(send_at="2026-06-01T09:00"), 422)
    assert "no timezone" in naive["message"]
    garbage = error(world.schedule(send_at="tomorrow at nine", timezone="UTC"), 422)
    assert "ISO 8601" in garbage["message"]
    mismatch = error(world.schedule(send_at="2026-06-01T09:00+05:00", timezone="Europe/Berlin"), 422)
    assert "+02:00" in mismatch["message"]
    missing = error(world.api.post(SCHEDULE, json={"to": ["a@example.com"]}, headers=world.me.headers), 422)
    assert "send_at" in missing["message"]
    bad_to = error(world.schedule(to=["not an address"], send_at="2026-06-01T09:00Z"), 422)
    assert "to" in bad_to["message"]
    nobody = error(world.schedule(to=[], send_at="2026-06-01T09:00Z"), 422)
    assert "recipient" in nobody["message"]
    bad_filter = error(world.api.get(SCHEDULED, params={"status": "lost"}, headers=world.me.headers), 422)
    assert "status" in bad_filter["message"]
    listed = world.api.get(SCHEDULED, headers=world.me.headers).json()
    assert listed["data"] == [] and listed["meta"]["total"] == 0  # nothing refused was kept


def test_scheduling_needs_the_send_scope_and_a_mailbox(world: World) -> None:
    key = world.api.post(
        "/api/v1/api-keys", json={"name": "reader", "scopes": ["mail:read"]}, headers=world.me.headers
    ).json()["data"]["key"]
    r = world.api.post(
        SCHEDULE,
        json={"to": ["a@example.com"], "send_at": "2026-06-01T09:00Z"},
        headers={"X-API-Key": key},
    )
    assert "mail:send" in error(r, 403)["message"]
    assert world.api.get(SCHEDULED, headers={"X-API-Key": key}).status_code == 200
    loner = world.api.signup("loner@example.com")
    assert "Connect a mailbox" in error(world.schedule(who=loner, send_at="2026-06-01T09:00Z"), 404)["message"]


# ------------------------------------------------------------------------------------ property 71 and friends
@pytest.mark.property(71)
def test_property_71_a_cancelled_email_is_never_sent(world: World) -> None:
    data = created(world.schedule(send_at="2026-02-01T12:10:00Z"))
    cancelled = world.api.delete(f"{SCHEDULED}/{data['id']}", headers=world.me.headers)
    assert cancelled.status_code == 200 and cancelled.json()["data"]["status"] == "cancelled"
    again = error(world.api.delete(f"{SCHEDULED}/{data['id']}", headers=world.me.headers), 409)
    assert "already cancelled" in again["message"]
    late = error(
        world.api.patch(f"{SCHEDULED}/{data['id']}", json={"send_at": "2026-02-02T09:00Z"}, headers=world.me.headers),
        409,
    )
    assert "cancelled" in late["message"]
    world.advance(minutes=15)
    claimed = world.container.dispatch_due_scheduled_emails().execute(DispatchDueScheduledEmailsInput("test"))
    outcome = world.container.send_scheduled_email().execute(SendScheduledEmailInput(data["id"], 1, "test"))
    assert claimed == 0 and outcome is Outcome.SKIPPED  # the delayed job of version 1 finds it cancelled
    assert world.sent_copies(world.me, data["message_id"]) == []
    listed = world.api.get(SCHEDULED, params={"status": "cancelled"}, headers=world.me.headers).json()
    assert [e["id"] for e in listed["data"]] == [data["id"]]


def test_cancel_or_reschedule_after_it_was_sent_is_a_clear_no_op(world: World) -> None:
    data = created(world.schedule(send_at="2026-02-01T12:01:00Z"))
    world.advance(minutes=1)
    outcome = world.container.send_scheduled_email().execute(SendScheduledEmailInput(data["id"], 1, "test"))
    assert outcome is Outcome.SENT
    sent = world.api.get(f"{SCHEDULED}/{data['id']}", headers=world.me.headers).json()["data"]
    assert sent["status"] == "sent" and sent["sent_at"] == "2026-02-01T12:01:00Z" and sent["sent_message_id"]
    refused = error(world.api.delete(f"{SCHEDULED}/{data['id']}", headers=world.me.headers), 409)
    assert "already sent at 2026-02-01 12:01:00 UTC" in refused["message"]
    after = world.api.get(f"{SCHEDULED}/{data['id']}", headers=world.me.headers).json()["data"]
    assert after == sent  # nothing changed
    copies = world.sent_copies(world.me, data["message_id"])
    assert [m["id"] for m in copies] == [sent["sent_message_id"]]


def test_reschedule_moves_it_before_sending(world: World) -> None:
    data = created(world.schedule(send_at="2026-02-01T13:00", timezone="Europe/Berlin"))
    assert data["send_at"] == "2026-02-01T12:00:00Z"
    moved = world.api.patch(f"{SCHEDULED}/{data['id']}", json={"send_at": "2026-07-01T09:00"}, headers=world.me.headers)
    assert moved.status_code == 200, moved.text
    body = moved.json()["data"]
    assert body["send_at"] == "2026-07-01T07:00:00Z" and body["timezone"] == "Europe/Berlin"  # read in its zone
    exact = world.api.patch(
        f"{SCHEDULED}/{data['id']}", json={"send_at": "2026-07-01T09:00:00Z"}, headers=world.me.headers
    ).json()["data"]
    assert exact["send_at"] == "2026-07-01T09:00:00Z" and exact["local_send_at"] == "2026-07-01T11:00:00+02:00"
    other_zone = world.api.patch(
        f"{SCHEDULED}/{data['id']}",
        json={"send_at": "2026-07-01T09:00", "timezone": "Asia/Tokyo"},
        headers=world.me.headers,
    ).json()["data"]
    assert other_zone["send_at"] == "2026-07-01T00:00:00Z" and other_zone["timezone"] == "Asia/Tokyo"
    extra = error(
        world.api.patch(
            f"{SCHEDULED}/{data['id']}",
            json={"send_at": "2026-07-01T09:00Z", "subject": "sneaky"},
            headers=world.me.headers,
        ),
        422,
    )
    assert "subject" in extra["message"]
    past = error(
        world.api.patch(f"{SCHEDULED}/{data['id']}", json={"send_at": "2020-01-01T00:00Z"}, headers=world.me.headers),
        422,
    )
    assert "in the past" in past["message"]
    # The old time passes: nothing is sent then (the old delayed jobs are superseded), the new one is still waiting.
    world.advance(hours=1)
    for version in (1, 2, 3):
        assert (
            world.container.send_scheduled_email().execute(SendScheduledEmailInput(data["id"], version, "t"))
            is Outcome.SKIPPED
        )
    assert world.api.get(f"{SCHEDULED}/{data['id']}", headers=world.me.headers).json()["data"]["status"] == "scheduled"


@pytest.mark.property(26)
def test_users_only_ever_see_their_own(world: World) -> None:
    mine = created(world.schedule(send_at="2026-03-01T09:00Z"))
    other = world.user("other@example.com")
    theirs = created(world.schedule(who=other, send_at="2026-03-01T10:00Z"))
    path = f"{SCHEDULED}/{mine['id']}"
    for r in (
        world.api.get(path, headers=other.headers),
        world.api.delete(path, headers=other.headers),
        world.api.patch(path, json={"send_at": "2026-04-01T09:00Z"}, headers=other.headers),
    ):
        assert error(r, 404)["message"] == "No scheduled email with that id."
    assert world.api.get(path, headers=world.me.headers).json()["data"]["status"] == "scheduled"
    listed = world.api.get(SCHEDULED, headers=other.headers).json()
    assert [e["id"] for e in listed["data"]] == [theirs["id"]] and listed["meta"]["total"] == 1


def test_listing_pages_by_send_time(world: World) -> None:
    ids = [created(world.schedule(send_at=f"2026-03-0{d}T09:00Z"))["id"] for d in (5, 2, 9, 1, 7)]
    by_time = [ids[3], ids[1], ids[0], ids[4], ids[2]]
    first = world.api.get(SCHEDULED, params={"limit": 2}, headers=world.me.headers).json()
    rest = world.api.get(SCHEDULED, params={"limit": 10, "offset": 2}, headers=world.me.headers).json()
    assert [e["id"] for e in first["data"] + rest["data"]] == by_time
    assert first["meta"] == {**first["meta"], "total": 5, "offset": 0, "limit": 2}
    assert world.api.get(SCHEDULED, params={"limit": 1000}, headers=world.me.headers).status_code == 422
