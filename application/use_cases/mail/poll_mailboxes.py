"""The polling fallback: queue a sync for every connected account not checked for `interval_seconds`.

Runs every minute (the `mail.poll` periodic job); each account is checked about once per interval (default 300 s,
MAILAGENT_MAIL_POLL_SECONDS). When the account was last checked is kept in the Cache (Redis in production) under
`last_check_key`, written here and by every sync, so an account kept fresh by push or by its user's own actions
is not polled as well. A cache that is down makes every account due (a sync is idempotent)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.job_queue import JobQueue
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.mail.sync_mailbox import (
    SYNC_JOB,
    SYNC_RETRY,
    last_check_key,
    parse_last_check,
    sync_job_id,
)
from domain.errors import InfrastructureError
from domain.mail_account import AccountStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollReport:
    accounts: int
    queued: tuple[str, ...]  # account ids whose sync was queued


class PollMailboxes:
    def __init__(self, uow: UnitOfWork, jobs: JobQueue, cache: Cache, clock: Clock, interval_seconds: float) -> None:
        self.uow, self.jobs, self.cache, self.clock = uow, jobs, cache, clock
        self.interval = max(1.0, float(interval_seconds))

    def execute(self) -> PollReport:
        with self.uow as uow:
            accounts = [a for a in uow.mail_sync.accounts() if a.status is AccountStatus.ACTIVE]
        now = self.clock.now()
        ttl = int(max(self.interval * 4, 3600))
        queued: list[str] = []
        for account in accounts:
            key = last_check_key(account.id)
            try:
                last = parse_last_check(self.cache.get(key))
            except InfrastructureError:
                last = None
            if last is not None and (now - last).total_seconds() < self.interval:
                continue
            self.jobs.enqueue(SYNC_JOB, {"account_id": account.id}, job_id=sync_job_id(account.id), retry=SYNC_RETRY)
            queued.append(account.id)
            try:
                self.cache.set(key, now.isoformat(), ttl_seconds=ttl)
            except InfrastructureError:
                logger.warning("mail poll: could not note the check of account %s", account.id)
        return PollReport(len(accounts), tuple(queued))
