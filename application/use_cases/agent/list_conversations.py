"""The caller's agent conversations, most recently active first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports.agent_store import ConversationRecord
from application.use_cases.agent.common import UowFactory, require_agent
from domain.identity import Principal


@dataclass(frozen=True)
class ListConversationsInput:
    principal: Principal
    limit: int = 100


class ListConversations:
    def __init__(self, uow: UowFactory) -> None:
        self.new_uow = uow

    def execute(self, inp: ListConversationsInput) -> Sequence[ConversationRecord]:
        require_agent(inp.principal)
        with self.new_uow() as uow:
            return uow.agent_conversations.list_for_user(inp.principal.user_id, limit=max(1, min(inp.limit, 100)))
