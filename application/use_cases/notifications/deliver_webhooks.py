"""Webhook delivery: the relay's fan-out of committed events into deliveries, one signed attempt per job with the
retry schedule, and the sweep that re-enqueues deliveries whose job was lost (a killed worker).

At least once: a delivery row and its first job commit in the transaction that marks the event relayed; each
attempt is leased, recorded, and followed by its next job in one transaction; the sweep picks up anything whose
lease ran out. Receivers de-duplicate by `webhook-id` (the event id)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from application.outbox import EventSink, OutboxRelay, enqueue_after_commit
from application.ports.clock import Clock
from application.ports.job_queue import JobQueue, scrub_error_text
from application.ports.mailer import Mailer, SystemMail
from application.ports.metrics import NO_METRICS, WEBHOOK_DELIVERIES, Metrics
from application.ports.secret_store import SecretStore
from application.ports.unit_of_work import UnitOfWork
from application.ports.webhooks import OutgoingWebhook, SendResult, WebhookSender
from domain.errors import NotFound
from domain.events import DomainEvent, EventType, StoredEvent, event_id
from domain.identity import new_id
from domain.webhooks import (
    FAILING_DISABLE_AFTER,
    MAX_RECORDED_RESPONSE_CHARS,
    WEBHOOK_EVENT_TYPES,
    DeliveryAttempt,
    DeliveryStatus,
    DisabledReason,
    WebhookDelivery,
    WebhookEndpoint,
    encode_body,
    event_envelope,
    retry_delay,
)

logger = logging.getLogger(__name__)

DELIVER_JOB = "webhooks.deliver"
SWEEP_JOB = "webhooks.sweep"
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class DeliveryPolicy:
    """`lease_seconds` outlasts one attempt (the 15 s timeout and the bookkeeping around it); the sweep takes a
    pending delivery whose due time passed `sweep_grace_seconds` ago and whose lease ran out."""

    lease_seconds: float = 60.0
    sweep_grace_seconds: float = 60.0
    sweep_batch: int = 500


def deliver_job_id(delivery: WebhookDelivery) -> str:
    """One job id per attempt of a delivery (and per replay): enqueueing the same attempt twice is a no-op."""
    return f"whd-{delivery.id}-{delivery.attempts + 1}-{delivery.replays}"


def schedule_attempt(uow: UnitOfWork, clock: Clock, delivery: WebhookDelivery) -> None:
    enqueue_after_commit(
        uow,
        clock,
        DELIVER_JOB,
        {"delivery_id": delivery.id},
        job_id=deliver_job_id(delivery),
        at=delivery.next_attempt_at if delivery.next_attempt_at and delivery.next_attempt_at > clock.now() else None,
    )


def new_delivery(
    endpoint: WebhookEndpoint, event_id: str, event_type: str, body: str, now: datetime
) -> WebhookDelivery:
    return WebhookDelivery(
        id=new_id(),
        endpoint_id=endpoint.id,
        user_id=endpoint.user_id,
        event_id=event_id,
        event_type=event_type,
        body=body,
        status=DeliveryStatus.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )


class WebhookFanOut(EventSink):
    """Called by the outbox relay in the transaction that marks events relayed: one delivery (and its first job)
    per event and enabled endpoint that subscribes to the event's type."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def accept(self, uow: UnitOfWork, events: Sequence[StoredEvent]) -> int:
        wanted = [s.event for s in events if s.event.type.value in WEBHOOK_EVENT_TYPES]
        if not wanted:
            return 0
        endpoints: dict[str, list[WebhookEndpoint]] = {}
        now, jobs = self.clock.now(), 0
        for event in wanted:
            if event.user_id not in endpoints:
                endpoints[event.user_id] = [e for e in uow.webhooks.endpoints_for_user(event.user_id) if e.enabled]
            targets = [e for e in endpoints[event.user_id] if e.wants(event.type.value)]
            if not targets:
                continue
            body = encode_body(event_envelope(event))
            for endpoint in targets:
                delivery = new_delivery(endpoint, event.id, event.type.value, body, now)
                if uow.webhooks.add_delivery(delivery):
                    schedule_attempt(uow, self.clock, delivery)
                    jobs += 1
        return jobs


@dataclass(frozen=True)
class AttemptReport:
    delivery: WebhookDelivery
    attempt: DeliveryAttempt | None  # None: nothing was sent (not pending, leased elsewhere, endpoint gone)


_DISABLE_REASONS = {
    DisabledReason.GONE: "it answered 410 Gone (the receiver says it no longer exists)",
    DisabledReason.FAILING: "every delivery to it failed for 5 days",
}


