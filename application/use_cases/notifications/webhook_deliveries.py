"""What was delivered: an endpoint's deliveries with every attempt, replays (one, or all failed since a time) and
a test event — always on the caller's own endpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from application.outbox import OutboxRelay
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.notifications.deliver_webhooks import (
    AttemptReport,
    DeliverWebhook,
    new_delivery,
    schedule_attempt,
)
from application.use_cases.notifications.manage_webhooks import (
    WebhookAuditAction,
    owned_endpoint,
    require_webhooks,
)
from domain.audit import AuditContext, AuditDraft
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.events import event_id
from domain.identity import Principal, new_id
from domain.webhooks import TEST_EVENT, DeliveryAttempt, DeliveryStatus, WebhookDelivery, encode_body, envelope

MAX_PAGE = 200
MAX_REPLAY_ALL = 1000
UowFactory = Callable[[], UnitOfWork]


@dataclass(frozen=True)
class ListDeliveriesInput:
    principal: Principal
    endpoint_id: str
    status: DeliveryStatus | None = None
    before: datetime | None = None
    limit: int = 50


class ListDeliveries:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListDeliveriesInput) -> list[tuple[WebhookDelivery, list[DeliveryAttempt]]]:
        """Newest first, each with its attempts (oldest first)."""
        require_webhooks(inp.principal)
        if not 1 <= inp.limit <= MAX_PAGE:
            raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}.")
        with self.uow as uow:
            endpoint = owned_endpoint(uow, inp.principal, inp.endpoint_id)
            found = uow.webhooks.deliveries_for_endpoint(
                endpoint.id, status=inp.status, before=inp.before, limit=inp.limit
            )
            return [(d, list(uow.webhooks.attempts(d.id))) for d in found]


def _owned_delivery(uow: UnitOfWork, principal: Principal, delivery_id: str) -> WebhookDelivery:
    found = uow.webhooks.get_delivery(delivery_id)
    if found is None or found.user_id != principal.user_id:
        raise NotFound("No such webhook delivery.")
    return found


def _replayable(delivery: WebhookDelivery, now: datetime) -> WebhookDelivery:
    """Pending again, due now, its attempts kept (a replay that fails is dead-lettered again after one attempt
    when the schedule is used up, or continues the schedule where it stopped)."""
    return replace(
        delivery, status=DeliveryStatus.PENDING, next_attempt_at=now, leased_until=None, replays=delivery.replays + 1
    )


@dataclass(frozen=True)
class ReplayDeliveryInput:
    principal: Principal
    delivery_id: str
    context: AuditContext = AuditContext()


class ReplayDelivery:
    """Send a dead-lettered (or delivered) delivery again, with the same body and `webhook-id`."""

    def __init__(self, new_uow: UowFactory, clock: Clock, relay: OutboxRelay) -> None:
        self.new_uow, self.clock, self.relay = new_uow, clock, relay

    def execute(self, inp: ReplayDeliveryInput) -> WebhookDelivery:
        require_webhooks(inp.principal)
        now = self.clock.now()
        with self.new_uow() as uow:
            delivery = _owned_delivery(uow, inp.principal, inp.delivery_id)
            endpoint = owned_endpoint(uow, inp.principal, delivery.endpoint_id)
            if not endpoint.enabled:
                raise Conflict("This endpoint is disabled; enable it before replaying its deliveries.")
            if delivery.status is DeliveryStatus.PENDING:
                raise Conflict("This delivery is still being tried; it cannot be replayed until it ends.")
            again = _replayable(delivery, now)
            uow.webhooks.update_delivery(again)
            schedule_attempt(uow, self.clock, again)
            uow.audit.append(
                AuditDraft(
                    WebhookAuditAction.REPLAYED,
                    actor_id=inp.principal.user_id,
                    target=f"webhook:{endpoint.id}",
                    context=inp.context,
                    details={"deliveries": 1, "delivery_id": delivery.id},
                ),
                at=now,
            )
            uow.commit()
        self.relay.flush()
        return again


@dataclass(frozen=True)
class ReplayFailedSinceInput:
    principal: Principal
    endpoint_id: str
    since: datetime
    context: AuditContext = AuditContext()


class ReplayFailedSince:
    """Every dead-lettered delivery of an endpoint created since a time (oldest first), up to 1000 at once."""

    def __init__(self, new_uow: UowFactory, clock: Clock, relay: OutboxRelay) -> None:
        self.new_uow, self.clock, self.relay = new_uow, clock, relay

    def execute(self, inp: ReplayFailedSinceInput) -> int:
        require_webhooks(inp.principal)
        if inp.since.utcoffset() is None:
            raise ValidationFailed("'since' must carry a timezone (e.g. 2026-12-01T00:00:00Z).")
        now = self.clock.now()
        with self.new_uow() as uow:
            endpoint = owned_endpoint(uow, inp.principal, inp.endpoint_id)
            if not endpoint.enabled:
                raise Conflict("This endpoint is disabled; enable it before replaying its deliveries.")
            failed = uow.webhooks.failed_since(endpoint.id, inp.since, limit=MAX_REPLAY_ALL)
            for delivery in failed:
                again = _replayable(delivery, now)
                uow.webhooks.update_delivery(again)
                schedule_attempt(uow, self.clock, again)
            uow.audit.append(
                AuditDraft(
                    WebhookAuditAction.REPLAYED,
                    actor_id=inp.principal.user_id,
                    target=f"webhook:{endpoint.id}",
                    context=inp.context,
                    details={"deliveries": len(failed), "since": inp.since.isoformat()},
                ),
                at=now,
            )
            uow.commit()
        self.relay.flush()
        return len(failed)


@dataclass(frozen=True)
class TestWebhookInput:
    principal: Principal
    endpoint_id: str


class TestWebhook:
    """Send a `webhook.test` event now and answer with how the first attempt went (later ones follow the
    schedule like any delivery)."""

    __test__ = False  # not a pytest class

    def __init__(self, new_uow: UowFactory, clock: Clock, deliver: DeliverWebhook) -> None:
        self.new_uow, self.clock, self.deliver = new_uow, clock, deliver

    def execute(self, inp: TestWebhookInput) -> AttemptReport:
        require_webhooks(inp.principal)
        now = self.clock.now()
        with self.new_uow() as uow:
            endpoint = owned_endpoint(uow, inp.principal, inp.endpoint_id)
            if not endpoint.enabled:
                raise Conflict("This endpoint is disabled; enable it to send a test event.")
            test_id = event_id(TEST_EVENT, endpoint.id, new_id())
            body = encode_body(
                envelope(
                    TEST_EVENT,
                    now,
                    {"event_id": test_id, "endpoint_id": endpoint.id, "message": "Hello from mailagent"},
                )
            )
            delivery = new_delivery(endpoint, test_id, TEST_EVENT, body, now)
            uow.webhooks.add_delivery(delivery)
            uow.commit()
        report = self.deliver.execute(delivery.id)
        if report is None:  # deleted in between
            raise NotFound("No such webhook endpoint.")
        return report
