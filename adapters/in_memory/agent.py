"""The agent's repositories in the in-memory unit of work (same semantics as SQL: isolated until commit, and a
pending action's update is compare-and-set on its version, re-checked at commit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from application.ports.agent_store import (
    AgentChangeRepository,
    AgentPolicyRepository,
    ConversationRecord,
    ConversationRepository,
    PendingActionRepository,
)
from domain.agent import AgentChange, AgentPolicy, PendingAction, PendingStatus
from domain.errors import Conflict

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import _Tx

CONVERSATIONS = "agent_conversations"
ACTIONS = "pending_actions"
POLICIES = "agent_policies"
CHANGES = "agent_changes"


class InMemoryConversationRepository(ConversationRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, conversation: ConversationRecord) -> None:
        if self.get(conversation.id) is not None:
            raise Conflict("A conversation with this id exists already.")
        store, cid = self.tx.store, conversation.id
        self.tx.checks.append(lambda: cid not in store.agent_conversations)
        self.tx.put(CONVERSATIONS, conversation.id, conversation)

    def get(self, conversation_id: str) -> ConversationRecord | None:
        found: ConversationRecord | None = self.tx.get(CONVERSATIONS, conversation_id)
        return found

    def update(self, conversation: ConversationRecord) -> None:
        if self.get(conversation.id) is not None:
            self.tx.put(CONVERSATIONS, conversation.id, conversation)

    def list_for_user(self, user_id: str, *, limit: int = 100) -> Sequence[ConversationRecord]:
        mine = [c for c in self.tx.values(CONVERSATIONS) if c.user_id == user_id]
        return sorted(mine, key=lambda c: (c.updated_at, c.id), reverse=True)[:limit]


class InMemoryPendingActionRepository(PendingActionRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, action: PendingAction) -> None:
        if self.get(action.id) is not None:
            raise Conflict("A pending action with this id exists already.")
        store, aid = self.tx.store, action.id
        self.tx.checks.append(lambda: aid not in store.pending_actions)
        self.tx.put(ACTIONS, action.id, action)

    def get(self, action_id: str) -> PendingAction | None:
        found: PendingAction | None = self.tx.get(ACTIONS, action_id)
        return found

    def update(self, action: PendingAction, *, expected_version: int) -> None:
        current = self.get(action.id)
        if current is None or current.version != expected_version:
            raise Conflict("This action was decided meanwhile; look again.")
        store, aid = self.tx.store, action.id
        if aid in store.pending_actions and aid not in self.tx.writes[ACTIONS]:
            # first write of this row in the transaction: at commit, nobody else may have changed it since
            def unchanged() -> bool:
                committed = store.pending_actions.get(aid)
                return committed is not None and committed.version == expected_version

            self.tx.checks.append(unchanged)
        self.tx.put(ACTIONS, action.id, action)

    def list_for_user(
        self, user_id: str, *, status: PendingStatus | None = None, conversation_id: str | None = None, limit: int = 100
    ) -> Sequence[PendingAction]:
        found = [
            a
            for a in self.tx.values(ACTIONS)
            if a.user_id == user_id
            and (status is None or a.status is status)
            and (conversation_id is None or a.conversation_id == conversation_id)
        ]
        return sorted(found, key=lambda a: (a.created_at, a.id))[:limit]


class InMemoryAgentPolicyRepository(AgentPolicyRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def get(self, user_id: str) -> AgentPolicy:
        found: AgentPolicy | None = self.tx.get(POLICIES, user_id)
        return found if found is not None else AgentPolicy()

    def put(self, user_id: str, policy: AgentPolicy) -> None:
        self.tx.put(POLICIES, user_id, policy)


class InMemoryAgentChangeRepository(AgentChangeRepository):
    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def add(self, change: AgentChange) -> None:
        if self.get(change.id) is not None:
            raise Conflict("A change with this id exists already.")
        store, cid = self.tx.store, change.id
        self.tx.checks.append(lambda: cid not in store.agent_changes)
        self.tx.put(CHANGES, change.id, change)

    def get(self, change_id: str) -> AgentChange | None:
        found: AgentChange | None = self.tx.get(CHANGES, change_id)
        return found

    def update(self, change: AgentChange, *, expected_version: int) -> None:
        current = self.get(change.id)
        if current is None or current.version != expected_version:
            raise Conflict("This change was undone meanwhile; look again.")
        store, cid = self.tx.store, change.id
        if cid in store.agent_changes and cid not in self.tx.writes[CHANGES]:

            def unchanged() -> bool:
                committed = store.agent_changes.get(cid)
                return committed is not None and committed.version == expected_version

            self.tx.checks.append(unchanged)
        self.tx.put(CHANGES, change.id, change)

    def list_for_conversation(self, user_id: str, conversation_id: str, *, limit: int = 500) -> Sequence[AgentChange]:
        found = [c for c in self.tx.values(CHANGES) if c.user_id == user_id and c.conversation_id == conversation_id]
        return sorted(found, key=lambda c: (c.created_at, c.id))[:limit]

    def units_in_turn(self, user_id: str, turn_id: str) -> int:
        return sum(c.units for c in self.tx.values(CHANGES) if c.user_id == user_id and c.turn_id == turn_id)
