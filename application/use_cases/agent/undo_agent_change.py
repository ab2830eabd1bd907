"""The caller's reversible changes the agent made in a conversation (labels, read state, archive, drafts), and
undoing one: exactly its recorded reversal (labels it added come off, labels it took off go back on, a draft it made
is deleted, a draft it rewrote gets its earlier content back), once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.agent.toolbox import UseCaseToolbox
from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.use_cases.agent.common import UowFactory, owned_conversation, require_agent
from domain.agent import AgentChange
from domain.audit import AgentAuditAction, AuditContext, AuditDraft
from domain.errors import Conflict, NotFound
from domain.events import DomainEvent, EventType, event_id
from domain.identity import Principal, new_id


@dataclass(frozen=True)
class ListAgentChangesInput:
    principal: Principal
    conversation_id: str
    since: datetime | None = None  # only changes made at or after this moment (one turn's)


class ListAgentChanges:
    def __init__(self, uow: UowFactory) -> None:
        self.new_uow = uow

    def execute(self, inp: ListAgentChangesInput) -> Sequence[AgentChange]:
        require_agent(inp.principal)
        with self.new_uow() as uow:
            owned_conversation(uow, inp.principal, inp.conversation_id)
            found = uow.agent_changes.list_for_conversation(inp.principal.user_id, inp.conversation_id)
        return [c for c in found if inp.since is None or c.created_at >= inp.since]


@dataclass(frozen=True)
class UndoAgentChangeInput:
    principal: Principal
    change_id: str
    context: AuditContext = AuditContext()


class UndoAgentChange:
    def __init__(self, uow: UowFactory, toolbox: UseCaseToolbox, clock: Clock, relay: OutboxRelay) -> None:
        self.new_uow, self.toolbox, self.clock, self.relay = uow, toolbox, clock, relay

    def execute(self, inp: UndoAgentChangeInput) -> AgentChange:
        require_agent(inp.principal)
        with self.new_uow() as uow:
            change = uow.agent_changes.get(inp.change_id)
        if change is None or change.user_id != inp.principal.user_id:
            raise NotFound("No such change.")
        undone = change.mark_undone(self.clock.now())  # Conflict when already undone
        with self.new_uow() as uow:  # claim it first: two clicks undo once
            try:
                uow.agent_changes.update(undone, expected_version=change.version)
            except Conflict:
                raise Conflict("This change was undone meanwhile.") from None
            uow.commit()
        try:
            self.toolbox.effects.undo(inp.principal, change.undo)
        except Exception:
            with self.new_uow() as uow:  # it did not happen: the change stays undoable
                uow.agent_changes.update(change, expected_version=undone.version)
                uow.commit()
            raise
        now = self.clock.now()
        with self.new_uow() as uow:
            details = {
                "conversation_id": change.conversation_id,
                "change_id": change.id,
                "tool": change.tool,
                "summary": change.summary[:300],
            }
            uow.audit.append(
                AuditDraft(
                    AgentAuditAction.CHANGE_UNDONE,
                    inp.principal.user_id,
                    target=f"agent_conversation:{change.conversation_id}",
                    context=inp.context,
                    details=details,
                ),
                at=now,
            )
            data = {**details, "status": "undone", "tool": "undo"}
            uow.events.append(
                DomainEvent(
                    event_id(EventType.AGENT_TOOL_CALL.value, change.conversation_id, new_id()),
                    inp.principal.user_id,
                    EventType.AGENT_TOOL_CALL,
                    now,
                    data,
                )
            )
            uow.commit()
        self.relay.flush()
        return undone
