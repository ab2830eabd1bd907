"""A Google account's calendar and contacts end to end: connect through the fake Google consent (Calendar and
Contacts scopes asked with include_granted_scopes), then the calendar and contacts API and the agent against the
local Calendar v3 / People v1 fake — Google mails the guests itself (sendUpdates=all, no iMIP mail from Gmail);
an account connected without calendar access gets 409 "reconnect to allow calendar access" while its mail keeps
working, and a reconnect adds the scope (incremental authorization)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from adapters.in_memory.clock import InMemoryClock
from application.use_cases.calendar.sync_calendar import SyncCalendarInput
from application.use_cases.read_events import ReadEventsInput
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.fake_gmail import DEFAULT_SCOPES, FakeAccount, FakeGmailServer
from tests.support.fake_google_calendar import CALENDAR_SCOPE, WORKSPACE_SCOPES, FakeGoogleWorkspace
from tests.support.fake_google_oauth import FakeGoogle, google_settings, running_fake_google

ADDRESS = "ann@gmail.example"
NOW = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)  # a Monday
ZONE = "Europe/Lisbon"
EVENTS = "/api/v1/calendar/events"
PUSH_URL = "https://mail.example.test/api/v1/calendar/push/google"
PUSH = "/api/v1/calendar/push/google"


class World:
    def __init__(
        self,
        api: Api,
        google: FakeGoogle,
        gmail: FakeGmailServer,
        apis: FakeGoogleWorkspace,
        account: FakeAccount,
        container: Any,
        clock: InMemoryClock,
    ) -> None:
        self.api, self.google, self.gmail, self.apis, self.account = api, google, gmail, apis, account
        self.container, self.clock = container, clock

    def connect(self, me: Account | None = None) -> Account:
        me = me or self.api.signup("ann@example.com")
        r = self.api.get("/api/v1/mail/accounts/google/authorize", headers=me.headers)
        url = r.json()["data"]["url"]
        asked = parse_qs(urlparse(url).query)
        assert asked["include_granted_scopes"] == ["true"]  # incremental authorization
        assert CALENDAR_SCOPE in asked["scope"][0].split()
        callback = urlparse(self.google.consent(url, ADDRESS))
        done = self.api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
        assert "connected=" in done.headers["location"], done.headers["location"]
        # what Google now accepts for this grant: what the user allowed
        self.account.scopes = frozenset(self.google.granted[ADDRESS])
        return me

    def events(self, me: Account, days: int = 14) -> Any:
        return self.api.get(
            EVENTS,
            params={"start": NOW.isoformat(), "end": (NOW + timedelta(days=days)).isoformat()},
            headers=me.headers,
        )


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    clock = InMemoryClock(NOW)
    with (
        FakeGmailServer() as gmail,
        FakeGoogleWorkspace(gmail, clock=clock.now) as apis,
        running_fake_google() as google,
    ):
        account = gmail.add_account(ADDRESS, scopes=DEFAULT_SCOPES | WORKSPACE_SCOPES)
        apis.set_timezone(account, ZONE)
        apis.add_contact(account, "Alice Chen", "alice@northwind.example", "Northwind Consulting")
        apis.add_contact(account, "Dana Okafor", "dana@mailbox.example", other=True)
        google.on_issue = lambda email, access, refresh: gmail.adopt_grant(account, access, refresh)
        settings = make_settings(
            tmp_path,
            rate_limit_per_minute=100_000,
            **{
                **google_settings(google),
                "gmail_api_root": gmail.url,
                "google_calendar_api_root": apis.url,
                "google_people_api_root": apis.url,
                "google_calendar_push_url": PUSH_URL,
            },
        )
        app, container = make_app(settings, clock=clock)
        api = Api(app, settings)
        yield World(api, google, gmail, apis, account, container, clock)
        api.client.close()
        assert apis.drift == [] and gmail.drift == []


def test_a_gmail_accounts_calendar_and_contacts_are_google_calendar_and_people(world: World) -> None:
    me = world.connect()
    r = world.events(me)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["timezone"] == ZONE and r.json()["data"]["events"] == []

    start = datetime(2026, 3, 17, 15, 0, tzinfo=UTC)
    body = {
        "title": "Northwind invoices",
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=30)).isoformat(),
        "attendees": [{"email": "alice@northwind.example", "name": "Alice Chen"}],
    }
    created = world.api.post(EVENTS, json=body, headers=me.headers)
    assert created.status_code == 201, created.text
    event = created.json()["data"]
    assert event["organizer"] == ADDRESS
    assert [(a["email"], a["response"]) for a in event["attendees"]] == [
        (ADDRESS, "accepted"),
        ("alice@northwind.example", "needsAction"),
    ]
    # Google was asked to mail Alice; nothing went out through Gmail (no iMIP copy)
    assert [(u.method, u.send_updates, u.guests) for u in world.apis.sent_updates] == [
        ("insert", "all", ("alice@northwind.example",))
    ]
    assert world.gmail.count("messages.send") == 0
    listed = world.events(me).json()["data"]["events"]
    assert [(e["id"], e["title"]) for e in listed] == [(event["id"], "Northwind invoices")]
    assert world.apis.state(ADDRESS).events[event["id"]]["summary"] == "Northwind invoices"

    free = world.api.post(
        "/api/v1/calendar/freebusy",
        json={
            "start": "2026-03-17T00:00:00+00:00",
            "end": "2026-03-18T00:00:00+00:00",
            "attendees": ["alice@northwind.example"],
        },
        headers=me.headers,
    )
    assert free.status_code == 200, free.text
    answer = free.json()["data"]
    busy = [(datetime.fromisoformat(b["start"]), datetime.fromisoformat(b["end"])) for b in answer["busy"][ADDRESS]]
    assert busy == [(start, start + timedelta(minutes=30))]
    assert answer["unknown"] == ["alice@northwind.example"]  # her calendar is not visible to Ann

    found = world.api.get("/api/v1/contacts/search", params={"q": "northwind"}, headers=me.headers)
    assert found.status_code == 200, found.text
    assert [(c["name"], c["other"]) for c in found.json()["data"]] == [("Alice Chen", False)]
    everyone = world.api.get("/api/v1/contacts/search", headers=me.headers).json()["data"]
    assert [(c["name"], c["other"]) for c in everyone] == [("Alice Chen", False), ("Dana Okafor", True)]

    gone = world.api.delete(f"{EVENTS}/{event['id']}", headers=me.headers)
    assert gone.status_code == 200, gone.text
    assert world.events(me).json()["data"]["events"] == []
    assert world.apis.sent_updates[-1].method == "delete" and world.apis.sent_updates[-1].send_updates == "all"


def test_the_agent_books_on_google_calendar_after_approval(world: World) -> None:
    me = world.connect()
    turn = world.api.post(
        "/api/v1/agent/chat", json={"message": "book 30 min with alice@northwind.example next week"}, headers=me.headers
    )
    assert turn.status_code == 200, turn.text
    [pending] = turn.json()["data"]["pending_actions"]
    assert pending["tool"] == "create_event"
    assert [r["address"] for r in pending["snapshot"]["card"]["recipients"]] == ["alice@northwind.example"]
    assert world.apis.state(ADDRESS).events == {}  # nothing on Google before approval
    done = world.api.post(
        f"/api/v1/agent/actions/{pending['id']}/approve",
        json={"snapshot_hash": pending["snapshot"]["hash"]},
        headers=me.headers,
    )
    assert done.status_code == 200, done.text
    assert done.json()["data"]["action"]["status"] == "executed", done.text
    [stored] = world.apis.state(ADDRESS).events.values()
    assert [a["email"] for a in stored["attendees"]] == [ADDRESS, "alice@northwind.example"]
    assert stored["start"]["dateTime"].startswith("2026-03-23T09:00:00")  # Monday 09:00 Lisbon (UTC+0 in March)
    assert [(u.method, u.send_updates) for u in world.apis.sent_updates] == [("insert", "all")]
    assert world.gmail.count("messages.send") == 0


def test_connected_without_calendar_access_says_reconnect_and_mail_keeps_working(world: World) -> None:
    world.google.withheld = set(WORKSPACE_SCOPES)  # the user unticks calendar and contacts
    me = world.connect()
    refused = world.events(me)
    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "reauth_required"
    assert "Reconnect to allow calendar access" in error["message"]
    assert error["details"][0]["reason"] == "scope_missing"
    contacts = world.api.get("/api/v1/contacts/search", params={"q": "alice"}, headers=me.headers)
    assert contacts.status_code == 409 and "Reconnect to allow calendar access" in contacts.json()["error"]["message"]
    chat = world.api.post("/api/v1/agent/chat", json={"message": "when am I free on Thursday?"}, headers=me.headers)
    assert chat.status_code == 200, chat.text  # the agent's tool says so in its reply; nothing crashes
    assert "Reconnect to allow calendar access" in chat.json()["data"]["reply"]
    assert world.api.get("/api/v1/emails", headers=me.headers).status_code == 200  # mail is unaffected
    accounts = world.api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]
    assert accounts[0]["status"] == "active"
    assert world.apis.calls == []  # Google Calendar was not even asked

    world.google.withheld = set()  # reconnect and allow it this time
    world.connect(me)
    assert world.events(me).status_code == 200
    assert (
        CALENDAR_SCOPE in world.google.granted[ADDRESS]
        and len(world.api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]) == 1
    )


def _calendar_events(world: World, user_id: str) -> list[tuple[str, str, str | None]]:
    stored = world.container.read_events().execute(ReadEventsInput(user_id, 0)).events
    return [
        (e.event.type.value, e.event.data["event_id"], e.event.data.get("origin"))
        for e in stored
        if e.event.type.value.startswith("calendar.")
    ]


def test_changes_made_in_google_calendar_reach_live_clients_by_push_and_by_polling(world: World) -> None:
    queue = world.container.job_queue()
    queue.start()
    try:
        _push_and_poll(world)
    finally:
        queue.stop()


def _push_and_poll(world: World) -> None:
    me = world.connect()
    [account] = world.api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]
    # nothing is followed before the calendar is used: no channel, no polling
    assert world.container.renew_calendar_watches().execute().renewed == []
    assert world.container.poll_calendars().execute().queued == ()
    # first use: the change feed starts (a first sync records the sync token)
    assert world.events(me).status_code == 200
    assert world.container.job_queue().run_until_idle(timeout=30)
    with world.container.uow() as uow:
        started = uow.calendar_sync.get(account["id"])
    assert started is not None and started.sync_token is not None
    # the hourly renewal job opens a push channel to our HTTPS address
    report = world.container.renew_calendar_watches().execute()
    assert report.renewed == [account["id"]] and report.failed == {}
    [channel_id] = world.apis.state(ADDRESS).channels
    assert world.apis.state(ADDRESS).channels[channel_id]["address"] == PUSH_URL
    # Google's first post only confirms the channel
    r = world.api.post(PUSH, headers=world.apis.push_headers(world.account, channel_id, "sync"))
    assert r.status_code == 200 and r.json()["data"] == {"known": True, "queued": False}, r.text

    # Carol invites Ann from her own Google Calendar: Google posts, a sync runs, the live clients hear of it
    invited = world.apis.add_event(
        world.account,
        {
            "summary": "Offsite planning",
            "start": {"dateTime": "2026-03-19T14:00:00+00:00", "timeZone": ZONE},
            "end": {"dateTime": "2026-03-19T15:00:00+00:00", "timeZone": ZONE},
            "organizer": {"email": "carol@contoso.example"},
            "attendees": [{"email": "carol@contoso.example"}, {"email": ADDRESS}],
        },
    )
    r = world.api.post(PUSH, headers=world.apis.push_headers(world.account, channel_id))
    assert r.status_code == 200 and r.json()["data"] == {"known": True, "queued": True}, r.text
    assert world.container.job_queue().run_until_idle(timeout=30)
    assert _calendar_events(world, me.user_id) == [("calendar.event_created", invited["id"], "provider")]
    # the same change posted again (Google retries) is announced once
    world.api.post(PUSH, headers=world.apis.push_headers(world.account, channel_id))
    assert world.container.job_queue().run_until_idle(timeout=30)
    assert len(_calendar_events(world, me.user_id)) == 1

    # a post with a wrong token is refused; one without the headers is told what is missing
    forged = {**world.apis.push_headers(world.account, channel_id), "X-Goog-Channel-Token": "guess"}
    assert world.api.post(PUSH, headers=forged).status_code == 403
    bare = world.api.post(PUSH)
    assert bare.status_code == 422 and "x-goog-channel-token" in bare.json()["error"]["message"].lower()

    # polling catches what push missed: Carol moves the event, no post arrives
    world.apis.add_event(world.account, {**invited, "summary": "Offsite planning (moved)"})
    world.container.poll_calendars().execute()
    assert world.container.job_queue().run_until_idle(timeout=30)
    assert _calendar_events(world, me.user_id)[-1] == ("calendar.event_updated", invited["id"], "provider")

    # a sync token Google no longer knows (410): listed again in full, nothing lost or repeated afterwards
    world.apis.expire_sync_tokens(world.account)
    assert world.container.sync_calendar().execute(SyncCalendarInput(account["id"])).full_sync is True
    events_before = len(_calendar_events(world, me.user_id))
    assert world.container.sync_calendar().execute(SyncCalendarInput(account["id"])).changes == 0
    assert len(_calendar_events(world, me.user_id)) == events_before

    # the channel is renewed a day before it expires (7 days): a new one first, then the old one stopped
    world.clock.advance(days=6, hours=1)
    assert world.container.renew_calendar_watches().execute().renewed == [account["id"]]
    [renewed] = world.apis.state(ADDRESS).channels
    assert renewed != channel_id
    r = world.api.post(PUSH, headers={**world.apis.push_headers(world.account, renewed)})
    assert r.status_code == 200 and r.json()["data"]["known"] is True
