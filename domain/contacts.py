"""Contacts: people with names, e-mail addresses, organisation and photo, and how a search matches them."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.errors import ValidationFailed

MAX_QUERY = 200
MAX_LIMIT = 100


@dataclass(frozen=True)
class Contact:
    """One person. `emails[0]` is the primary address. `other` marks an address-book entry made from mail the
    user exchanged ("other contacts" in Google's terms) rather than one they saved."""

    id: str
    name: str
    emails: tuple[str, ...]
    organisation: str = ""
    title: str = ""
    phones: tuple[str, ...] = ()
    photo_url: str | None = None
    other: bool = False

    def __post_init__(self) -> None:
        emails = tuple(dict.fromkeys(e.strip().lower() for e in self.emails if e.strip()))
        if any("@" not in e for e in emails):
            raise ValidationFailed("A contact's e-mail addresses must contain '@'.")
        if not emails and not self.name.strip():
            raise ValidationFailed("A contact needs a name or an e-mail address.")
        object.__setattr__(self, "emails", emails)

    @property
    def email(self) -> str:
        return self.emails[0] if self.emails else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "emails": list(self.emails),
            "organisation": self.organisation,
            "title": self.title,
            "phones": list(self.phones),
            "photo_url": self.photo_url,
            "other": self.other,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Contact:
        return cls(
            id=str(raw["id"]),
            name=str(raw.get("name") or ""),
            emails=tuple(str(e) for e in raw.get("emails") or ()),
            organisation=str(raw.get("organisation") or ""),
            title=str(raw.get("title") or ""),
            phones=tuple(str(p) for p in raw.get("phones") or ()),
            photo_url=raw.get("photo_url") or None,
            other=bool(raw.get("other", False)),
        )


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Díaz' and 'DIAZ' both become 'diaz'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def check_query(query: str, limit: int) -> str:
    text = " ".join(query.split())
    if len(text) > MAX_QUERY:
        raise ValidationFailed(f"A contact search is at most {MAX_QUERY} characters.")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"The limit is 1 to {MAX_LIMIT}.")
    return text


def match_rank(contact: Contact, query: str) -> int | None:
    """How well `contact` matches: 0 a name word or address starts with the query, 1 it appears inside them,
    2 it matches the organisation; None when it does not match. Every word of the query must match."""
    words = fold(query).split()
    if not words:
        return 3
    name = fold(contact.name)
    name_words = name.split()
    addresses = [fold(e) for e in contact.emails]
    organisation = fold(contact.organisation)
    worst = 0
    for word in words:
        if any(w.startswith(word) for w in name_words) or any(a.startswith(word) for a in addresses):
            rank = 0
        elif word in name or any(word in a for a in addresses):
            rank = 1
        elif word in organisation:
            rank = 2
        else:
            return None
        worst = max(worst, rank)
    return worst


def search_contacts(contacts: Iterable[Contact], query: str, limit: int) -> list[Contact]:
    """Every contact matching `query` (see `match_rank`), best match first, then saved before other contacts,
    then by name; at most `limit`."""
    text = check_query(query, limit)
    ranked: list[tuple[int, bool, str, str, Contact]] = []
    for c in contacts:
        rank = match_rank(c, text)
        if rank is not None:
            ranked.append((rank, c.other, fold(c.name or c.email), c.id, c))
    ranked.sort(key=lambda r: r[:4])
    return [r[4] for r in ranked[:limit]]