def endpoint_disabled_event(endpoint: WebhookEndpoint, reason: DisabledReason, now: datetime) -> DomainEvent:
    """What the owner's live clients hear when an endpoint is disabled automatically: ids, the URL's host and the
    reason only (never the secret or the full URL, whose path or query may carry a token). Not a webhook event type
    (WEBHOOK_EVENT_TYPES), so it is never delivered to any endpoint, the disabled one included."""
    return DomainEvent(
        event_id(EventType.WEBHOOK_ENDPOINT_DISABLED.value, endpoint.id, now.isoformat()),
        endpoint.user_id,
        EventType.WEBHOOK_ENDPOINT_DISABLED,
        now,
        {
            "endpoint_id": endpoint.id,
            "url_host": urlsplit(endpoint.url).hostname or "",
            "description": endpoint.description,
            "reason": reason.value,
        },
    )


def endpoint_disabled_mail(to: str, endpoint: WebhookEndpoint, reason: DisabledReason, app_url: str) -> SystemMail:
    host = urlsplit(endpoint.url).hostname or "?"
    label = f"{endpoint.description} ({host})" if endpoint.description else host
    link = f"{app_url.rstrip('/')}/settings/integrations" if app_url else None
    return SystemMail(
        to=to,
        subject=f"Webhook endpoint {host} was disabled",
        text=(
            f"Your webhook endpoint {label} (id {endpoint.id}) was disabled: {_DISABLE_REASONS[reason]}.\n"
            "No further events are sent to it; its failed deliveries stay in the log and can be replayed.\n\n"
            "To turn it back on, open Settings -> Integrations -> Webhooks and enable it"
            + (f" ({link})" if link else "")
            + f',\nor call PATCH /api/v1/integrations/webhooks/{endpoint.id} with {{"enabled": true}}.\n'
        ),
        link=link,
    )


