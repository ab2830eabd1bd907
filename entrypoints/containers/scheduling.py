"""Scheduling: sends at a chosen time, their delivery policy (lease, retries, batches) and the jobs' use cases."""

from __future__ import annotations

from dependency_injector import containers, providers

from application.use_cases.scheduled.cancel_scheduled_email import CancelScheduledEmail
from application.use_cases.scheduled.common import DeliveryPolicy
from application.use_cases.scheduled.dispatch_due_scheduled_emails import DispatchDueScheduledEmails
from application.use_cases.scheduled.get_scheduled_email import GetScheduledEmail
from application.use_cases.scheduled.list_scheduled_emails import ListScheduledEmails
from application.use_cases.scheduled.reschedule_scheduled_email import RescheduleScheduledEmail
from application.use_cases.scheduled.schedule_email import ScheduleEmail
from application.use_cases.scheduled.send_scheduled_email import SendScheduledEmail
from entrypoints.settings import Settings


def _delivery_policy(settings: Settings) -> DeliveryPolicy:
    return DeliveryPolicy(
        lease_seconds=settings.scheduled_lease_seconds,
        max_attempts=settings.scheduled_max_attempts,
        retry_base_seconds=settings.scheduled_retry_seconds,
        retry_max_seconds=max(settings.scheduled_retry_seconds, 900.0),
        dispatch_batch=settings.scheduled_dispatch_batch,
        send_concurrency=settings.scheduled_send_concurrency,
        wake_namespace=settings.job_queue_name,
    )


class SchedulingContainer(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)
    uow = providers.Dependency()
    clock = providers.Dependency()
    outbox_relay = providers.Dependency()
    mail_access = providers.Dependency()
    mailboxes = providers.Dependency()
    html_sanitizer = providers.Dependency()
    job_queue = providers.Dependency()
    metrics = providers.Dependency()
    outgoing_attachments = providers.Dependency()

    delivery_policy = providers.Singleton(_delivery_policy, settings)
    schedule_email = providers.Factory(
        ScheduleEmail, uow, mail_access, html_sanitizer, clock, outbox_relay, delivery_policy, outgoing_attachments
    )
    list_scheduled_emails = providers.Factory(ListScheduledEmails, uow)
    get_scheduled_email = providers.Factory(GetScheduledEmail, uow)
    cancel_scheduled_email = providers.Factory(CancelScheduledEmail, uow, clock)
    reschedule_scheduled_email = providers.Factory(RescheduleScheduledEmail, uow, clock, outbox_relay, delivery_policy)
    send_scheduled_email = providers.Factory(
        SendScheduledEmail, uow, mailboxes, clock, outbox_relay, delivery_policy, metrics=metrics
    )
    dispatch_due_scheduled_emails = providers.Factory(
        DispatchDueScheduledEmails,
        uow,
        clock,
        outbox_relay,
        delivery_policy,
        send_scheduled_email.provider,
        jobs=job_queue,
    )
