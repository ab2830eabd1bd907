"""LibmagicContentSniffer: the media type from the file's first bytes, by libmagic (the `file` command's library)."""

from __future__ import annotations

import threading

import magic

from application.ports.content_sniffer import ContentSniffer

FALLBACK = "application/octet-stream"


class LibmagicContentSniffer(ContentSniffer):
    def __init__(self) -> None:
        self._magic = magic.Magic(mime=True)
        self._lock = threading.Lock()  # one libmagic handle is not safe to share between threads

    def sniff(self, head: bytes) -> str:
        if not head:
            return "application/x-empty"
        with self._lock:
            found = self._magic.from_buffer(head)
        kind = str(found or "").strip().lower()
        return kind if kind.count("/") == 1 and " " not in kind else FALLBACK
