"""The polling fallback of calendar sync: queue a `calendar.sync` of every active Google account whose calendar is
followed (used at least once: CalendarAccess creates its sync state) — the periodic `calendar.poll` job, every
MAILAGENT_MAIL_POLL_SECONDS. A sync with the stored sync token costs one request when nothing changed."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.job_queue import JobQueue
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.calendar.sync_calendar import CALENDAR_SYNC_JOB, CALENDAR_SYNC_RETRY
from domain.mail_account import AccountStatus, MailProvider


@dataclass(frozen=True)
class CalendarPollReport:
    queued: tuple[str, ...]


class PollCalendars:
    def __init__(self, uow: UnitOfWork, jobs: JobQueue, clock: Clock) -> None:
        self.uow, self.jobs, self.clock = uow, jobs, clock

    def execute(self) -> CalendarPollReport:
        with self.uow as uow:
            accounts = [
                a
                for a in uow.mail_sync.accounts(MailProvider.GOOGLE)
                if a.status is AccountStatus.ACTIVE and uow.calendar_sync.get(a.id) is not None
            ]
        tick = self.clock.now().strftime("%Y%m%dT%H%M")
        for account in accounts:
            self.jobs.enqueue(
                CALENDAR_SYNC_JOB,
                {"account_id": account.id},
                job_id=f"calendar-sync-{account.id}-poll-{tick}",
                retry=CALENDAR_SYNC_RETRY,
            )
        return CalendarPollReport(tuple(a.id for a in accounts))
