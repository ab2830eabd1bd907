"""Webhook endpoints: register (secret shown once), list, read, change, delete and rotate the signing secret —
always the caller's own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from application.authorization import require_scope
from application.ports.clock import Clock
from application.ports.secret_store import SecretStore
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditContext, AuditDraft
from domain.errors import NotFound, ValidationFailed
from domain.identity import Principal, Scope, new_id
from domain.webhooks import (
    MAX_DESCRIPTION,
    MAX_ENDPOINTS_PER_USER,
    ROTATION_GRACE,
    DisabledReason,
    WebhookEndpoint,
    new_secret,
    normalize_event_types,
    parse_webhook_url,
)

UowFactory = Callable[[], UnitOfWork]


class WebhookAuditAction:
    CREATED = "webhook.created"
    UPDATED = "webhook.updated"
    DELETED = "webhook.deleted"
    SECRET_ROTATED = "webhook.secret_rotated"
    REPLAYED = "webhook.replayed"


@dataclass(frozen=True)
class WebhookRules:
    """Installation-wide rules: plain http to 127.0.0.1 only in the embedded default and tests."""

    allow_http_loopback: bool = False


def require_webhooks(principal: Principal) -> None:
    # Deliveries carry mail metadata (senders, subjects) out of the platform: the same right as reading mail.
    require_scope(principal, Scope.MAIL_READ)


def owned_endpoint(uow: UnitOfWork, principal: Principal, endpoint_id: str) -> WebhookEndpoint:
    """The caller's endpoint; NotFound for a missing one and for someone else's alike."""
    found = uow.webhooks.get_endpoint(endpoint_id)
    if found is None or found.user_id != principal.user_id:
        raise NotFound("No such webhook endpoint.")
    return found


def _description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(f"A description may be at most {MAX_DESCRIPTION} characters long.")
    return text


def _secret_name(user_id: str, endpoint_id: str) -> str:
    # A fresh name per secret: the previous one stays readable during a rotation's grace period.
    return f"users/{user_id}/webhooks/{endpoint_id}/{new_id()[:12]}"


def _audit(
    action: str, principal: Principal, endpoint: WebhookEndpoint, ctx: AuditContext, **details: object
) -> AuditDraft:
    return AuditDraft(
        action,
        actor_id=principal.user_id,
        target=f"webhook:{endpoint.id}",
        context=ctx,
        details={"url": endpoint.url, **details},
    )


@dataclass(frozen=True)
class CreateWebhookInput:
    principal: Principal
    url: str
    event_types: tuple[str, ...]
    description: str = ""
    enabled: bool = True
    context: AuditContext = AuditContext()


@dataclass(frozen=True)
class CreatedWebhook:
    endpoint: WebhookEndpoint
    secret: str  # whsec_...: in this answer only


class CreateWebhook:
    def __init__(self, uow: UnitOfWork, secrets: SecretStore, clock: Clock, rules: WebhookRules) -> None:
        self.uow, self.secrets, self.clock, self.rules = uow, secrets, clock, rules

    def execute(self, inp: CreateWebhookInput) -> CreatedWebhook:
        require_webhooks(inp.principal)
        url = parse_webhook_url(inp.url, allow_http_loopback=self.rules.allow_http_loopback).url
        types = normalize_event_types(inp.event_types)
        description = _description(inp.description)
        now, endpoint_id, secret = self.clock.now(), new_id(), new_secret()
        with self.uow as uow:
            if len(uow.webhooks.endpoints_for_user(inp.principal.user_id)) >= MAX_ENDPOINTS_PER_USER:
                raise ValidationFailed(
                    f"You already have {MAX_ENDPOINTS_PER_USER} webhook endpoints; delete one first."
                )
            ref = self.secrets.put(_secret_name(inp.principal.user_id, endpoint_id), secret)
            endpoint = WebhookEndpoint(
                id=endpoint_id,
                user_id=inp.principal.user_id,
                url=url,
                description=description,
                event_types=types,
                enabled=inp.enabled,
                secret_ref=ref,
                created_at=now,
                updated_at=now,
                disabled_reason=None if inp.enabled else DisabledReason.BY_OWNER,
            )
            uow.webhooks.add_endpoint(endpoint)
            uow.audit.append(
                _audit(WebhookAuditAction.CREATED, inp.principal, endpoint, inp.context, event_types=sorted(types)),
                at=now,
            )
            try:
                uow.commit()
            except BaseException:
                self.secrets.delete(ref)
                raise
        return CreatedWebhook(endpoint, secret)


@dataclass(frozen=True)
class ListWebhooksInput:
    principal: Principal


class ListWebhooks:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListWebhooksInput) -> list[WebhookEndpoint]:
        require_webhooks(inp.principal)
        with self.uow as uow:
            return list(uow.webhooks.endpoints_for_user(inp.principal.user_id))


@dataclass(frozen=True)
class GetWebhookInput:
    principal: Principal
    endpoint_id: str


class GetWebhook:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: GetWebhookInput) -> WebhookEndpoint:
        require_webhooks(inp.principal)
        with self.uow as uow:
            return owned_endpoint(uow, inp.principal, inp.endpoint_id)


@dataclass(frozen=True)
class UpdateWebhookInput:
    """None leaves a field as it is."""

    principal: Principal
    endpoint_id: str
    url: str | None = None
    description: str | None = None
    event_types: tuple[str, ...] | None = None
    enabled: bool | None = None
    context: AuditContext = AuditContext()


class UpdateWebhook:
    def __init__(self, uow: UnitOfWork, clock: Clock, rules: WebhookRules) -> None:
        self.uow, self.clock, self.rules = uow, clock, rules

    def execute(self, inp: UpdateWebhookInput) -> WebhookEndpoint:
        require_webhooks(inp.principal)
        changes: dict[str, object] = {}
        if inp.url is not None:
            changes["url"] = parse_webhook_url(inp.url, allow_http_loopback=self.rules.allow_http_loopback).url
        if inp.description is not None:
            changes["description"] = _description(inp.description)
        if inp.event_types is not None:
            changes["event_types"] = normalize_event_types(inp.event_types)
        if inp.enabled is not None:
            changes["enabled"] = inp.enabled
            # Enabling again starts afresh: the failure streak that disabled it no longer counts.
            changes["disabled_reason"] = None if inp.enabled else DisabledReason.BY_OWNER
            if inp.enabled:
                changes["failing_since"] = None
        now = self.clock.now()
        with self.uow as uow:
            endpoint = owned_endpoint(uow, inp.principal, inp.endpoint_id)
            if not changes:
                return endpoint
            updated = replace(endpoint, **changes, updated_at=now)  # type: ignore[arg-type]
            uow.webhooks.update_endpoint(updated)
            uow.audit.append(
                _audit(WebhookAuditAction.UPDATED, inp.principal, updated, inp.context, changed=sorted(changes)),
                at=now,
            )
            uow.commit()
        return updated


@dataclass(frozen=True)
class DeleteWebhookInput:
    principal: Principal
    endpoint_id: str
    context: AuditContext = AuditContext()


class DeleteWebhook:
    def __init__(self, uow: UnitOfWork, secrets: SecretStore, clock: Clock) -> None:
        self.uow, self.secrets, self.clock = uow, secrets, clock

    def execute(self, inp: DeleteWebhookInput) -> WebhookEndpoint:
        require_webhooks(inp.principal)
        with self.uow as uow:
            endpoint = owned_endpoint(uow, inp.principal, inp.endpoint_id)
            uow.webhooks.delete_endpoint(endpoint.id)
            uow.audit.append(
                _audit(WebhookAuditAction.DELETED, inp.principal, endpoint, inp.context), at=self.clock.now()
            )
            uow.commit()
        for ref in (endpoint.secret_ref, endpoint.previous_secret_ref):
            if ref:
                self.secrets.delete(ref)
        return endpoint


@dataclass(frozen=True)
class RotateWebhookSecretInput:
    principal: Principal
    endpoint_id: str
    context: AuditContext = AuditContext()


@dataclass(frozen=True)
class RotatedSecret:
    endpoint: WebhookEndpoint
    secret: str  # the new whsec_...: in this answer only


class RotateWebhookSecret:
    """A new secret signs from now on; the old one signs too (a second signature) for 24 hours, so a receiver can
    switch without losing a delivery."""

    def __init__(self, uow: UnitOfWork, secrets: SecretStore, clock: Clock) -> None:
        self.uow, self.secrets, self.clock = uow, secrets, clock

    def execute(self, inp: RotateWebhookSecretInput) -> RotatedSecret:
        require_webhooks(inp.principal)
        now, secret = self.clock.now(), new_secret()
        with self.uow as uow:
            endpoint = owned_endpoint(uow, inp.principal, inp.endpoint_id)
            ref = self.secrets.put(_secret_name(endpoint.user_id, endpoint.id), secret)
            dropped = endpoint.previous_secret_ref
            rotated = replace(
                endpoint,
                secret_ref=ref,
                previous_secret_ref=endpoint.secret_ref,
                previous_secret_expires_at=now + ROTATION_GRACE,
                updated_at=now,
            )
            uow.webhooks.update_endpoint(rotated)
            uow.audit.append(
                _audit(
                    WebhookAuditAction.SECRET_ROTATED,
                    inp.principal,
                    rotated,
                    inp.context,
                    previous_valid_until=rotated.previous_secret_expires_at.isoformat()
                    if rotated.previous_secret_expires_at
                    else None,
                ),
                at=now,
            )
            try:
                uow.commit()
            except BaseException:
                self.secrets.delete(ref)
                raise
        if dropped:  # the secret before the previous one: no delivery signs with it any more
            self.secrets.delete(dropped)
        return RotatedSecret(rotated, secret)
