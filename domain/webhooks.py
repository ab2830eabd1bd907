"""Outgoing webhooks: endpoints, the Standard Webhooks envelope, deliveries and their attempts, the retry schedule
and the URL rules (SSRF) that registration and every delivery apply."""

from __future__ import annotations

import base64
import enum
import ipaddress
import json
import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from domain.errors import ValidationFailed
from domain.events import DomainEvent, EventType

ALL_EVENTS = "*"
TEST_EVENT = "webhook.test"
# The domain events an endpoint can subscribe to (agent.message and agent.tool_call are chat streaming for the web
# app, and mailbox.watch_lapsed is an operator concern: none of them is an integration's business).
WEBHOOK_EVENT_TYPES: tuple[str, ...] = (
    EventType.EMAIL_RECEIVED.value,
    EventType.EMAIL_SENT.value,
    EventType.EMAIL_LABELS_CHANGED.value,
    EventType.EMAIL_DELETED.value,
    EventType.SCHEDULED_EMAIL_SENT.value,
    EventType.SCHEDULED_EMAIL_FAILED.value,
    EventType.AGENT_ACTION_PENDING.value,
    EventType.AGENT_TASK_COMPLETED.value,
)
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION = 300
MAX_ENDPOINTS_PER_USER = 20
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
ROTATION_GRACE = timedelta(hours=24)
# Standard Webhooks / Svix: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (8 attempts in all).
RETRY_SCHEDULE_SECONDS: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(RETRY_SCHEDULE_SECONDS)
JITTER = 0.1  # each wait is drawn from [0.9, 1.1] x its step, so failing deliveries do not retry in lockstep
MAX_RETRY_AFTER_SECONDS = 36000.0
DELIVERY_TIMEOUT_SECONDS = 15.0
MAX_RESPONSE_BYTES = 4096  # read from a receiver's answer; the rest is never read
MAX_RECORDED_RESPONSE_CHARS = 1000
FAILING_DISABLE_AFTER = timedelta(days=5)
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def new_secret() -> str:
    """A fresh signing secret, `whsec_` + base64 of 32 random bytes (the form Standard Webhooks libraries take)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def normalize_event_types(types: Iterable[str]) -> frozenset[str]:
    """The subscribed types, checked; `*` stands for every type (present and future)."""
    chosen = frozenset(t.strip() for t in types if isinstance(t, str))
    if not chosen:
        raise ValidationFailed("Choose at least one event type (or '*' for all of them).")
    unknown = sorted(chosen - set(WEBHOOK_EVENT_TYPES) - {ALL_EVENTS})
    if unknown:
        raise ValidationFailed(
            f"Unknown event type(s): {', '.join(unknown)}. Known: {', '.join(WEBHOOK_EVENT_TYPES)} or '*'.",
            details=[{"field": "event_types", "message": f"unknown: {t}"} for t in unknown],
        )
    return frozenset({ALL_EVENTS}) if ALL_EVENTS in chosen else chosen


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    """Why a delivery must not go to this address (None: it may). Loopback only where `allow_loopback` (the
    embedded default and tests); private, link-local, metadata, multicast and reserved ranges never."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "it is the cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "it is a loopback address"
    if address.is_multicast:
        return "it is a multicast address"
    if address.is_link_local:
        return "it is a link-local address"
    if address.is_unspecified or address.is_reserved:
        return "it is a reserved address"
    if address.is_private or not address.is_global:
        return "it is a private address"
    return None


@dataclass(frozen=True)
class WebhookUrl:
    url: str
    scheme: str
    host: str
    port: int


