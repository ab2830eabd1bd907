"""Google Calendar sync jobs: `calendar.sync` (one account, payload `account_id`), `calendar.poll` (queue a sync of
every Google account: the polling fallback) and `calendar.watch_renew` (push channels renewed before expiry)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from application.ports.job_queue import PERIODIC_LANE, JobPayload, JobRegistry
from application.use_cases.calendar.sync_calendar import CALENDAR_SYNC_JOB, SyncCalendarInput
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from entrypoints.container import Container

logger = logging.getLogger(__name__)

POLL_JOB = "calendar.poll"
WATCH_RENEW_JOB = "calendar.watch_renew"
WATCH_RENEW_SECONDS = 3600.0


def register(registry: JobRegistry, container: Container) -> None:
    def sync(payload: JobPayload) -> None:
        account_id = payload.get("account_id")
        if not isinstance(account_id, str) or not account_id:
            raise ValidationFailed("calendar.sync needs the account_id to sync.")
        result = container.sync_calendar().execute(SyncCalendarInput(account_id))
        if result.skipped:
            logger.info("calendar.sync %s skipped: %s", account_id, result.skipped)

    def poll(_: JobPayload) -> None:
        container.poll_calendars().execute()

    def renew(_: JobPayload) -> None:
        report = container.renew_calendar_watches().execute()
        if report.failed:
            logger.warning("calendar watches: %d renewed, %d failed", len(report.renewed), len(report.failed))

    registry.register(CALENDAR_SYNC_JOB, sync, coalesce_by="account_id")
    registry.register(POLL_JOB, poll, lane=PERIODIC_LANE)
    registry.register(WATCH_RENEW_JOB, renew, lane=PERIODIC_LANE)
