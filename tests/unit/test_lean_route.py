"""LeanRoute (ADR 0030): the operations it serves answer exactly what FastAPI's own handler answers, and the ones it
cannot serve keep FastAPI's handler."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import BackgroundTasks, Body, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.responses import PlainTextResponse, Response

import entrypoints.http.app as app_module
from entrypoints.http.lean_route import LeanRoute, lean_plan
from tests.support.app import Api, make_app, make_settings

calls: list[str] = []


async def counted(request: Request) -> str:
    calls.append("counted")
    return request.url.path


def sync_dependency(path: Annotated[str, Depends(counted)]) -> str:
    calls.append("sync")
    return path.upper()


async def refusing(request: Request) -> None:
    if request.headers.get("x-refuse"):
        raise HTTPException(status_code=403, detail="refused by a dependency")


class Item(BaseModel):
    id: int
    name: str


async def item(
    item_id: int,
    path: Annotated[str, Depends(counted)],
    loud: Annotated[str, Depends(sync_dependency)],
    size: Annotated[int, Query(ge=1, le=10)] = 3,
    _: Annotated[None, Depends(refusing)] = None,
) -> dict[str, Any]:
    # `secret` is not in the response model: both handlers must leave it out.
    return {"id": item_id, "name": f"{path} {loud} {size}", "secret": "hidden"}


def sync_items(tag: Annotated[list[str] | None, Query()] = None) -> list[dict[str, Any]]:
    return [{"id": i, "name": t} for i, t in enumerate(tag or [])]


async def created() -> dict[str, str]:
    return {"status": "made"}


async def nothing() -> None:
    return None


async def raw() -> Response:
    return PlainTextResponse("as it is", status_code=202, headers={"x-kind": "raw"})


async def with_body(payload: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    return payload


async def with_header(x_thing: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    return {"thing": x_thing}


async def yielding() -> Iterator[int]:
    yield 1


async def with_yield(value: Annotated[int, Depends(yielding)]) -> dict[str, int]:
    return {"value": value}


async def with_tasks(tasks: BackgroundTasks) -> dict[str, str]:
    return {"ok": "yes"}


async def prefixed(prefix: str, request: Request) -> str:
    return prefix + request.url.path


async def with_partial(value: Annotated[str, Depends(functools.partial(prefixed, "at "))]) -> dict[str, str]:
    # A partial of an async function: FastAPI unwraps it and awaits it; the lean handler leaves it to FastAPI.
    return {"value": value}


def build(route_class: type[APIRoute]) -> FastAPI:
    app = FastAPI()
    add = app.router.add_api_route
    add("/items/{item_id}", item, response_model=Item, route_class_override=route_class)
    add("/items", sync_items, response_model=list[Item], route_class_override=route_class)
    add("/made", created, status_code=201, methods=["POST"], route_class_override=route_class)
    add("/nothing", nothing, status_code=204, methods=["DELETE"], route_class_override=route_class)
    add("/raw", raw, route_class_override=route_class)
    add("/body", with_body, methods=["POST"], route_class_override=route_class)
    add("/header", with_header, route_class_override=route_class)
    add("/yield", with_yield, route_class_override=route_class)
    add("/tasks", with_tasks, route_class_override=route_class)
    add("/partial", with_partial, route_class_override=route_class)
    return app


REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/items/7", {}),
    ("GET", "/items/7?size=10", {}),
    ("GET", "/items/7?size=11", {}),  # 422: out of range
    ("GET", "/items/seven?size=0", {}),  # 422: two errors
    ("GET", "/items/7", {"headers": {"x-refuse": "1"}}),  # 403 from a dependency
    ("GET", "/items?tag=a&tag=b", {}),
    ("GET", "/items", {}),
    ("POST", "/made", {}),
    ("DELETE", "/nothing", {}),
    ("GET", "/raw", {}),
    ("POST", "/body", {"json": {"a": 1}}),
    ("POST", "/body", {"content": b"{not json", "headers": {"content-type": "application/json"}}),
    ("GET", "/header", {"headers": {"x-thing": "v"}}),
    ("GET", "/yield", {}),
    ("GET", "/tasks", {}),
    ("GET", "/partial", {}),
]


def answer(client: TestClient, method: str, path: str, kwargs: dict[str, Any]) -> tuple[int, bytes, list[str]]:
    calls.clear()
    r = client.request(method, path, **kwargs)
    headers = sorted(f"{k}: {v}" for k, v in r.headers.items() if k not in ("date",))
    return r.status_code, r.content, [*headers, f"calls: {calls}"]


@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS, ids=[f"{m} {p}" for m, p, _ in REQUESTS])
def test_every_request_gets_what_fastapis_own_handler_answers(method: str, path: str, kwargs: dict[str, Any]) -> None:
    lean = TestClient(build(LeanRoute), raise_server_exceptions=False)
    general = TestClient(build(APIRoute), raise_server_exceptions=False)
    assert answer(lean, method, path, kwargs) == answer(general, method, path, kwargs)


def test_a_cached_dependency_is_called_once_per_request_and_a_sync_one_runs() -> None:
    client = TestClient(build(LeanRoute))
    calls.clear()
    r = client.get("/items/7?size=4")
    assert r.json() == {"id": 7, "name": "/items/7 /ITEMS/7 4"}
    assert calls == ["counted", "sync"]  # `counted` is asked for twice (item, sync_dependency): called once


def test_only_operations_without_body_header_yield_or_special_parameters_are_lean() -> None:
    app = build(LeanRoute)
    lean = {r.path for r in app.router.routes if isinstance(r, LeanRoute) and lean_plan(r) is not None}
    assert lean == {"/items/{item_id}", "/items", "/made", "/nothing", "/raw"}
    for route in app.router.routes:
        if isinstance(route, LeanRoute):
            assert (route.lean is not None) == (route.path in lean)


def test_dependency_overrides_are_honoured() -> None:
    app = build(LeanRoute)

    async def other(request: Request) -> str:
        return "/elsewhere"

    app.dependency_overrides[counted] = other
    r = TestClient(app).get("/items/1")
    assert r.json() == {"id": 1, "name": "/elsewhere /ELSEWHERE 3"}


def _volatile(body: bytes) -> bytes:
    """What differs between two calls of the same request: request ids and times."""
    body = re.sub(rb'"request_id":\s*"[^"]*"', b'"request_id":"-"', body)
    return re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?", b"<time>", body)


def test_on_the_real_app_every_lean_operation_answers_like_fastapis_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two apps on one container: one rate limit for both, set out of reach (the requests are counted twice).
    settings = make_settings(tmp_path, rate_limit_per_minute=10**9, anonymous_rate_limit_per_minute=10**9)
    app, container = make_app(settings)
    monkeypatch.setattr(app_module, "LeanRoute", APIRoute)
    general = app_module.create_app(container)
    monkeypatch.undo()
    routes = [r for r in app.router.routes if isinstance(r, LeanRoute) and r.lean is not None]
    assert {"/api/v1/auth/me", "/api/v1/emails", "/api/v1/calendar/events"} <= {r.path for r in routes}
    assert not any(isinstance(r, LeanRoute) for r in general.router.routes)
    api = Api(app, settings)
    account = api.signup("lean@example.com")
    assert api.post("/api/v1/mail/accounts/demo", headers=account.headers).status_code in (200, 201)
    lean_client = TestClient(app, raise_server_exceptions=False)
    general_client = TestClient(general, raise_server_exceptions=False)
    compared = 0
    for route in routes:
        if "GET" not in route.methods:
            continue
        path = re.sub(r"\{[^}]+\}", "no-such-id", route.path)
        for query, headers in (("", {}), ("", account.headers), ("?limit=0&offset=-1&account=all", account.headers)):
            got = lean_client.get(path + query, headers=headers)
            want = general_client.get(path + query, headers=headers)
            assert got.status_code == want.status_code, (path, query, got.text, want.text)
            assert _volatile(got.content) == _volatile(want.content), (path, query)
            assert got.headers.get("content-type") == want.headers.get("content-type"), path
            compared += 1
    assert compared >= 60
