"""Routing by exact path first: a request for a path that a route was registered with word for word (no path
parameters) is matched against only the routes that can match that path, in their order, not against every route.

FastAPI (like Starlette) tries the app's routes one after the other, a regular expression each, until one matches:
`GET /api/v1/auth/me` is the 19th route, `/api/v1/integrations/webhooks` the 95th. Which routes can match a path
without parameters is known when the routes are: this index keeps, for each such path, a shallow copy of the app's
router holding only those routes (every route that could match it, in the app's order: the ones with that path, a
parametrised or mounted route whose pattern matches it, and every route whose matching does not depend on the path
alone), and lets the copy run FastAPI's own matching over them. So the first route that matches is the same route as
before (a parametrised route registered earlier still wins over a later literal one), a method that the path does
not allow still answers 405, and what the match sets in the scope is FastAPI's. Any other path, and every WebSocket,
goes through the router's usual scan, so nothing else changes (trailing-slash redirects, the web app's catch-all,
404).

The index is rebuilt whenever the router's list of routes is not the one it was built from (a route added, removed
or moved after start-up); comparing the two lists costs ~0.1 µs a request.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi.routing import APIRoute, APIRouter, APIWebSocketRoute
from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

Scope = dict[str, Any]

# Route kinds whose `matches` for an HTTP request depends only on the path (and the method, for FULL or PARTIAL):
# whether one can match a literal path is decided once, by its own pattern. Exact types, or a subclass that keeps
# their `matches` (LeanRoute changes only how a request is handled); another subclass may match otherwise, so it is
# treated like any unknown kind of route, as one that may match every path.
_PATH_ONLY = (Route, APIRoute, Mount)
_WEBSOCKET_ONLY = (WebSocketRoute, APIWebSocketRoute)  # never match an HTTP request


def _path_only(kind: type[BaseRoute]) -> bool:
    return kind in _PATH_ONLY or any(issubclass(kind, base) and kind.matches is base.matches for base in _PATH_ONLY)


def _literal_kind(kind: type[BaseRoute]) -> bool:
    return _path_only(kind) and issubclass(kind, Route)  # Route or APIRoute (a Mount has no literal path)


def _may_match(route: BaseRoute, path: str) -> bool:
    kind = type(route)
    if kind in _WEBSOCKET_ONLY:
        return False
    if _path_only(kind):
        return route.path_regex.match(path) is not None  # type: ignore[attr-defined]
    return True  # an included router, a host, the web app's catch-all...: asked at its place, as before


def literal_paths(routes: list[BaseRoute]) -> list[str]:
    """The paths of the HTTP routes without path parameters, in order, once each."""
    found = (
        route.path  # type: ignore[attr-defined]
        for route in routes
        if _literal_kind(type(route)) and not route.param_convertors  # type: ignore[attr-defined]
    )
    return list(dict.fromkeys(found))


class LiteralPathIndex:
    """Stands in the router's place (as its `middleware_stack`, which `Router.__call__` calls): HTTP requests for a
    literal path go to that path's copy of the router, everything else to the router itself."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self._built_from: list[BaseRoute] | None = None
        self._by_path: dict[str, APIRouter] = {}

    def _rebuild(self, routes: list[BaseRoute]) -> dict[str, APIRouter]:
        by_path: dict[str, APIRouter] = {}
        for path in literal_paths(routes):
            narrowed = copy.copy(self.router)  # the same router (settings, catch-all, default), fewer routes
            narrowed.routes = [route for route in routes if _may_match(route, path)]
            by_path[path] = narrowed
        self._by_path, self._built_from = by_path, list(routes)
        return by_path

    def _narrowed(self, path: str) -> APIRouter | None:
        routes = self.router.routes
        by_path = self._by_path if routes == self._built_from else self._rebuild(routes)
        return by_path.get(path)

    def candidates(self, path: str) -> list[BaseRoute] | None:
        """The routes an HTTP request for `path` is matched against (None: all of them, in the usual scan)."""
        narrowed = self._narrowed(path)
        return None if narrowed is None else narrowed.routes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            narrowed = self._narrowed(get_route_path(scope))
            if narrowed is not None:
                # The literal route itself always matches (FULL, or PARTIAL for another method), so the copy never
                # reaches its own fallbacks (redirect, catch-all, 404), which would only know its few routes.
                scope.setdefault("router", self.router)  # url_for and friends see the whole app
                await narrowed.app(scope, receive, send)
                return
        await self.router.app(scope, receive, send)


def install_literal_path_index(router: APIRouter) -> bool:
    """Put the index in front of the router's matching. Not when the router has middleware or a body limit of its
    own (its `middleware_stack` is then more than its matching, and must not be skipped): False."""
    if router.middleware_stack != router.app:
        return False
    router.middleware_stack = LiteralPathIndex(router)
    return True
