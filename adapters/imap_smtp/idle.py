"""IMAP IDLE (RFC 2177): wait on a connection of its own until the server reports a change in a folder, so a sync can
run at once instead of at the next poll. Servers without IDLE are polled (the mail.poll job) as before."""

from __future__ import annotations

import time
from typing import Any

from adapters.imap_smtp.transport import ImapSession, ImapSmtpAccount
from domain.errors import NotConfigured

# RFC 2177: clients should re-issue IDLE at least every 29 minutes, or servers may drop the connection
REFRESH_SECONDS = 25 * 60
_CHANGES = (b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED")


class ImapIdle:
    """One folder watched with IDLE. `wait()` returns True when the server reported a change."""

    def __init__(self, account: ImapSmtpAccount, folder: str = "INBOX", *, timeout: float = 60.0) -> None:
        self.folder = folder
        self.session = ImapSession(account, timeout=timeout)
        self._idling = False
        self._since = 0.0

    def start(self) -> None:
        with self.session.guarded() as client:
            if "IDLE" not in self.session.capabilities:
                raise NotConfigured(f"{self.session.where} does not offer IDLE; the mailbox is polled instead.")
            client.select_folder(self.folder, readonly=True)
            client.idle()
        self._idling = True
        self._since = time.monotonic()

    def _renew(self, client: Any) -> None:
        client.idle_done()
        client.idle()
        self._since = time.monotonic()

    def wait(self, seconds: float) -> bool:
        """Block up to `seconds`; True as soon as the folder changed. The IDLE is renewed before the server's
        30-minute limit. A broken connection raises ServiceUnavailable (the caller reconnects with start())."""
        if not self._idling:
            self.start()
        deadline = time.monotonic() + seconds
        with self.session.guarded() as client:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    if time.monotonic() - self._since > REFRESH_SECONDS:
                        self._renew(client)
                    return False
                responses = client.idle_check(timeout=min(left, 30.0))
                if any(isinstance(r, tuple) and len(r) > 1 and r[1] in _CHANGES for r in responses):
                    self._renew(client)
                    return True

    def close(self) -> None:
        if self._idling:
            with self.session.guarded() as client:
                client.idle_done()
            self._idling = False
        self.session.close()
