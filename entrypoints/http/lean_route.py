"""A shorter request path for the API's simple operations (ADR 0030).

FastAPI 0.165 handles every request of an `APIRoute` with one general handler: it reads a body, solves the
dependency tree recursively (each level reading path, query, header and cookie parameters, even when it has none),
and enters a telemetry operation around the dependencies, the endpoint and the serialisation. For an operation with
no body whose dependencies take only the request (and each other), that generality is most of its cost:
`GET /api/v1/auth/me` spent more in FastAPI's handler and dependency solver than in authenticating the caller
(bench/request_cpu.py).

`LeanRoute` is an `APIRoute` (the same OpenAPI document, the same matching, FastAPI's own per-request wrapper with
its exit stacks and exception handling) whose handler, for such an operation, is compiled once from FastAPI's own
analysis of the endpoint (its `Dependant`):

- the dependencies are called in FastAPI's order, each once per request when cached (`use_cache`, the default);
- the path and query parameters are validated by FastAPI's `request_params_to_args`, and their errors raised as
  FastAPI raises them (`RequestValidationError`, the same 422 from our handler);
- the return value is serialised by FastAPI's `serialize_response`, into the same response FastAPI would make.

Anything else (a body, header or cookie parameters, `Response`/`BackgroundTasks`/`SecurityScopes` parameters, a
dependency with `yield` or its own parameters, a custom response class, streaming, dependency overrides, FastAPI's
OpenTelemetry switched on) keeps FastAPI's handler; `lean_plan(route) is None` says which. The route's tests run the
same requests through both handlers and compare what they answer (tests/unit/test_lean_route.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, serialize_response
from fastapi.utils import is_body_allowed_for_status_code
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True, slots=True)
class _Step:
    """One dependency: what it is called with (the request, other dependencies) and how (awaited or in a thread)."""

    call: Callable[..., Any]
    name: str | None
    request_param: str | None
    subs: tuple[_Step, ...]
    is_coroutine: bool
    use_cache: bool


@dataclass(frozen=True, slots=True)
class LeanPlan:
    """How the lean handler serves one operation."""

    steps: tuple[_Step, ...]
    request_param: str | None
    path_params: bool
    query_params: bool
    endpoint_is_coroutine: bool


def _plain_callable(call: Any) -> bool:
    """A function, a method, a class, or an instance with a `__call__` method: what `_is_coroutine` can tell apart.
    Anything else (a `functools.partial`, a wrapped or decorated object) keeps FastAPI's handler, which unwraps it."""
    if inspect.isfunction(call) or inspect.ismethod(call) or inspect.isclass(call):
        return True
    return inspect.isfunction(getattr(type(call), "__call__", None))  # noqa: B004


def _is_generator(call: Any) -> bool:
    target = call if inspect.isroutine(call) else getattr(call, "__call__", None)  # noqa: B004
    return inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target)


def _is_coroutine(call: Any) -> bool:
    if inspect.isroutine(call):
        return inspect.iscoroutinefunction(call)
    return inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004


def _no_special_params(dependant: Dependant) -> bool:
    return not (
        dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.own_oauth_scopes
        or dependant.parent_oauth_scopes
        or getattr(dependant, "concurrency", None) is not None
    )


def _step(dependant: Dependant) -> _Step | None:
    """A dependency the lean handler can call: only the request and other such dependencies as parameters."""
    call = dependant.call
    if call is None or not _plain_callable(call) or _is_generator(call) or not _no_special_params(dependant):
        return None
    if dependant.path_params or dependant.query_params:
        return None
    subs = tuple(_step(sub) for sub in dependant.dependencies)
    if any(sub is None for sub in subs):
        return None
    return _Step(
        call=call,
        name=dependant.name,
        request_param=dependant.request_param_name,
        subs=tuple(s for s in subs if s is not None),
        is_coroutine=_is_coroutine(call),
        use_cache=dependant.use_cache,
    )