class DeliverWebhook:
    """One attempt: lease the delivery, sign and POST outside any transaction, then record the attempt and decide
    (delivered; retry later per the schedule and Retry-After; dead-lettered; 410 disables the endpoint)."""

    def __init__(
        self,
        new_uow: UowFactory,
        sender: WebhookSender,
        secrets: SecretStore,
        clock: Clock,
        relay: OutboxRelay,
        policy: DeliveryPolicy = DeliveryPolicy(),
        metrics: Metrics = NO_METRICS,
        rng: random.Random | None = None,
        mailer: Mailer | None = None,
        app_url: str = "",
    ) -> None:
        self.new_uow, self.sender, self.secrets, self.clock, self.relay = new_uow, sender, secrets, clock, relay
        self.policy, self.metrics, self.mailer, self.app_url = policy, metrics, mailer, app_url
        self.rng = rng or random.Random()

    def execute(self, delivery_id: str) -> AttemptReport | None:
        now = self.clock.now()
        with self.new_uow() as uow:
            current = uow.webhooks.get_delivery(delivery_id)
            if current is None:
                return None
            endpoint = uow.webhooks.get_endpoint(current.endpoint_id)
            if endpoint is None:
                return AttemptReport(current, None)
            if not endpoint.enabled:
                if current.status is DeliveryStatus.PENDING:
                    current = replace(
                        current,
                        status=DeliveryStatus.FAILED,
                        next_attempt_at=None,
                        leased_until=None,
                        last_error="The endpoint is disabled.",
                    )
                    uow.webhooks.update_delivery(current)
                    uow.commit()
                return AttemptReport(current, None)
            leased = uow.webhooks.lease(delivery_id, now=now, until=now + timedelta(seconds=self.policy.lease_seconds))
            if leased is None:
                return AttemptReport(current, None)
            uow.commit()
        try:
            secrets = tuple(self.secrets.get(ref) for ref in endpoint.signing_refs(now))
        except NotFound:
            secrets = ()
        sent_at = self.clock.now()
        if secrets:
            result = self.sender.send(
                OutgoingWebhook(
                    url=endpoint.url, message_id=leased.event_id, timestamp=sent_at, body=leased.body, secrets=secrets
                )
            )
        else:
            result = SendResult(status_code=None, latency_ms=0, error="The signing secret is missing.")
        return self._record(leased, result, sent_at)

    def _record(self, leased: WebhookDelivery, result: SendResult, sent_at: datetime) -> AttemptReport:
        now = self.clock.now()
        number = leased.attempts + 1
        error = scrub_error_text(result.error) if result.error else None
        disabled: tuple[WebhookEndpoint, DisabledReason, str | None] | None = None
        with self.new_uow() as uow:
            endpoint = uow.webhooks.get_endpoint(leased.endpoint_id)
            if endpoint is None:  # deleted while we were sending: nothing left to record on
                return AttemptReport(leased, None)
            done = replace(
                leased, attempts=number, leased_until=None, last_status_code=result.status_code, last_error=error
            )
            if result.delivered:
                outcome = "delivered"
                done = replace(done, status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None)
                if endpoint.failing_since is not None:
                    uow.webhooks.update_endpoint(replace(endpoint, failing_since=None))
            elif result.status_code == 410:
                outcome = "failed"
                done = replace(done, status=DeliveryStatus.FAILED, next_attempt_at=None)
                uow.webhooks.update_endpoint(endpoint.disabled(DisabledReason.GONE, now))
                logger.info("webhooks: endpoint %s answered 410 Gone and is disabled", endpoint.id)
                disabled = self._announce_disabled(uow, endpoint, DisabledReason.GONE, now)
            else:
                delay = retry_delay(number, self.rng, result.retry_after)
                failing_since = endpoint.failing_since or sent_at
                if delay is None:
                    outcome = "failed"
                    done = replace(done, status=DeliveryStatus.FAILED, next_attempt_at=None)
                else:
                    outcome = "retrying"
                    done = replace(done, next_attempt_at=now + timedelta(seconds=delay))
                if outcome == "failed" and now - failing_since >= FAILING_DISABLE_AFTER:
                    uow.webhooks.update_endpoint(
                        replace(endpoint.disabled(DisabledReason.FAILING, now), failing_since=failing_since)
                    )
                    logger.info("webhooks: endpoint %s failed for 5 days and is disabled", endpoint.id)
                    disabled = self._announce_disabled(uow, endpoint, DisabledReason.FAILING, now)
                elif endpoint.failing_since is None:
                    uow.webhooks.update_endpoint(replace(endpoint, failing_since=failing_since))
            attempt = DeliveryAttempt(
                id=new_id(),
                delivery_id=leased.id,
                number=number,
                at=sent_at,
                status_code=result.status_code,
                latency_ms=result.latency_ms,
                response=result.response[:MAX_RECORDED_RESPONSE_CHARS],
                error=error,
                outcome=outcome,
            )
            uow.webhooks.update_delivery(done)
            uow.webhooks.add_attempt(attempt)
            if outcome == "retrying":
                schedule_attempt(uow, self.clock, done)
            uow.commit()
        self.metrics.increment(WEBHOOK_DELIVERIES, outcome=outcome)
        if outcome == "retrying" or disabled is not None:
            self.relay.flush()
        if disabled is not None:
            self._mail_owner(*disabled)
        return AttemptReport(done, attempt)

    def _announce_disabled(
        self, uow: UnitOfWork, endpoint: WebhookEndpoint, reason: DisabledReason, now: datetime
    ) -> tuple[WebhookEndpoint, DisabledReason, str | None]:
        """The event commits with the disable (outbox: it reaches the owner's WebSocket); the mail goes after commit."""
        uow.events.append(endpoint_disabled_event(endpoint, reason, now))
        owner = uow.users.get(endpoint.user_id)
        return endpoint, reason, owner.email if owner is not None else None

    def _mail_owner(self, endpoint: WebhookEndpoint, reason: DisabledReason, to: str | None) -> None:
        if self.mailer is None or not to:
            return
        try:
            self.mailer.send(endpoint_disabled_mail(to, endpoint, reason, self.app_url))
        except Exception:  # the disable is committed and announced live; a mail outage must not undo the attempt
            logger.warning("webhooks: could not mail the owner that endpoint %s was disabled", endpoint.id)


class SweepWebhookDeliveries:
    """The periodic safety net: a pending delivery past its due time whose lease ran out lost its job (a worker
    killed mid-attempt, a queue flushed): enqueue it again. The lease keeps a duplicate job from sending twice."""

    def __init__(
        self, new_uow: UowFactory, clock: Clock, jobs: JobQueue, policy: DeliveryPolicy = DeliveryPolicy()
    ) -> None:
        self.new_uow, self.clock, self.jobs, self.policy = new_uow, clock, jobs, policy

    def execute(self) -> int:
        now = self.clock.now()
        with self.new_uow() as uow:
            overdue = uow.webhooks.overdue(
                now, before=now - timedelta(seconds=self.policy.sweep_grace_seconds), limit=self.policy.sweep_batch
            )
        for delivery in overdue:
            # A fresh id: the lost job's id may still count as taken (running or failed) in the queue.
            self.jobs.enqueue(DELIVER_JOB, {"delivery_id": delivery.id}, job_id=f"whs-{delivery.id}-{new_id()[:8]}")
        if overdue:
            logger.info("webhooks: re-enqueued %d overdue deliveries", len(overdue))
        return len(overdue)
