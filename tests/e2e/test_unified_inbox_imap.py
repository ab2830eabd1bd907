"""Issue 19's "done when", end to end: a user with the demo mailbox connects an IMAP/SMTP account (the session's real
Dovecot + Postfix), sees both in one inbox, and the agent's toolbox (the MCP server's tools are the same toolbox)
searches across both and replies from the IMAP account only after the owner approves — sent once, over SMTP, filed
in the IMAP account's Sent folder."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from domain.mail import EmailAddress
from tests.support.app import Api, make_app, make_settings
from tests.support.mail_servers import PASSWORD, MailServers, mail_servers  # noqa: F401  (session fixture)
from tests.support.mailbox_seed import incoming_raw

pytestmark = pytest.mark.e2e

DEMO = "you@demo.mailagent.local"


@pytest.fixture
def api_and_container(tmp_path: Path) -> Iterator[tuple[Api, Any]]:
    settings = make_settings(tmp_path, demo_mailbox_size=30)
    app, container = make_app(settings)
    api = Api(app, settings)
    yield api, container
    api.client.close()


def imap_client(servers: MailServers, user: str) -> IMAPClient:
    client = IMAPClient("127.0.0.1", port=servers.imap_port, ssl=False, timeout=30)
    client.login(user, PASSWORD)
    return client


def test_demo_and_imap_in_one_inbox_and_the_agent_replies_from_imap_after_approval(
    api_and_container: tuple[Api, Any],
    mail_servers: MailServers,  # noqa: F811
) -> None:
    from application.agent.tools import ToolContext
    from tests.support.principals import principal_for

    api, container = api_and_container
    user = mail_servers.add_user()
    other = imap_client(mail_servers, user)
    other.append(
        "INBOX",
        incoming_raw(
            sender=EmailAddress(address="dana@example.com", name="Dana"),
            subject="Harbour survey results",
            text="The survey is done; results attached next week.",
            date=datetime.now(UTC) - timedelta(minutes=5),
        ),
    )
    other.logout()

    me = api.signup("two-accounts@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=me.headers).status_code == 201
    connected = api.post(
        "/api/v1/mail/accounts/imap",
        json={
            "address": user,
            "password": PASSWORD,
            "preset": "other",
            "imap_host": "127.0.0.1",
            "imap_port": mail_servers.imap_port,
            "imap_security": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": mail_servers.smtp_port,
            "smtp_security": "none",
        },
        headers=me.headers,
    )
    assert connected.status_code == 201, connected.text
    accounts = {a["address"]: a for a in api.get("/api/v1/mail/accounts", headers=me.headers).json()["data"]}
    assert {a["provider"] for a in accounts.values()} == {"demo", "imap"}

    # One inbox: both accounts' mail, newest first, each row naming its account; the IMAP message is the newest.
    listed = api.get("/api/v1/emails", params={"account": "all", "label": "INBOX", "limit": 50}, headers=me.headers)
    assert listed.status_code == 200, listed.text
    rows = listed.json()["data"]
    assert {r["account"]["provider"] for r in rows} == {"demo", "imap"}
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert (rows[0]["subject"], rows[0]["account"]["address"]) == ("Harbour survey results", user)

    # The agent: one search covers both accounts; a reply with no account given is held with the IMAP address as
    # From, and nothing reaches SMTP before approval.
    toolbox = container.agent_toolbox()
    ctx = ToolContext(principal_for(me.user_id), "conversation-imap", "call-1")
    found = toolbox.call(ctx, "search_emails", {"query": "in:inbox", "limit": 25})
    assert found.status == "ok", found.content
    messages = found.content["untrusted_mail_content"]["messages"]
    assert {m["account"] for m in messages} == {DEMO, user}
    survey = next(m for m in messages if m["subject"] == "Harbour survey results")
    assert survey["account_id"] == accounts[user]["id"]

    held = toolbox.call(ctx, "reply", {"message_id": survey["id"], "body": "Thanks Dana, looking forward to it."})
    assert held.status == "pending", held.content
    actions = api.get("/api/v1/agent/actions", headers=me.headers).json()["data"]
    action = next(a for a in actions if a["id"] == held.pending_action_id)
    assert user in str(action["snapshot"]) and "dana@example.com" in str(action["snapshot"])
    check = imap_client(mail_servers, user)
    try:
        check.select_folder("Sent", readonly=True)
        assert check.search(["SUBJECT", "Harbour survey results"]) == []  # held: nothing sent yet

        approved = api.post(f"/api/v1/agent/actions/{action['id']}/approve", headers=me.headers)
        assert approved.status_code == 200, approved.text
        deadline = time.monotonic() + 60
        while not (filed := check.search(["SUBJECT", "Re: Harbour survey results"])):
            assert time.monotonic() < deadline, "the approved reply was not filed in the IMAP account's Sent"
            time.sleep(0.2)
            check.noop()
        assert len(filed) == 1  # sent once
    finally:
        check.logout()
    demo_sent = api.get(
        "/api/v1/emails", params={"account": accounts[DEMO]["id"], "label": "SENT"}, headers=me.headers
    ).json()["data"]
    assert all("Harbour" not in m["subject"] for m in demo_sent)  # not sent from the demo account
