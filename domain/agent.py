"""The agent's rules that no model can change: what each tool may do on its own, and pending actions that only
their owner can approve."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain.approval import Snapshot
from domain.errors import Conflict


class ActionClass(enum.StrEnum):
    READ = "read"  # search, read, list: always runs
    REVERSIBLE = "reversible"  # draft, label, mark read: runs by default (per-user configurable)
    EXTERNAL = "external"  # reaches another person or loses data (send, reply, forward, schedule, trash): asks first


class PendingStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # the user said yes; execution in progress
    EXECUTED = "executed"
    FAILED = "failed"  # approved but the use case refused or the provider failed
    REJECTED = "rejected"


@dataclass(frozen=True)
class AgentPolicy:
    """Per-user switches. External actions always ask: there is deliberately no switch for them."""

    auto_run_reversible: bool = True


@dataclass(frozen=True)
class PendingAction:
    """A tool call the gate stopped. `snapshot` is the frozen, fully resolved effect it would have (recipients,
    bodies, attachments' hashes, times, exact message ids): the card the owner reads is made from it, and approving
    runs exactly it. `payload` is the tool's arguments it was resolved from; an edit resolves a new snapshot."""

    id: str
    user_id: str
    conversation_id: str
    tool: str
    payload: Mapping[str, Any]
    summary: str  # one line a person can judge: the snapshot card's title
    status: PendingStatus
    created_at: datetime
    tool_call_id: str = ""  # the model's id for the call, so the result goes back to the right place
    decided_at: datetime | None = None
    result: Mapping[str, Any] = field(default_factory=dict)  # what the use case returned, or the error
    error: str | None = None
    version: int = 1
    snapshot: Snapshot | None = None  # None only for actions stored before snapshots existed: never runnable

    def _require_pending(self, verb: str) -> None:
        if self.status is not PendingStatus.PENDING:
            raise Conflict(f"This action was already {self.status.value}; it can no longer be {verb}.")

    def decide(self, *, approve: bool, at: datetime, expected_hash: str | None = None) -> PendingAction:
        """Approve (only the snapshot as it is, and only the one the owner saw when `expected_hash` is given) or
        reject."""
        self._require_pending("decided")
        if approve:
            if self.snapshot is None:
                raise Conflict(
                    "This action was prepared before approvals carried their exact effect; reject it and ask the "
                    "agent again."
                )
            if expected_hash is not None and expected_hash != self.snapshot.hash:
                raise Conflict(
                    "This action changed since you looked at it; look at it again before approving.",
                    details=[{"field": "snapshot_hash", "current": self.snapshot.hash}],
                )
        return replace(
            self,
            status=PendingStatus.APPROVED if approve else PendingStatus.REJECTED,
            decided_at=at,
            version=self.version + 1,
        )

    def revise(self, *, payload: Mapping[str, Any], snapshot: Snapshot) -> PendingAction:
        """The owner's edit (or the new version of the draft it sends): a new snapshot, still waiting."""
        self._require_pending("edited")
        return replace(
            self,
            payload=dict(payload),
            snapshot=snapshot,
            summary=snapshot.card().title[:500],
            version=self.version + 1,
        )


@dataclass(frozen=True)
class AgentChange:
    """A reversible change the agent made without asking (labels, read state, archive, a draft) or that its owner
    approved, kept with exactly how to undo it, so each turn's changes can be listed with Undo. `undo` is the plan
    (its `kind` names the effect handler that reverses it); `units` is what the per-turn budget counts."""

    id: str
    user_id: str
    conversation_id: str
    turn_id: str
    tool: str
    summary: str
    undo: Mapping[str, Any]
    units: int
    created_at: datetime
    undone_at: datetime | None = None
    version: int = 1

    @property
    def undoable(self) -> bool:
        return self.undone_at is None and bool(self.undo)

    def mark_undone(self, at: datetime) -> AgentChange:
        if self.undone_at is not None:
            raise Conflict("This change was already undone.")
        if not self.undo:
            raise Conflict("This change cannot be undone.")
        return replace(self, undone_at=at, version=self.version + 1)
