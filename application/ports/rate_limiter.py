"""RateLimiter: fixed-window counters shared by every process of an installation."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets (0 when allowed)


class RateLimiter(ABC):
    # True when no call ever waits on I/O (counters in this process): code on an event loop may call it inline.
    in_process: bool = False

    @abstractmethod
    def hit(self, key: str, *, limit: int, window_seconds: int, cost: int = 1) -> RateDecision:
        """Count `cost` against the key's window and say whether the caller is still within the limit."""

    @abstractmethod
    def peek(self, key: str, *, limit: int, window_seconds: int) -> RateDecision:
        """The same answer as `hit` without counting."""

    @abstractmethod
    def reset(self, key: str) -> None: ...
