"""HtmlSanitizer: makes mail HTML safe to show (no scripts, handlers or javascript: URLs; cid: images kept)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class HtmlSanitizer(ABC):
    @abstractmethod
    def sanitize(self, html: str) -> str: ...
