"""The real container agent (LangGraph + OfflineCommandModel + the gated toolbox) on the demo mailbox with no key:
find, draft a reply, "send it" waits for approval, approving sends once; the conversation survives a new
container on the same data directory (SQLite checkpoint file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.app import Api, make_app, make_settings

CHAT = "/api/v1/agent/chat"


def data(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["data"]


def test_offline_agent_drafts_and_sends_only_after_approval(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, demo_mailbox_size=10, rate_limit_per_minute=100_000)
    app, _container = make_app(settings)
    api = Api(app, settings)
    alice = api.signup("alice@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=alice.headers).status_code in (200, 201)
    first = data(api.get("/api/v1/emails", params={"limit": 1}, headers=alice.headers))[0]
    sender = first["from"]["address"] if isinstance(first["from"], dict) else str(first["from"])
    sent_before = len(data(api.get("/api/v1/emails", params={"label": "SENT"}, headers=alice.headers)))

    found = data(api.post(CHAT, json={"message": "find mail"}, headers=alice.headers))
    assert "Found" in found["reply"] and found["pending_actions"] == []
    cid = found["conversation_id"]
    drafted = data(
        api.post(
            CHAT,
            json={"message": f"draft a reply to the last mail from {sender} saying I'm in", "conversation_id": cid},
            headers=alice.headers,
        )
    )
    assert "I drafted" in drafted["reply"], drafted
    turn = data(api.post(CHAT, json={"message": "send it", "conversation_id": cid}, headers=alice.headers))
    [pending] = turn["pending_actions"]
    assert pending["tool"] == "send_email" and turn["reply"].startswith("Nothing has been done yet.")
    assert pending["summary"] in turn["reply"]  # the person reads what would happen
    assert len(data(api.get("/api/v1/emails", params={"label": "SENT"}, headers=alice.headers))) == sent_before
    done = data(api.post(f"/api/v1/agent/actions/{pending['id']}/approve", headers=alice.headers))
    assert done["action"]["status"] == "executed"
    assert done["turn"]["reply"] == "Sent."
    assert len(data(api.get("/api/v1/emails", params={"label": "SENT"}, headers=alice.headers))) == sent_before + 1
    api.client.close()

    # a restart: a new container on the same data dir still has the conversation
    app2, _ = make_app(settings, migrate=False)
    api2 = Api(app2, settings)
    again = api2.login("alice@example.com")
    history = data(api2.get(f"/api/v1/agent/conversations/{cid}", headers=again.headers))
    assert "send it" in str(history)
    api2.client.close()


def test_pending_actions_are_decided_over_the_websocket_by_their_owner_only(tmp_path: Path) -> None:
    """The done-when of issue 5 over one socket: chat, "send it" is announced as agent.action_pending, a reject
    sends nothing, an approve sends once and agent.task_completed follows; another user's socket cannot decide."""
    settings = make_settings(tmp_path, demo_mailbox_size=10, rate_limit_per_minute=100_000)
    app, _ = make_app(settings)
    api = Api(app, settings)
    alice, mallory = api.signup("alice@example.com"), api.signup("mallory@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=alice.headers).status_code in (200, 201)
    first = data(api.get("/api/v1/emails", params={"limit": 1}, headers=alice.headers))[0]
    sent = lambda: len(data(api.get("/api/v1/emails", params={"label": "SENT"}, headers=alice.headers)))  # noqa: E731
    before = sent()

    def hold(cid: str | None) -> tuple[str, str]:
        msg = f"draft a reply to the last mail from {first['from']['address']} saying I'm in"
        cid = data(api.post(CHAT, json={"message": msg, "conversation_id": cid}, headers=alice.headers))[
            "conversation_id"
        ]
        turn = data(api.post(CHAT, json={"message": "send it", "conversation_id": cid}, headers=alice.headers))
        return cid, turn["pending_actions"][0]["id"]

    def until(ws: Any, kind: str) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = ws.receive_json()
            if message["type"] == kind:
                return message

    protocols = ["mailagent.v1", f"bearer.{alice.access_token}"]
    with (
        api.client.websocket_connect("/api/v1/ws", subprotocols=protocols) as ws,
        api.client.websocket_connect(
            "/api/v1/ws", subprotocols=["mailagent.v1", f"bearer.{mallory.access_token}"]
        ) as bad,
    ):
        ws.receive_json(), bad.receive_json()
        cid, rejected_id = hold(None)
        assert until(ws, "agent.action_pending")["data"]["pending_action_id"] == rejected_id
        bad.send_json({"type": "agent.approve", "action_id": rejected_id})
        assert until(bad, "error")["data"]["code"] == "not_found"  # never someone else's
        ws.send_json({"type": "agent.reject", "action_id": rejected_id})
        assert until(ws, "agent.decision")["data"]["status"] == "rejected"
        assert sent() == before

        _, approved_id = hold(cid)
        ws.send_json({"type": "agent.approve", "action_id": approved_id})
        seen: dict[str, dict[str, Any]] = {}
        while not {"agent.decision", "agent.task_completed"} <= seen.keys():  # either may come first
            message = ws.receive_json()
            seen.setdefault(message["type"], message["data"])
        assert seen["agent.decision"]["status"] == "executed" and seen["agent.decision"]["reply"] == "Sent."
        assert seen["agent.task_completed"]["conversation_id"] == cid
        ws.send_json({"type": "agent.approve", "action_id": approved_id})  # a second click
        assert until(ws, "error")["data"]["code"] == "conflict"
    assert sent() == before + 1


def test_plain_requests_on_the_demo_mailbox(tmp_path: Path) -> None:
    """Issue 17: what a person types first, on the real container with no key. A summary through the Summarizer,
    "who wrote about", "archive all newsletters" (reversible: done, with Undo), and the offsite reply drafted to the
    people on the message (reply-all from its headers), never an id in the answers."""
    settings = make_settings(tmp_path, demo_mailbox_size=40, rate_limit_per_minute=100_000)
    app, _container = make_app(settings)
    api = Api(app, settings)
    alice = api.signup("alice@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=alice.headers).status_code in (200, 201)

    def say(text: str, cid: str | None = None) -> dict[str, Any]:
        turn: dict[str, Any] = data(
            api.post(CHAT, json={"message": text, "conversation_id": cid}, headers=alice.headers)
        )
        return turn

    summary = say("Summarise my unread mail, please")
    assert "unread" in summary["reply"] and "Team offsite in Lisbon" in summary["reply"], summary["reply"]
    assert "MAILAGENT" not in summary["reply"] and [t["tool"] for t in summary["activity"]] == ["search_emails"]
    conversations = data(api.get("/api/v1/agent/conversations", headers=alice.headers))
    assert [c["title"] for c in conversations] == ["Summarise my unread mail"]  # short, from the first words

    who = say("who wrote about the offsite?")
    assert "Carol Díaz" in who["reply"] and "wrote about offsite" in who["reply"], who["reply"]

    unknown = say("what's the meaning of life?")
    assert "summarise my unread mail" in unknown["reply"] and "MAILAGENT" not in unknown["reply"]
    assert unknown["activity"] == []

    archived = say("archive all newsletters")
    assert archived["pending_actions"] == [] and archived["reply"].startswith("Archived"), archived["reply"]
    [change] = [t for t in archived["activity"] if t["tool"] == "remove_label"]
    assert change["status"] == "ok" and change["summary"].startswith("Archive")
    assert len(archived["changes"]) == 1 and archived["changes"][0]["undoable"]  # with Undo
    inbox = data(api.get("/api/v1/emails", params={"label": "INBOX", "limit": 100}, headers=alice.headers))
    assert change["args"]["message_ids"] and not set(change["args"]["message_ids"]) & {m["id"] for m in inbox}

    drafted = say("find unread mail about the offsite and draft a reply saying I am in")
    assert "I drafted 'Re: Team offsite in Lisbon" in drafted["reply"], drafted["reply"]
    assert "Bob Martin" in drafted["reply"] and "Carol Díaz" in drafted["reply"]  # everyone on Bob's mail
    assert "r0" not in drafted["reply"]
    sent = say("send it", drafted["conversation_id"])
    [pending] = sent["pending_actions"]
    card = pending["snapshot"]["card"]
    assert card["title"].startswith("Send the draft 'Re: Team offsite in Lisbon")
    assert {r["address"] for r in card["recipients"]} == {"bob@northwind.example", "carol@contoso.example"}
    api.client.close()


def test_the_use_a_hosted_model_link_is_served_by_the_app(tmp_path: Path) -> None:
    from adapters.llm.offline import HOSTED_MODEL_HELP, NOT_UNDERSTOOD

    settings = make_settings(tmp_path)
    app, _ = make_app(settings)
    api = Api(app, settings)
    assert f"[use a hosted model]({HOSTED_MODEL_HELP})" in NOT_UNDERSTOOD
    page = api.get(HOSTED_MODEL_HELP)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "MAILAGENT_LLM_PROVIDER" in page.text and "mailagent llm set-key" in page.text  # the help lives here
    api.client.close()
