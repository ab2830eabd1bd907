"""What an approval binds to: the frozen, fully resolved effect of a held action, its content hash, and the card a
person reads before deciding (docs/adr/0011-an-approval-is-a-snapshot.md).

An `Effect` says exactly what would happen (for mail: the account, From, every recipient after Reply-To and
reply-all resolution, subject, bodies, attachments by SHA-256, threading headers). `Snapshot.of(effect)` freezes it
with the SHA-256 of its canonical content; approving runs that snapshot and nothing else. The `Card` of an effect is
what every client shows (web app, CLI, REST, WebSocket). Pure data: resolving a tool call into an effect and running
an effect live in the application (application/agent/effects/). A new kind of effect (a calendar invite, an MCP
client's call) is a new `Effect` subclass registered with `@register_effect`, plus a handler in the application."""

from __future__ import annotations

import enum
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from domain.errors import ValidationFailed
from domain.mail import EmailAddress
from domain.recipient_checks import ascii_address

SNAPSHOT_SCHEMA = 1


class RecipientFlag(enum.StrEnum):
    """Why a person should look twice at a recipient. Each has a sentence a person understands (FLAG_TEXT)."""

    FIRST_CONTACT = "first_contact"
    REPLY_TO = "reply_to"
    REPLY_ALL = "reply_all"
    OUTSIDE_ORGANISATION = "outside_organisation"
    NAME_SHOWS_OTHER_ADDRESS = "name_shows_other_address"
    LOOKALIKE_DOMAIN = "lookalike_domain"


FLAG_TEXT: Mapping[RecipientFlag, str] = {
    RecipientFlag.FIRST_CONTACT: "never written to before",
    RecipientFlag.REPLY_TO: "not the sender of the mail you are replying to (Reply-To)",
    RecipientFlag.REPLY_ALL: "added by reply-all",
    RecipientFlag.OUTSIDE_ORGANISATION: "outside your organisation",
    RecipientFlag.NAME_SHOWS_OTHER_ADDRESS: "the name shows a different address than the one it goes to",
    RecipientFlag.LOOKALIKE_DOMAIN: "the domain looks like another one (look-alike characters)",
}

RECIPIENT_FIELDS = ("to", "cc", "bcc")


@dataclass(frozen=True)
class Recipient:
    """One address the effect reaches, in the header it is in (to, cc or bcc), with the flags found for it."""

    field: str
    address: str
    name: str = ""
    flags: tuple[RecipientFlag, ...] = ()

    def __post_init__(self) -> None:
        if self.field not in RECIPIENT_FIELDS:
            raise ValidationFailed(f"A recipient is in to, cc or bcc, not {self.field!r}.")
        object.__setattr__(self, "flags", tuple(RecipientFlag(f) for f in self.flags))

    @property
    def email(self) -> EmailAddress:
        return EmailAddress(address=self.address, name=self.name)

    def content(self) -> dict[str, Any]:
        return {"field": self.field, "address": self.address, "name": self.name}

    def to_dict(self) -> dict[str, Any]:
        return {**self.content(), "flags": [f.value for f in self.flags]}

    @property
    def ascii_address(self) -> str:
        """What mail systems carry (a non-ASCII domain as punycode): shown beside the address when it differs."""
        return ascii_address(self.address)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Recipient:
        return cls(str(raw["field"]), str(raw["address"]), str(raw.get("name") or ""), tuple(raw.get("flags") or ()))

    def describe(self) -> str:
        shown = str(self.email)
        if self.ascii_address != self.address:
            shown += f" (really {self.ascii_address})"
        flags = "; ".join(FLAG_TEXT[f] for f in self.flags)
        return f"{self.field.capitalize()}: {shown}" + (f"  [{flags}]" if flags else "")


@dataclass(frozen=True)
class CardItem:
    """One thing a card lists (a message that would be trashed, one change of a batch)."""

    label: str
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"label": self.label, "detail": self.detail}


