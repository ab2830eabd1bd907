"""EmailAgent: the conversational agent as the application sees it (LangGraph behind it, in adapters/)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.identity import Principal


@dataclass(frozen=True)
class ToolActivity:
    """One tool call of a turn: what the model asked, and what came of it (`status`: ok, error, pending,
    rejected)."""

    tool_call_id: str
    tool: str
    args: Mapping[str, Any]
    status: str
    summary: str = ""
    pending_action_id: str | None = None


@dataclass(frozen=True)
class AgentTurn:
    conversation_id: str
    reply: str  # the assistant's last message of the turn ("" while paused for an approval)
    activity: tuple[ToolActivity, ...] = ()
    pending_action_ids: tuple[str, ...] = ()  # the turn is paused until these are decided
    model: str = ""  # which model answered ("offline" for the OfflineCommandModel)


@dataclass(frozen=True)
class ConversationMessage:
    role: str  # user | assistant | tool
    content: str
    at: datetime | None = None
    tool: str | None = None


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    updated_at: datetime
    messages: int


# Streaming: (kind, data) with kind in agent.message | agent.tool_call | agent.action_pending | agent.task_completed
AgentListener = Callable[[str, Mapping[str, Any]], None]


@dataclass(frozen=True)
class Decision:
    """The owner's decision on a pending action, already executed by the application when approved: the agent
    only hears the outcome (it never executes an approved action itself)."""

    pending_action_id: str
    approved: bool
    result: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None


class EmailAgent(ABC):
    @abstractmethod
    def chat(
        self, principal: Principal, message: str, *, conversation_id: str | None, listener: AgentListener | None = None
    ) -> AgentTurn:
        """One user message in a (new or existing) conversation of this user; runs until the agent answers or a
        tool call is stopped by the gate (then the turn pauses with pending_action_ids)."""

    @abstractmethod
    def resume(
        self,
        principal: Principal,
        conversation_id: str,
        decisions: Sequence[Decision],
        *,
        listener: AgentListener | None = None,
    ) -> AgentTurn:
        """Continue a paused conversation once its pending actions are decided (results go back as tool results)."""

    @abstractmethod
    def conversations(self, principal: Principal) -> Sequence[ConversationSummary]: ...

    @abstractmethod
    def history(self, principal: Principal, conversation_id: str) -> Sequence[ConversationMessage]:
        """NotFound for another user's conversation (never reveal it exists)."""
