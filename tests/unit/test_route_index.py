"""Routing by exact path first (entrypoints/http/route_index.py) picks the route FastAPI's own scan picks: the same
answer for every path and method on generated route tables, parametrised routes registered earlier still win, and on
the real app every route the index leaves out cannot match the path."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.responses import PlainTextResponse
from starlette.routing import Match, Mount, Route

from entrypoints.http.route_index import LiteralPathIndex, install_literal_path_index, literal_paths
from tests.support.app import make_app, make_settings

TEMPLATES = ["/a", "/a/b", "/a/{x}", "/a/{x}/b", "/{x}", "/a/b/", "/c", "/c/{x:path}"]
PATHS = ["/a", "/a/b", "/a/c", "/a/b/", "/a/b/b", "/c", "/c/d/e", "/x", "/", "/a/"]
METHODS = ["GET", "POST", "HEAD", "DELETE"]


def _endpoint(name: str) -> Any:
    async def endpoint(request: Request) -> dict[str, Any]:
        return {"route": name, "params": request.path_params, "url": str(request.url_for(name, **request.path_params))}

    return endpoint


def _build(table: list[tuple[str, str, str]], *, indexed: bool) -> FastAPI:
    app = FastAPI()
    for i, (kind, template, method) in enumerate(table):
        name = f"r{i}"
        if kind == "api":
            app.router.add_api_route(template, _endpoint(name), methods=[method], name=name)
        elif kind == "mount":
            app.router.routes.append(Mount(template.split("{")[0].rstrip("/") or "/m", PlainTextResponse(name)))
        else:  # a plain Starlette route, like /openapi.json
            app.router.routes.append(Route(template, PlainTextResponse(name), methods=[method], name=name))
    if indexed:
        assert install_literal_path_index(app.router)
    return app


async def _ask(app: FastAPI, method: str, path: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, sorted(sent[0]["headers"])


TABLES = st.lists(
    st.tuples(
        st.sampled_from(["api", "api", "api", "route", "mount"]),
        st.sampled_from(TEMPLATES),
        st.sampled_from(METHODS[:3]),
    ),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(TABLES)
def test_every_path_and_method_gets_the_answer_of_fastapis_own_scan(table: list[tuple[str, str, str]]) -> None:
    plain, indexed = _build(table, indexed=False), _build(table, indexed=True)

    async def compare() -> None:
        for path in PATHS:
            for method in METHODS:
                assert await _ask(indexed, method, path) == await _ask(plain, method, path), (method, path)

    asyncio.run(compare())


def test_a_parametrised_route_registered_first_still_wins_over_a_literal_one() -> None:
    app = _build([("api", "/a/{x}", "GET"), ("api", "/a/b", "GET"), ("api", "/a/b", "POST")], indexed=True)

    async def ask() -> None:
        status, body, _ = await _ask(app, "GET", "/a/b")
        assert (status, b'"route":"r0"' in body, b'"x":"b"' in body) == (200, True, True)
        status, body, _ = await _ask(app, "POST", "/a/b")  # the parametrised route allows only GET: on to r2
        assert (status, b'"route":"r2"' in body) == (200, True)
        status, _, headers = await _ask(app, "DELETE", "/a/b")  # nobody allows DELETE: 405 from the first PARTIAL
        assert status == 405 and (b"allow", b"GET") in headers

    asyncio.run(ask())
    index = app.router.middleware_stack
    assert isinstance(index, LiteralPathIndex)
    assert [route.name for route in index.candidates("/a/b") or []] == ["r0", "r1", "r2"]  # type: ignore[attr-defined]
    assert index.candidates("/a/c") is None  # not a literal path: the usual scan


def test_routes_added_after_start_up_are_seen() -> None:
    app = _build([("api", "/a/b", "GET")], indexed=True)
    assert asyncio.run(_ask(app, "GET", "/a/b"))[1].startswith(b'{"route":"r0"')
    app.router.routes.insert(0, APIRoute("/a/{x}", _endpoint("early"), methods=["GET"], name="early"))
    app.router.add_api_route("/c", _endpoint("late"), methods=["GET"], name="late")
    assert asyncio.run(_ask(app, "GET", "/a/b"))[1].startswith(b'{"route":"early"')
    assert asyncio.run(_ask(app, "GET", "/c"))[1].startswith(b'{"route":"late"')


def test_a_router_with_middleware_of_its_own_is_left_as_it_is() -> None:
    app = FastAPI()
    app.router.middleware_stack = object()  # type: ignore[assignment]  # stands for a router-level middleware
    assert not install_literal_path_index(app.router)


def test_on_the_real_app_every_route_left_out_cannot_match_the_path(tmp_path: Path) -> None:
    app, _ = make_app(make_settings(tmp_path))
    index = app.router.middleware_stack
    assert isinstance(index, LiteralPathIndex)
    routes = app.router.routes
    paths = literal_paths(routes)
    assert "/api/v1/auth/me" in paths and "/api/v1/emails/scheduled" in paths
    for path in paths:
        kept = index.candidates(path)
        assert kept is not None and len(kept) < len(routes) / 2, path
        for method in METHODS:
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
            for route in routes:
                if route not in kept:
                    assert route.matches(scope)[0] is Match.NONE, (path, method, route)
    # /emails/scheduled is listed before /emails/{message_id} (app.py), so the literal route comes first
    kept_paths = [getattr(r, "path", None) for r in index.candidates("/api/v1/emails/scheduled") or []]
    assert kept_paths.index("/api/v1/emails/scheduled") < kept_paths.index("/api/v1/emails/{message_id}")
