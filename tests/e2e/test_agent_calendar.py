"""The agent and the calendar, end to end with the offline model on the demo account: "when am I free on Thursday?"
answers from the calendar in the user's zone; "book 30 min with alice@… next week" finds a slot and holds an
invitation for approval (property 56) — the card lists Alice with her flags and the time in the user's zone; nothing
is on the calendar or in Sent before approval; approving creates the event and mails Alice the iMIP invitation
(property 59); "accept the invite from carol"
answers the offsite invitation from her mail after approval."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.in_memory.clock import InMemoryClock
from tests.support.app import Account, Api, make_app, make_settings

CHAT = "/api/v1/agent/chat"
NOW = datetime(2026, 3, 16, 8, 0, tzinfo=UTC)  # a Monday
LISBON = ZoneInfo("Europe/Lisbon")


def data(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["data"]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Api, Account]]:
    settings = make_settings(tmp_path, demo_mailbox_size=30, rate_limit_per_minute=100_000)
    app, _ = make_app(settings, clock=InMemoryClock(NOW))
    api = Api(app, settings)
    me = api.signup("me@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code == 201
    yield api, me
    api.client.close()


def chat(api: Api, me: Account, message: str, cid: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if cid:
        body["conversation_id"] = cid
    return data(api.post(CHAT, json=body, headers=me.headers))  # type: ignore[no-any-return]


def events(api: Api, me: Account, days: int = 21) -> list[dict[str, Any]]:
    r = api.get(
        "/api/v1/calendar/events",
        params={"start": NOW.isoformat(), "end": (NOW + timedelta(days=days)).isoformat()},
        headers=me.headers,
    )
    return data(r)["events"]  # type: ignore[no-any-return]


def sent(api: Api, me: Account, query: str) -> list[dict[str, Any]]:
    return data(api.get("/api/v1/emails", params={"q": f"in:sent {query}"}, headers=me.headers))  # type: ignore[no-any-return]


def test_when_am_i_free_on_thursday(world: tuple[Api, Account]) -> None:
    api, me = world
    turn = chat(api, me, "when am I free on Thursday?")
    reply = turn["reply"]
    assert "Europe/Lisbon" in reply
    # Thursday 19 March: stand-up 09:30-09:45 and the Q3 roadmap review 14:00-15:00; working hours 09:00-17:30
    assert "Thu 19 Mar 09:00–09:30" in reply and "Thu 19 Mar 09:45–14:00" in reply
    assert "Thu 19 Mar 15:00–17:30" in reply
    afternoon = chat(api, me, "am I free thursday afternoon?")["reply"]
    assert "12:00–14:00" in afternoon and "09:45" not in afternoon


@pytest.mark.property(56, 59)
def test_book_with_alice_waits_for_approval_then_invites_her(world: tuple[Api, Account]) -> None:
    """Property 56 (event creation from natural language) and 59 (the invitation reaches exactly the attendees the
    card showed, as iMIP)."""
    api, me = world
    before = {e["id"] for e in events(api, me)}
    turn = chat(api, me, "book 30 min with alice@northwind.example next week")
    [pending] = turn["pending_actions"]
    assert pending["tool"] == "create_event"
    card = pending["snapshot"]["card"]
    assert [r["address"] for r in card["recipients"]] == ["alice@northwind.example"]
    assert "first_contact" in card["recipients"][0]["flags"]  # never written to from this mailbox
    fields = {f["label"]: f["value"] for f in card["fields"]}
    # next week's first free half hour inside working hours: Monday 23 March 09:00 Lisbon (before the stand-up)
    assert fields["When"] == "Mon 23 Mar 2026, 09:00–09:30 Europe/Lisbon"
    assert fields["In UTC"].startswith("Mon 23 Mar 09:00–09:30 UTC")
    assert {e["id"] for e in events(api, me)} == before  # nothing yet
    assert sent(api, me, 'subject:"Invitation: Meeting with Alice"') == []

    done = data(
        api.post(
            f"/api/v1/agent/actions/{pending['id']}/approve",
            json={"snapshot_hash": pending["snapshot"]["hash"]},
            headers=me.headers,
        )
    )
    assert done["action"]["status"] == "executed", done
    new = [e for e in events(api, me) if e["id"] not in before]
    assert [(e["title"], e["local_start"]) for e in new] == [("Meeting with Alice", "2026-03-23T09:00:00+00:00")]
    assert [a["email"] for a in new[0]["attendees"]][1:] == ["alice@northwind.example"]
    [invite] = sent(api, me, 'subject:"Invitation: Meeting with Alice"')
    assert [a["address"] for a in invite["to"]] == [r["address"] for r in card["recipients"]]


def test_accept_the_invite_from_carol(world: tuple[Api, Account]) -> None:
    api, me = world
    turn = chat(api, me, "accept the invite from carol")
    [pending] = turn["pending_actions"]
    assert pending["tool"] == "respond_to_invitation"
    card = pending["snapshot"]["card"]
    assert [r["address"] for r in card["recipients"]] == ["carol@contoso.example"]
    assert card["title"].startswith("Answer 'accepted' to 'Team offsite'")
    offsite = next(e for e in events(api, me) if e["title"] == "Team offsite")
    assert offsite["my_response"] == "needsAction"
    done = data(
        api.post(
            f"/api/v1/agent/actions/{pending['id']}/approve",
            json={"snapshot_hash": pending["snapshot"]["hash"]},
            headers=me.headers,
        )
    )
    assert done["action"]["status"] == "executed", done
    offsite = next(e for e in events(api, me) if e["title"] == "Team offsite")
    assert offsite["my_response"] == "accepted"
    [reply] = sent(api, me, 'subject:"Accepted: Team offsite"')
    assert [a["address"] for a in reply["to"]] == ["carol@contoso.example"]


def test_an_event_without_attendees_is_created_on_its_own_and_undone(world: tuple[Api, Account]) -> None:
    """Reversible: nobody else is told, so it runs without a card (the default policy) and Undo deletes it."""
    api, me = world
    turn = chat(api, me, "add dentist to my calendar on friday at 4pm")
    assert turn["pending_actions"] == [], turn
    assert turn["reply"] == "Added 'Dentist' to your calendar."
    [dentist] = [e for e in events(api, me) if e["title"] == "Dentist"]
    assert dentist["local_start"] == "2026-03-20T16:00:00+00:00" and dentist["attendees"] == []
    assert sent(api, me, "subject:Dentist") == []
    [change] = turn["changes"]
    r = api.post(f"/api/v1/agent/changes/{change['id']}/undo", headers=me.headers)
    assert r.status_code == 200, r.text
    assert [e for e in events(api, me) if e["title"] == "Dentist"] == []
