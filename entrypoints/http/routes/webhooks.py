"""Outgoing webhooks: register endpoints (the signing secret is shown once), change, delete, rotate the secret, send
a test event, read every delivery with its attempts, replay failed ones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from application.use_cases.notifications.deliver_webhooks import AttemptReport
from application.use_cases.notifications.manage_webhooks import (
    CreateWebhookInput,
    DeleteWebhookInput,
    GetWebhookInput,
    ListWebhooksInput,
    RotateWebhookSecretInput,
    UpdateWebhookInput,
)
from application.use_cases.notifications.webhook_deliveries import (
    MAX_PAGE,
    ListDeliveriesInput,
    ReplayDeliveryInput,
    ReplayFailedSinceInput,
    TestWebhookInput,
)
from domain.webhooks import (
    ALL_EVENTS,
    WEBHOOK_EVENT_TYPES,
    DeliveryAttempt,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
)
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import errors

# 409: a test or replay on a disabled endpoint, a replay of a delivery still being tried.
router = APIRouter(prefix="/integrations/webhooks", tags=["webhooks"], responses=errors(409))

# What domain/webhooks.py parse_webhook_url accepts, as far as a pattern can say it: https to a host name (an IP
# literal in a refused range is refused with a 422 the description names), http only to the loopback host, an
# optional port, no user:password@, no #fragment. Documented only: the domain checks it and words the 422.
URL_PATTERN = r"^(https://[A-Za-z][A-Za-z0-9.-]{0,252}|http://(127\.0\.0\.1|localhost))(:[1-9][0-9]{0,3})?(/[^\s#]*)?$"
URL_HELP = (
    "https URL of your receiver (http://127.0.0.1 or http://localhost only in the embedded default); no user "
    "name or password, no #fragment, no private or link-local IP address"
)

# Documented, checked by the domain (which words the 422): known types or '*', at least one.
EVENT_TYPES_SCHEMA = {"minItems": 1, "items": {"type": "string", "enum": [*WEBHOOK_EVENT_TYPES, ALL_EVENTS]}}
EVENT_TYPES_HELP = f"Event types to receive: {', '.join(WEBHOOK_EVENT_TYPES)}, or '{ALL_EVENTS}' for all"


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(
        min_length=1,
        max_length=2000,
        description=URL_HELP,
        json_schema_extra={"pattern": URL_PATTERN},
        examples=["https://example.com/hooks/mailagent"],
    )
    event_types: list[str] = Field(
        default_factory=lambda: [ALL_EVENTS],
        max_length=50,
        description=EVENT_TYPES_HELP,
        examples=[["email.received"]],
        json_schema_extra=EVENT_TYPES_SCHEMA,
    )
    description: str = Field("", max_length=300)
    enabled: StrictBool = True  # JSON true/false only: 0 or "no" is a 422, not a silent false


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None, min_length=1, max_length=2000, description=URL_HELP, json_schema_extra={"pattern": URL_PATTERN}
    )
    event_types: list[str] | None = Field(
        None, max_length=50, description=EVENT_TYPES_HELP, json_schema_extra=EVENT_TYPES_SCHEMA
    )
    description: str | None = Field(None, max_length=300)
    enabled: StrictBool | None = None


class WebhookOut(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None = Field(description="by_owner, gone (the receiver answered 410) or failing (5 days)")
    failing_since: datetime | None = Field(description="The first failed attempt since the last delivered one")
    previous_secret_valid_until: datetime | None = Field(
        description="After a rotation the old secret signs too (a second signature) until then"
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: WebhookEndpoint) -> WebhookOut:
        return cls(
            id=e.id,
            url=e.url,
            description=e.description,
            event_types=sorted(e.event_types),
            enabled=e.enabled,
            disabled_reason=e.disabled_reason.value if e.disabled_reason else None,
            failing_since=e.failing_since,
            previous_secret_valid_until=e.previous_secret_expires_at if e.previous_secret_ref else None,
            created_at=e.created_at,
            updated_at=e.updated_at,
        )


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The whsec_ signing secret: shown in this answer only, keep it now")


class AttemptOut(BaseModel):
    number: int
    at: datetime
    status_code: int | None
    latency_ms: int
    response: str = Field(description="The start of the receiver's answer (at most 1000 characters)")
    error: str | None
    outcome: str = Field(description="delivered, retrying or failed")

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptOut:
        return cls(
            number=a.number,
            at=a.at,
            status_code=a.status_code,
            latency_ms=a.latency_ms,
            response=a.response,
            error=a.error,
            outcome=a.outcome,
        )


class DeliveryOut(BaseModel):
    id: str
    endpoint_id: str
    event_id: str = Field(description="Sent as webhook-id: the same on every attempt and replay")
    event_type: str
    status: DeliveryStatus
    attempts: int
    replays: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, d: WebhookDelivery, attempts: list[DeliveryAttempt] | None = None) -> DeliveryOut:
        return cls(
            id=d.id,
            endpoint_id=d.endpoint_id,
            event_id=d.event_id,
            event_type=d.event_type,
            status=d.status,
            attempts=d.attempts,
            replays=d.replays,
            created_at=d.created_at,
            next_attempt_at=d.next_attempt_at,
            delivered_at=d.delivered_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            attempt_log=[AttemptOut.of(a) for a in attempts or ()],
        )

    @classmethod
    def of_report(cls, report: AttemptReport) -> DeliveryOut:
        return cls.of(report.delivery, [report.attempt] if report.attempt else [])


class ReplayFailedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: datetime = Field(description="Replay every failed delivery created since then (ISO 8601 with offset)")


class ReplayedOut(BaseModel):
    replayed: int


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Envelope[WebhookCreatedOut])
def create_webhook(
    body: WebhookIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[WebhookCreatedOut]:
    """Register an endpoint. The signing secret (whsec_...) is in this answer only; verify each delivery with a
    Standard Webhooks library, e.g. `standardwebhooks.Webhook(secret).verify(body, headers)`."""
    created = container.create_webhook().execute(
        CreateWebhookInput(principal, body.url, tuple(body.event_types), body.description, body.enabled, ctx)
    )
    return ok(WebhookCreatedOut(**WebhookOut.of(created.endpoint).model_dump(), secret=created.secret))


@router.get("", response_model=Envelope[list[WebhookOut]])
def list_webhooks(principal: PrincipalDep, container: ContainerDep) -> Envelope[list[WebhookOut]]:
    """Your endpoints, oldest first."""
    return ok([WebhookOut.of(e) for e in container.list_webhooks().execute(ListWebhooksInput(principal))])


@router.get("/event-types", response_model=Envelope[list[str]])
def event_types(principal: PrincipalDep) -> Envelope[list[str]]:
    """The event types an endpoint can subscribe to (JSON Schemas in docs/webhooks/)."""
    return ok(list(WEBHOOK_EVENT_TYPES))


@router.get("/{endpoint_id}", response_model=Envelope[WebhookOut])
def get_webhook(endpoint_id: str, principal: PrincipalDep, container: ContainerDep) -> Envelope[WebhookOut]:
    return ok(WebhookOut.of(container.get_webhook().execute(GetWebhookInput(principal, endpoint_id))))


@router.patch("/{endpoint_id}", response_model=Envelope[WebhookOut])
def update_webhook(
    endpoint_id: str, body: WebhookPatch, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[WebhookOut]:
    """Change the URL, description, event types, or enable/disable it (enabling clears a failure streak)."""
    updated = container.update_webhook().execute(
        UpdateWebhookInput(
            principal,
            endpoint_id,
            url=body.url,
            description=body.description,
            event_types=tuple(body.event_types) if body.event_types is not None else None,
            enabled=body.enabled,
            context=ctx,
        )
    )
    return ok(WebhookOut.of(updated))


@router.delete("/{endpoint_id}", response_model=Envelope[WebhookOut])
def delete_webhook(
    endpoint_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[WebhookOut]:
    """Delete the endpoint, its deliveries and its secrets."""
    return ok(WebhookOut.of(container.delete_webhook().execute(DeleteWebhookInput(principal, endpoint_id, ctx))))


@router.post("/{endpoint_id}/test", response_model=Envelope[DeliveryOut])
def test_webhook(endpoint_id: str, principal: PrincipalDep, container: ContainerDep) -> Envelope[DeliveryOut]:
    """Send a signed `webhook.test` event now; the answer says how the first attempt went."""
    return ok(DeliveryOut.of_report(container.test_webhook().execute(TestWebhookInput(principal, endpoint_id))))


@router.post("/{endpoint_id}/rotate-secret", response_model=Envelope[WebhookCreatedOut])
def rotate_secret(
    endpoint_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[WebhookCreatedOut]:
    """A new secret, shown once. For 24 hours each delivery carries two signatures (new and old)."""
    rotated = container.rotate_webhook_secret().execute(RotateWebhookSecretInput(principal, endpoint_id, ctx))
    return ok(WebhookCreatedOut(**WebhookOut.of(rotated.endpoint).model_dump(), secret=rotated.secret))


@router.get("/{endpoint_id}/deliveries", response_model=Envelope[list[DeliveryOut]])
def list_deliveries(
    endpoint_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    before: Annotated[datetime | None, Query(description="Only deliveries created before this (paging)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Envelope[list[DeliveryOut]]:
    """Newest first, each with every attempt (status, latency, the start of the answer, the error)."""
    found = container.list_webhook_deliveries().execute(
        ListDeliveriesInput(principal, endpoint_id, status_, before, limit)
    )
    return ok([DeliveryOut.of(d, attempts) for d, attempts in found], limit=limit)


@router.post("/{endpoint_id}/replay-failed", response_model=Envelope[ReplayedOut])
def replay_failed(
    endpoint_id: str, body: ReplayFailedIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[ReplayedOut]:
    """Replay every failed delivery of this endpoint created since a time (at most 1000 at once)."""
    count = container.replay_failed_webhooks().execute(ReplayFailedSinceInput(principal, endpoint_id, body.since, ctx))
    return ok(ReplayedOut(replayed=count))


@router.post("/deliveries/{delivery_id}/replay", response_model=Envelope[DeliveryOut])
def replay_delivery(
    delivery_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[DeliveryOut]:
    """Send a finished delivery again (same body, same webhook-id); it follows the retry schedule if it fails."""
    return ok(
        DeliveryOut.of(container.replay_webhook_delivery().execute(ReplayDeliveryInput(principal, delivery_id, ctx)))
    )
