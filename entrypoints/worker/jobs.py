"""The job registry: every background job by name. A job takes ids, opens its own unit of work through a use
case from the container, and is idempotent (it may run again after a crash or a requeue)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from application.ports.job_queue import PERIODIC_LANE, JobPayload, JobRegistry
from application.use_cases.notifications.deliver_webhooks import SWEEP_JOB
from application.use_cases.notifications.slack import SUMMARIES_JOB
from entrypoints.worker import calendar_jobs, scheduled_jobs, sync_jobs, webhook_jobs
from entrypoints.worker.periodic import PeriodicJob

EXPIRE_UPLOADS_JOB = "attachments.expire"

if TYPE_CHECKING:
    from entrypoints.container import Container

logger = logging.getLogger(__name__)
AUDIT_SEAL_JOB = "audit.seal"


def build_registry(container: Container) -> JobRegistry:
    registry = JobRegistry(container.metrics())

    def relay_outbox(_: JobPayload) -> None:
        container.outbox_relay().flush()

    def prune_events(_: JobPayload) -> None:
        container.prune_events().execute()

    def seal_audit_log(_: JobPayload) -> None:
        report = container.seal_audit_log().execute()
        if report.sealed:
            # The head goes into the log, which is shipped off the machine (at most one line per seal period, fewer
            # than the access log's): a kept head proves later that the database still holds every entry up to it
            # (`mailagent audit verify --head SEQ:HASH`).
            logger.info("audit sealed up to %s (%d just now, %d waiting)", report.head, report.sealed, report.backlog)

    registry.register("outbox.relay", relay_outbox, lane=PERIODIC_LANE)
    registry.register("events.prune", prune_events, lane=PERIODIC_LANE)
    registry.register(AUDIT_SEAL_JOB, seal_audit_log, lane=PERIODIC_LANE)

    def expire_uploads(_: JobPayload) -> None:
        container.expire_uploads().execute()

    registry.register(EXPIRE_UPLOADS_JOB, expire_uploads, lane=PERIODIC_LANE)
    scheduled_jobs.register(registry, container)
    sync_jobs.register(registry, container)
    calendar_jobs.register(registry, container)
    webhook_jobs.register(registry, container)
    return registry


def periodic_jobs(container: Container) -> list[PeriodicJob]:
    settings = container.settings()
    return [
        # Catches what a crashed process committed but never relayed; normal traffic is relayed inline.
        PeriodicJob("outbox.relay", lambda: settings.outbox_relay_seconds),
        PeriodicJob("events.prune", lambda: 3600),
        # Integrates new audit entries into the hash chain (requests only insert them; ADR 0012).
        PeriodicJob(AUDIT_SEAL_JOB, lambda: settings.audit_seal_seconds),
        # Uploads no draft or scheduled e-mail used within 24 h (the S3 lifecycle rule is the second line).
        PeriodicJob(EXPIRE_UPLOADS_JOB, lambda: settings.attachment_expiry_seconds),
        # Sends due emails whose delayed job was lost and takes back the ones a crashed worker held.
        PeriodicJob("scheduled.dispatch", lambda: settings.scheduled_dispatch_seconds),
        # Mailbox sync: the polling fallback (each account once per mail_poll_seconds) and Gmail watch renewal.
        PeriodicJob(sync_jobs.POLL_JOB, lambda: min(sync_jobs.POLL_TICK_SECONDS, settings.mail_poll_seconds)),
        PeriodicJob(sync_jobs.WATCH_RENEW_JOB, lambda: sync_jobs.WATCH_RENEW_SECONDS),
        # Google Calendar: changes polled with sync tokens, push channels renewed before they expire.
        PeriodicJob(calendar_jobs.POLL_JOB, lambda: settings.mail_poll_seconds),
        PeriodicJob(calendar_jobs.WATCH_RENEW_JOB, lambda: calendar_jobs.WATCH_RENEW_SECONDS),
        # Webhook deliveries whose job was lost (a worker killed mid-attempt): enqueued again once their lease ends.
        PeriodicJob(SWEEP_JOB, lambda: settings.webhook_sweep_seconds),
        # Daily Slack summaries: each connected user's scheduled moment is checked once a minute.
        PeriodicJob(SUMMARIES_JOB, lambda: 60),
    ]
