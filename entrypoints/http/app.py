"""The FastAPI application factory: routes, error mapping and middleware around one container."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from starlette.routing import Route

from entrypoints.container import Container, build_container
from entrypoints.http.errors import install_error_handlers
from entrypoints.http.lean_route import LeanRoute
from entrypoints.http.mcp_endpoint import McpEndpoint
from entrypoints.http.metrics_middleware import MetricsMiddleware
from entrypoints.http.middleware import GZipWhenAccepted, RequestContextMiddleware, ResponseRedactionMiddleware
from entrypoints.http.openapi_contract import errors, install_openapi
from entrypoints.http.route_index import install_literal_path_index
from entrypoints.http.routes import (
    admin,
    agent,
    api_keys,
    attachments,
    auth,
    calendar,
    calendar_push,
    contacts,
    health,
    mail,
    mail_push,
    metrics,
    scheduled,
    slack,
    webhooks,
    ws,
)
from entrypoints.http.routes import help as help_pages
from entrypoints.http.web_app import install_web_app
from entrypoints.observability import fastapi_telemetry, install_samplers, serve_metrics_port
from entrypoints.redaction import register_secret
from entrypoints.worker.runtime import InProcessRuntime

API_PREFIX = "/api/v1"


def add_routes(app: FastAPI, router: APIRouter, prefix: str = "", route_class: type[APIRoute] = APIRoute) -> None:
    """`app.include_router(router, prefix=prefix)`, but with the router's routes made routes of the app itself, as
    FastAPI did before it kept included routers as nodes to match through: each APIRoute already carries its
    router's prefix, tags, dependencies, responses and response class, and `add_api_route` adds the app's own
    (its `responses`, its dependency overrides), as a `route_class` (LeanRoute: ADR 0030). A router with any other
    kind of route (a WebSocket) is included as it is."""
    if not all(type(route) is APIRoute for route in router.routes):
        app.include_router(router, prefix=prefix)
        return
    for route in router.routes:
        assert isinstance(route, APIRoute)
        app.router.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=route.tags,
            dependencies=route.dependencies,
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=route.responses,
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema,
            response_class=route.response_class,
            name=route.name,
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            route_class_override=route_class,
        )


def create_app(container: Container | None = None) -> FastAPI:
    container = container or build_container()
    settings = container.settings()
    runtime = InProcessRuntime(container)
    mcp_http = McpEndpoint(container)  # /mcp: the agent's tools for MCP clients (docs/mcp.md)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Sync routes and our run_in_threadpool calls share this limiter (anyio's default: 40 threads). Past the
        # database pool, threads opened and closed connections of their own (862 in 10 s at 64 connections) and
        # contended for the GIL; the pool is sized to match (ADR 0029).
        to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        # The embedded default runs background jobs in this process; production runs `mailagent worker`.
        if settings.jobs_in_process:
            runtime.start()
        metrics_server = serve_metrics_port(container)
        try:
            async with mcp_http.running():
                yield
        finally:
            if metrics_server is not None:
                metrics_server.shutdown()
            runtime.stop()
            hub = getattr(app.state, "live_hub", None)
            if hub is not None:
                hub.close()

    telemetry = fastapi_telemetry()
    # FastAPI's general request handler where its OpenTelemetry is on (the lean one has none of its spans), else the
    # lean handler for the operations it can serve (ADR 0030).
    route_class = APIRoute if telemetry is None else LeanRoute
    app = FastAPI(
        lifespan=lifespan,
        title="mailagent",
        version="0.1.0",
        summary="Self-hostable email agent platform",
        openapi_url="/openapi.json",
        responses=errors(500),  # every operation's statuses: entrypoints/http/openapi_contract.py
        telemetry=telemetry,  # FastAPI's OpenTelemetry, when OpenTelemetry is set up (observability.py)
    )
    app.state.container = container
    for secret in (
        settings.google_client_secret,
        settings.smtp_password,
        settings.jwt_secret,
        settings.secrets_key,
        settings.google_push_token,  # it is in the push URL's query string: never in a log line or a response
        settings.metrics_token,
    ):
        register_secret(secret.get_secret_value() if secret else None)
    install_error_handlers(app)

    add_routes(app, health.router, route_class=route_class)  # probes also at the root, where orchestrators look
    add_routes(app, metrics.router, route_class=route_class)  # GET /metrics, for a bearer token (docs/metrics.md)
    add_routes(
        app, help_pages.router, route_class=route_class
    )  # GET /help/hosted-model: the offline agent's "use a hosted model" link
    app.router.routes.append(Route("/mcp", mcp_http, methods=["GET", "POST", "DELETE"]))
    # Each router's routes straight onto the app with the prefix (add_routes): an included router costs every
    # request a match through each router before its own (~100 µs for /auth/me, measured in bench/auth_me.py).
    for router in (
        health.router,
        auth.public,
        auth.router,
        api_keys.router,
        admin.router,
        mail.accounts,
        scheduled.router,  # before mail.emails: /emails/scheduled is not /emails/{message_id}
        mail.emails,
        mail.labels,
        contacts.router,
        calendar.router,
        calendar_push.router,
        mail_push.router,
        ws.router,
        agent.router,
        attachments.router,
        webhooks.router,
        slack.router,
    ):
        add_routes(app, router, prefix=API_PREFIX, route_class=route_class)
    install_web_app(app, settings.web_dist)  # last: its catch-all must not shadow an API route
    install_openapi(app)
    # A path without parameters is matched against the few routes that can match it, not all ~110 in turn
    # (entrypoints/http/route_index.py; ~20 µs for /api/v1/auth/me, bench/request_cpu.py).
    install_literal_path_index(app.router)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key", "X-Request-ID", "X-Requested-With"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(ResponseRedactionMiddleware)
    # Outside the redaction (it must read plain text), inside the request context (its headers stay as they are).
    # WebSockets pass through untouched; text/event-stream is never compressed.
    app.add_middleware(GZipWhenAccepted, minimum_size=1024)
    app.add_middleware(
        RequestContextMiddleware,
        rate_limiter=container.rate_limiter,
        anonymous_limit_per_minute=lambda: settings.anonymous_rate_limit_per_minute,
    )
    app.add_middleware(MetricsMiddleware, metrics=container.metrics, openapi=app.openapi)
    install_samplers(container, app_state=app.state)
    return app
