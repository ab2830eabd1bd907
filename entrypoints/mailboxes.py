"""Which Mailbox adapter serves which connected account (part of the composition root, beside container.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from application.caching_mailbox import CachingMailbox, MailCacheStats, MailCacheTtls
from application.guarded_mailbox import GuardedMailbox
from application.ports.cache import Cache
from application.ports.circuit_breaker import CircuitBreakers
from application.ports.clock import Clock
from application.ports.mailbox import Mailbox
from application.ports.mailbox_provider import MailboxProvider
from domain.errors import NotConfigured
from domain.mail_account import MailAccount, MailProvider

GmailFactory = Callable[[MailAccount], Mailbox]


class InstallationMailboxes(MailboxProvider):
    """The demo mailbox lives in one SQLite file shared by every process of the installation (server, CLI,
    workers), one account per key; IMAP accounts an ImapSmtpMailbox (entrypoints.imap_wiring); Gmail accounts
    get a GmailMailbox built with their stored tokens.

    A Gmail mailbox is opened behind the "gmail" circuit breaker (fail fast while Gmail is down) and the mail cache
    (labels and messages, see application.caching_mailbox). The demo mailbox is neither: it is a local file, cheap
    to read, and written by other processes (the CLI, `demo deliver`) whose in-memory caches this one cannot see."""

    def __init__(
        self,
        *,
        clock: Clock,
        demo_path: Path | None,
        gmail_factory: GmailFactory | None,
        imap_factory: GmailFactory | None = None,
        demo_size: int = 300,
        breakers: CircuitBreakers | None = None,
        cache: Cache | None = None,
        cache_ttls: MailCacheTtls | None = None,
    ) -> None:
        self.clock = clock
        self.demo_path = demo_path
        self.gmail_factory = gmail_factory
        self.imap_factory = imap_factory
        self.demo_size = demo_size
        self.breakers = breakers
        self.cache = cache
        self.cache_ttls = cache_ttls or MailCacheTtls()
        self.cache_stats = MailCacheStats()
        self._demo: dict[str, Mailbox] = {}
        self._lock = threading.Lock()

    def supports(self, provider: MailProvider) -> bool:
        if provider is MailProvider.DEMO:
            return self.demo_path is not None
        if provider is MailProvider.IMAP:
            return self.imap_factory is not None
        return self.gmail_factory is not None

    def _demo_mailbox(self, account: MailAccount) -> Mailbox:
        from adapters.sqlite_mailbox.mailbox import SqliteMailbox

        if self.demo_path is None:
            raise NotConfigured(
                "The demo mailbox is turned off on this server: set MAILAGENT_DEMO_MAILBOX=true to offer it "
                "(it is on by default only in the local profile)."
            )
        with self._lock:
            mailbox = self._demo.get(account.id)
            if mailbox is None:
                mailbox = SqliteMailbox(self.demo_path, account.id, address=account.address, clock=self.clock.now)
                self._demo[account.id] = mailbox
            return mailbox

    def open(self, account: MailAccount) -> Mailbox:
        if account.provider is MailProvider.DEMO:
            return self._demo_mailbox(account)
        if account.provider is MailProvider.IMAP:
            if self.imap_factory is None:
                raise NotConfigured("IMAP accounts are turned off on this server.")
            imap = self.imap_factory(account)
            # a local index serves the reads: no mail cache; the breaker fails fast while the server is down
            return imap if self.breakers is None else GuardedMailbox(imap, self.breakers, service="imap")
        if self.gmail_factory is None:
            raise NotConfigured(
                "Gmail is not configured on this installation: set MAILAGENT_GOOGLE_CLIENT_ID and "
                "MAILAGENT_GOOGLE_CLIENT_SECRET."
            )
        mailbox = self.gmail_factory(account)
        if self.breakers is not None:
            mailbox = GuardedMailbox(mailbox, self.breakers, service="gmail")
        if self.cache is not None:
            mailbox = CachingMailbox(
                mailbox, self.cache, self.clock, account_id=account.id, ttls=self.cache_ttls, stats=self.cache_stats
            )
        return mailbox

    def provision(self, account: MailAccount) -> None:
        if account.provider is not MailProvider.DEMO:
            return
        from adapters.demo.generator import generate_demo_mailbox, seed_mailbox

        mailbox = self._demo_mailbox(account)
        items = generate_demo_mailbox(self.clock.now(), owner_address=account.address, size=self.demo_size)
        seed_mailbox(mailbox, items, only_if_empty=True)  # type: ignore[arg-type]
