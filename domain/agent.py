"""The agent's rules that no model can change: what each tool may do on its own, and pending actions that only
their owner can approve."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.errors import Conflict, ValidationFailed


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
    """A tool call the gate stopped: exactly what would run (tool + arguments), shown to the user, run only when
    that user approves (possibly with an edited payload, which is then what runs and what is recorded)."""

    id: str
    user_id: str
    conversation_id: str
    tool: str
    payload: Mapping[str, Any]
    summary: str  # one line a person can judge ("Send 'Re: offsite' to bob@example.com")
    status: PendingStatus
    created_at: datetime
    tool_call_id: str = ""  # the model's id for the call, so the result goes back to the right place
    decided_at: datetime | None = None
    result: Mapping[str, Any] = field(default_factory=dict)  # what the use case returned, or the error
    error: str | None = None
    version: int = 1

    def decide(self, *, approve: bool, at: datetime, payload: Mapping[str, Any] | None = None) -> PendingAction:
        if self.status is not PendingStatus.PENDING:
            raise Conflict(f"This action was already {self.status.value}.")
        if payload is not None and not approve:
            raise ValidationFailed("Only an approval can carry an edited payload.")
        return PendingAction(
            **{
                **self.__dict__,
                "status": PendingStatus.APPROVED if approve else PendingStatus.REJECTED,
                "payload": dict(payload) if payload is not None else self.payload,
                "decided_at": at,
                "version": self.version + 1,
            }
        )
