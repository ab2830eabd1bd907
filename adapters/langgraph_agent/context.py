"""Per-run context of the graph (LangGraph `context`, never checkpointed): who is asking, in which conversation.
The Principal stays out of the checkpoint on purpose: it carries the user record, which is not conversation data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from application.agent.tools import ToolContext
from domain.identity import Principal


@dataclass(frozen=True)
class AgentContext:
    principal: Principal
    conversation_id: str
    now: Callable[[], datetime]
    account_id: str | None = None
    turn_id: str = ""  # one run of the graph (a message, or a resume): what the reversible-change budget counts per

    def tool_context(self, tool_call_id: str) -> ToolContext:
        return ToolContext(self.principal, self.conversation_id, tool_call_id, self.account_id, self.turn_id)
