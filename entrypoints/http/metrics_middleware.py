"""Pure-ASGI middleware counting every HTTP request by method, route template and status, with its latency.

The route template (`/api/v1/emails/{message_id}`) comes from the app's own OpenAPI document, matched the way
Starlette matches paths, so a label never holds an id and the series stay few whatever URLs clients send."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from starlette.routing import compile_path

from application.ports.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS, Metrics

Scope = dict[str, Any]
UNMATCHED = "unmatched"  # an API path no route knows: one series, not one per URL a scanner tries
WEB_APP = "web_app"  # the single-page app and its assets, served for every other path
MAX_REMEMBERED_PATHS = 4096
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RouteTemplates:
    """Maps a request path to the OpenAPI path template it matches (literal segments win over parameters)."""

    def __init__(self, openapi: Callable[[], dict[str, Any]]) -> None:
        self._openapi = openapi
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None
        self._seen: dict[str, str] = {}  # path -> template: most requests repeat a path, so most are one lookup

    def _patterns(self) -> list[tuple[re.Pattern[str], str]]:
        if self._compiled is None:
            templates = sorted(self._openapi().get("paths", {}), key=lambda t: (t.count("{"), -len(t)))
            self._compiled = [(compile_path(t)[0], t) for t in templates]
        return self._compiled

    def match(self, path: str) -> str:
        found = self._seen.get(path)
        if found is None:
            found = self._match(path)
            if len(self._seen) < MAX_REMEMBERED_PATHS:  # bounded: paths with ids in them are endless
                self._seen[path] = found
        return found

    def _match(self, path: str) -> str:
        for pattern, template in self._patterns():
            if pattern.match(path):
                return template
        if path == "/ws" or path.startswith(("/api/", "/openapi", "/docs", "/redoc")):
            return UNMATCHED
        return WEB_APP


class MetricsMiddleware:
    """Outermost, so it also sees the answers the other middleware give (429 rate limits, last-resort 500s)."""

    def __init__(
        self, app: Callable[..., Any], *, metrics: Callable[[], Metrics], openapi: Callable[[], dict[str, Any]]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = RouteTemplates(openapi)

    async def __call__(self, scope: Scope, receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            method = scope.get("method", "GET")
            method = method if method in KNOWN_METHODS else "OTHER"
            route = self.routes.match(scope.get("path", ""))
            metrics = self.metrics()
            metrics.increment(HTTP_REQUESTS, method=method, route=route, status=str(status["code"]))
            metrics.observe(HTTP_REQUEST_DURATION, time.perf_counter() - started, method=method, route=route)
