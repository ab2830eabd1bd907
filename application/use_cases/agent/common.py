"""Shared by the agent use cases: whose conversation is this, and what a finished turn leaves behind (the
conversation record, agent.message / agent.task_completed events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from application.authorization import require_scope
from application.outbox import OutboxRelay
from application.ports.agent_store import ConversationRecord
from application.ports.clock import Clock
from application.ports.email_agent import AgentTurn
from application.ports.unit_of_work import UnitOfWork
from domain.errors import NotFound
from domain.events import DomainEvent, EventType, event_id
from domain.identity import Principal, Scope, new_id

REPLY_EVENT_CHARS = 4000
UowFactory = Callable[[], UnitOfWork]


def require_agent(principal: Principal) -> None:
    require_scope(principal, Scope.AGENT)


def owned_conversation(uow: UnitOfWork, principal: Principal, conversation_id: str) -> ConversationRecord:
    """The caller's conversation; NotFound for a missing one and for someone else's alike."""
    found = uow.agent_conversations.get(conversation_id)
    if found is None or found.user_id != principal.user_id:
        raise NotFound("No such conversation.")
    return found


def finish_turn(
    new_uow: UowFactory, clock: Clock, relay: OutboxRelay, principal: Principal, turn: AgentTurn, *, title: str = ""
) -> None:
    """Record the turn on the conversation (created on its first turn unless the agent did) and tell the user's
    clients about it."""
    now = clock.now()
    user_id = principal.user_id
    cid = turn.conversation_id
    with new_uow() as uow:
        record = uow.agent_conversations.get(cid)
        if record is None:
            uow.agent_conversations.add(
                ConversationRecord(cid, user_id, (title.strip() or "Conversation")[:200], now, now, 2)
            )
        elif record.user_id != user_id:  # the agent answered in a thread that is not the caller's: never record
            raise NotFound("No such conversation.")
        elif record.updated_at < now:  # the agent may keep the record itself (message count): only the time moves
            uow.agent_conversations.update(replace(record, updated_at=now))
        if turn.reply:
            data = {"conversation_id": cid, "role": "assistant", "text": turn.reply[:REPLY_EVENT_CHARS]}
            uow.events.append(
                DomainEvent(event_id("agent.message", cid, new_id()), user_id, EventType.AGENT_MESSAGE, now, data)
            )
        if not turn.pending_action_ids:
            uow.events.append(
                DomainEvent(
                    event_id("agent.task_completed", cid, new_id()),
                    user_id,
                    EventType.AGENT_TASK_COMPLETED,
                    now,
                    {"conversation_id": cid},
                )
            )
        uow.commit()
    relay.flush()
