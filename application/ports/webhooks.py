"""Webhooks: the endpoints, deliveries and attempts on the unit of work, and the sender that signs and POSTs."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.webhooks import DeliveryAttempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint


class WebhookRepository(ABC):
    """Hangs off the UnitOfWork as `webhooks`; nothing is kept unless the unit of work commits."""

    @abstractmethod
    def add_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    @abstractmethod
    def get_endpoint(self, endpoint_id: str) -> WebhookEndpoint | None: ...

    @abstractmethod
    def update_endpoint(self, endpoint: WebhookEndpoint) -> None: ...

    @abstractmethod
    def delete_endpoint(self, endpoint_id: str) -> None:
        """The endpoint, its deliveries and their attempts."""

    @abstractmethod
    def endpoints_for_user(self, user_id: str) -> Sequence[WebhookEndpoint]:
        """Oldest first."""

    @abstractmethod
    def add_delivery(self, delivery: WebhookDelivery) -> bool:
        """Store it; False (nothing stored) if the endpoint already has a delivery of the same event."""

    @abstractmethod
    def get_delivery(self, delivery_id: str) -> WebhookDelivery | None: ...

    @abstractmethod
    def update_delivery(self, delivery: WebhookDelivery) -> None: ...

    @abstractmethod
    def lease(self, delivery_id: str, *, now: datetime, until: datetime) -> WebhookDelivery | None:
        """Take a pending delivery for one attempt (its lease free or run out by `now`) and return it leased; None
        when it is not pending or someone else holds it. Atomic: of two racing transactions one wins at commit."""

    @abstractmethod
    def deliveries_for_endpoint(
        self, endpoint_id: str, *, status: DeliveryStatus | None, before: datetime | None, limit: int
    ) -> Sequence[WebhookDelivery]:
        """Newest first (created before `before` when given), at most `limit`."""

    @abstractmethod
    def failed_since(self, endpoint_id: str, since: datetime, *, limit: int) -> Sequence[WebhookDelivery]:
        """Dead-lettered deliveries created at or after `since`, oldest first."""

    @abstractmethod
    def overdue(self, now: datetime, *, before: datetime, limit: int) -> Sequence[WebhookDelivery]:
        """Pending deliveries due before `before` whose lease (if any) ran out by `now`: their job was lost."""

    @abstractmethod
    def add_attempt(self, attempt: DeliveryAttempt) -> None: ...

    @abstractmethod
    def attempts(self, delivery_id: str) -> Sequence[DeliveryAttempt]:
        """Oldest first."""


@dataclass(frozen=True)
class SendResult:
    """What one POST came to. `status_code` None: no answer (refused address, timeout, reset, TLS...)."""

    status_code: int | None
    latency_ms: int
    response: str = ""
    error: str | None = None
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class OutgoingWebhook:
    url: str
    message_id: str  # webhook-id: the event id
    timestamp: datetime  # webhook-timestamp: when this attempt is sent
    body: str
    secrets: tuple[str, ...]  # whsec_ secrets; one signature each (two during a rotation)


class WebhookSender(ABC):
    """Signs per Standard Webhooks and POSTs with the URL rules applied to the address actually connected to (no
    redirects, capped response body, a timeout). Never raises for what the receiver or the network does."""

    @abstractmethod
    def send(self, webhook: OutgoingWebhook) -> SendResult: ...

    @abstractmethod
    def signature(self, webhook: OutgoingWebhook) -> str:
        """The `webhook-signature` header value: `v1,<base64>` per secret, space-separated."""
