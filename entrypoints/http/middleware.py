"""Pure-ASGI middleware: request id, security headers, access log, anonymous rate limit, last-resort 500."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import structlog
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

from application.ports.rate_limiter import RateLimiter
from entrypoints.http.envelope import error_body, request_id_var
from entrypoints.http.errors import DATABASE_UNAVAILABLE, dependency_unavailable, infrastructure_response
from entrypoints.http.web_app import is_reserved
from entrypoints.logging_setup import get_logger

log = get_logger("mailagent.http")
_ACCESS_LOG = logging.getLogger("mailagent.http")  # the stdlib logger behind `log`: its level decides

Scope = dict[str, Any]
ASGIApp = Callable[..., Any]

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
EXEMPT_FROM_RATE_LIMIT = ("/healthz", "/readyz", "/api/v1/healthz", "/api/v1/readyz")
DOCS_PATHS = ("/docs", "/redoc")
RETRY_READ_AFTER_SECONDS = 0.1

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# img-src allows https: so a reader can choose to load a mail's remote images; the web app blocks them by default
# (DOMPurify hook + the mail iframe's own stricter CSP) until they do (docs/adr/0009).
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; "
    "connect-src 'self' ws: wss:; frame-src 'self' blob:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# The agent's view shows text a model wrote, which may quote anyone's mail: its documents allow no remote image at all,
# so nothing in an answer can make the browser fetch from elsewhere (docs/adr/0011). The web app loads /agent as a
# document of its own for this (frontend/src/lib/document-policy.ts).
AGENT_CSP = APP_CSP.replace("img-src 'self' data: blob: https:;", "img-src 'self' data: blob:;")
# Swagger UI and ReDoc load their assets from a CDN.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "font-src 'self' https://fonts.gstatic.com; "
    "worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'"
)


def _csp_for(path: str) -> str:
    if path.startswith(DOCS_PATHS):
        return DOCS_CSP
    if path.startswith("/api/") or path in ("/healthz", "/readyz", "/openapi.json"):
        return API_CSP
    if path == "/agent" or path.startswith("/agent/"):
        return AGENT_CSP
    return APP_CSP


def _headers_with(csp: str) -> tuple[tuple[bytes, bytes], ...]:
    return (
        (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
        (b"content-security-policy", csp.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    )


# Encoded once: every response carries one of these four sets.
_SECURITY_HEADERS = {csp: _headers_with(csp) for csp in (API_CSP, APP_CSP, AGENT_CSP, DOCS_CSP)}


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    return list(_SECURITY_HEADERS[_csp_for(path)])


_PROCESS = secrets.token_hex(6)  # request ids: unique per process, then counted (no system call per request)
_REQUESTS = itertools.count(1)


def _new_request_id() -> str:
    return f"{_PROCESS}{next(_REQUESTS):020x}"


def counts_against_anonymous_limit(scope: Scope) -> bool:
    """API calls without credentials count against the per-IP limit; the probes do not, nor do the web app's own
    files (/, /assets/..., the SPA's paths): a few uncached page loads must not turn `GET /` into a 429."""
    path: str = scope["path"]
    if path.startswith(EXEMPT_FROM_RATE_LIMIT):
        return False
    return is_reserved(path) or path.startswith("/metrics") or scope.get("method") not in ("GET", "HEAD")


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def has_credentials(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"x-api-key" and value:
            return True
        if name == b"authorization" and value.lower().startswith(b"bearer "):
            return True
    return False


class RequestContextMiddleware:
    """Outermost layer of our own: everything inside sees the request id, every response gets the headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate_limiter: Callable[[], RateLimiter],
        anonymous_limit_per_minute: Callable[[], int],
    ) -> None:
        self.app = app
        self.rate_limiter = rate_limiter
        self.anonymous_limit = anonymous_limit_per_minute

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _REQUEST_ID_OK.match(incoming) else _new_request_id()
        token = request_id_var.set(request_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        path: str = scope["path"]
        started = time.perf_counter()
        status_holder = {"status": 500, "started": False}
        extra_headers = (*_SECURITY_HEADERS[_csp_for(path)], (b"x-request-id", request_id.encode()))

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = True
                message["headers"] = [*message.get("headers", ()), *extra_headers]
            await send(message)

        try:
            if counts_against_anonymous_limit(scope) and not has_credentials(scope):
                limiter = self.rate_limiter()
                key, limit = f"ip:{client_ip(scope)}", self.anonymous_limit()
                if limiter.in_process:
                    decision = limiter.hit(key, limit=limit, window_seconds=60)
                else:  # a network round trip (Redis): never on the event loop, whatever Redis does
                    decision = await run_in_threadpool(limiter.hit, key, limit=limit, window_seconds=60)
                if not decision.allowed:
                    await self._respond(
                        send_wrapper,
                        429,
                        error_body("rate_limited", f"Too many requests. Try again in {decision.retry_after} s."),
                        [(b"retry-after", str(decision.retry_after).encode())],
                    )
                    return
            if scope.get("method") in ("GET", "HEAD"):
                await self._read_with_one_retry(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            unavailable = dependency_unavailable(exc)
            if unavailable is None:
                log.exception("unhandled error", path=path, method=scope.get("method"))
            if not status_holder["started"]:
                if unavailable is not None:  # a lost database or Redis connection: 503 + Retry-After, never 500
                    await infrastructure_response(unavailable)(scope, receive, send_wrapper)
                else:
                    await self._respond(
                        send_wrapper,
                        500,
                        error_body(
                            "internal_error",
                            f"Something went wrong on our side. Quote request id {request_id} if you report it.",
                        ),
                    )
        finally:
            if _ACCESS_LOG.isEnabledFor(logging.INFO):  # at the default WARNING level the access log costs nothing
                log.info(
                    "request",
                    method=scope.get("method"),
                    path=path,
                    status=status_holder["status"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    client=client_ip(scope),
                )
            request_id_var.reset(token)

    async def _read_with_one_retry(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        """A read (GET/HEAD) that met a dropped database connection is tried once more before the 503 goes out:
        the pool (pre-ping) hands the second try a fresh connection, so a restart's stale connections cost the
        caller nothing. Only reads: they change nothing, so running one twice is harmless."""
        state = scope.setdefault("state", {})
        held = {"retry": False}

        async def hold_database_503(message: dict[str, Any]) -> None:
            start = message["type"] == "http.response.start"
            if start and message["status"] == 503 and state.get(DATABASE_UNAVAILABLE):
                held["retry"] = True
            if not held["retry"]:
                await send(message)

        try:
            await self.app(scope, receive, hold_database_503)
        except Exception as exc:
            unavailable = dependency_unavailable(exc)
            if held["retry"] or unavailable is None or unavailable.service != "database":
                raise
            held["retry"] = True
        if not held["retry"]:
            return
        state.pop(DATABASE_UNAVAILABLE, None)
        await asyncio.sleep(RETRY_READ_AFTER_SECONDS)
        await self.app(scope, receive, send)

    @staticmethod
    async def _respond(
        send: Callable[..., Any],
        status: int,
        body: dict[str, Any],
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        payload = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    *(headers or []),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


class ResponseRedactionMiddleware:
    """Scrubs token-shaped strings from JSON/text responses. Nothing should ever put them there; if something
    does, the user sees `[redacted]` and we log a warning (without the value) instead of leaking a grant."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        # A HEAD answer has no body to scrub, and rewriting its Content-Length to 0 would misstate the GET's.
        if scope["type"] != "http" or scope.get("method") == "HEAD":
            await self.app(scope, receive, send)
            return
        from entrypoints.redaction import might_hold_secret, redact

        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        textual = False

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal textual
            if message["type"] == "http.response.start":
                content_type = b""
                for key, value in message.get("headers", ()):
                    if key == b"content-type":
                        content_type = value
                        break
                textual = content_type.startswith((b"application/json", b"text/"))
                if not textual:
                    await send(message)
                else:
                    start.update(message)
                return
            if not textual:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            if len(chunks) == 1 and not might_hold_secret(body):  # the common case: one clean chunk, sent as is
                await send(start)
                await send({"type": "http.response.body", "body": body})
                return
            text = body.decode("utf-8", errors="replace")
            cleaned = redact(text)
            if cleaned != text:
                log.warning("redacted a secret-shaped value from a response", path=scope.get("path"))
                body = cleaned.encode()
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_wrapper)


class GZipWhenAccepted(GZipMiddleware):
    """Starlette's GZipMiddleware for the requests that accept gzip. The others go straight through: Starlette's
    identity path buffers nothing either, but it parses the request's and the response's headers to add one header,
    `Vary: Accept-Encoding`, to a response that would have been compressed; here it is added from the raw headers
    (a body of `minimum_size` bytes or more by Content-Length, or a streamed one, not already encoded, not 206,
    not an excluded content type)."""

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                if b"gzip" in value:
                    await super().__call__(scope, receive, send)
                    return
                break
        minimum, excluded = self.minimum_size, self.exclude_content_types

        async def send_with_vary(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] != 206:
                headers = message.get("headers", ())
                length: int | None = None
                content_type = b""
                for key, value in headers:
                    if key == b"content-encoding":
                        break
                    if key == b"content-length":
                        length = int(value)
                    elif key == b"content-type":
                        content_type = value
                else:  # the type is looked at only for a body that is big enough (most API answers are not)
                    if length is None or length >= minimum:
                        media_type = content_type.decode("latin-1").partition(";")[0].strip().lower()
                        if {media_type, media_type.partition("/")[0] + "/*"}.isdisjoint(excluded):
                            message["headers"] = _with_vary(list(headers))
            await send(message)

        await self.app(scope, receive, send_with_vary)


def _with_vary(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    for i, (key, value) in enumerate(headers):
        if key == b"vary":
            if b"accept-encoding" not in value.lower():
                headers[i] = (key, value + b", Accept-Encoding")
            return headers
    headers.append((b"vary", b"Accept-Encoding"))
    return headers
