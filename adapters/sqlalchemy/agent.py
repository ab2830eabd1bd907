"""The agent's repositories on SQLAlchemy: conversations, pending actions (compare-and-set on version) and
per-user policies. Core statements, so no identity map hands back a row older than the last UPDATE."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session as OrmSession

from adapters.sqlalchemy.models import AgentChangeRow, AgentConversationRow, AgentPendingActionRow, AgentPolicyRow
from application.ports.agent_store import (
    AgentChangeRepository,
    AgentPolicyRepository,
    ConversationRecord,
    ConversationRepository,
    PendingActionRepository,
)
from domain.agent import AgentChange, AgentPolicy, PendingAction, PendingStatus
from domain.approval import Snapshot
from domain.errors import Conflict, ValidationFailed

C = AgentConversationRow.__table__
P = AgentPendingActionRow.__table__
POL = AgentPolicyRow.__table__
CH = AgentChangeRow.__table__


def _conversation(row: Row[Any]) -> ConversationRecord:
    m = row._mapping
    return ConversationRecord(
        id=m["id"],
        user_id=m["user_id"],
        title=m["title"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        messages=m["messages"],
    )


class SqlAlchemyConversationRepository(ConversationRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, conversation: ConversationRecord) -> None:
        if self.get(conversation.id) is not None:
            raise Conflict("A conversation with this id exists already.")
        self.s.execute(insert(C).values(**_conversation_values(conversation)))

    def get(self, conversation_id: str) -> ConversationRecord | None:
        row = self.s.execute(select(C).where(C.c.id == conversation_id)).first()
        return _conversation(row) if row is not None else None

    def update(self, conversation: ConversationRecord) -> None:
        values = _conversation_values(conversation)
        del values["id"]
        self.s.execute(update(C).where(C.c.id == conversation.id).values(**values))

    def list_for_user(self, user_id: str, *, limit: int = 100) -> Sequence[ConversationRecord]:
        rows = self.s.execute(
            select(C).where(C.c.user_id == user_id).order_by(C.c.updated_at.desc(), C.c.id.desc()).limit(limit)
        )
        return [_conversation(r) for r in rows]


def _conversation_values(c: ConversationRecord) -> dict[str, Any]:
    return {
        "id": c.id,
        "user_id": c.user_id,
        "title": c.title[:200],
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "messages": c.messages,
    }


def _action_values(a: PendingAction) -> dict[str, Any]:
    return {
        "id": a.id,
        "user_id": a.user_id,
        "conversation_id": a.conversation_id,
        "tool": a.tool,
        "payload": dict(a.payload),
        "summary": a.summary[:500],
        "status": a.status.value,
        "created_at": a.created_at,
        "tool_call_id": a.tool_call_id,
        "decided_at": a.decided_at,
        "result": dict(a.result),
        "error": a.error[:1000] if a.error is not None else None,
        "version": a.version,
        "snapshot": a.snapshot.to_dict() if a.snapshot is not None else None,
        "snapshot_hash": a.snapshot.hash if a.snapshot is not None else None,
    }


def _snapshot(raw: Any) -> Snapshot | None:
    if not raw:
        return None
    try:
        return Snapshot.from_dict(raw)
    except ValidationFailed:  # a kind this version cannot read: shown without a snapshot, never runnable
        return None


def _action(row: Row[Any]) -> PendingAction:
    m = row._mapping
    return PendingAction(
        id=m["id"],
        user_id=m["user_id"],
        conversation_id=m["conversation_id"],
        tool=m["tool"],
        payload=m["payload"],
        summary=m["summary"],
        status=PendingStatus(m["status"]),
        created_at=m["created_at"],
        tool_call_id=m["tool_call_id"],
        decided_at=m["decided_at"],
        result=m["result"] or {},
        error=m["error"],
        version=m["version"],
        snapshot=_snapshot(m["snapshot"]),
    )


class SqlAlchemyPendingActionRepository(PendingActionRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, action: PendingAction) -> None:
        if self.get(action.id) is not None:
            raise Conflict("A pending action with this id exists already.")
        self.s.execute(insert(P).values(**_action_values(action)))

    def get(self, action_id: str) -> PendingAction | None:
        row = self.s.execute(select(P).where(P.c.id == action_id)).first()
        return _action(row) if row is not None else None

    def update(self, action: PendingAction, *, expected_version: int) -> None:
        values = _action_values(action)
        del values["id"]
        result = self.s.execute(update(P).where(P.c.id == action.id, P.c.version == expected_version).values(**values))
        if not getattr(result, "rowcount", 0):
            raise Conflict("This action was decided meanwhile; look again.")

    def list_for_user(
        self, user_id: str, *, status: PendingStatus | None = None, conversation_id: str | None = None, limit: int = 100
    ) -> Sequence[PendingAction]:
        where = [P.c.user_id == user_id]
        if status is not None:
            where.append(P.c.status == status.value)
        if conversation_id is not None:
            where.append(P.c.conversation_id == conversation_id)
        rows = self.s.execute(select(P).where(*where).order_by(P.c.created_at, P.c.id).limit(limit))
        return [_action(r) for r in rows]


class SqlAlchemyAgentPolicyRepository(AgentPolicyRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def get(self, user_id: str) -> AgentPolicy:
        row = self.s.execute(select(POL).where(POL.c.user_id == user_id)).first()
        if row is None:
            return AgentPolicy()
        return AgentPolicy(auto_run_reversible=bool(row._mapping["auto_run_reversible"]))

    def put(self, user_id: str, policy: AgentPolicy) -> None:
        values = {"auto_run_reversible": policy.auto_run_reversible}
        result = self.s.execute(update(POL).where(POL.c.user_id == user_id).values(**values))
        if not getattr(result, "rowcount", 0):
            self.s.execute(insert(POL).values(user_id=user_id, **values))


def _change_values(c: AgentChange) -> dict[str, Any]:
    return {
        "id": c.id,
        "user_id": c.user_id,
        "conversation_id": c.conversation_id,
        "turn_id": c.turn_id[:64],
        "tool": c.tool,
        "summary": c.summary[:500],
        "undo": dict(c.undo),
        "units": c.units,
        "created_at": c.created_at,
        "undone_at": c.undone_at,
        "version": c.version,
    }


def _change(row: Row[Any]) -> AgentChange:
    m = row._mapping
    return AgentChange(
        id=m["id"],
        user_id=m["user_id"],
        conversation_id=m["conversation_id"],
        turn_id=m["turn_id"],
        tool=m["tool"],
        summary=m["summary"],
        undo=m["undo"] or {},
        units=m["units"],
        created_at=m["created_at"],
        undone_at=m["undone_at"],
        version=m["version"],
    )


class SqlAlchemyAgentChangeRepository(AgentChangeRepository):
    def __init__(self, session: OrmSession) -> None:
        self.s = session

    def add(self, change: AgentChange) -> None:
        if self.get(change.id) is not None:
            raise Conflict("A change with this id exists already.")
        self.s.execute(insert(CH).values(**_change_values(change)))

    def get(self, change_id: str) -> AgentChange | None:
        row = self.s.execute(select(CH).where(CH.c.id == change_id)).first()
        return _change(row) if row is not None else None

    def update(self, change: AgentChange, *, expected_version: int) -> None:
        values = _change_values(change)
        del values["id"]
        result = self.s.execute(
            update(CH).where(CH.c.id == change.id, CH.c.version == expected_version).values(**values)
        )
        if not getattr(result, "rowcount", 0):
            raise Conflict("This change was undone meanwhile; look again.")

    def list_for_conversation(self, user_id: str, conversation_id: str, *, limit: int = 500) -> Sequence[AgentChange]:
        rows = self.s.execute(
            select(CH)
            .where(CH.c.user_id == user_id, CH.c.conversation_id == conversation_id)
            .order_by(CH.c.created_at, CH.c.id)
            .limit(limit)
        )
        return [_change(r) for r in rows]

    def units_in_turn(self, user_id: str, turn_id: str) -> int:
        total = self.s.execute(
            select(func.coalesce(func.sum(CH.c.units), 0)).where(CH.c.user_id == user_id, CH.c.turn_id == turn_id)
        ).scalar_one()
        return int(total)
