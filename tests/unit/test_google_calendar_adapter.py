"""GoogleCalendar and GooglePeopleContacts over HTTP against the local Calendar v3 / People v1 fake: what the
contract suite does not show — Google mails the guests (sendUpdates), backoff on 429/5xx, a creation whose
answer was lost is not sent twice, quota counted per call, a grant without calendar/contacts scopes says
"reconnect", and a token refreshed once on a 401."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.google_calendar.calendar import GoogleCalendar
from adapters.google_people.contacts import GooglePeopleContacts
from domain.calendar import Attendee, EventDraft, Interval
from domain.calendar_sync import SyncTokenExpired
from domain.errors import ReauthRequired, UpstreamError
from tests.support.fake_gmail import DEFAULT_SCOPES, FakeAccount, FakeGmailServer, FakeTokenSource, Fault
from tests.support.fake_google_calendar import CONTACTS_SCOPE, WORKSPACE_SCOPES, FakeGoogleWorkspace

ME = "me@gmail.example"
ZONE = "Europe/Lisbon"
NOW = datetime(2026, 3, 20, 12, tzinfo=UTC)
WEEK = Interval(datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC))


@pytest.fixture
def apis() -> Iterator[FakeGoogleWorkspace]:
    with FakeGmailServer() as gmail, FakeGoogleWorkspace(gmail, clock=lambda: NOW) as server:
        yield server
        assert server.drift == []


def _account(apis: FakeGoogleWorkspace, scopes: frozenset[str] = DEFAULT_SCOPES | WORKSPACE_SCOPES) -> FakeAccount:
    account = apis.gmail.add_account(ME, scopes=scopes)
    apis.set_timezone(account, ZONE)
    return account


def _calendar(apis: FakeGoogleWorkspace, account: FakeAccount, **options: object) -> GoogleCalendar:
    delays: list[float] = []
    calendar = GoogleCalendar(
        FakeTokenSource(account),
        owner=ME,
        root_url=apis.url,
        clock=lambda: NOW,
        sleep=delays.append,
        **options,  # type: ignore[arg-type]
    )
    calendar.delays = delays  # type: ignore[attr-defined]
    return calendar


def _draft(*guests: str) -> EventDraft:
    start = datetime(2026, 3, 24, 10, tzinfo=ZoneInfo(ZONE))
    return EventDraft("Sync", start, start + timedelta(minutes=30), ZONE, attendees=tuple(Attendee(g) for g in guests))


def test_google_mails_the_guests_itself(apis: FakeGoogleWorkspace) -> None:
    calendar = _calendar(apis, _account(apis))
    assert calendar.sends_invitations() is True
    with_guest = calendar.create_event(_draft("alice@example.com"))
    alone = calendar.create_event(_draft())
    calendar.delete_event(with_guest.id)
    assert [(u.method, u.event_id, u.send_updates, u.guests) for u in apis.sent_updates] == [
        ("insert", with_guest.id, "all", ("alice@example.com",)),
        ("insert", alone.id, "none", ()),
        ("delete", with_guest.id, "all", ("alice@example.com",)),
    ]


def test_rate_limits_and_server_errors_are_retried_with_backoff_and_counted(apis: FakeGoogleWorkspace) -> None:
    calendar = _calendar(apis, _account(apis))
    calendar.timezone()
    before = calendar.quota_units_used
    apis.inject(Fault(status=429, reason="rateLimitExceeded", method="calendar.events.list", times=2, retry_after=3))
    assert calendar.list_events(WEEK) == []
    assert apis.count("events.list", status=429) == 2 and apis.count("events.list", status=200) == 1
    assert calendar.quota_units_used - before == 3  # every try counts
    assert len(calendar.delays) == 2 and all(d >= 3 for d in calendar.delays)  # type: ignore[attr-defined]


def test_a_creation_whose_answer_was_lost_is_not_sent_again(apis: FakeGoogleWorkspace) -> None:
    calendar = _calendar(apis, _account(apis))
    calendar.timezone()
    apis.inject(Fault(status=503, method="calendar.events.insert", after=True))
    with pytest.raises(UpstreamError, match="not sent again"):
        calendar.create_event(_draft("alice@example.com"))
    assert apis.count("events.insert") == 1  # the guests got one invitation, not two
    assert [e.title for e in calendar.list_events(WEEK)] == ["Sync"]


def test_a_grant_without_calendar_access_asks_to_reconnect(apis: FakeGoogleWorkspace) -> None:
    calendar = _calendar(apis, _account(apis, DEFAULT_SCOPES))
    with pytest.raises(ReauthRequired, match="Reconnect to allow calendar access") as caught:
        calendar.list_events(WEEK)
    assert caught.value.details == [{"service": "calendar", "reason": "scope_missing"}]


def test_contacts_without_other_contacts_scope_still_lists_saved_ones(apis: FakeGoogleWorkspace) -> None:
    account = _account(apis, DEFAULT_SCOPES | {CONTACTS_SCOPE})
    apis.add_contact(account, "Alice Chen", "alice@example.com")
    book = GooglePeopleContacts(FakeTokenSource(account), root_url=apis.url)
    assert [c.name for c in book.search("alice")] == ["Alice Chen"]
    without = GooglePeopleContacts(FakeTokenSource(_account(apis, DEFAULT_SCOPES)), root_url=apis.url)
    with pytest.raises(ReauthRequired, match="Reconnect to allow calendar access and contacts"):
        without.search("alice")


def test_an_expired_token_is_refreshed_once(apis: FakeGoogleWorkspace) -> None:
    account = _account(apis)
    tokens = FakeTokenSource(account)
    calendar = GoogleCalendar(tokens, owner=ME, root_url=apis.url, clock=lambda: NOW)
    account.expire_tokens()
    assert calendar.timezone() == ZONE
    assert tokens.refreshes == 1


def test_the_change_feed_reports_created_updated_and_deleted_events_and_expired_tokens(
    apis: FakeGoogleWorkspace,
) -> None:
    account = _account(apis)
    calendar = _calendar(apis, account)
    calendar.create_event(_draft())  # before the baseline: not reported
    baseline = calendar.changes(None)
    assert baseline.changes == ()
    # changes made elsewhere (Google Calendar on a phone, an organizer's invitation)
    phone = _calendar(apis, account)
    made = phone.create_event(_draft("bob@example.com"))
    invited = apis.add_event(
        account,
        {
            "summary": "Offsite",
            "start": {"dateTime": "2026-03-25T14:00:00+00:00", "timeZone": ZONE},
            "end": {"dateTime": "2026-03-25T16:00:00+00:00", "timeZone": ZONE},
            "organizer": {"email": "carol@example.com"},
            "attendees": [{"email": "carol@example.com"}, {"email": ME}],
        },
    )
    first = calendar.changes(baseline.sync_token)
    assert [(c.event_id, c.kind.value) for c in first.changes] == [(made.id, "created"), (invited["id"], "created")]
    assert first.changes[1].event is not None and first.changes[1].event.organizer == "carol@example.com"
    phone.update_event(made.id, _draft("bob@example.com"))
    phone.delete_event(made.id)
    second = calendar.changes(first.sync_token)
    assert [(c.event_id, c.kind.value) for c in second.changes] == [(made.id, "deleted")]
    assert calendar.changes(second.sync_token).changes == ()
    apis.expire_sync_tokens(account)
    with pytest.raises(SyncTokenExpired):
        calendar.changes(second.sync_token)


def test_push_channels_are_created_and_stopped(apis: FakeGoogleWorkspace) -> None:
    account = _account(apis)
    calendar = _calendar(apis, account)
    channel = calendar.watch("https://mail.example.test/api/v1/calendar/push/google", "chan-1", "secret-1")
    assert channel.id == "chan-1" and channel.resource_id and channel.expires_at == NOW + timedelta(days=7)
    assert apis.state(account).channels["chan-1"]["token"] == "secret-1"
    calendar.stop(channel.id, channel.resource_id)
    assert apis.state(account).channels == {}
    calendar.stop(channel.id, channel.resource_id)  # already gone: not an error
