"""FastAPI dependencies: the container, the caller (Principal), the audit context and per-caller rate limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPBearer

from application.ports.rate_limiter import RateLimiter
from application.use_cases.authenticate import Authenticate
from domain.audit import AuditContext
from domain.errors import AuthenticationFailed, PermissionDenied, RateLimited
from domain.identity import Principal, Scope
from entrypoints.container import Container
from entrypoints.http.middleware import client_ip, has_credentials

# Cheap dependencies are `async def` so FastAPI runs them inline instead of hopping through the thread pool;
# anything that may block (database, Redis) stays a plain `def`.
# Documented for every operation that needs a caller (entrypoints/http/openapi_contract.py), read by
# `credential_from_headers` the way these two would read them.
bearer_scheme = HTTPBearer(auto_error=False, description="An access token (JWT) or an API key")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (mak_...)")


# One mail account for an operation that acts on one (reading a message, writing, the calendar, contacts, scheduling):
# `all`, the unified inbox, is for listing and searching only and is refused with 422, which the schema states too.
OneAccountQ = Annotated[
    str | None,
    Query(
        alias="account",
        description="Mail account id (default: your first). Not `all`: the unified inbox is for listing and searching",
        json_schema_extra={"not": {"const": "all"}},
    ),
]


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def audit_context(request: Request) -> AuditContext:
    return AuditContext(
        ip=client_ip(request.scope),
        user_agent=(request.headers.get("user-agent") or "")[:300] or None,
        request_id=request.scope.get("state", {}).get("request_id"),
    )


AuditContextDep = Annotated[AuditContext, Depends(audit_context)]


def limit_by_ip(request: Request, container: ContainerDep) -> None:
    """Public endpoints (register, login...) are always counted per IP, credentials or not. Requests without
    credentials were already counted by the middleware, so only the others are counted here."""
    if not has_credentials(request.scope):
        return
    settings = container.settings()
    decision = container.rate_limiter().hit(
        f"ip:{client_ip(request.scope)}", limit=settings.anonymous_rate_limit_per_minute, window_seconds=60
    )
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests. Try again in {decision.retry_after} s.", retry_after=decision.retry_after
        )


def credential_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The credential the two documented schemes read, as they read it: `X-API-Key` (APIKeyHeader) first, else the
    token of `Authorization: Bearer <token>` (HTTPBearer: the scheme case-insensitive, the token stripped); the
    first header of each name counts. Read straight from the ASGI headers, without two more dependencies to solve
    per request (~60 µs of CPU, bench/auth_me.py)."""
    api_key: bytes | None = None
    authorization: bytes | None = None
    for name, value in headers:
        if name == b"x-api-key":
            if api_key is None:
                api_key = value
        elif name == b"authorization" and authorization is None:
            authorization = value
    if api_key:
        return api_key.decode("latin-1")
    if authorization:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        token = token.strip()
        if scheme and token and scheme.lower() == "bearer":
            return token
    return None


async def current_principal(request: Request) -> Principal:
    """Who is calling, in one async dependency. The token is read once; with the principal's snapshot in an
    in-process cache (the embedded default) a request never leaves the event loop. The database (a missing or
    stale snapshot) and network caches and limiters (Redis) run in the thread pool, together in one hop. The
    OpenAPI document declares the two schemes for every operation that depends on this (`document_security`)."""
    return await _principal_for(request, credential_from_headers(request.scope["headers"]))


async def _principal_for(request: Request, credential: str | None) -> Principal:
    container: Container = request.app.state.container
    if not credential:
        raise AuthenticationFailed("Sign in to continue: send 'Authorization: Bearer <token>' or 'X-API-Key'.")
    settings = container.settings()
    limiter = container.rate_limiter()
    authenticate = container.authenticate()
    ip = client_ip(request.scope)
    if not (authenticate.cache.in_process and limiter.in_process):
        # Redis (production): the snapshot read and the counter in one trip to the thread pool, not two.
        principal = await run_in_threadpool(
            _authenticate_and_count,
            authenticate,
            limiter,
            credential,
            ip,
            settings.anonymous_rate_limit_per_minute,
            settings.rate_limit_per_minute,
        )
    else:
        try:
            read = authenticate.read_credential(credential)
            principal = authenticate.from_snapshot(read) or await run_in_threadpool(authenticate.from_store, read)
        except AuthenticationFailed:
            _count(limiter, f"ip:{ip}", settings.anonymous_rate_limit_per_minute)
            raise
        _count(limiter, _bucket(principal), settings.rate_limit_per_minute)
    state = request.scope.setdefault("state", {})  # what `request.state` reads, without building it per request
    state["principal"], state["credential"] = principal, credential
    return principal


def _authenticate_and_count(
    authenticate: Authenticate, limiter: RateLimiter, credential: str, ip: str, anonymous_limit: int, limit: int
) -> Principal:
    """Who is calling, counted against their bucket (or, when the credential fails, against the IP, so guessing keys
    is limited like anonymous traffic)."""
    try:
        read = authenticate.read_credential(credential)
        principal = authenticate.from_snapshot(read) or authenticate.from_store(read)
    except AuthenticationFailed:
        _count(limiter, f"ip:{ip}", anonymous_limit)
        raise
    _count(limiter, _bucket(principal), limit)
    return principal


def _bucket(principal: Principal) -> str:
    return f"key:{principal.api_key_id}" if principal.api_key_id else f"user:{principal.user_id}"


async def principal_from_headers(request: Request) -> Principal:
    """`current_principal` for a request outside FastAPI's dependencies (the MCP endpoint): X-API-Key or Bearer."""
    return await current_principal(request)


def _count(limiter: RateLimiter, bucket: str, limit: int) -> None:
    """Count one request against the bucket; 429 past the limit. Blocking when the limiter is Redis: call it inline
    only when the counters are in this process (`limiter.in_process`), else from the thread pool."""
    decision = limiter.hit(bucket, limit=limit, window_seconds=60)
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests. Try again in {decision.retry_after} s.", retry_after=decision.retry_after
        ) from None


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: Scope) -> Callable[[Principal], Awaitable[Principal]]:
    async def _check(principal: PrincipalDep) -> Principal:
        if not principal.has_scope(scope):
            raise PermissionDenied(f"This credential lacks the '{scope.value}' scope.")
        return principal

    return _check
