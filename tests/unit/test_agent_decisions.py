"""Deciding pending actions: only the owner (with the agent scope) decides; approve runs exactly the snapshot the
owner looked at, once, even on a double click; an edit is a new snapshot that waits for its own approval; reject sends
nothing; the agent then hears the outcome; turns and decisions reach the user's event stream."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from application.use_cases.agent.chat import Chat, ChatInput
from application.use_cases.agent.decide_pending_action import DecidePendingAction, DecidePendingActionInput
from application.use_cases.agent.edit_pending_action import EditPendingAction, EditPendingActionInput
from application.use_cases.agent.get_conversation import GetConversation, GetConversationInput
from application.use_cases.agent.list_conversations import ListConversations, ListConversationsInput
from application.use_cases.agent.list_pending_actions import ListPendingActions, ListPendingActionsInput
from domain.agent import PendingStatus
from domain.audit import AgentAuditAction
from domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from domain.identity import Principal, Scope
from tests.support.agent_world import Person, ScriptedAgent, Step, World


def send_script(message: str) -> list[Step]:
    if message.startswith("send"):
        return [("send_email", {"to": ["bob@example.com"], "subject": "Offsite", "body": "I'm in"})]
    if message.startswith("two"):
        return [
            ("send_email", {"to": ["bob@example.com"], "body": "one"}),
            ("reply", {"message_id": message.split()[-1], "body": "ok"}),
        ]
    if message.startswith("find"):
        return [("search_emails", {"query": "offsite"})]
    return []


class Setup:
    def __init__(self, sends_per_hour: int = 20) -> None:
        self.w = World(sends_per_hour=sends_per_hour)
        self.agent = ScriptedAgent(self.w.toolbox, send_script)

    def chat(self, person: Person, message: str, conversation_id: str | None = None) -> Any:
        return Chat(self.agent, self.w.uow, self.w.clock, self.w.relay).execute(
            ChatInput(person.principal, message, conversation_id)
        )

    def decide(self, principal: Principal, action_id: str, approve: bool, expected: str | None = None) -> Any:
        use_case = DecidePendingAction(self.w.uow, self.w.toolbox, self.agent, self.w.clock, self.w.relay)
        return use_case.execute(DecidePendingActionInput(principal, action_id, approve, expected))

    def edit(self, principal: Principal, action_id: str, payload: Any = None) -> Any:
        use_case = EditPendingAction(self.w.uow, self.w.toolbox, self.w.clock, self.w.relay)
        return use_case.execute(EditPendingActionInput(principal, action_id, payload))


@pytest.mark.property(17)
def test_a_read_only_turn_completes_without_approvals() -> None:
    s = Setup()
    turn = s.chat(s.w.alice, "find the offsite mail")
    assert turn.reply == "Done." and turn.pending_action_ids == ()
    assert [a.status for a in turn.activity] == ["ok"]
    types = s.w.event_types(s.w.alice)
    assert types == ["agent.tool_call", "agent.message", "agent.task_completed"]


def test_approve_sends_once_and_the_agent_hears_the_outcome() -> None:
    s = Setup()
    turn = s.chat(s.w.alice, "send it")
    [pid] = turn.pending_action_ids
    assert turn.reply == "" and s.w.alice.mailbox.sent == []
    assert "agent.task_completed" not in s.w.event_types(s.w.alice)
    assert "agent.action_pending" in s.w.event_types(s.w.alice)

    outcome = s.decide(s.w.alice.principal, pid, True)
    assert outcome.action.status is PendingStatus.EXECUTED and outcome.action.result["sent"] is True
    [sent] = s.w.alice.mailbox.sent
    assert sent.subject == "Offsite" and [a.address for a in sent.to] == ["bob@example.com"]
    [(cid, decisions)] = s.agent.resumed
    assert cid == turn.conversation_id and decisions[0].pending_action_id == pid and decisions[0].approved
    assert outcome.turn is not None and pid in outcome.turn.reply
    assert s.w.event_types(s.w.alice)[-1] == "agent.task_completed"

    with pytest.raises(Conflict):  # a second click: nothing runs again
        s.decide(s.w.alice.principal, pid, True)
    assert len(s.w.alice.mailbox.sent) == 1
    with s.w.uow() as uow:
        actions = [e.action for e in uow.audit.all_in_order()]
    assert AgentAuditAction.ACTION_APPROVED in actions and AgentAuditAction.ACTION_EXECUTED in actions


def test_two_racing_approvals_execute_once() -> None:
    s = Setup()
    [pid] = s.chat(s.w.alice, "send it").pending_action_ids
    barrier = threading.Barrier(4, timeout=10)
    results: list[str] = []

    def click() -> None:
        barrier.wait()
        try:
            s.decide(s.w.alice.principal, pid, True)
            results.append("ok")
        except Conflict:
            results.append("conflict")

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results) == ["conflict", "conflict", "conflict", "ok"]
    assert len(s.w.alice.mailbox.sent) == 1


def test_reject_sends_nothing_and_tells_the_agent() -> None:
    s = Setup()
    [pid] = s.chat(s.w.alice, "send it").pending_action_ids
    outcome = s.decide(s.w.alice.principal, pid, False)
    assert outcome.action.status is PendingStatus.REJECTED
    assert s.w.alice.mailbox.sent == []
    [(_, [decision])] = s.agent.resumed
    assert decision.approved is False


def test_only_the_owner_with_the_agent_scope_decides() -> None:
    s = Setup()
    [pid] = s.chat(s.w.alice, "send it").pending_action_ids
    with pytest.raises(NotFound):
        s.decide(s.w.bob.principal, pid, True)
    with pytest.raises(NotFound):
        s.decide(s.w.bob.principal, pid, False)
    no_agent = Principal(s.w.alice.user, frozenset({Scope.MAIL_READ, Scope.MAIL_SEND}))
    with pytest.raises(PermissionDenied):
        s.decide(no_agent, pid, True)
    with pytest.raises(NotFound):
        s.decide(s.w.alice.principal, "no-such-action", True)
    assert s.w.alice.mailbox.sent == []
    with s.w.uow() as uow:
        action = uow.pending_actions.get(pid)
    assert action is not None and action.status is PendingStatus.PENDING


def test_an_edit_is_a_new_snapshot_that_waits_and_only_it_runs() -> None:
    s = Setup()
    [pid] = s.chat(s.w.alice, "send it").pending_action_ids
    with pytest.raises(ValidationFailed, match="edited payload is not valid"):
        s.edit(s.w.alice.principal, pid, {"to": ["bob@example.com"], "approve_all": True})
    with pytest.raises(ValidationFailed, match="cannot be prepared"):
        s.edit(s.w.alice.principal, pid, {"to": ["not an address"], "body": "x"})
    with pytest.raises(NotFound):
        s.edit(s.w.bob.principal, pid, {"to": ["x@evil.example"], "body": "x"})
    with s.w.uow() as uow:
        first = uow.pending_actions.get(pid)
    assert first is not None and first.snapshot is not None
    edited = {"to": ["carol@example.com"], "subject": "Offsite (edited)", "body": "Count me in!"}
    revised = s.edit(s.w.alice.principal, pid, edited)
    assert revised.status is PendingStatus.PENDING and s.w.alice.mailbox.sent == []  # an edit runs nothing
    assert revised.snapshot.hash != first.snapshot.hash
    assert [r.address for r in revised.snapshot.recipients()] == ["carol@example.com"]
    # approving what was looked at before the edit is refused: the person must look at the new card
    with pytest.raises(Conflict, match="changed since you looked"):
        s.decide(s.w.alice.principal, pid, True, first.snapshot.hash)
    outcome = s.decide(s.w.alice.principal, pid, True, revised.snapshot.hash)
    assert outcome.action.status is PendingStatus.EXECUTED
    [sent] = s.w.alice.mailbox.sent
    assert sent.subject == "Offsite (edited)" and [a.address for a in sent.to] == ["carol@example.com"]
    assert sent.text_body.strip() == "Count me in!"
    with s.w.uow() as uow:
        audit = [e for e in uow.audit.all_in_order() if e.action.startswith("agent.action_")]
    by_action = {e.action: e.details for e in audit}
    assert by_action[AgentAuditAction.ACTION_EDITED]["previous_hash"] == first.snapshot.hash
    assert by_action[AgentAuditAction.ACTION_EDITED]["snapshot_hash"] == revised.snapshot.hash
    assert by_action[AgentAuditAction.ACTION_APPROVED]["snapshot_hash"] == revised.snapshot.hash
    assert by_action[AgentAuditAction.ACTION_APPROVED]["recipients"] == ["carol@example.com"]
    assert by_action[AgentAuditAction.ACTION_EXECUTED]["recipients"] == ["carol@example.com"]
    with pytest.raises(Conflict):
        s.edit(s.w.alice.principal, pid, edited)  # decided: no more edits


def test_a_failed_execution_is_recorded_as_failed_and_the_agent_hears_the_error() -> None:
    s = Setup(sends_per_hour=1)
    turn = s.chat(s.w.alice, f"two things {s.w.alice.ids['offsite']}")
    send_id, reply_id = turn.pending_action_ids
    s.w.clock.advance(seconds=5)  # the person decides a little after the turn ended
    first = s.decide(s.w.alice.principal, send_id, True)
    assert first.action.status is PendingStatus.EXECUTED and first.turn is None  # the reply still waits
    second = s.decide(s.w.alice.principal, reply_id, True)  # over the agent's one send an hour
    assert second.action.status is PendingStatus.FAILED and "at most 1 e-mails an hour" in (second.action.error or "")
    [(_, decisions)] = s.agent.resumed
    assert {d.pending_action_id for d in decisions} == {send_id, reply_id}
    assert [d.error for d in decisions if d.pending_action_id == reply_id] == [second.action.error]


def test_conversations_are_listed_per_user_and_hidden_from_others() -> None:
    s = Setup()
    turn = s.chat(s.w.alice, "find the offsite mail")
    s.chat(s.w.alice, "send it", turn.conversation_id)
    s.chat(s.w.bob, "hello")
    listed = ListConversations(s.w.uow).execute(ListConversationsInput(s.w.alice.principal))
    assert [c.id for c in listed] == [turn.conversation_id] and listed[0].title == "Find the offsite mail"
    view = GetConversation(s.agent, s.w.uow).execute(GetConversationInput(s.w.alice.principal, turn.conversation_id))
    assert [m.role for m in view.messages][:2] == ["user", "tool"] and len(view.actions) == 1
    with pytest.raises(NotFound):
        GetConversation(s.agent, s.w.uow).execute(GetConversationInput(s.w.bob.principal, turn.conversation_id))
    with pytest.raises(NotFound):  # bob cannot continue alice's conversation either
        s.chat(s.w.bob, "send it", turn.conversation_id)
    pending = ListPendingActions(s.w.uow).execute(ListPendingActionsInput(s.w.alice.principal))
    assert [a.tool for a in pending] == ["send_email"]
    assert ListPendingActions(s.w.uow).execute(ListPendingActionsInput(s.w.bob.principal)) == []
