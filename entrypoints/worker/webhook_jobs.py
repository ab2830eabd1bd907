"""Notification jobs: one webhook delivery attempt per job, the periodic sweep for deliveries whose job was lost,
one Slack alert per job (the queue retries it with backoff), and the periodic daily-summary check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from application.ports.job_queue import PERIODIC_LANE, JobPayload, JobRegistry
from application.use_cases.notifications.deliver_webhooks import DELIVER_JOB, SWEEP_JOB
from application.use_cases.notifications.slack import NOTIFY_JOB, SUMMARIES_JOB
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

    def notify_slack(payload: JobPayload) -> None:
        user_id, seq = payload.get("user_id"), payload.get("seq")
        if not isinstance(user_id, str) or not isinstance(seq, int):
            raise ValidationFailed("slack.notify needs a user_id and an event seq.")
        container.notify_slack().execute(user_id, seq)

    def slack_summaries(_: JobPayload) -> None:
        container.send_due_slack_summaries().execute()

    registry.register(DELIVER_JOB, deliver)
    registry.register(SWEEP_JOB, sweep, lane=PERIODIC_LANE)
    registry.register(NOTIFY_JOB, notify_slack)
    registry.register(SUMMARIES_JOB, slack_summaries, lane=PERIODIC_LANE)
