"""The unified inbox through the API (ADR 0026): a user with the demo mailbox and a Gmail account (the fake Gmail
server, over HTTP) lists and searches both at once with `account=all`, merged newest first, each message naming its
account; pages follow one token across accounts; a reply goes out from the account that received the mail."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from domain.mail import EmailAddress
from tests.support.app import Account, Api, make_app, make_settings
from tests.support.fake_gmail import FakeAccount, FakeGmailServer
from tests.support.fake_google_oauth import FakeGoogle, google_settings, running_fake_google
from tests.support.mailbox_seed import incoming_raw

GMAIL = "ann@gmail.com"
DEMO = "you@demo.mailagent.local"


class World:
    def __init__(
        self, api: Api, google: FakeGoogle, gmail: FakeGmailServer, account: FakeAccount, container: Any
    ) -> None:
        self.api, self.google, self.gmail, self.account, self.container = api, google, gmail, account, container


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeGmailServer() as gmail, running_fake_google() as google:
        account = gmail.add_account(GMAIL)
        now = datetime.now(UTC)
        for n in range(7):  # one new Gmail message every 5 hours, the newest an hour old
            raw = incoming_raw(
                sender=EmailAddress(address=f"g{n}@example.com", name=f"Gmail sender {n}"),
                to=(EmailAddress(address=GMAIL),),
                subject=f"Gmail {n}",
                text=f"Gmail body {n}.",
                date=now - timedelta(hours=1 + 5 * n),
            )
            account.deliver(raw, ["INBOX", "UNREAD"])
        google.on_issue = lambda email, access, refresh: gmail.adopt_grant(account, access, refresh)
        google.on_revoke = lambda email: account.revoke()
        overrides = {**google_settings(google), "gmail_api_root": gmail.url, "demo_mailbox_size": 40}
        settings = make_settings(tmp_path, **overrides)
        app, container = make_app(settings)
        yield World(Api(app, settings), google, gmail, account, container)


def connect_both(world: World) -> tuple[Account, dict[str, str]]:
    me = world.api.signup("ann@example.com")
    demo = world.api.post("/api/v1/mail/accounts/demo", headers=me.headers)
    assert demo.status_code == 201, demo.text
    url = world.api.get("/api/v1/mail/accounts/google/authorize", headers=me.headers).json()["data"]["url"]
    callback = urlparse(world.google.consent(url, GMAIL))
    done = world.api.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    assert "connected=" in done.headers["location"], done.headers["location"]
    accounts = world.api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]
    return me, {a["address"]: a["id"] for a in accounts}


def inbox(world: World, me: Account, **params: Any) -> Any:
    r = world.api.get("/api/v1/emails", headers=me.headers, params={"label": "INBOX", **params})
    assert r.status_code == 200, r.text
    return r.json()


def every_page(world: World, me: Account, limit: int, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    token = None
    for _ in range(200):
        body = inbox(world, me, account="all", limit=limit, **({"page_token": token} if token else {}), **params)
        rows.extend(body["data"])
        token = body["meta"].get("next_page_token")
        if not token:
            return rows
    raise AssertionError("the pages never ended")


def test_all_accounts_in_one_inbox_newest_first_each_with_its_account(world: World) -> None:
    me, ids = connect_both(world)
    per_account = {
        address: inbox(world, me, account=account_id, limit=500)["data"] for address, account_id in ids.items()
    }
    assert len(per_account[GMAIL]) == 7 and len(per_account[DEMO]) > 7
    # a single-account list names its account too
    assert {m["account"]["address"] for m in per_account[GMAIL]} == {GMAIL}
    assert {m["account"]["provider"] for m in per_account[DEMO]} == {"demo"}

    merged = every_page(world, me, limit=7)
    keys = [(m["account"]["id"], m["id"]) for m in merged]
    assert len(keys) == len(set(keys)), "a message was listed twice"
    expected = {(a["account"]["id"], a["id"]) for rows in per_account.values() for a in rows}
    assert set(keys) == expected, "a message was lost between pages"
    dates = [datetime.fromisoformat(m["date"]) for m in merged]
    assert dates == sorted(dates, reverse=True)
    # mail of both accounts is interleaved by date, not one account after the other
    sources = [m["account"]["address"] for m in merged]
    first_gmail = sources.index(GMAIL)
    assert DEMO in sources[first_gmail:] and GMAIL in sources[sources.index(DEMO) :]

    one_page = inbox(world, me, account="all", limit=500)
    assert [(m["account"]["id"], m["id"]) for m in one_page["data"]] == keys
    assert one_page["meta"]["total"] >= len(keys)


def test_search_runs_across_accounts(world: World) -> None:
    me, _ = connect_both(world)
    body = world.api.get("/api/v1/emails", headers=me.headers, params={"account": "all", "q": "is:unread"}).json()
    addresses = {m["account"]["address"] for m in body["data"]}
    assert addresses == {GMAIL, DEMO}
    only_gmail = world.api.get(
        "/api/v1/emails", headers=me.headers, params={"account": "all", "q": "subject:gmail from:g3@example.com"}
    ).json()["data"]
    assert [(m["account"]["address"], m["subject"]) for m in only_gmail] == [(GMAIL, "Gmail 3")]


def test_reading_and_replying_use_the_account_of_the_message(world: World) -> None:
    me, ids = connect_both(world)
    merged = inbox(world, me, account="all", limit=500)["data"]
    gmail_row = next(m for m in merged if m["account"]["address"] == GMAIL)
    read = world.api.get(f"/api/v1/emails/{gmail_row['id']}", headers=me.headers, params={"account": ids[GMAIL]})
    assert read.status_code == 200 and read.json()["data"]["account"]["id"] == ids[GMAIL]
    reply = world.api.post(
        f"/api/v1/emails/{gmail_row['id']}/reply",
        headers=me.headers,
        params={"account": gmail_row["account"]["id"]},
        json={"text_body": "Thanks!"},
    )
    assert reply.status_code == 200, reply.text
    sent = reply.json()["data"]
    assert sent["from"]["address"] == GMAIL and sent["account"]["address"] == GMAIL
    assert world.gmail.count("gmail.users.messages.send") == 1
    # A new message from the demo account (the From picker's choice) is sent by the demo mailbox, not Gmail.
    demo_send = world.api.post(
        "/api/v1/emails/send",
        headers=me.headers,
        params={"account": ids[DEMO]},
        json={"to": ["bob@example.com"], "subject": "From the demo", "text_body": "Hello"},
    )
    assert demo_send.status_code == 200, demo_send.text
    assert demo_send.json()["data"]["from"]["address"] == DEMO
    assert world.gmail.count("gmail.users.messages.send") == 1


def test_all_is_refused_where_one_account_is_needed(world: World) -> None:
    me, _ = connect_both(world)
    for method, path, body in [
        ("post", "/api/v1/emails/send", {"to": ["bob@example.com"], "subject": "x", "text_body": "y"}),
        ("get", "/api/v1/emails/m1", None),
        ("get", "/api/v1/labels", None),
    ]:
        r = world.api.request(method, path, headers=me.headers, params={"account": "all"}, json=body)
        assert r.status_code == 422, (path, r.text)
        assert "account=all works only for listing and searching" in r.json()["error"]["message"]
    assert world.gmail.count("gmail.users.messages.send") == 0


def test_the_schema_says_where_all_is_refused(world: World) -> None:
    """Every operation with an `account` parameter either takes `all` (listing and searching) or says in its schema
    that it does not, and then refuses it with the same sentence (a schema-valid request is never rejected: the
    contract test generated `account=all` for a label change once, before the schema said so)."""
    me, _ = connect_both(world)
    doc = world.api.get("/openapi.json").json()
    takes_all, refused = [], 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            params = [p for p in operation.get("parameters", []) if p["name"] == "account" and p["in"] == "query"]
            if not params:
                continue
            if params[0]["schema"].get("not") != {"const": "all"}:
                takes_all.append(f"{method.upper()} {path}")
                continue
            if "requestBody" in operation:
                continue  # its body is checked first; the operations without one stand for the rule
            url = path.replace("{", "").replace("}", "")
            r = world.api.request(method, url, headers=me.headers, params={"account": "all"})
            assert r.status_code == 422, (method, path, r.text)
            assert r.json()["error"]["details"] == [{"field": "account", "issue": "one_account_needed"}]
            refused += 1
    assert takes_all == ["GET /api/v1/emails"]
    assert refused >= 15


def test_an_unreachable_account_is_named_and_the_others_still_listed(world: World) -> None:
    me, _ = connect_both(world)
    world.google.revoke_grant_of(GMAIL)
    body = inbox(world, me, account="all", limit=10)
    assert body["data"] and {m["account"]["address"] for m in body["data"]} == {DEMO}
    assert body["meta"]["degraded"] is True and GMAIL in body["meta"]["notice"]
    accounts = world.api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]
    assert {a["address"]: a["status"] for a in accounts}[GMAIL] == "reauth_required"


def test_a_tampered_or_foreign_token_is_a_422_with_a_sentence(world: World) -> None:
    me, _ = connect_both(world)
    token = inbox(world, me, account="all", limit=3)["meta"]["next_page_token"]
    other_search = world.api.get(
        "/api/v1/emails", headers=me.headers, params={"account": "all", "q": "is:unread", "page_token": token}
    )
    assert other_search.status_code == 422
    assert "start again from the first page" in other_search.json()["error"]["message"]
    garbage = world.api.get("/api/v1/emails", headers=me.headers, params={"account": "all", "page_token": "u1.zzzz"})
    assert garbage.status_code == 422


def test_another_users_accounts_never_appear(world: World) -> None:
    me, _ = connect_both(world)
    other = world.api.signup("bob@example.com")
    assert world.api.post("/api/v1/mail/accounts/demo", headers=other.headers).status_code == 201
    mine = {m["account"]["id"] for m in inbox(world, me, account="all", limit=500)["data"]}
    theirs = {m["account"]["id"] for m in inbox(world, other, account="all", limit=500)["data"]}
    assert mine and theirs and not (mine & theirs)
    nobody = world.api.signup("carol@example.com")
    empty = world.api.get("/api/v1/emails", headers=nobody.headers, params={"account": "all"})
    assert empty.status_code == 404 and "Connect a mailbox first" in empty.json()["error"]["message"]


def test_the_agent_searches_every_account_and_replies_from_the_one_that_received_the_mail(world: World) -> None:
    """The agent's tools (the MCP server's too) on two accounts: search_emails without an account covers both and
    says each message's account; a reply to a Gmail message, with no account given, is held with Gmail's address as
    From, and once approved it is sent once, by Gmail."""
    from application.agent.tools import ToolContext
    from tests.support.principals import principal_for

    me, ids = connect_both(world)
    toolbox = world.container.agent_toolbox()
    ctx = ToolContext(principal_for(me.user_id), "conversation-unified", "call-1")
    found = toolbox.call(ctx, "search_emails", {"query": "is:unread", "limit": 25})
    assert found.status == "ok", found.content
    rows = found.content["untrusted_mail_content"]["messages"]
    assert {r["account"] for r in rows} == {GMAIL, DEMO}
    assert all(r["account_id"] == ids[r["account"]] for r in rows)
    gmail_row = next(r for r in rows if r["account"] == GMAIL)

    read = toolbox.call(ctx, "read_email", {"message_id": gmail_row["id"]})  # no account: found where it is
    assert read.status == "ok", read.content
    body = read.content["untrusted_mail_content"]
    assert body["account"] == GMAIL and body["subject"] == gmail_row["subject"]

    held = toolbox.call(ctx, "reply", {"message_id": gmail_row["id"], "body": "Thanks, got it."})
    assert held.status == "pending", held.content
    actions = world.api.get("/api/v1/agent/actions", headers=me.headers).json()["data"]
    action = next(a for a in actions if a["id"] == held.pending_action_id)
    assert GMAIL in str(action["snapshot"]) and DEMO not in str(action["snapshot"])
    assert world.gmail.count("gmail.users.messages.send") == 0
    approved = world.api.post(f"/api/v1/agent/actions/{action['id']}/approve", headers=me.headers)
    assert approved.status_code == 200, approved.text
    assert world.gmail.count("gmail.users.messages.send") == 1
    sent = world.api.get("/api/v1/emails", headers=me.headers, params={"account": ids[GMAIL], "label": "SENT"}).json()[
        "data"
    ]
    assert [(m["from"]["address"], m["subject"]) for m in sent] == [(GMAIL, f"Re: {gmail_row['subject']}")]


def test_the_agent_is_told_to_pick_when_a_message_id_is_in_two_accounts(world: World) -> None:
    from application.agent.tools import ToolContext
    from tests.support.principals import principal_for

    me, ids = connect_both(world)
    toolbox = world.container.agent_toolbox()
    ctx = ToolContext(principal_for(me.user_id), "conversation-unified", "call-2")
    demo_id = inbox(world, me, account=ids[DEMO], limit=1)["data"][0]["id"]
    original = world.container.mailboxes().open

    def open_with_twin(account: Any) -> Any:  # the Gmail mailbox also answers for the demo message's id
        mailbox = original(account)
        if account.address == GMAIL:
            demo = original(next(a for a in world.container.mail_access().accounts(ctx.principal) if a.address == DEMO))
            mailbox.get_message = demo.get_message
        return mailbox

    world.container.mailboxes().open = open_with_twin
    try:
        refused = toolbox.call(ctx, "read_email", {"message_id": demo_id})
    finally:
        world.container.mailboxes().open = original
    assert refused.status == "error" and "give its account_id" in refused.content["error"]
    chosen = toolbox.call(ctx, "read_email", {"message_id": demo_id, "account_id": ids[DEMO]})
    assert chosen.status == "ok", chosen.content
