"""PasswordHasher: one-way password hashing."""

from __future__ import annotations

from abc import ABC, abstractmethod


class PasswordHasher(ABC):
    @abstractmethod
    def hash(self, password: str) -> str: ...

    @abstractmethod
    def verify(self, password_hash: str, password: str) -> bool:
        """True when the password matches; never raises for a mismatch."""

    @abstractmethod
    def needs_rehash(self, password_hash: str) -> bool: ...
