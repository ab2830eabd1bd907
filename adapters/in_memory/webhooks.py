"""InMemoryWebhookRepository: endpoints, deliveries and attempts in the in-memory unit of work (same semantics as
SQL)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from application.ports.webhooks import WebhookRepository
from domain.webhooks import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import _Tx


class InMemoryWebhookRepository(WebhookRepository):
    """Deleted rows are None tombstones so a delete inside a transaction hides the committed row."""

    def __init__(self, tx: _Tx) -> None:
        self.tx = tx

    def _endpoints(self) -> list[WebhookEndpoint]:
        return [e for e in self.tx.values("webhook_endpoints") if e is not None]

    def _deliveries(self) -> list[WebhookDelivery]:
        return [d for d in self.tx.values("webhook_deliveries") if d is not None]

    def add_endpoint(self, endpoint: WebhookEndpoint) -> None:
        self.tx.put("webhook_endpoints", endpoint.id, endpoint)

    def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        found: WebhookEndpoint | None = self.tx.get("webhook_endpoints", endpoint_id)
        return found

    def update_endpoint(self, endpoint: WebhookEndpoint) -> None:
        if self.get_endpoint(endpoint.id) is not None:
            self.tx.put("webhook_endpoints", endpoint.id, endpoint)

    def delete_endpoint(self, endpoint_id: str) -> None:
        self.tx.put("webhook_endpoints", endpoint_id, None)
        for delivery in self._deliveries():
            if delivery.endpoint_id == endpoint_id:
                self.tx.put("webhook_deliveries", delivery.id, None)
                for attempt in self.attempts(delivery.id):
                    self.tx.put("webhook_attempts", attempt.id, None)

    def endpoints_for_user(self, user_id: str) -> Sequence[WebhookEndpoint]:
        return sorted((e for e in self._endpoints() if e.user_id == user_id), key=lambda e: (e.created_at, e.id))

    def add_delivery(self, delivery: WebhookDelivery) -> bool:
        if any(d.endpoint_id == delivery.endpoint_id and d.event_id == delivery.event_id for d in self._deliveries()):
            return False
        self.tx.put("webhook_deliveries", delivery.id, delivery)
        return True

    def get_delivery(self, delivery_id: str) -> WebhookDelivery | None:
        found: WebhookDelivery | None = self.tx.get("webhook_deliveries", delivery_id)
        return found

    def update_delivery(self, delivery: WebhookDelivery) -> None:
        if self.get_delivery(delivery.id) is not None:
            self.tx.put("webhook_deliveries", delivery.id, delivery)

    def lease(self, delivery_id: str, *, now: datetime, until: datetime) -> WebhookDelivery | None:
        found = self.get_delivery(delivery_id)
        if found is None or found.status is not DeliveryStatus.PENDING:
            return None
        if found.leased_until is not None and found.leased_until > now:
            return None
        store, seen = self.tx.store, found.leased_until

        def unchanged() -> bool:
            committed = store.webhook_deliveries.get(delivery_id)
            return committed is not None and committed.leased_until == seen and committed.status is found.status

        self.tx.checks.append(unchanged)
        leased = replace(found, leased_until=until)
        self.tx.put("webhook_deliveries", delivery_id, leased)
        return leased

    def deliveries_for_endpoint(
        self, endpoint_id: str, *, status: DeliveryStatus | None, before: datetime | None, limit: int
    ) -> Sequence[WebhookDelivery]:
        found = [
            d
            for d in self._deliveries()
            if d.endpoint_id == endpoint_id
            and (status is None or d.status is status)
            and (before is None or d.created_at < before)
        ]
        return sorted(found, key=lambda d: (d.created_at, d.id), reverse=True)[:limit]

    def failed_since(self, endpoint_id: str, since: datetime, *, limit: int) -> Sequence[WebhookDelivery]:
        found = [
            d
            for d in self._deliveries()
            if d.endpoint_id == endpoint_id and d.status is DeliveryStatus.FAILED and d.created_at >= since
        ]
        return sorted(found, key=lambda d: (d.created_at, d.id))[:limit]

    def overdue(self, now: datetime, *, before: datetime, limit: int) -> Sequence[WebhookDelivery]:
        found = [
            d
            for d in self._deliveries()
            if d.status is DeliveryStatus.PENDING
            and d.next_attempt_at is not None
            and d.next_attempt_at < before
            and (d.leased_until is None or d.leased_until <= now)
        ]
        return sorted(found, key=lambda d: (d.next_attempt_at or now, d.id))[:limit]

    def add_attempt(self, attempt: DeliveryAttempt) -> None:
        self.tx.put("webhook_attempts", attempt.id, attempt)

    def attempts(self, delivery_id: str) -> Sequence[DeliveryAttempt]:
        found = [a for a in self.tx.values("webhook_attempts") if a is not None and a.delivery_id == delivery_id]
        return sorted(found, key=lambda a: (a.number, a.at, a.id))
