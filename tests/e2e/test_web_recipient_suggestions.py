"""GET /api/v1/contacts/suggestions on the demo mailbox, as the compose form's autocomplete calls it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.app import Account, Api, make_app, make_settings

URL = "/api/v1/contacts/suggestions"


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Api, Account, dict[str, Any]]:
    settings = make_settings(tmp_path, demo_mailbox_size=120)
    app, _ = make_app(settings)
    api = Api(app, settings)
    me = api.signup("writer@example.com")
    r = api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    assert r.status_code == 201, r.text
    return api, me, r.json()["data"]


def _is_prefix_match(item: dict[str, Any], q: str) -> bool:
    return item["address"].lower().startswith(q) or any(w.lower().startswith(q) for w in item["name"].split())


def _book(api: Api, me: Account) -> dict[str, dict[str, Any]]:
    """The demo address book by lower-cased address, read through the contacts API."""
    r = api.get("/api/v1/contacts/search", params={"limit": 100}, headers=me.headers)
    assert r.status_code == 200, r.text
    return {e: c for c in r.json()["data"] for e in c["emails"]}


def _score(item: dict[str, Any], book: dict[str, dict[str, Any]]) -> int:
    """The documented ranking: messages exchanged, plus 5 for a saved contact and 2 for an "other" one."""
    contact = book.get(item["address"].lower())
    return int(item["count"]) + (0 if contact is None else 2 if contact["other"] else 5)


def test_suggestions_for_a_come_from_the_mailbox_ranked_and_without_me(
    demo: tuple[Api, Account, dict[str, Any]],
) -> None:
    api, me, account = demo
    r = api.get(URL, params={"q": "a", "limit": 20}, headers=me.headers)
    assert r.status_code == 200, r.text
    items = r.json()["data"]
    assert 0 < len(items) <= 20
    assert r.json()["error"] is None
    own = account["address"].lower()
    addresses = [i["address"].lower() for i in items]
    assert own not in addresses
    assert len(set(addresses)) == len(addresses)  # one entry per address
    book = _book(api, me)
    for item in items:
        assert set(item) == {"name", "address", "count", "in_contacts"}
        assert item["in_contacts"] == (item["address"].lower() in book)
        assert "@" in item["address"] and (item["count"] >= 1 or item["in_contacts"])
        assert "a" in item["address"].lower() or "a" in item["name"].lower()
    # Prefix matches come first, and within them the highest score (mail exchanged + address book) first.
    tiers = [0 if _is_prefix_match(i, "a") else 1 for i in items]
    assert tiers == sorted(tiers)
    prefix_scores = [_score(i, book) for i in items if _is_prefix_match(i, "a")]
    assert prefix_scores == sorted(prefix_scores, reverse=True)

    # The count of the top suggestion is the number of messages it is on (from, to or cc), checked message by
    # message through the ordinary mail API.
    top = items[0]["address"].lower()
    found = api.get("/api/v1/emails", params={"q": f"from:{top} OR to:{top}", "limit": 500}, headers=me.headers)
    assert found.status_code == 200, found.text
    on_message = 0
    for summary in found.json()["data"]:
        message = api.get(f"/api/v1/emails/{summary['id']}", headers=me.headers).json()["data"]
        people = [message["from"], *message["to"], *message.get("cc", [])]
        on_message += any(p and p["address"].lower() == top for p in people)
    assert on_message == items[0]["count"]


def test_the_limit_the_account_and_the_query_are_honoured(demo: tuple[Api, Account, dict[str, Any]]) -> None:
    api, me, account = demo
    everyone = api.get(URL, params={"limit": 20}, headers=me.headers).json()["data"]
    assert 2 < len(everyone) <= 20  # the demo mailbox holds a few dozen people at most
    book = _book(api, me)
    scores = [_score(i, book) for i in everyone]
    assert scores == sorted(scores, reverse=True)  # no query: the highest score first
    two = api.get(URL, params={"q": "", "limit": 2}, headers=me.headers).json()["data"]
    assert two == everyone[:2]
    by_id = api.get(URL, params={"account": account["id"], "limit": 20}, headers=me.headers).json()["data"]
    assert by_id == everyone
    # Typing more narrows the list to what matches.
    target = everyone[0]["address"]
    narrowed = api.get(URL, params={"q": target[:-1].upper()}, headers=me.headers).json()["data"]
    assert narrowed[0]["address"] == target
    assert api.get(URL, params={"q": "zzzz-no-such-person"}, headers=me.headers).json()["data"] == []


def test_address_book_contacts_are_suggested_even_before_any_mail_with_them(tmp_path: Path) -> None:
    """Issue 15: the autocomplete merges the Contacts port with addresses seen in mail. With a demo mailbox of one
    message, the people of the demo address book are still offered, once each, under their saved names."""
    settings = make_settings(tmp_path, demo_mailbox_size=1)
    app, _ = make_app(settings)
    api = Api(app, settings)
    me = api.signup("fresh@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code == 201
    book = _book(api, me)
    saved = [c for c in book.values() if not c["other"]]
    assert saved, "the demo address book has saved contacts"
    for contact in saved[:3]:
        first_word = contact["name"].split()[0]
        found = api.get(URL, params={"q": first_word, "limit": 20}, headers=me.headers).json()["data"]
        match = [i for i in found if i["address"].lower() == contact["emails"][0]]
        assert len(match) == 1, (contact, found)
        assert match[0]["name"] == contact["name"] and match[0]["in_contacts"] is True
    everyone = api.get(URL, params={"limit": 20}, headers=me.headers).json()["data"]
    addresses = [i["address"].lower() for i in everyone]
    assert len(addresses) == len(set(addresses))
    assert sum(1 for i in everyone if i["in_contacts"] and i["count"] == 0) >= 1  # known only from the book


def test_bad_input_and_missing_rights_get_the_error_envelope(demo: tuple[Api, Account, dict[str, Any]]) -> None:
    api, me, _ = demo
    too_many = api.get(URL, params={"limit": 21}, headers=me.headers)
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "validation_failed"
    assert api.get(URL, params={"q": "x" * 201}, headers=me.headers).status_code == 422
    assert api.get(URL, params={"account": "not-mine"}, headers=me.headers).status_code == 404
    anonymous = api.get(URL, params={"q": "a"})
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "authentication_failed"

    # An API key without mail:read is refused, as it is for the search route.
    key = api.post("/api/v1/api-keys", json={"name": "sender", "scopes": ["mail:send"]}, headers=me.headers)
    assert key.status_code == 201, key.text
    refused = api.get(URL, params={"q": "a"}, headers={"X-API-Key": key.json()["data"]["key"]})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"
    assert api.get("/api/v1/emails", headers={"X-API-Key": key.json()["data"]["key"]}).status_code == 403


def test_without_a_mailbox_the_answer_says_to_connect_one(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, _ = make_app(settings)
    api = Api(app, settings)
    me = api.signup("nobox@example.com")
    r = api.get(URL, params={"q": "a"}, headers=me.headers)
    assert r.status_code == 404
    assert "Connect a mailbox first" in r.json()["error"]["message"]


def test_the_route_is_in_the_openapi_document_with_its_types(demo: tuple[Api, Account, dict[str, Any]]) -> None:
    api, _, _ = demo
    spec = api.get("/openapi.json").json()
    operation = spec["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "account", "limit"}
    assert "RecipientSuggestionOut" in spec["components"]["schemas"]