def parse_webhook_url(url: str, *, allow_http_loopback: bool) -> WebhookUrl:
    """Check a receiver URL as registration sees it: https (http only to 127.0.0.1/localhost where
    `allow_http_loopback`), no credentials, no fragment, and no IP literal in a refused range. The addresses a host
    name resolves to are checked again at every delivery (DNS may change)."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationFailed("Give the receiver's URL.", details=[{"field": "url", "message": "required"}])
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(f"A webhook URL may be at most {MAX_URL_LENGTH} characters long.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed("This is not a valid URL.", details=[{"field": "url", "message": "invalid"}]) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https"):
        raise ValidationFailed("Webhook URLs must use https.", details=[{"field": "url", "message": "https required"}])
    if not host:
        raise ValidationFailed("The URL needs a host name.", details=[{"field": "url", "message": "no host"}])
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed("Put no user name or password in a webhook URL; verify our signature instead.")
    if parts.fragment:
        raise ValidationFailed("A webhook URL has no #fragment.")
    loopback = host in LOOPBACK_HOSTS
    if scheme == "http" and not (allow_http_loopback and loopback):
        raise ValidationFailed(
            "Webhook URLs must use https (plain http is allowed only to 127.0.0.1 in the embedded default).",
            details=[{"field": "url", "message": "https required"}],
        )
    try:
        literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        why = address_refusal(literal, allow_loopback=allow_http_loopback)
        if why:
            raise ValidationFailed(f"Webhooks cannot be sent to {host}: {why}.")
    elif loopback and not allow_http_loopback:
        raise ValidationFailed(f"Webhooks cannot be sent to {host}: it is a loopback address.")
    return WebhookUrl(url=url, scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80))


class DisabledReason(enum.StrEnum):
    BY_OWNER = "by_owner"
    GONE = "gone"  # the receiver answered 410 Gone
    FAILING = "failing"  # every delivery failed for FAILING_DISABLE_AFTER


@dataclass(frozen=True)
class WebhookEndpoint:
    """Where a user's events go. The signing secrets live in the secret store; only references are kept here.
    `previous_secret_ref` signs too until `previous_secret_expires_at` (rotation)."""

    id: str
    user_id: str
    url: str
    description: str
    event_types: frozenset[str]
    enabled: bool
    secret_ref: str
    created_at: datetime
    updated_at: datetime
    previous_secret_ref: str | None = None
    previous_secret_expires_at: datetime | None = None
    disabled_reason: DisabledReason | None = None
    failing_since: datetime | None = None  # the first failure since the last success

    def wants(self, event_type: str) -> bool:
        return self.enabled and (ALL_EVENTS in self.event_types or event_type in self.event_types)

    def signing_refs(self, now: datetime) -> tuple[str, ...]:
        """The secrets that sign a delivery sent at `now`: the current one, and the previous one in its grace."""
        if self.previous_secret_ref and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            return (self.secret_ref, self.previous_secret_ref)
        return (self.secret_ref,)

    def disabled(self, reason: DisabledReason, now: datetime) -> WebhookEndpoint:
        return replace(self, enabled=False, disabled_reason=reason, updated_at=now)


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"
    FAILED = "failed"  # dead-lettered: out of attempts, 410, or its endpoint was disabled; can be replayed


@dataclass(frozen=True)
class WebhookDelivery:
    """One event for one endpoint. `body` is the exact JSON sent (and signed) on every attempt and replay; its
    `webhook-id` is the event id, so a receiver de-duplicates retries and replays."""

    id: str
    endpoint_id: str
    user_id: str
    event_id: str
    event_type: str
    body: str
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    leased_until: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None
    replays: int = 0


@dataclass(frozen=True)
class DeliveryAttempt:
    """Every attempt is kept: what the receiver answered (or why nothing came back) and how long it took."""

    id: str
    delivery_id: str
    number: int
    at: datetime
    status_code: int | None
    latency_ms: int
    response: str  # the first MAX_RECORDED_RESPONSE_CHARS of the answer's body
    error: str | None
    outcome: str  # delivered, retrying, failed


def envelope(event_type: str, timestamp: datetime, data: Mapping[str, Any]) -> dict[str, Any]:
    """The stable payload: `type`, `timestamp` (ISO 8601, UTC) and `data` (see docs/webhooks/*.schema.json)."""
    return {"type": event_type, "timestamp": _iso(timestamp), "data": dict(data)}


# Kept for the web app, left out of webhooks: an approval card can quote a draft's text, and a receiver only needs
# the summary and the id to link to the card (approving happens in the app, never through an integration).
OMITTED_FIELDS = frozenset({"card"})


def event_envelope(event: DomainEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"event_id": event.id}
    data.update((k, v) for k, v in event.data.items() if k not in OMITTED_FIELDS)
    if event.account_id is not None:
        data.setdefault("account_id", event.account_id)
    return envelope(event.type.value, event.occurred_at, data)


def encode_body(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def _iso(moment: datetime) -> str:
    if moment.utcoffset() is None:
        raise ValidationFailed("A webhook timestamp must carry a timezone.")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def retry_delay(failed_attempts: int, rng: random.Random, retry_after: float | None = None) -> float | None:
    """Seconds to wait after the `failed_attempts`-th failed attempt, or None when no attempt is left. The step
    comes from RETRY_SCHEDULE_SECONDS with +-10 % jitter; a receiver's Retry-After stretches it (never shortens it
    below the schedule, never past 10 h)."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    step = RETRY_SCHEDULE_SECONDS[failed_attempts]
    delay = step * rng.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay


def retryable_status(status_code: int) -> bool:
    """2xx is delivered; 410 disables; every other answer (3xx included: redirects are not followed) is retried."""
    return not (200 <= status_code < 300 or status_code == 410)