@dataclass(frozen=True)
class CardAttachment:
    filename: str
    mime_type: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"filename": self.filename, "mime_type": self.mime_type, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Card:
    """What a person reads before deciding, the same in every client: a title, every recipient with its flags,
    labelled fields (From, Subject, Send at...), the full body, the attachments, listed items and notes."""

    title: str
    recipients: tuple[Recipient, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    body: str | None = None
    html_body: str | None = None
    attachments: tuple[CardAttachment, ...] = ()
    items: tuple[CardItem, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "recipients": [
                {**r.to_dict(), "ascii_address": r.ascii_address, "flag_texts": [FLAG_TEXT[f] for f in r.flags]}
                for r in self.recipients
            ],
            "fields": [{"label": label, "value": value} for label, value in self.fields],
            "body": self.body,
            "html_body": self.html_body,
            "attachments": [a.to_dict() for a in self.attachments],
            "items": [i.to_dict() for i in self.items],
            "notes": list(self.notes),
        }

    def as_text(self) -> str:
        """The card as plain lines (the CLI, logs of decisions): nothing left out but the HTML version."""
        lines = [self.title]
        lines += [f"  {r.describe()}" for r in self.recipients]
        lines += [f"  {label}: {value}" for label, value in self.fields]
        lines += [f"  Attachment: {a.filename} ({a.size} bytes, sha256 {a.sha256[:16]}…)" for a in self.attachments]
        lines += [f"  - {i.label}" + (f" ({i.detail})" if i.detail else "") for i in self.items]
        lines += [f"  Note: {n}" for n in self.notes]
        if self.body is not None:
            lines += ["  Body:", *(f"    {line}" for line in (self.body or "(empty)").splitlines() or [""])]
        if self.html_body:
            lines.append("  (also has a formatted HTML version)")
        return "\n".join(lines)


class Effect(ABC):
    """A fully resolved external effect. `content()` is exactly what would happen (hashed); `to_dict()` adds what
    only explains it (recipient flags, what a reply answers). Subclasses are frozen dataclasses."""

    kind: ClassVar[str]

    @abstractmethod
    def content(self) -> dict[str, Any]:
        """JSON-ready and canonical: equal effects give equal content."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """content() plus annotations; `from_dict(to_dict())` gives the effect back."""

    @classmethod
    @abstractmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Effect: ...

    @abstractmethod
    def card(self) -> Card: ...

    def recipients(self) -> tuple[Recipient, ...]:
        """Every address this effect reaches (none for effects that stay in the mailbox)."""
        return ()

    def units(self) -> int:
        """How many things it changes (messages, drafts): what a per-turn budget counts."""
        return 1


E = TypeVar("E", bound=type[Effect])
_EFFECTS: dict[str, type[Effect]] = {}


def register_effect(cls: E) -> E:
    """Class decorator: make a kind of effect loadable from storage by its `kind`."""
    if cls.kind in _EFFECTS and _EFFECTS[cls.kind] is not cls:
        raise ValueError(f"Two effects are registered as {cls.kind!r}.")
    _EFFECTS[cls.kind] = cls
    return cls


def effect_from_dict(raw: Mapping[str, Any]) -> Effect:
    kind = str(raw.get("kind") or "")
    cls = _EFFECTS.get(kind)
    if cls is None:
        raise ValidationFailed(f"Unknown kind of effect {kind!r}.")
    try:
        return cls.from_dict(raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationFailed(f"Not a stored {kind} effect: {exc}") from None


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def content_hash(effect: Effect) -> str:
    return hashlib.sha256(canonical_json({"kind": effect.kind, **effect.content()}).encode()).hexdigest()


@dataclass(frozen=True)
class Snapshot:
    """A frozen effect with the SHA-256 of its content: what an approval binds to."""

    effect: Effect
    hash: str

    @classmethod
    def of(cls, effect: Effect) -> Snapshot:
        return cls(effect, content_hash(effect))

    @property
    def kind(self) -> str:
        return self.effect.kind

    def card(self) -> Card:
        return self.effect.card()

    def recipients(self) -> tuple[Recipient, ...]:
        return self.effect.recipients()

    def intact(self) -> bool:
        """The stored hash still matches the content (nothing changed it since it was frozen)."""
        return content_hash(self.effect) == self.hash

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SNAPSHOT_SCHEMA, "hash": self.hash, "effect": {"kind": self.kind, **self.effect.to_dict()}}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Snapshot:
        effect = effect_from_dict(raw.get("effect") or {})
        return cls(effect, str(raw.get("hash") or ""))


# ---- a generic effect: several held changes approved together -------------------------------------------------


@dataclass(frozen=True)
class BatchPart:
    tool_call_id: str
    tool: str
    effect: Effect

    def to_dict(self) -> dict[str, Any]:
        return {
            "tool_call_id": self.tool_call_id,
            "tool": self.tool,
            "effect": {"kind": self.effect.kind, **self.effect.to_dict()},
        }


@register_effect
@dataclass(frozen=True)
class BatchEffect(Effect):
    """Changes held together as one decision (the reversible changes of a turn beyond its budget)."""

    kind: ClassVar[str] = "batch"
    parts: tuple[BatchPart, ...]
    reason: str = ""

    def content(self) -> dict[str, Any]:
        return {"parts": [{"tool": p.tool, "kind": p.effect.kind, **p.effect.content()} for p in self.parts]}

    def to_dict(self) -> dict[str, Any]:
        return {"parts": [p.to_dict() for p in self.parts], "reason": self.reason}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> BatchEffect:
        parts = tuple(
            BatchPart(str(p["tool_call_id"]), str(p["tool"]), effect_from_dict(p["effect"])) for p in raw["parts"]
        )
        return cls(parts, str(raw.get("reason") or ""))

    def with_part(self, part: BatchPart) -> BatchEffect:
        return BatchEffect((*self.parts, part), self.reason)

    def units(self) -> int:
        return sum(p.effect.units() for p in self.parts)

    def recipients(self) -> tuple[Recipient, ...]:
        return tuple(r for p in self.parts for r in p.effect.recipients())

    def card(self) -> Card:
        items: list[CardItem] = []
        for p in self.parts:
            sub = p.effect.card()
            items.append(CardItem(sub.title, "; ".join(f"{i.label} {i.detail}".strip() for i in sub.items)[:500]))
        count, units = len(self.parts), self.units()
        title = f"{count} more change{_s(count)} ({units} item{_s(units)}) held together"
        return Card(title, items=tuple(items), notes=(self.reason,) if self.reason else ())


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def recipient_addresses(recipients: Sequence[Recipient]) -> list[str]:
    """Lower-cased envelope addresses, in order, each once: what the audit records and tests compare."""
    seen: dict[str, None] = {}
    for r in recipients:
        seen.setdefault(r.address.lower(), None)
    return list(seen)
