"""Audit events: append-only and hash-chained so a removed or edited entry is detectable."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditContext:
    """Where an action came from: filled in by the entrypoint, carried through the use case."""

    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class AuditDraft:
    action: str
    actor_id: str | None
    target: str | None = None
    context: AuditContext = field(default_factory=AuditContext)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditEvent:
    seq: int
    id: str
    occurred_at: datetime
    action: str
    actor_id: str | None
    target: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


def compute_hash(
    *,
    seq: int,
    id: str,
    occurred_at: datetime,
    action: str,
    actor_id: str | None,
    target: str | None,
    ip: str | None,
    user_agent: str | None,
    request_id: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    canonical = json.dumps(
        {
            "seq": seq,
            "id": id,
            "at": occurred_at.isoformat(timespec="microseconds"),
            "action": action,
            "actor": actor_id,
            "target": target,
            "ip": ip,
            "ua": user_agent,
            "rid": request_id,
            "details": details,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def seal(draft: AuditDraft, *, seq: int, id: str, occurred_at: datetime, prev_hash: str) -> AuditEvent:
    fields: dict[str, Any] = {
        "seq": seq,
        "id": id,
        "occurred_at": occurred_at,
        "action": draft.action,
        "actor_id": draft.actor_id,
        "target": draft.target,
        "ip": draft.context.ip,
        "user_agent": draft.context.user_agent,
        "request_id": draft.context.request_id,
        "details": dict(draft.details),
        "prev_hash": prev_hash,
    }
    return AuditEvent(**fields, hash=compute_hash(**fields))


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str | None = None


def verify_chain(events: list[AuditEvent], head: tuple[int, str] | None = None) -> ChainReport:
    """Walk events in sequence order; report the first entry whose link or content does not match. With the
    recorded `head` (seq, hash of the newest entry), removing the newest entries is detected too."""
    prev = GENESIS_HASH
    expected_seq: int | None = None
    for count, event in enumerate(events, start=1):
        if expected_seq is not None and event.seq != expected_seq:
            return ChainReport(count - 1, False, event.seq, f"entry missing before seq {event.seq}")
        if event.prev_hash != prev:
            return ChainReport(count - 1, False, event.seq, "link to the previous entry does not match")
        recomputed = compute_hash(
            seq=event.seq,
            id=event.id,
            occurred_at=event.occurred_at,
            action=event.action,
            actor_id=event.actor_id,
            target=event.target,
            ip=event.ip,
            user_agent=event.user_agent,
            request_id=event.request_id,
            details=event.details,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return ChainReport(count - 1, False, event.seq, "entry content was changed after it was written")
        prev = event.hash
        expected_seq = event.seq + 1
    if head is not None:
        last_seq = events[-1].seq if events else 0
        if head[0] != last_seq or head[1] != prev:
            return ChainReport(
                len(events), False, last_seq + 1, f"the newest entries were removed (the chain ended at seq {head[0]})"
            )
    return ChainReport(len(events), True)


class AuditAction:
    """The actions this platform records. Strings, so later features can add their own."""

    REGISTER = "auth.register"
    VERIFY_EMAIL = "auth.verify_email"
    LOGIN_SUCCESS = "auth.login_success"
    LOGIN_FAILURE = "auth.login_failure"
    REFRESH = "auth.refresh"
    REFRESH_REUSE = "auth.refresh_reuse"
    LOGOUT = "auth.logout"
    RESET_REQUESTED = "auth.reset_requested"
    RESET_COMPLETED = "auth.reset_completed"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    USER_CREATED = "admin.user_created"
    ROLE_CHANGED = "admin.role_changed"
    USER_DISABLED = "admin.user_disabled"
    USER_ENABLED = "admin.user_enabled"
    JOB_REQUEUED = "admin.job_requeued"


class MailAuditAction:
    ACCOUNT_CONNECTED = "mail.account_connected"
    ACCOUNT_DISCONNECTED = "mail.account_disconnected"
    ACCOUNT_REAUTH_REQUIRED = "mail.account_reauth_required"
    SEARCH = "mail.search"
    READ = "mail.read"
    SEND = "mail.send"
    DRAFT_SAVED = "mail.draft_saved"
    DRAFT_DELETED = "mail.draft_deleted"
    LABELS_CHANGED = "mail.labels_changed"
    LABEL_CREATED = "mail.label_created"


class AgentAuditAction:
    """The agent's tool calls and the owner's decisions, each with the conversation id in its details."""

    TOOL_CALL = "agent.tool_call"  # a tool the gate let run (read, or reversible by policy)
    TOOL_FAILED = "agent.tool_failed"  # bad arguments or the use case refused
    ACTION_PENDING = "agent.action_pending"  # the gate stopped a call and stored it for the owner
    ACTION_EDITED = "agent.action_edited"  # the owner changed it: a new snapshot, still waiting
    ACTION_APPROVED = "agent.action_approved"
    ACTION_REJECTED = "agent.action_rejected"
    ACTION_EXECUTED = "agent.action_executed"
    ACTION_FAILED = "agent.action_failed"
    RATE_LIMITED = "agent.rate_limited"
