"""Which Mailbox adapter serves which connected account (part of the composition root, beside container.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from application.ports.clock import Clock
from application.ports.mailbox import Mailbox
from application.ports.mailbox_provider import MailboxProvider
from domain.errors import NotConfigured
from domain.mail_account import MailAccount, MailProvider

GmailFactory = Callable[[MailAccount], Mailbox]


class InstallationMailboxes(MailboxProvider):
    """The demo mailbox lives in one SQLite file shared by every process of the installation (server, CLI,
    workers), one account per key; Gmail accounts get a GmailMailbox built with their stored tokens."""

    def __init__(
        self,
        *,
        clock: Clock,
        demo_path: Path | None,
        gmail_factory: GmailFactory | None,
        demo_size: int = 300,
    ) -> None:
        self.clock = clock
        self.demo_path = demo_path
        self.gmail_factory = gmail_factory
        self.demo_size = demo_size
        self._demo: dict[str, Mailbox] = {}
        self._lock = threading.Lock()

    def supports(self, provider: MailProvider) -> bool:
        if provider is MailProvider.DEMO:
            return self.demo_path is not None
        return self.gmail_factory is not None

    def _demo_mailbox(self, account: MailAccount) -> Mailbox:
        from adapters.sqlite_mailbox.mailbox import SqliteMailbox

        if self.demo_path is None:
            raise NotConfigured("The demo mailbox is only available in the embedded default (local profile).")
        with self._lock:
            mailbox = self._demo.get(account.id)
            if mailbox is None:
                mailbox = SqliteMailbox(self.demo_path, account.id, address=account.address, clock=self.clock.now)
                self._demo[account.id] = mailbox
            return mailbox

    def open(self, account: MailAccount) -> Mailbox:
        if account.provider is MailProvider.DEMO:
            return self._demo_mailbox(account)
        if self.gmail_factory is None:
            raise NotConfigured(
                "Gmail is not configured on this installation: set MAILAGENT_GOOGLE_CLIENT_ID and "
                "MAILAGENT_GOOGLE_CLIENT_SECRET."
            )
        return self.gmail_factory(account)

    def provision(self, account: MailAccount) -> None:
        if account.provider is not MailProvider.DEMO:
            return
        from adapters.demo.generator import generate_demo_mailbox, seed_mailbox

        mailbox = self._demo_mailbox(account)
        items = generate_demo_mailbox(self.clock.now(), owner_address=account.address, size=self.demo_size)
        seed_mailbox(mailbox, items, only_if_empty=True)  # type: ignore[arg-type]
