"""Repositories of the agent on the unit of work: conversations (who owns which LangGraph thread) and pending
actions (tool calls waiting for their owner's decision)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.agent import AgentChange, AgentPolicy, PendingAction, PendingStatus


@dataclass(frozen=True)
class ConversationRecord:
    id: str  # also the LangGraph thread id
    user_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    messages: int = 0


class ConversationRepository(ABC):
    @abstractmethod
    def add(self, conversation: ConversationRecord) -> None: ...

    @abstractmethod
    def get(self, conversation_id: str) -> ConversationRecord | None: ...

    @abstractmethod
    def update(self, conversation: ConversationRecord) -> None: ...

    @abstractmethod
    def list_for_user(self, user_id: str, *, limit: int = 100) -> Sequence[ConversationRecord]:
        """Newest first."""


class PendingActionRepository(ABC):
    @abstractmethod
    def add(self, action: PendingAction) -> None: ...

    @abstractmethod
    def get(self, action_id: str) -> PendingAction | None: ...

    @abstractmethod
    def update(self, action: PendingAction, *, expected_version: int) -> None:
        """Conflict if the stored version is not `expected_version` (two decisions racing: one wins)."""

    @abstractmethod
    def list_for_user(
        self, user_id: str, *, status: PendingStatus | None = None, conversation_id: str | None = None, limit: int = 100
    ) -> Sequence[PendingAction]:
        """Oldest first."""


class AgentPolicyRepository(ABC):
    @abstractmethod
    def get(self, user_id: str) -> AgentPolicy:
        """The user's policy, or the default."""

    @abstractmethod
    def put(self, user_id: str, policy: AgentPolicy) -> None: ...


class AgentChangeRepository(ABC):
    """The reversible changes the agent made, per conversation and turn (compare-and-set on version)."""

    @abstractmethod
    def add(self, change: AgentChange) -> None: ...

    @abstractmethod
    def get(self, change_id: str) -> AgentChange | None: ...

    @abstractmethod
    def update(self, change: AgentChange, *, expected_version: int) -> None:
        """Conflict if the stored version is not `expected_version` (two undos racing: one wins)."""

    @abstractmethod
    def list_for_conversation(self, user_id: str, conversation_id: str, *, limit: int = 500) -> Sequence[AgentChange]:
        """Oldest first."""

    @abstractmethod
    def units_in_turn(self, user_id: str, turn_id: str) -> int:
        """How many things (messages, drafts) the changes of this turn touched."""
