"""FastAPI dependencies: the container, the caller (Principal), the audit context and per-caller rate limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from application.use_cases.authenticate import AuthenticateInput
from domain.audit import AuditContext
from domain.errors import AuthenticationFailed, PermissionDenied, RateLimited
from domain.identity import Principal, Scope
from entrypoints.container import Container
from entrypoints.http.middleware import client_ip, has_credentials

# Cheap dependencies are `async def` so FastAPI runs them inline instead of hopping through the thread pool;
# anything that may block (database, Redis) stays a plain `def`.
bearer_scheme = HTTPBearer(auto_error=False, description="An access token (JWT) or an API key")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key (mak_...)")


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


async def bearer_credential(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> str | None:
    if api_key:
        return api_key
    return bearer.credentials if bearer else None


def current_principal(
    request: Request,
    container: ContainerDep,
    credential: Annotated[str | None, Depends(bearer_credential)],
) -> Principal:
    settings = container.settings()
    limiter = container.rate_limiter()
    if not credential:
        raise AuthenticationFailed("Sign in to continue: send 'Authorization: Bearer <token>' or 'X-API-Key'.")
    try:
        principal = container.authenticate().execute(AuthenticateInput(credential))
    except AuthenticationFailed:
        # Failed credentials count against the IP, so guessing keys is limited like anonymous traffic.
        decision = limiter.hit(
            f"ip:{client_ip(request.scope)}", limit=settings.anonymous_rate_limit_per_minute, window_seconds=60
        )
        if not decision.allowed:
            raise RateLimited(
                f"Too many requests. Try again in {decision.retry_after} s.", retry_after=decision.retry_after
            ) from None
        raise
    bucket = f"key:{principal.api_key_id}" if principal.api_key_id else f"user:{principal.user_id}"
    decision = limiter.hit(bucket, limit=settings.rate_limit_per_minute, window_seconds=60)
    if not decision.allowed:
        raise RateLimited(
            f"Too many requests. Try again in {decision.retry_after} s.", retry_after=decision.retry_after
        )
    request.state.principal = principal
    request.state.credential = credential
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: Scope) -> Callable[[Principal], Principal]:
    def _check(principal: PrincipalDep) -> Principal:
        if not principal.has_scope(scope):
            raise PermissionDenied(f"This credential lacks the '{scope.value}' scope.")
        return principal

    return _check
