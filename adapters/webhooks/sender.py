"""HttpxWebhookSender: Standard Webhooks signatures (the `standardwebhooks` package) and a POST that connects only to
addresses the URL rules allow, checked on the address actually connected to (DNS rebinding), never following a
redirect and reading at most a few KiB of the answer."""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import httpcore
import httpx
from standardwebhooks import Webhook

from application.ports.webhooks import OutgoingWebhook, SendResult, WebhookSender
from domain.errors import ValidationFailed
from domain.webhooks import (
    DELIVERY_TIMEOUT_SECONDS,
    MAX_RESPONSE_BYTES,
    address_refusal,
    parse_webhook_url,
)

USER_AGENT = "mailagent-webhooks/1"


class RefusedAddress(httpcore.ConnectError):
    """The host resolved to an address deliveries must not reach (private, loopback, metadata...)."""


class GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself and connects to an address it checked: a name that resolves to a refused address
    (now, whatever it resolved to at registration) is refused before any byte is sent."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        addresses: list[str] = []
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            why = address_refusal(address, allow_loopback=self.allow_loopback)
            if why:
                # One refused address refuses the host: the resolver may hand it out on the next try.
                raise RefusedAddress(f"refused to connect to {host} ({address}): {why}")
            addresses.append(str(address))
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


class _GuardedTransport(httpx.HTTPTransport):
    def __init__(self, *, allow_loopback: bool, verify: ssl.SSLContext | bool, limits: httpx.Limits) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        # httpx takes no network backend; its pool does. The test suite checks a refused address stays refused.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_loopback=allow_loopback),
        )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class HttpxWebhookSender(WebhookSender):
    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        timeout_seconds: float = DELIVERY_TIMEOUT_SECONDS,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        verify: ssl.SSLContext | bool = True,
        max_connections: int = 50,
    ) -> None:
        self.allow_loopback = allow_loopback
        self.timeout_seconds = timeout_seconds
        self.max_response_bytes = max_response_bytes
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.Client(
            transport=_GuardedTransport(allow_loopback=allow_loopback, verify=verify, limits=limits),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            trust_env=False,
        )

    def signature(self, webhook: OutgoingWebhook) -> str:
        return " ".join(
            Webhook(secret).sign(webhook.message_id, webhook.timestamp, webhook.body) for secret in webhook.secrets
        )

    def headers(self, webhook: OutgoingWebhook) -> dict[str, str]:
        return {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": webhook.message_id,
            "webhook-timestamp": str(int(webhook.timestamp.timestamp())),
            "webhook-signature": self.signature(webhook),
        }

    def send(self, webhook: OutgoingWebhook) -> SendResult:
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            parse_webhook_url(webhook.url, allow_http_loopback=self.allow_loopback)
        except ValidationFailed as exc:
            return SendResult(status_code=None, latency_ms=0, error=f"refused: {exc.message}")
        headers = self.headers(webhook)
        deadline = started + self.timeout_seconds
        try:
            with self._client.stream("POST", webhook.url, content=webhook.body.encode(), headers=headers) as response:
                body = bytearray()
                for chunk in response.iter_raw():
                    body.extend(chunk)
                    if len(body) >= self.max_response_bytes or time.perf_counter() > deadline:
                        break  # the rest is never read; closing the stream drops the connection
                text = bytes(body[: self.max_response_bytes]).decode("utf-8", errors="replace")
                redirect = response.headers.get("location") if response.is_redirect else None
                return SendResult(
                    status_code=response.status_code,
                    latency_ms=took(),
                    response=text,
                    error=f"redirect to {redirect} not followed" if redirect else None,
                    retry_after=retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC)),
                )
        except httpx.TimeoutException as exc:
            return SendResult(
                status_code=None,
                latency_ms=took(),
                error=f"timed out after {self.timeout_seconds:g} s ({type(exc).__name__})",
            )
        except httpx.HTTPError as exc:
            return SendResult(status_code=None, latency_ms=took(), error=f"{type(exc).__name__}: {exc}")
        except OSError as exc:  # anything the socket layer raised that httpx did not wrap
            return SendResult(status_code=None, latency_ms=took(), error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._client.close()
