"""The FastAPI application factory: routes, error mapping and middleware around one container."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from starlette.routing import Route

from entrypoints.container import Container, build_container
from entrypoints.http.errors import install_error_handlers
from entrypoints.http.mcp_endpoint import McpEndpoint
from entrypoints.http.metrics_middleware import MetricsMiddleware
from entrypoints.http.middleware import RequestContextMiddleware, ResponseRedactionMiddleware
from entrypoints.http.openapi_contract import errors, install_openapi
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
from entrypoints.observability import install_samplers, serve_metrics_port
from entrypoints.redaction import register_secret
from entrypoints.worker.runtime import InProcessRuntime

API_PREFIX = "/api/v1"


def create_app(container: Container | None = None) -> FastAPI:
    container = container or build_container()
    settings = container.settings()
    runtime = InProcessRuntime(container)
    mcp_http = McpEndpoint(container)  # /mcp: the agent's tools for MCP clients (docs/mcp.md)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
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

    app = FastAPI(
        lifespan=lifespan,
        title="mailagent",
        version="0.1.0",
        summary="Self-hostable email agent platform",
        openapi_url="/openapi.json",
        responses=errors(500),  # every operation's statuses: entrypoints/http/openapi_contract.py
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

    app.include_router(health.router)  # probes also at the root, where orchestrators look by default
    app.include_router(metrics.router)  # GET /metrics, for a bearer token (docs/metrics.md)
    app.include_router(help_pages.router)  # GET /help/hosted-model: the offline agent's "use a hosted model" link
    app.router.routes.append(Route("/mcp", mcp_http, methods=["GET", "POST", "DELETE"]))
    # Each router straight onto the app with the prefix: a router inside a router costs every request a deeper
    # match in FastAPI's routing (measured in bench/auth_me.py).
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
        app.include_router(router, prefix=API_PREFIX)
    install_web_app(app, settings.web_dist)  # last: its catch-all must not shadow an API route
    install_openapi(app)

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
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(
        RequestContextMiddleware,
        rate_limiter=container.rate_limiter,
        anonymous_limit_per_minute=lambda: settings.anonymous_rate_limit_per_minute,
    )
    app.add_middleware(MetricsMiddleware, metrics=container.metrics, openapi=app.openapi)
    install_samplers(container, app_state=app.state)
    return app
