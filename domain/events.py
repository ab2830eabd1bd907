"""Domain events: what happened to a user's mail, scheduled sends or agent tasks, as delivered to live clients."""

from __future__ import annotations

import enum
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.errors import ValidationFailed


class EventType(enum.StrEnum):
    EMAIL_RECEIVED = "email.received"
    EMAIL_SENT = "email.sent"
    EMAIL_LABELS_CHANGED = "email.labels_changed"
    EMAIL_DELETED = "email.deleted"
    SCHEDULED_EMAIL_SENT = "scheduled_email.sent"
    SCHEDULED_EMAIL_FAILED = "scheduled_email.failed"
    AGENT_TASK_COMPLETED = "agent.task_completed"
    AGENT_MESSAGE = "agent.message"
    AGENT_TOOL_CALL = "agent.tool_call"
    AGENT_ACTION_PENDING = "agent.action_pending"
    MAILBOX_WATCH_LAPSED = "mailbox.watch_lapsed"
    CALENDAR_EVENT_CREATED = "calendar.event_created"
    CALENDAR_EVENT_UPDATED = "calendar.event_updated"
    CALENDAR_EVENT_DELETED = "calendar.event_deleted"
    WEBHOOK_ENDPOINT_DISABLED = "webhook.endpoint_disabled"


MAX_EVENT_DATA_CHARS = 16_000


def event_id(*parts: str) -> str:
    """A deterministic event id from what identifies the change (e.g. account, history id, message id, type), so
    the same change observed twice (a retried sync, push and poll racing) is stored and delivered once."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _check_json(value: Any, path: str) -> None:
    if value is None or isinstance(value, str | bool | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationFailed(f"Event data {path} must be a finite number.")
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationFailed(f"Event data keys must be strings ({path}).")
            _check_json(item, f"{path}.{key}")
        return
    raise ValidationFailed(f"Event data {path} must be JSON (got {type(value).__name__}).")


@dataclass(frozen=True)
class DomainEvent:
    """Something a user should hear about. `id` is the deduplication key (see `event_id`); `data` is JSON with
    ids and display fields only — never message bodies, tokens or secrets."""

    id: str
    user_id: str
    type: EventType
    occurred_at: datetime  # aware UTC
    data: Mapping[str, Any] = field(default_factory=dict)
    account_id: str | None = None

    def __post_init__(self) -> None:
        if not self.id or len(self.id) > 64:
            raise ValidationFailed("An event id is 1 to 64 characters.")
        if self.occurred_at.utcoffset() is None:
            raise ValidationFailed("An event's time must carry a timezone.")
        object.__setattr__(self, "type", EventType(self.type))
        _check_json(self.data, "data")


@dataclass(frozen=True)
class StoredEvent:
    """An event as kept in the outbox: `seq` orders a user's events and is the id clients resume from."""

    seq: int
    event: DomainEvent


def stored_event_to_dict(stored: StoredEvent) -> dict[str, Any]:
    e = stored.event
    return {
        "seq": stored.seq,
        "id": e.id,
        "user_id": e.user_id,
        "account_id": e.account_id,
        "type": e.type.value,
        "occurred_at": e.occurred_at.isoformat(),
        "data": dict(e.data),
    }


def stored_event_from_dict(raw: Mapping[str, Any]) -> StoredEvent:
    """The inverse of `stored_event_to_dict`; ValidationFailed for anything else (it reads what arrives on the bus)."""
    if not isinstance(raw, Mapping):
        raise ValidationFailed("Not a stored event: not an object.")
    account_id, data = raw.get("account_id"), raw.get("data", {})
    if account_id is not None and not isinstance(account_id, str):
        raise ValidationFailed("Not a stored event: account_id must be a string.")
    if not isinstance(data, Mapping) or isinstance(raw.get("seq"), bool):
        raise ValidationFailed("Not a stored event: data must be an object and seq a number.")
    try:
        return StoredEvent(
            seq=int(raw["seq"]),
            event=DomainEvent(
                id=str(raw["id"]),
                user_id=str(raw["user_id"]),
                account_id=account_id,
                type=EventType(raw["type"]),
                occurred_at=datetime.fromisoformat(str(raw["occurred_at"])),
                data=dict(data),
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"Not a stored event: {exc}") from None
