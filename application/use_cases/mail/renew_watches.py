"""Keep Gmail push alive: renew each Gmail account's `users.watch` when it expires within RENEW_BEFORE (Gmail
ends a watch after 7 days), start one for accounts that have none, and detect a watch that LAPSED (expired without
being renewed: pushes stopped, only polling was catching changes). A lapse is recorded on the account's sync state,
logged, and stored as a `mailbox.watch_lapsed` event for its user (one per lapse: the id is keyed by the expiry).
Runs as the periodic `mail.watch_renew` job (hourly; a renewal is due two days ahead, so a day of failed runs is
still recovered). Does nothing without a push topic (MAILAGENT_GOOGLE_PUSH_TOPIC)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.ports.mailbox_provider import MailboxProvider
from application.ports.unit_of_work import UnitOfWork
from domain.errors import DomainError, InfrastructureError, NotConfigured
from domain.mail_account import AccountStatus, MailProvider
from domain.mail_sync import MailSyncState, SyncedAccount, WatchStatus, watch_lapsed_event

logger = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(days=2)


@dataclass
class WatchReport:
    configured: bool = True
    renewed: list[str] = field(default_factory=list)  # account ids watched anew
    lapsed: list[str] = field(default_factory=list)  # account ids whose watch had lapsed
    failed: dict[str, str] = field(default_factory=dict)  # account id -> why the renewal failed


class RenewWatches:
    def __init__(
        self,
        uow: UnitOfWork,
        mailboxes: MailboxProvider,
        clock: Clock,
        topic: str | None,
        relay: OutboxRelay | None = None,
    ) -> None:
        self.uow, self.mailboxes, self.clock, self.topic, self.relay = uow, mailboxes, clock, topic, relay

    def execute(self) -> WatchReport:
        report = WatchReport(configured=bool(self.topic))
        if not self.topic:
            return report
        with self.uow as uow:
            accounts = [a for a in uow.mail_sync.accounts(MailProvider.GOOGLE) if a.status is AccountStatus.ACTIVE]
            states = {a.id: uow.mail_sync.get(a.id) or MailSyncState(a.id) for a in accounts}
        for account in accounts:
            state = states[account.id]
            now = self.clock.now()
            expires = state.watch_expires_at
            if (
                expires is not None
                and expires <= now
                and state.watch_status in (WatchStatus.ACTIVE, WatchStatus.FAILED)
            ):
                self._lapsed(SyncedAccount(account.id, account.user_id, account.address), state, report)
            due = expires is None or expires - now <= RENEW_BEFORE or state.watch_status is not WatchStatus.ACTIVE
            if not due:
                continue
            try:
                expiration = self.mailboxes.open(account).watch(self.topic)
            except NotConfigured:
                continue
            except (DomainError, InfrastructureError) as exc:
                logger.warning("gmail watch: renewing account %s failed: %s", account.id, exc)
                report.failed[account.id] = str(exc)[:500]
                with self.uow as uow:
                    uow.mail_sync.record_watch(
                        account.id, status=WatchStatus.FAILED, expires_at=expires, error=str(exc)
                    )
                    uow.commit()
                continue
            with self.uow as uow:
                uow.mail_sync.record_watch(account.id, status=WatchStatus.ACTIVE, expires_at=expiration)
                uow.commit()
            report.renewed.append(account.id)
        if report.lapsed and self.relay is not None:
            self.relay.flush()
        return report

    def _lapsed(self, account: SyncedAccount, state: MailSyncState, report: WatchReport) -> None:
        assert state.watch_expires_at is not None
        logger.warning(
            "gmail watch LAPSED for account %s (expired %s without renewal): push stopped, polling only until it "
            "is renewed",
            account.id,
            state.watch_expires_at.isoformat(),
        )
        with self.uow as uow:
            uow.events.append(watch_lapsed_event(account, state.watch_expires_at, self.clock.now()))
            uow.mail_sync.record_watch(
                account.id,
                status=WatchStatus.LAPSED,
                expires_at=state.watch_expires_at,
                error=state.watch_error or "expired without renewal",
            )
            uow.commit()
        report.lapsed.append(account.id)
