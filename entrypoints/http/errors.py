"""Every error becomes one status code and one envelope, here and nowhere else."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from domain.attachments import MalwareDetected, PayloadTooLarge
from domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    InfrastructureError,
    NotConfigured,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    RateLimited,
    ServiceUnavailable,
    UpstreamError,
    ValidationFailed,
)
from entrypoints.http.envelope import error_body
from entrypoints.http.metrics_middleware import RouteTemplates
from entrypoints.logging_setup import get_logger

log = get_logger("mailagent.http")

STATUS_BY_ERROR: list[tuple[type[Exception], int]] = [
    (PayloadTooLarge, 413),
    (MalwareDetected, 422),
    (ValidationFailed, 422),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (Conflict, 409),
    (RateLimited, 429),
    (QuotaExceeded, 429),
    (NotConfigured, 501),
    (DomainError, 400),
    (ServiceUnavailable, 503),
    (UpstreamError, 502),
    (InfrastructureError, 503),
]

HTTP_CODES = {
    400: "bad_request",
    401: "authentication_failed",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
}


METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method of the path, for `Allow`: the operations the OpenAPI document lists under the template this
    path matches (literal segments win, so /emails/send is POST only though /emails/{message_id} takes GET).
    FastAPI keeps one route per method, and Starlette's 405 named only the first route whose path matched
    (OPTIONS /labels said `GET`). Paths outside the document (/openapi.json, /docs) ask the routes themselves."""
    app = request.app
    templates: RouteTemplates | None = getattr(app.state, "route_templates", None)
    if templates is None:
        templates = app.state.route_templates = RouteTemplates(app.openapi)
    operations = app.openapi().get("paths", {}).get(templates.match(request.url.path), {})
    found = [m for m in METHOD_ORDER if m.lower() in operations]
    if not found:
        found = [
            method
            for method in METHOD_ORDER
            if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in app.router.routes)
        ]
    return ", ".join([*found, "OPTIONS"])


def dependency_unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 an exception amounts to when, anywhere in its chain, a database or Redis connection was lost or
    refused (a restart, a failover, psycopg's AdminShutdown, a full pool); None for anything else. The unit of work
    already turns these into ServiceUnavailable; this catches the ones raised outside one (e.g. a write of its own
    connection), so a dependency's outage is never a 500."""
    from adapters.sqlalchemy.unit_of_work import database_unavailable

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ServiceUnavailable):
            return current
        found = database_unavailable(current) or _driver_unavailable(current)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _driver_unavailable(exc: BaseException) -> ServiceUnavailable | None:
    module = type(exc).__module__
    if module.startswith("psycopg"):
        import psycopg

        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return ServiceUnavailable("The database cannot answer right now; try again shortly.", service="database")
    elif module.startswith("redis"):
        import redis

        if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
            return ServiceUnavailable("Redis cannot be reached; try again shortly.", service="redis")
    return None


def infrastructure_response(exc: InfrastructureError) -> JSONResponse:
    """503 (or 502) with Retry-After and the failing service; the message is safe to show."""
    log.warning("dependency failed", service=exc.service, error=exc.message, cause=repr(exc.__cause__)[:300])
    details: dict[str, Any] = {"service": exc.service}
    if exc.retry_after is not None:
        details["retry_after"] = exc.retry_after
    return JSONResponse(
        error_body(exc.code, exc.message, [details]),
        status_code=status_for(exc),
        headers={"Retry-After": str(exc.retry_after if exc.retry_after is not None else 5)},
    )


def status_for(exc: Exception) -> int:
    return next(status for cls, status in STATUS_BY_ERROR if isinstance(exc, cls))


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        details.append({"field": ".".join(loc) or None, "message": err.get("msg", "invalid"), "type": err.get("type")})
    return details


def domain_error_response(exc: DomainError) -> JSONResponse:
    """The response for a domain error (also for routes that must add to it, e.g. a cookie to clear)."""
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationFailed) else {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=status_for(exc), headers=headers)


DATABASE_UNAVAILABLE = "database_unavailable"  # set in the request's state when a 503 was about the database


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return domain_error_response(exc)

    @app.exception_handler(InfrastructureError)
    async def _infra(request: Request, exc: InfrastructureError) -> JSONResponse:
        if exc.service == "database":
            request.scope.setdefault("state", {})[DATABASE_UNAVAILABLE] = True  # a GET may be tried once more
        return infrastructure_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        fields = ", ".join(sorted({d["field"] for d in details if d["field"]}))
        message = f"The request is not valid: check {fields}." if fields else "The request is not valid."
        return JSONResponse(error_body("validation_failed", message, details), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = exc.headers
        if exc.status_code == 405:
            # The path exists: OPTIONS is answered (RFC 9110 §9.3.7), any other method is told what works here.
            allow = allowed_methods(request)
            if request.method == "OPTIONS":
                return Response(status_code=204, headers={"Allow": allow})
            headers = {**(headers or {}), "Allow": allow}
            return JSONResponse(
                error_body("method_not_allowed", f"{request.method} is not possible here; this address takes {allow}."),
                status_code=405,
                headers=headers,
            )
        code = HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else "The request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = "There is nothing at this address."
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)
