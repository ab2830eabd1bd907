"""One of the caller's conversations with its history and its actions (another user's: NotFound)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.agent.toolbox import UseCaseToolbox
from application.ports.agent_store import ConversationRecord
from application.ports.email_agent import ConversationMessage, EmailAgent
from application.use_cases.agent.common import UowFactory, owned_conversation, require_agent
from application.use_cases.agent.list_pending_actions import stale_sources
from domain.agent import AgentChange, PendingAction
from domain.identity import Principal


@dataclass(frozen=True)
class GetConversationInput:
    principal: Principal
    conversation_id: str


@dataclass(frozen=True)
class ConversationView:
    conversation: ConversationRecord
    messages: Sequence[ConversationMessage]
    actions: Sequence[PendingAction]
    stale: frozenset[str] = frozenset()  # waiting actions whose draft changed since they were held
    changes: Sequence[AgentChange] = ()  # the reversible changes the agent made, with their Undo


class GetConversation:
    def __init__(self, agent: EmailAgent, uow: UowFactory, toolbox: UseCaseToolbox | None = None) -> None:
        self.agent, self.new_uow, self.toolbox = agent, uow, toolbox

    def execute(self, inp: GetConversationInput) -> ConversationView:
        require_agent(inp.principal)
        with self.new_uow() as uow:
            record = owned_conversation(uow, inp.principal, inp.conversation_id)
            actions = uow.pending_actions.list_for_user(inp.principal.user_id, conversation_id=record.id)
            changes = uow.agent_changes.list_for_conversation(inp.principal.user_id, record.id)
        messages = self.agent.history(inp.principal, record.id)
        stale = stale_sources(self.toolbox, inp.principal, actions)
        return ConversationView(record, messages, actions, stale, changes)
