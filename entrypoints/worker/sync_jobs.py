"""Mailbox sync jobs: `mail.sync` (one account, payload `account_id`), `mail.poll` (the polling fallback: queue a
sync for accounts not checked for MAILAGENT_MAIL_POLL_SECONDS) and `mail.watch_renew` (renew Gmail push watches,
detect lapsed ones). Each opens its own units of work through a use case and is idempotent."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from application.ports.job_queue import PERIODIC_LANE, JobPayload, JobRegistry
from application.use_cases.mail.sync_mailbox import SYNC_JOB, SyncMailboxInput
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from entrypoints.container import Container

logger = logging.getLogger(__name__)

POLL_JOB = "mail.poll"
WATCH_RENEW_JOB = "mail.watch_renew"
POLL_TICK_SECONDS = 60.0  # mail.poll runs this often; each account is synced once per mail_poll_seconds
WATCH_RENEW_SECONDS = 3600.0


def register(registry: JobRegistry, container: Container) -> None:
    def sync(payload: JobPayload) -> None:
        account_id = payload.get("account_id")
        if not isinstance(account_id, str) or not account_id:
            raise ValidationFailed("mail.sync needs the account_id to sync.")
        result = container.sync_mailbox().execute(SyncMailboxInput(account_id))
        if result.skipped:
            logger.info("mail.sync %s skipped: %s", account_id, result.skipped)

    def poll(_: JobPayload) -> None:
        container.poll_mailboxes().execute()

    def renew(_: JobPayload) -> None:
        report = container.renew_watches().execute()
        if report.lapsed or report.failed:
            logger.warning(
                "gmail watches: %d renewed, %d lapsed, %d failed",
                len(report.renewed),
                len(report.lapsed),
                len(report.failed),
            )

    # One waiting sync per account: a burst of sends, pushes or polls of an account is one sync, not hundreds.
    registry.register(SYNC_JOB, sync, coalesce_by="account_id")
    registry.register(POLL_JOB, poll, lane=PERIODIC_LANE)
    registry.register(WATCH_RENEW_JOB, renew, lane=PERIODIC_LANE)
