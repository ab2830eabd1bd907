"""Audit events: append-only, sealed into a hash chain shortly after they are written, so a removed, edited or
reordered sealed entry is detectable (ADR 0012)."""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
    """One audit entry. It is written unsealed (`seq`, `prev_hash` and `hash` are None) in the transaction of the
    action it records; the sealer later integrates it into the hash chain, in batches (see ADR 0012)."""

    seq: int | None
    id: str
    occurred_at: datetime
    action: str
    actor_id: str | None
    target: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    prev_hash: str | None
    hash: str | None

    @property
    def sealed(self) -> bool:
        return self.seq is not None


@dataclass(frozen=True)
class AuditHead:
    """The newest sealed entry: its sequence number and hash. Kept elsewhere (printed by `mailagent audit verify`,
    logged at every seal), it proves later that the log still holds everything up to it."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> AuditHead:
        seq, sep, digest = text.strip().partition(":")
        if not sep or not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError("a head is SEQ:HASH, as `mailagent audit verify` prints it (e.g. 42:9f86d081...)")
        return cls(int(seq), digest)


GENESIS = AuditHead(0, GENESIS_HASH)


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


_written = itertools.count()


def entry_id(occurred_at: datetime) -> str:
    """32 hex characters that sort like the entries were written: the time (µs), then a per-process counter (same
    microsecond), then randomness (other processes). The sealer seals in (occurred_at, id) order."""
    micros = int(occurred_at.timestamp() * 1_000_000) & (16**14 - 1)
    return f"{micros:014x}{next(_written) & 0xFFFFFF:06x}{secrets.token_hex(6)}"


def new_entry(draft: AuditDraft, *, id: str, occurred_at: datetime) -> AuditEvent:
    """The entry as the action writes it: not in the chain yet."""
    return AuditEvent(
        seq=None,
        id=id,
        occurred_at=occurred_at,
        action=draft.action,
        actor_id=draft.actor_id,
        target=draft.target,
        ip=draft.context.ip,
        user_agent=draft.context.user_agent,
        request_id=draft.context.request_id,
        details=dict(draft.details),
        prev_hash=None,
        hash=None,
    )


def _entry_hash(entry: AuditEvent, *, seq: int, prev_hash: str) -> str:
    return compute_hash(
        seq=seq,
        id=entry.id,
        occurred_at=entry.occurred_at,
        action=entry.action,
        actor_id=entry.actor_id,
        target=entry.target,
        ip=entry.ip,
        user_agent=entry.user_agent,
        request_id=entry.request_id,
        details=entry.details,
        prev_hash=prev_hash,
    )


def seal_entry(entry: AuditEvent, *, seq: int, prev_hash: str) -> AuditEvent:
    """The entry integrated into the chain at `seq`, after the entry whose hash is `prev_hash`."""
    return replace(entry, seq=seq, prev_hash=prev_hash, hash=_entry_hash(entry, seq=seq, prev_hash=prev_hash))


def seal_batch(entries: list[AuditEvent], head: AuditHead) -> tuple[list[AuditEvent], AuditHead]:
    """Seal entries in the given order after `head`; returns them sealed and the new head."""
    sealed: list[AuditEvent] = []
    for entry in entries:
        done = seal_entry(entry, seq=head.seq + 1, prev_hash=head.hash)
        sealed.append(done)
        head = AuditHead(head.seq + 1, str(done.hash))
    return sealed, head


def seal(draft: AuditDraft, *, seq: int, id: str, occurred_at: datetime, prev_hash: str) -> AuditEvent:
    """A draft written and sealed in one step (tests and fixtures build chains with it)."""
    return seal_entry(new_entry(draft, id=id, occurred_at=occurred_at), seq=seq, prev_hash=prev_hash)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    ok: bool
    first_broken_seq: int | None = None
    reason: str | None = None
    head: AuditHead = GENESIS  # the newest sealed entry that verified (print it, keep it elsewhere)
    unsealed: int = 0  # entries written but not sealed yet: not covered by this check
    oldest_unsealed_at: datetime | None = None


class ChainVerifier:
    """Walks sealed entries in sequence order, fed in pages, and stops at the first one whose position, link or
    content does not match. `finish()` compares the end of the walk with the recorded head (entries removed from
    the end) and with a head kept elsewhere (the log was rewritten or truncated below it)."""

    def __init__(self, kept: AuditHead | None = None) -> None:
        self.kept = kept
        self.checked = 0
        self.head = GENESIS
        self.broken: ChainReport | None = None
        self._hash_at_kept_seq: str | None = None

    def feed(self, events: Sequence[AuditEvent]) -> bool:
        """False once the chain is broken (feed no more)."""
        if self.broken is not None:
            return False
        for event in events:
            expected = self.head.seq + 1
            if event.seq != expected:
                reason = f"entry missing before seq {event.seq}" if (event.seq or 0) > expected else "out of order"
                return self._break(event.seq or expected, reason)
            if event.prev_hash != self.head.hash:
                return self._break(expected, "link to the previous entry does not match")
            if _entry_hash(event, seq=expected, prev_hash=self.head.hash) != event.hash:
                return self._break(expected, "entry content was changed after it was written")
            self.head = AuditHead(expected, str(event.hash))
            self.checked += 1
            if self.kept is not None and expected == self.kept.seq:
                self._hash_at_kept_seq = event.hash
        return True

    def _break(self, seq: int, reason: str) -> bool:
        self.broken = ChainReport(self.checked, False, seq, reason, self.head)
        return False

    def finish(self, recorded: AuditHead | None = None) -> ChainReport:
        kept = self.kept
        if self.broken is not None:
            return self.broken
        if recorded is not None and recorded != self.head:
            return ChainReport(
                self.checked,
                False,
                self.head.seq + 1,
                f"the newest entries were removed (the sealer recorded the chain ending at seq {recorded.seq})",
                self.head,
            )
        if kept is not None:
            if kept.seq > self.head.seq:
                return ChainReport(
                    self.checked,
                    False,
                    self.head.seq + 1,
                    f"the log ends at seq {self.head.seq}, before the head kept elsewhere (seq {kept.seq}): "
                    "entries were removed",
                    self.head,
                )
            if kept.seq > 0 and self._hash_at_kept_seq != kept.hash:
                return ChainReport(
                    self.checked,
                    False,
                    kept.seq,
                    f"entry {kept.seq} is not the one whose hash was kept elsewhere: the log was rewritten",
                    self.head,
                )
        return ChainReport(self.checked, True, head=self.head)


def verify_chain(
    events: Sequence[AuditEvent], head: tuple[int, str] | AuditHead | None = None, kept: AuditHead | None = None
) -> ChainReport:
    """Walk sealed events in sequence order; report the first entry whose position, link or content does not
    match. With the recorded `head`, removing the newest entries is detected too; with a head `kept` elsewhere,
    rewriting or truncating the log below it."""
    verifier = ChainVerifier(kept)
    verifier.feed(events)
    recorded = AuditHead(*head) if isinstance(head, tuple) else head
    return verifier.finish(recorded)


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
    PASSWORD_CHANGED = "auth.password_changed"
    PASSWORD_CHANGE_FAILED = "auth.password_change_failed"
    PROFILE_UPDATED = "auth.profile_updated"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    USER_CREATED = "admin.user_created"
    ROLE_CHANGED = "admin.role_changed"
    USER_DISABLED = "admin.user_disabled"
    USER_ENABLED = "admin.user_enabled"
    JOB_REQUEUED = "admin.job_requeued"
    AUDIT_EXPORTED = "admin.audit_exported"


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
    CHANGE_UNDONE = "agent.change_undone"  # the owner undid a reversible change the agent made
    ACTION_EDITED = "agent.action_edited"  # the owner changed it: a new snapshot, still waiting
    ACTION_APPROVED = "agent.action_approved"
    ACTION_REJECTED = "agent.action_rejected"
    ACTION_EXECUTED = "agent.action_executed"
    ACTION_FAILED = "agent.action_failed"
    RATE_LIMITED = "agent.rate_limited"
