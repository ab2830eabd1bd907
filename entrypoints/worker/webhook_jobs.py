"""Webhook jobs: one delivery attempt per job, and the periodic sweep for deliveries whose job was lost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from application.ports.job_queue import PERIODIC_LANE, JobPayload, JobRegistry
from application.use_cases.notifications.deliver_webhooks import DELIVER_JOB, SWEEP_JOB
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from entrypoints.container import Container


def register(registry: JobRegistry, container: Container) -> None:
    def deliver(payload: JobPayload) -> None:
        delivery_id = payload.get("delivery_id")
        if not isinstance(delivery_id, str):
            raise ValidationFailed("webhooks.deliver needs a delivery_id.")
        # Receiver failures are recorded and retried by the use case itself (the Svix schedule, not the queue's).
        container.deliver_webhook().execute(delivery_id)

    def sweep(_: JobPayload) -> None:
        container.sweep_webhook_deliveries().execute()

    registry.register(DELIVER_JOB, deliver)
    registry.register(SWEEP_JOB, sweep, lane=PERIODIC_LANE)
