"""ContentSniffer: the media type of a file judged from its first bytes, not from what a client claims."""

from __future__ import annotations

from abc import ABC, abstractmethod

SNIFF_BYTES = 8192


class ContentSniffer(ABC):
    @abstractmethod
    def sniff(self, head: bytes) -> str:
        """A `type/subtype` for a file starting with `head` (its first SNIFF_BYTES bytes or fewer);
        application/octet-stream when nothing is recognised."""