def lean_plan(route: APIRoute) -> LeanPlan | None:
    """The plan for `route`, or None when it needs FastAPI's general handler."""
    dependant = route.dependant
    if route.body_field is not None or not isinstance(route.response_class, DefaultPlaceholder):
        return None
    if getattr(route, "stream_item_field", None) is not None or getattr(route, "is_json_stream", False):
        return None
    call = dependant.call
    if call is None or not _plain_callable(call) or _is_generator(call) or not _no_special_params(dependant):
        return None
    steps = tuple(_step(sub) for sub in dependant.dependencies)
    if any(step is None for step in steps):
        return None
    return LeanPlan(
        steps=tuple(s for s in steps if s is not None),
        request_param=dependant.request_param_name,
        path_params=bool(dependant.path_params),
        query_params=bool(dependant.query_params),
        endpoint_is_coroutine=_is_coroutine(dependant.call),
    )


async def _solve(step: _Step, request: Request, cache: dict[Any, Any]) -> Any:
    """FastAPI's order: a dependency's own dependencies first, then the cached value if there is one, else a call."""
    kwargs: dict[str, Any] = {}
    for sub in step.subs:
        value = await _solve(sub, request, cache)
        if sub.name is not None:
            kwargs[sub.name] = value
    if step.use_cache and step.call in cache:
        return cache[step.call]
    if step.request_param is not None:
        kwargs[step.request_param] = request
    value = await step.call(**kwargs) if step.is_coroutine else await run_in_threadpool(step.call, **kwargs)
    cache.setdefault(step.call, value)
    return value


def lean_handler(route: APIRoute, plan: LeanPlan) -> Handler:
    """The request handler for `route` following `plan`."""
    dependant = route.dependant
    endpoint = dependant.call
    assert endpoint is not None
    response_field = route.response_field
    status_code = route.status_code

    async def handle(request: Request) -> Response:
        cache: dict[Any, Any] = {}
        values: dict[str, Any] = {}
        for step in plan.steps:
            value = await _solve(step, request, cache)
            if step.name is not None:
                values[step.name] = value
        errors: list[Any] = []
        if plan.path_params:
            found, problems = request_params_to_args(dependant.path_params, request.path_params)
            values.update(found)
            errors += problems
        if plan.query_params:
            found, problems = request_params_to_args(dependant.query_params, request.query_params)
            values.update(found)
            errors += problems
        if errors:
            raise RequestValidationError(errors, body=None)
        if plan.request_param is not None:
            values[plan.request_param] = request
        if plan.endpoint_is_coroutine:
            raw = await endpoint(**values)
        else:
            raw = await run_in_threadpool(endpoint, **values)
        if isinstance(raw, Response):
            return raw
        content = await serialize_response(
            field=response_field,
            response_content=raw,
            include=route.response_model_include,
            exclude=route.response_model_exclude,
            by_alias=route.response_model_by_alias,
            exclude_unset=route.response_model_exclude_unset,
            exclude_defaults=route.response_model_exclude_defaults,
            exclude_none=route.response_model_exclude_none,
            is_coroutine=plan.endpoint_is_coroutine,
            dump_json=response_field is not None,
        )
        response: Response
        if response_field is not None:
            response = Response(content=content, media_type="application/json", status_code=status_code or 200)
        else:
            response = JSONResponse(content, status_code=status_code or 200)
        if not is_body_allowed_for_status_code(response.status_code):
            response.body = b""
        return response

    return handle


class LeanRoute(APIRoute):
    """An `APIRoute` served by the lean handler when `lean_plan` allows, else by FastAPI's. A lean operation is
    wrapped by Starlette's `request_response` rather than FastAPI's copy of it, whose two exit stacks per request
    exist for dependencies with `yield`, which a lean operation has none of. While dependency overrides are set
    (tests of an app that uses them), FastAPI's handler answers: the plan was made from the dependencies as
    declared."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.lean: Handler | None = None
        super().__init__(path, endpoint, **kwargs)
        if self.lean is not None and getattr(self, "max_body_size", None) is None:
            general, lean = self.app, request_response(self.lean)
            overrides = self.dependency_overrides_provider

            async def app(scope: Scope, receive: Receive, send: Send) -> None:
                if overrides is not None and getattr(overrides, "dependency_overrides", None):
                    await general(scope, receive, send)
                else:
                    await lean(scope, receive, send)

            self.app = app
        else:
            self.lean = None

    def get_route_handler(self) -> Handler:
        general = super().get_route_handler()
        plan = lean_plan(self)
        self.lean = None if plan is None else lean_handler(self, plan)
        return general
