"""The agent's tools as the application defines them: names, argument schemas, and the class of each action.
The LangGraph adapter turns these specs into model-facing tools and calls `AgentToolbox.call` for every call;
the toolbox applies the gate (domain.agent.ActionClass) BEFORE any use case runs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.agent import ActionClass
from domain.identity import Principal


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str  # what the model reads
    parameters: Mapping[str, Any]  # JSON Schema of the arguments (type object)
    action: ActionClass


@dataclass(frozen=True)
class ToolContext:
    principal: Principal
    conversation_id: str
    tool_call_id: str = ""
    account_id: str | None = None
    turn_id: str = ""  # the agent's turn (budget of reversible changes); "" counts per conversation

    @property
    def turn(self) -> str:
        return self.turn_id or f"conversation:{self.conversation_id}"


@dataclass(frozen=True)
class ToolOutcome:
    """`status`: ok (content is the result, JSON), error (content says why, for the model), pending (stopped by
    the gate; pending_action_id says which PendingAction waits for the user)."""

    status: str
    content: Mapping[str, Any]
    summary: str = ""
    pending_action_id: str | None = None


class AgentToolbox(ABC):
    @abstractmethod
    def specs(self) -> tuple[ToolSpec, ...]: ...

    @abstractmethod
    def call(self, ctx: ToolContext, tool: str, args: Mapping[str, Any]) -> ToolOutcome:
        """Validate, classify, and either run the use case (read; reversible unless the user's policy says ask)
        or store a PendingAction (external; reversible when asked) and return status pending. Never raises for a
        tool's own failure: the model gets status error with a message a person understands."""

    def end_turn(self, turn_id: str) -> None:  # noqa: B027 - optional hook: toolboxes that keep nothing per turn
        """The agent's turn `turn_id` is over (answered, waiting for approval, or failed): write what the gate kept
        back for it (see UseCaseToolbox: the records of read calls). Called once per run of the graph."""
