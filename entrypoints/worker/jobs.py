"""The job registry: every background job by name. A job takes ids, opens its own unit of work through a use
case from the container, and is idempotent (it may run again after a crash or a requeue)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from application.ports.job_queue import JobPayload, JobRegistry
from entrypoints.worker import scheduled_jobs, sync_jobs
from entrypoints.worker.periodic import PeriodicJob

if TYPE_CHECKING:
    from entrypoints.container import Container


def build_registry(container: Container) -> JobRegistry:
    registry = JobRegistry()

    def relay_outbox(_: JobPayload) -> None:
        container.outbox_relay().flush()

    def prune_events(_: JobPayload) -> None:
        container.prune_events().execute()

    registry.register("outbox.relay", relay_outbox)
    registry.register("events.prune", prune_events)
    scheduled_jobs.register(registry, container)
    sync_jobs.register(registry, container)
    return registry


def periodic_jobs(container: Container) -> list[PeriodicJob]:
    settings = container.settings()
    return [
        # Catches what a crashed process committed but never relayed; normal traffic is relayed inline.
        PeriodicJob("outbox.relay", lambda: settings.outbox_relay_seconds),
        PeriodicJob("events.prune", lambda: 3600),
        # Sends due emails whose delayed job was lost and takes back the ones a crashed worker held.
        PeriodicJob("scheduled.dispatch", lambda: settings.scheduled_dispatch_seconds),
        # Mailbox sync: the polling fallback (each account once per mail_poll_seconds) and Gmail watch renewal.
        PeriodicJob(sync_jobs.POLL_JOB, lambda: min(sync_jobs.POLL_TICK_SECONDS, settings.mail_poll_seconds)),
        PeriodicJob(sync_jobs.WATCH_RENEW_JOB, lambda: sync_jobs.WATCH_RENEW_SECONDS),
    ]
