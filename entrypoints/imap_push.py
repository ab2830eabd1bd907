"""Push for IMAP accounts: one IDLE connection per account (a thread each); a reported change queues the account's
sync job at once, the same job the poller queues (application.use_cases.mail.poll_mailboxes stays the fallback)."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from domain.errors import DomainError, InfrastructureError, NotConfigured, ReauthRequired

logger = logging.getLogger(__name__)


class ImapPushWatcher:
    """Watches the INBOX of each account given; `on_change(account_id)` runs on the watcher's thread."""

    def __init__(
        self,
        on_change: Callable[[str], None],
        *,
        wait_seconds: float = 25 * 60,
        retry_seconds: float = 30.0,
    ) -> None:
        self.on_change = on_change
        self.wait_seconds, self.retry_seconds = wait_seconds, retry_seconds
        self._stop = threading.Event()
        self._threads: dict[str, threading.Thread] = {}

    def watch(self, account_id: str, imap_account: Any) -> None:
        if account_id in self._threads and self._threads[account_id].is_alive():
            return
        thread = threading.Thread(
            target=self._run, args=(account_id, imap_account), name=f"imap-idle-{account_id}", daemon=True
        )
        self._threads[account_id] = thread
        thread.start()

    def _run(self, account_id: str, imap_account: Any) -> None:
        from adapters.imap_smtp.idle import ImapIdle

        while not self._stop.is_set():
            idle = ImapIdle(imap_account)
            try:
                idle.start()
                self.on_change(account_id)  # catch up on what arrived while not watching
                while not self._stop.is_set():
                    if idle.wait(min(self.wait_seconds, 5.0)):
                        self.on_change(account_id)
            except (NotConfigured, ReauthRequired) as exc:
                logger.info("imap push: not watching account %s: %s", account_id, exc.message)
                return
            except (InfrastructureError, DomainError) as exc:
                logger.warning("imap push: account %s: %s; retrying", account_id, exc.message)
                self._stop.wait(self.retry_seconds)
            finally:
                with contextlib.suppress(InfrastructureError, DomainError):
                    idle.close()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in self._threads.values():
            thread.join(timeout)
