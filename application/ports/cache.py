"""Cache: a shared key-value cache with TTLs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class Cache(ABC):
    # True when no call ever waits on I/O (a structure in this process): code on an event loop may call it inline.
    in_process: bool = False

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str, *, ttl_seconds: int) -> None: ...

    @abstractmethod
    def delete(self, *keys: str) -> None: ...

    @abstractmethod
    def stats(self) -> CacheStats:
        """Hits and misses seen by this process."""
