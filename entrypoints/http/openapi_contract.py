"""The OpenAPI document as the contract: every status an operation can answer, with the envelope it answers with.

Three layers, so no route can forget one:
1. By the operation's shape, for every operation (`document_error_statuses`, run on the generated document):
   500 and 503 everywhere (a bug; a database or Redis outage), 429 wherever the rate limiter counts, 400 for a
   request body that cannot be parsed (not JSON, not UTF-8), 422 where there is anything to validate, 401/403
   where a credential is required, 404 where the path names something.
2. By router (`MAIL`, `AGENT`, ... passed as `APIRouter(responses=...)`): what a whole area can answer, e.g. every
   mail route 409 when the mailbox must be connected again and 502 when the mail provider fails.
3. By route (`errors(409, ...)` in the decorator): the rest, e.g. 409 for a duplicate label.

The error envelope is `ErrorEnvelope` (entrypoints/http/envelope.py), the one `entrypoints/http/errors.py` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from entrypoints.http.envelope import ErrorEnvelope
from entrypoints.http.middleware import EXEMPT_FROM_RATE_LIMIT

DESCRIPTIONS: dict[int, str] = {
    400: "The body cannot be parsed (not JSON, or not UTF-8)",
    401: "Missing, invalid, expired or revoked credentials",
    403: "Not allowed for this caller (a scope, a role, a wrong token)",
    404: "Not found (or not yours)",
    409: "Conflicts with the current state (a duplicate, a change made meanwhile, a mailbox to connect again)",
    413: "The upload is larger than allowed",
    422: "The request is not valid; `error.details` names each field",
    429: "Too many requests; see Retry-After",
    500: "Unexpected error; quote the request id",
    501: "Not configured on this installation (the message says which setting)",
    502: "The mail provider or model provider failed; try again",
    503: "A dependency (database, Redis, a scanner) is unavailable; see Retry-After",
}
ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}},
}


def errors(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a router or a route: each status with the error envelope and a description (a keyword
    argument `s409="..."` replaces the default description of that status)."""
    return {
        status: {"model": ErrorEnvelope, "description": described.get(f"s{status}", DESCRIPTIONS[status])}
        for status in statuses
    }


# What a whole area can answer (layer 2).
# Mail: 409 reauth_required or a conflicting change; 502 the mail provider failed.
MAIL = errors(404, 409, 502, s404="No such mail account, label, message or draft (or not yours)")
# Agent: 409 decided meanwhile; 501 no model configured; 502 the model provider failed.
AGENT = errors(404, 409, 501, 502, s404="No such conversation, action or change (or not yours)")
GOOGLE = errors(501, s501="Google is not configured on this installation (MAILAGENT_GOOGLE_CLIENT_ID/SECRET)")


FASTAPI_422 = {"$ref": "#/components/schemas/HTTPValidationError"}


def _add(responses: dict[str, Any], status: int) -> None:
    existing = responses.get(str(status))
    # FastAPI documents its own 422 body ({"detail": [...]}); errors.py answers with the envelope instead.
    if existing is not None and existing.get("content", {}).get("application/json", {}).get("schema") != FASTAPI_422:
        return
    answer: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ENVELOPE_REF}},
    }
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    responses[str(status)] = answer


def document_error_statuses(document: dict[str, Any]) -> dict[str, Any]:
    """Layer 1: add to each operation the statuses its shape implies (see the module docstring)."""
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            statuses = [500, 503]
            if path not in EXEMPT_FROM_RATE_LIMIT:
                statuses.append(429)
            if operation.get("requestBody"):
                statuses += [400, 422]
            if parameters:
                statuses.append(422)
            if operation.get("security"):
                statuses += [401, 403]
            if any(p.get("in") == "path" for p in parameters):
                statuses.append(404)
            for status in sorted(set(statuses)):
                _add(responses, status)
            operation["responses"] = dict(sorted(responses.items()))
    schemas = document.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _needs_caller(dependant: Any) -> bool:
    from entrypoints.http.deps import current_principal

    pending = [dependant]
    while pending:
        found = pending.pop()
        if found.call is current_principal:
            return True
        pending.extend(found.dependencies)
    return False


def document_security(app: FastAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Declare the two credential schemes on every operation that depends on `current_principal`. That dependency
    reads the headers itself (one dependency to solve per request instead of three), so FastAPI no longer sees the
    schemes as sub-dependencies; the document says what it said before: either scheme, as `security` on each such
    operation and in `components.securitySchemes`."""
    from fastapi.encoders import jsonable_encoder
    from fastapi.routing import APIRoute, iter_route_contexts

    from entrypoints.http.deps import api_key_scheme, bearer_scheme

    schemes = (bearer_scheme, api_key_scheme)
    requirement = [{scheme.scheme_name: []} for scheme in schemes]
    used = False
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema or not _needs_caller(route.dependant):
            continue
        item = document.get("paths", {}).get(context.path_format, {})
        for method in context.methods or ():
            operation = item.get(method.lower())
            if operation is not None:
                # Where FastAPI put it (right after operationId), so the served document keeps its byte order.
                fields = list(operation.items())
                at = next((i + 1 for i, (key, _) in enumerate(fields) if key == "operationId"), len(fields))
                fields.insert(at, ("security", [dict(r) for r in requirement]))
                operation.clear()
                operation.update(fields)
                used = True
    if used:
        components = document.setdefault("components", {})
        components["securitySchemes"] = {
            scheme.scheme_name: jsonable_encoder(scheme.model, by_alias=True, exclude_none=True) for scheme in schemes
        }
    return document


def install_openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """Wrap `app.openapi` so FastAPI's document gets layer 1 (built once, then cached like FastAPI's own). The app
    declares `responses=errors(500)`, which puts `ErrorEnvelope` into the document's components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document_error_statuses(document_security(app, generate()))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return openapi
