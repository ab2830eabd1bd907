"""The agent over HTTP on the demo mailbox with a scripted EmailAgent (container override) standing in for the
model: reads run, a send waits for its owner's approval, approving sends once and agent.task_completed reaches the
WebSocket, rejecting sends nothing, and another user sees none of it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers

from entrypoints.container import Container
from tests.support.agent_world import ScriptedAgent, Step
from tests.support.app import Account, Api, make_app, make_settings

CHAT = "/api/v1/agent/chat"
ACTIONS = "/api/v1/agent/actions"
WS = "/api/v1/ws"


class World:
    def __init__(self, api: Api, container: Container) -> None:
        self.api, self.container = api, container
        self.target: dict[str, str] = {}
        self.agent = ScriptedAgent(container.agent_toolbox(), self.script)
        container.email_agent.override(providers.Object(self.agent))
        self.alice = self.user("alice@example.com")
        self.bob = self.user("bob@example.com")

    def user(self, email: str) -> Account:
        account = self.api.signup(email)
        r = self.api.post("/api/v1/mail/accounts/demo", headers=account.headers)
        assert r.status_code in (200, 201), r.text
        return account

    def script(self, message: str) -> list[Step]:
        if message.startswith("find"):
            return [("search_emails", {"query": "", "limit": 3})]
        if message.startswith("reply"):
            return [("reply", {"message_id": self.target["id"], "body": "I'm in"})]
        if message.startswith("send"):
            return [("send_email", {"to": ["carol@example.com"], "subject": "Offsite", "body": "I'm in"})]
        if message.startswith("archive"):
            return [("remove_label", {"message_ids": [self.target["id"]], "label": "INBOX"})]
        return []

    def first_message(self, who: Account) -> dict[str, Any]:
        r = self.api.get("/api/v1/emails", params={"limit": 1}, headers=who.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"][0]  # type: ignore[no-any-return]

    def sent(self, who: Account) -> list[dict[str, Any]]:
        r = self.api.get("/api/v1/emails", params={"label": "SENT"}, headers=who.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]

    def chat(self, who: Account, message: str, conversation_id: str | None = None) -> Any:
        return self.api.post(CHAT, json={"message": message, "conversation_id": conversation_id}, headers=who.headers)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = make_settings(tmp_path, demo_mailbox_size=10, rate_limit_per_minute=100_000)
    app, container = make_app(settings)
    api = Api(app, settings)
    yield World(api, container)
    api.client.close()


def data(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json()["data"]


def next_event(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = ws.receive_json()
        if message["type"] == kind:
            return message


def test_a_read_only_request_needs_no_approval(world: World) -> None:
    turn = data(world.chat(world.alice, "find my mail"))
    assert turn["reply"] == "Done." and turn["pending_actions"] == [] and turn["model"] == "scripted"
    assert [a["status"] for a in turn["activity"]] == ["ok"]
    assert data(world.api.get(ACTIONS, headers=world.alice.headers)) == []


@pytest.mark.property(17)
def test_a_send_waits_for_approval_and_approving_sends_once(world: World) -> None:
    world.target["id"] = world.first_message(world.alice)["id"]
    before = len(world.sent(world.alice))
    with world.api.client.websocket_connect(
        WS, subprotocols=["mailagent.v1", f"bearer.{world.alice.access_token}"]
    ) as ws:
        assert ws.receive_json()["type"] == "ready"
        turn = data(world.chat(world.alice, "reply to it"))
        [pending] = turn["pending_actions"]
        assert turn["reply"] == "" and pending["status"] == "pending" and pending["tool"] == "reply"
        assert pending["payload"] == {"message_id": world.target["id"], "body": "I'm in", "reply_all": False}
        assert pending["summary"].startswith("Reply to '")  # by subject and sender, not by id
        event = next_event(ws, "agent.action_pending")["data"]
        assert event["pending_action_id"] == pending["id"]
        # the live event carries the same card, made from the same snapshot, as the REST answer
        assert event["snapshot_hash"] == pending["snapshot"]["hash"] and event["card"] == pending["snapshot"]["card"]
        assert len(world.sent(world.alice)) == before  # nothing left yet

        listed = data(world.api.get(ACTIONS, params={"status": "pending"}, headers=world.alice.headers))
        assert [a["id"] for a in listed] == [pending["id"]]

        done = data(world.api.post(f"{ACTIONS}/{pending['id']}/approve", headers=world.alice.headers))
        assert done["action"]["status"] == "executed" and done["action"]["result"]["sent"] is True
        assert pending["id"] in done["turn"]["reply"]
        completed = next_event(ws, "agent.task_completed")
        assert completed["data"]["conversation_id"] == turn["conversation_id"]
    assert len(world.sent(world.alice)) == before + 1

    again = world.api.post(f"{ACTIONS}/{pending['id']}/approve", headers=world.alice.headers)
    assert again.status_code == 409
    assert len(world.sent(world.alice)) == before + 1


def test_an_edit_is_a_new_card_to_approve_and_exactly_it_is_sent(world: World) -> None:
    [pending] = data(world.chat(world.alice, "send it"))["pending_actions"]
    first = pending["snapshot"]
    assert first["card"]["title"] == "Send an email: 'Offsite'"
    assert [(r["field"], r["address"]) for r in first["card"]["recipients"]] == [("to", "carol@example.com")]
    edited = {"to": ["dave@example.com"], "subject": "Edited", "body": "Exactly this"}
    bad = world.api.post(
        f"{ACTIONS}/{pending['id']}/edit", json={"payload": {"to": "x", "approve": 1}}, headers=world.alice.headers
    )
    assert bad.status_code == 422 and "not valid" in bad.json()["error"]["message"]
    old_style = world.api.post(
        f"{ACTIONS}/{pending['id']}/approve", json={"payload": edited}, headers=world.alice.headers
    )
    assert old_style.status_code == 422  # an approval carries no edit
    revised = data(
        world.api.post(f"{ACTIONS}/{pending['id']}/edit", json={"payload": edited}, headers=world.alice.headers)
    )
    assert revised["status"] == "pending" and revised["payload"] == edited
    card = revised["snapshot"]["card"]
    assert card["title"] == "Send an email: 'Edited'" and card["body"] == "Exactly this"
    assert [r["address"] for r in card["recipients"]] == ["dave@example.com"]
    assert [m for m in world.sent(world.alice) if m["subject"] == "Edited"] == []  # nothing ran yet
    stale = world.api.post(
        f"{ACTIONS}/{pending['id']}/approve", json={"snapshot_hash": first["hash"]}, headers=world.alice.headers
    )
    assert stale.status_code == 409 and "changed since you looked" in stale.json()["error"]["message"]
    done = data(
        world.api.post(
            f"{ACTIONS}/{pending['id']}/approve",
            json={"snapshot_hash": revised["snapshot"]["hash"]},
            headers=world.alice.headers,
        )
    )
    assert done["action"]["status"] == "executed"
    [sent] = [m for m in world.sent(world.alice) if m["subject"] == "Edited"]
    assert [a["address"] for a in sent["to"]] == ["dave@example.com"]


def test_rejecting_sends_nothing(world: World) -> None:
    before = len(world.sent(world.alice))
    [pending] = data(world.chat(world.alice, "send it"))["pending_actions"]
    done = data(world.api.post(f"{ACTIONS}/{pending['id']}/reject", headers=world.alice.headers))
    assert done["action"]["status"] == "rejected"
    assert len(world.sent(world.alice)) == before
    assert data(world.api.get(ACTIONS, headers=world.alice.headers)) == []
    everything = data(world.api.get(ACTIONS, params={"all": "true"}, headers=world.alice.headers))
    assert [a["status"] for a in everything] == ["rejected"]


@pytest.mark.property(26)
def test_another_user_sees_and_decides_nothing(world: World) -> None:
    turn = data(world.chat(world.alice, "send it"))
    [pending] = turn["pending_actions"]
    cid = turn["conversation_id"]
    bob = world.bob.headers
    assert world.api.post(f"{ACTIONS}/{pending['id']}/approve", headers=bob).status_code == 404
    assert world.api.post(f"{ACTIONS}/{pending['id']}/reject", headers=bob).status_code == 404
    assert world.api.get(f"/api/v1/agent/conversations/{cid}", headers=bob).status_code == 404
    assert world.chat(world.bob, "send it", cid).status_code == 404
    assert data(world.api.get("/api/v1/agent/conversations", headers=bob)) == []
    assert data(world.api.get(ACTIONS, headers=bob)) == []

    mine = data(world.api.get("/api/v1/agent/conversations", headers=world.alice.headers))
    assert [c["id"] for c in mine] == [cid] and mine[0]["title"] == "Send it"
    detail = data(world.api.get(f"/api/v1/agent/conversations/{cid}", headers=world.alice.headers))
    assert detail["history"][0] == {"role": "user", "content": "send it", "at": None, "tool": None}
    assert [a["id"] for a in detail["actions"]] == [pending["id"]]
    action = data(world.api.get(ACTIONS, headers=world.alice.headers))[0]
    assert action["status"] == "pending"


def test_the_agent_scope_is_required(world: World) -> None:
    r = world.api.post(
        "/api/v1/api-keys",
        json={"name": "mail only", "scopes": ["mail:read", "mail:send"]},
        headers=world.alice.headers,
    )
    assert r.status_code == 201, r.text
    key = r.json()["data"]["key"]
    denied = world.api.post(CHAT, json={"message": "send it"}, headers={"X-API-Key": key})
    assert denied.status_code == 403
    assert world.api.get(ACTIONS, headers={"X-API-Key": key}).status_code == 403
    assert world.api.post(CHAT, json={"message": ""}, headers=world.alice.headers).status_code == 422


def test_a_websocket_approval_binds_to_the_card_it_names(world: World) -> None:
    [pending] = data(world.chat(world.alice, "send it"))["pending_actions"]
    before = len(world.sent(world.alice))
    with world.api.client.websocket_connect(
        WS, subprotocols=["mailagent.v1", f"bearer.{world.alice.access_token}"]
    ) as ws:
        assert ws.receive_json()["type"] == "ready"
        ws.send_json({"type": "agent.approve", "action_id": pending["id"], "payload": {"to": ["x@evil.example"]}})
        refused = next_event(ws, "error")["data"]
        assert "An edit is not an approval" in refused["message"]
        ws.send_json({"type": "agent.approve", "action_id": pending["id"], "snapshot_hash": "0" * 64})
        stale = next_event(ws, "error")["data"]
        assert stale["code"] == "conflict" and "changed since you looked" in stale["message"]
        assert len(world.sent(world.alice)) == before
        ws.send_json(
            {"type": "agent.approve", "action_id": pending["id"], "snapshot_hash": pending["snapshot"]["hash"]}
        )
        decided = next_event(ws, "agent.decision")["data"]
        assert decided["status"] == "executed"
    [sent] = [m for m in world.sent(world.alice) if m["subject"] == "Offsite"]
    assert [a["address"] for a in sent["to"]] == ["carol@example.com"]


def test_a_change_the_agent_made_is_listed_with_its_turn_and_undone_once_by_its_owner(world: World) -> None:
    world.target["id"] = world.first_message(world.alice)["id"]
    turn = data(world.chat(world.alice, "archive it"))
    [change] = turn["changes"]
    assert change["summary"] == "Archive 1 message" and change["undoable"] is True
    inbox = world.api.get("/api/v1/emails", params={"label": "INBOX", "limit": 50}, headers=world.alice.headers)
    assert world.target["id"] not in [m["id"] for m in inbox.json()["data"]]
    detail = data(world.api.get(f"/api/v1/agent/conversations/{turn['conversation_id']}", headers=world.alice.headers))
    assert [c["id"] for c in detail["changes"]] == [change["id"]]
    assert world.api.post(f"/api/v1/agent/changes/{change['id']}/undo", headers=world.bob.headers).status_code == 404
    undone = data(world.api.post(f"/api/v1/agent/changes/{change['id']}/undo", headers=world.alice.headers))
    assert undone["undone_at"] is not None and undone["undoable"] is False
    inbox = world.api.get("/api/v1/emails", params={"label": "INBOX", "limit": 50}, headers=world.alice.headers)
    assert world.target["id"] in [m["id"] for m in inbox.json()["data"]]
    again = world.api.post(f"/api/v1/agent/changes/{change['id']}/undo", headers=world.alice.headers)
    assert again.status_code == 409
