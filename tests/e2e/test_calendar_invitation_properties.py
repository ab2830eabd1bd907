"""Property 59 (calendar invitation email delivery) over HTTP on the demo account: an event created with any guests
(any case, the organizer among them or not) mails exactly one iMIP invitation (text/calendar; METHOD:REQUEST) to
exactly the guests, naming each of them; moving it mails them a new REQUEST, cancelling it one CANCEL; an event
without guests mails nobody."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from domain.imip import Method, parse_ics
from tests.support.app import Account, Api, make_app, make_settings

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)
EVENTS = "/api/v1/calendar/events"
POOL = ["alice@northwind.example", "bob@contoso.example", "chen.wu@fabrikam.example", "dee@example.org"]


@dataclass
class Env:
    api: Api
    me: Account
    address: str


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    settings = make_settings(
        tmp_path_factory.mktemp("invitations"), demo_mailbox_size=10, rate_limit_per_minute=1_000_000
    )
    app, _ = make_app(settings, clock=InMemoryClock(NOW))
    api = Api(app, settings)
    with api.client:
        me = api.signup("organizer@example.com")
        r = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
        assert r.status_code == 201, r.text
        yield Env(api, me, r.json()["data"]["address"].lower())


def mailed(env: Env, subject: str) -> list[tuple[list[str], Any]]:
    """Each sent mail whose subject is this one (then " @ " and when): its recipients and the invitation its
    text/calendar part holds."""
    r = env.api.get("/api/v1/emails", params={"q": f'in:sent subject:"{subject}"', "limit": 50}, headers=env.me.headers)
    assert r.status_code == 200, r.text
    found = []
    for message in r.json()["data"]:
        if not message["subject"].startswith(f"{subject} @ "):
            continue
        full = env.api.get(f"/api/v1/emails/{message['id']}", headers=env.me.headers).json()["data"]
        [part] = [a for a in full["attachments"] if a["mime_type"].startswith("text/calendar")]
        ics = env.api.get(f"/api/v1/emails/{message['id']}/attachments/{part['id']}", headers=env.me.headers)
        assert ics.status_code == 200
        found.append(([a["address"].lower() for a in full["to"] + full["cc"]], parse_ics(ics.content)))
    return found


@pytest.mark.property(59)
@settings(max_examples=10)
@given(
    guests=st.lists(st.sampled_from(POOL), unique=True, max_size=4),
    upper=st.lists(st.booleans(), min_size=4, max_size=4),
    organizer_listed=st.booleans(),
    hours_ahead=st.integers(1, 24 * 60),
    length=st.integers(15, 240),
    move=st.booleans(),
)
def test_property_59_guests_get_exactly_one_invitation_per_create_and_change(
    env: Env, guests: list[str], upper: list[bool], organizer_listed: bool, hours_ahead: int, length: int, move: bool
) -> None:
    title = f"Sync {uuid.uuid4().hex[:10]}"  # this example's own mail
    written = [g.upper() if up else g for g, up in zip(guests, upper, strict=False)]
    if organizer_listed:
        written.append(env.address)
    start = NOW + timedelta(hours=hours_ahead)
    body = {
        "title": title,
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=length)).isoformat(),
        "attendees": [{"email": e} for e in written],
    }
    r = env.api.post(EVENTS, json=body, headers=env.me.headers)
    assert r.status_code == 201, r.text
    event = r.json()["data"]
    expected = sorted(guests)

    def check(subject: str, method: Method, count: int) -> None:
        sent = mailed(env, subject)
        if not expected:
            assert sent == []
            return
        assert len(sent) == count, sent
        for recipients, invitation in sent:
            assert sorted(recipients) == expected  # exactly the guests: not the organizer, no one twice
            assert invitation.method is method
            [described] = invitation.events
            assert described.title == title
            assert {a.email for a in described.attendees} >= set(expected)

    check(f"Invitation: {title}", Method.REQUEST, 1)
    if move:
        later = start + timedelta(hours=1)
        moved = {**body, "start": later.isoformat(), "end": (later + timedelta(minutes=length)).isoformat()}
        r = env.api.put(f"{EVENTS}/{event['id']}", json=moved, headers=env.me.headers)
        assert r.status_code == 200, r.text
        check(f"Invitation: {title}", Method.REQUEST, 2)
    r = env.api.delete(f"{EVENTS}/{event['id']}", headers=env.me.headers)
    assert r.status_code == 200, r.text
    check(f"Cancelled: {title}", Method.CANCEL, 1)
