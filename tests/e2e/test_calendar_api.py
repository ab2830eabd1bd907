"""The calendar and contacts API on the demo account: the demo calendar matches the demo mail (the Lisbon offsite
Carol invited you to, same UID as the invitation in her mail), create/read/update/cancel with invitations mailed
as iMIP (property 59), answering an invitation (from the calendar and from the mail), free/busy in working hours,
contact search (property 61), clear refusals, live events, and users kept apart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.in_memory.clock import InMemoryClock
from application.use_cases.read_events import ReadEventsInput
from entrypoints.container import Container
from tests.support.app import Account, Api, make_app, make_settings

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)  # a Wednesday, 11 days before Lisbon's clocks go forward
EVENTS = "/api/v1/calendar/events"
LISBON = ZoneInfo("Europe/Lisbon")


class World:
    def __init__(self, api: Api, clock: InMemoryClock, container: Container) -> None:
        self.api, self.clock, self.container = api, clock, container
        self.me, self.account = self.user("me@example.com")

    def user(self, email: str) -> tuple[Account, dict[str, Any]]:
        who = self.api.signup(email)
        r = self.api.post("/api/v1/mail/accounts/demo", headers=who.headers)
        assert r.status_code == 201, r.text
        return who, r.json()["data"]

    def list(self, start: datetime, end: datetime, who: Account | None = None, **params: Any) -> dict[str, Any]:
        r = self.api.get(
            EVENTS,
            params={"start": start.isoformat(), "end": end.isoformat(), **params},
            headers=(who or self.me).headers,
        )
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    def sent(self, query: str, who: Account | None = None) -> list[dict[str, Any]]:
        r = self.api.get(
            "/api/v1/emails", params={"q": f"in:sent {query}", "limit": 50}, headers=(who or self.me).headers
        )
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = InMemoryClock(NOW)
    settings = make_settings(tmp_path, demo_mailbox_size=40, rate_limit_per_minute=100_000)
    app, container = make_app(settings, clock=clock)
    api = Api(app, settings)
    yield World(api, clock, container)
    api.client.close()


@pytest.mark.property(60)
def test_the_demo_calendar_matches_the_demo_mail(world: World) -> None:
    data = world.list(NOW, NOW + timedelta(days=14))
    assert data["timezone"] == "Europe/Lisbon"
    titles = [e["title"] for e in data["events"]]
    assert "Team offsite" in titles and "Lunch with Alice (Northwind invoices)" in titles
    assert "Vendor call (cancelled)" not in titles  # cancelled events are not listed
    offsite = next(e for e in data["events"] if e["title"] == "Team offsite")
    assert offsite["organizer"] == "carol@contoso.example"
    assert offsite["my_response"] == "needsAction" and offsite["can_edit"] is False
    assert {"john.smith@contoso.example", "john.park@fabrikam.example"} <= {a["email"] for a in offsite["attendees"]}
    # The same instant as the invitation attached to Carol's mail about the offsite.
    r = world.api.get("/api/v1/emails", params={"q": "filename:offsite.ics", "limit": 5}, headers=world.me.headers)
    [mail] = [m for m in r.json()["data"] if m["subject"].startswith("Team offsite")]
    r = world.api.get(f"/api/v1/calendar/invitations/{mail['id']}", headers=world.me.headers)
    assert r.status_code == 200, r.text
    invitation = r.json()["data"]
    assert invitation["event"]["start"] == offsite["start"] and invitation["event"]["end"] == offsite["end"]
    assert invitation["on_calendar"]["id"] == offsite["id"]
    # Recurring series are expanded: a stand-up every working day at 09:30 Lisbon time, before and after DST.
    standups = [e for e in world.list(NOW, NOW + timedelta(days=21))["events"] if e["title"] == "Team stand-up"]
    assert len(standups) == 15
    assert {e["local_start"][11:16] for e in standups} == {"09:30"}
    assert {e["local_start"][19:] for e in standups} == {"+00:00", "+01:00"}  # winter and summer time
    assert all(e["recurring_event_id"] == standups[0]["series_id"] for e in standups)


@pytest.mark.property(59)
def test_create_read_update_cancel_with_invitations_mailed(world: World) -> None:
    start = datetime(2026, 3, 24, 15, 0, tzinfo=LISBON)
    body = {
        "title": "Budget sync",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "attendees": [{"email": "alice@northwind.example", "name": "Alice Chen"}],
        "conference_url": "https://meet.example/budget",
        "reminders": [10],
    }
    r = world.api.post(EVENTS, json=body, headers=world.me.headers)
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["timezone"] == "Europe/Lisbon" and created["can_edit"] is True
    assert created["local_start"] == "2026-03-24T15:00:00+00:00"
    assert [a["email"] for a in created["attendees"]] == [world.account["address"].lower(), "alice@northwind.example"]
    # Property 59: the invitation is mailed to exactly the guests, as iMIP (text/calendar; method=REQUEST).
    [invite] = world.sent('subject:"Invitation: Budget sync"')
    assert [a["address"] for a in invite["to"]] == ["alice@northwind.example"]
    full = world.api.get(f"/api/v1/emails/{invite['id']}", headers=world.me.headers).json()["data"]
    [part] = [a for a in full["attachments"] if a["mime_type"] == "text/calendar"]
    ics = world.api.get(f"/api/v1/emails/{invite['id']}/attachments/{part['id']}", headers=world.me.headers).content
    assert b"METHOD:REQUEST" in ics and b"mailto:alice@northwind.example" in ics and b"SUMMARY:Budget sync" in ics

    got = world.api.get(f"{EVENTS}/{created['id']}", headers=world.me.headers).json()["data"]
    assert got == created
    moved = {**body, "start": (start + timedelta(hours=1)).isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    r = world.api.put(f"{EVENTS}/{created['id']}", json=moved, headers=world.me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["local_start"] == "2026-03-24T16:00:00+00:00"
    assert len(world.sent('subject:"Invitation: Budget sync"')) == 2  # the update is a new REQUEST

    r = world.api.delete(f"{EVENTS}/{created['id']}", headers=world.me.headers)
    assert r.status_code == 200, r.text
    assert world.api.get(f"{EVENTS}/{created['id']}", headers=world.me.headers).status_code == 404
    assert len(world.sent('subject:"Cancelled: Budget sync"')) == 1
    # The changes were announced to live clients.
    stored = world.container.read_events().execute(ReadEventsInput(world.me.user_id, 0)).events
    calendar_events = [
        (e.event.type.value, e.event.data["event_id"]) for e in stored if e.event.type.value.startswith("calendar.")
    ]
    assert calendar_events == [
        ("calendar.event_created", created["id"]),
        ("calendar.event_updated", created["id"]),
        ("calendar.event_deleted", created["id"]),
    ]


def test_an_event_without_attendees_mails_nobody(world: World) -> None:
    start = datetime(2026, 3, 25, 8, 0, tzinfo=UTC)
    r = world.api.post(
        EVENTS,
        json={"title": "Dentist", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        headers=world.me.headers,
    )
    assert r.status_code == 201, r.text
    assert world.sent("subject:Dentist") == []


def test_answering_invitations_from_the_calendar_and_from_the_mail(world: World) -> None:
    data = world.list(NOW, NOW + timedelta(days=14))
    offsite = next(e for e in data["events"] if e["title"] == "Team offsite")
    r = world.api.post(f"{EVENTS}/{offsite['id']}/respond", json={"response": "tentative"}, headers=world.me.headers)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["my_response"] == "tentative"
    [reply] = world.sent('subject:"Tentative: Team offsite"')
    assert [a["address"] for a in reply["to"]] == ["carol@contoso.example"]
    # The same invitation answered from Carol's mail lands on the same calendar event (matched by UID).
    r = world.api.get("/api/v1/emails", params={"q": "filename:offsite.ics"}, headers=world.me.headers)
    mail = r.json()["data"][0]
    r = world.api.post(
        f"/api/v1/calendar/invitations/{mail['id']}/respond", json={"response": "accepted"}, headers=world.me.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"]["id"] == offsite["id"] and r.json()["data"]["my_response"] == "accepted"
    again = world.list(NOW, NOW + timedelta(days=14))["events"]
    assert [e["my_response"] for e in again if e["title"] == "Team offsite"] == ["accepted"]
    # You cannot answer your own event.
    own = next(e for e in again if e["title"] == "1:1 with Bob")
    r = world.api.post(f"{EVENTS}/{own['id']}/respond", json={"response": "declined"}, headers=world.me.headers)
    assert r.status_code == 422 and "organise" in r.json()["error"]["message"]


def test_free_busy_in_working_hours(world: World) -> None:
    thursday = datetime(2026, 3, 19, tzinfo=LISBON)
    r = world.api.post(
        "/api/v1/calendar/freebusy",
        json={
            "start": thursday.replace(hour=12).isoformat(),
            "end": thursday.replace(hour=18).isoformat(),
            "attendees": ["alice@northwind.example"],
            "duration_minutes": 30,
        },
        headers=world.me.headers,
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    me = world.account["address"].lower()
    assert data["unknown"] == ["alice@northwind.example"] and data["busy"]["alice@northwind.example"] is None
    # The Q3 roadmap review (14:00-15:00) is busy; working hours end at 17:30.
    assert [(b["local_start"][11:16], b["local_end"][11:16]) for b in data["busy"][me]] == [("14:00", "15:00")]
    assert [(f["local_start"][11:16], f["local_end"][11:16]) for f in data["free"]] == [
        ("12:00", "14:00"),
        ("15:00", "17:30"),
    ]
    assert data["suggestions"][0]["local_start"][11:16] == "12:00"


@pytest.mark.property(61)
def test_contact_search(world: World) -> None:
    r = world.api.get("/api/v1/contacts/search", params={"q": "john"}, headers=world.me.headers)
    assert r.status_code == 200, r.text
    found = r.json()["data"]
    assert sorted(c["name"] for c in found) == ["John Park", "John Smith"]
    r = world.api.get("/api/v1/contacts/search", params={"q": "diaz"}, headers=world.me.headers)
    assert [c["name"] for c in r.json()["data"]] == ["Carol Díaz"]  # accents do not matter
    r = world.api.get("/api/v1/contacts/search", params={"q": "northwind"}, headers=world.me.headers)
    assert {c["name"] for c in r.json()["data"]} == {"Alice Chen", "Bob Martin"}
    alice = next(c for c in r.json()["data"] if c["name"] == "Alice Chen")
    r = world.api.get(f"/api/v1/contacts/{alice['id']}", headers=world.me.headers)
    assert r.status_code == 200 and r.json()["data"]["organisation"] == "Northwind Consulting"
    assert world.api.get("/api/v1/contacts/nobody", headers=world.me.headers).status_code == 404


def test_clear_refusals(world: World) -> None:
    h = world.me.headers
    start = datetime(2026, 3, 25, 8, 0, tzinfo=UTC)
    cases = [
        ({"title": "x", "start": "2026-03-25T08:00:00", "end": "2026-03-25T09:00:00"}, "time zone"),
        ({"title": "x", "start": start.isoformat(), "end": start.isoformat()}, "end after"),
        (
            {
                "title": "x",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "timezone": "Mars/Base",
            },
            "Unknown time zone",
        ),
        (
            {
                "title": "x",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "recurrence": ["FREQ=DAILY"],
            },
            "recurrence",
        ),
        (
            {
                "title": "x",
                "start": start.isoformat(),
                "end": (start + timedelta(hours=1)).isoformat(),
                "attendees": [{"email": "not an address"}],
            },
            "e-mail address",
        ),
    ]
    for body, words in cases:
        r = world.api.post(EVENTS, json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert words in r.json()["error"]["message"], r.json()
    r = world.api.get(
        EVENTS, params={"start": NOW.isoformat(), "end": (NOW + timedelta(days=900)).isoformat()}, headers=h
    )
    assert r.status_code == 422 and "400 days" in r.json()["error"]["message"]
    assert world.api.get(f"{EVENTS}/nope", headers=h).status_code == 404


def test_users_are_kept_apart(world: World) -> None:
    start = datetime(2026, 3, 25, 8, 0, tzinfo=UTC)
    r = world.api.post(
        EVENTS,
        json={"title": "Private", "start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        headers=world.me.headers,
    )
    event_id = r.json()["data"]["id"]
    other, _ = world.user("other@example.com")
    assert world.api.get(f"{EVENTS}/{event_id}", headers=other.headers).status_code == 404
    assert world.api.delete(f"{EVENTS}/{event_id}", headers=other.headers).status_code == 404
    titles = [e["title"] for e in world.list(NOW, NOW + timedelta(days=14), who=other)["events"]]
    assert "Private" not in titles and "Team offsite" in titles  # their own demo calendar
    r = world.api.get(EVENTS, headers={})
    assert r.status_code == 401
