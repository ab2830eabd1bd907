"""Contacts: the people of one connected account's address book (Google People, the demo address book)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from domain.contacts import Contact


class Contacts(ABC):
    """Saved contacts and "other contacts" (people the user has written to). A missing id raises NotFound."""

    @abstractmethod
    def search(self, query: str, limit: int = 10) -> list[Contact]:
        """Contacts whose name, address or organisation match every word of `query` (case- and accent-
        insensitive; see domain.contacts.match_rank), best first; an empty query lists them all."""

    @abstractmethod
    def get(self, contact_id: str) -> Contact: ...

    @abstractmethod
    def list_all(self, limit: int = 100) -> list[Contact]:
        """Every contact, saved ones first, by name; at most `limit`."""
