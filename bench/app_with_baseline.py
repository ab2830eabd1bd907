"""The apps `bench/auth_me.py` serves: a plain FastAPI baseline, and the real application with the same bare routes.

    uvicorn --factory --app-dir bench app_with_baseline:create_plain_app           # (a) the baseline
    uvicorn --factory --app-dir bench app_with_baseline:create_app_with_baseline   # the real app + (d), (e)

`create_plain_app` is FastAPI and nothing else: no middleware, no dependencies, the bare route at the top level,
served by FastAPI's own request handler. `create_app_with_baseline` is `entrypoints.http.app.create_app` with the
same routes (as `LeanRoute`s, like every route of the app since ADR 0030) put first in its routing table, before
the web app's catch-all (which would otherwise answer them with index.html), so they pass through our whole
middleware stack (request id, security headers, gzip, response redaction, access log, anonymous rate limit) like
`/api/v1/auth/me`. Settings come from MAILAGENT_* like `mailagent serve`; the database must be migrated. The
benchmark checks what each route answers before it measures.
"""

from __future__ import annotations

from fastapi import FastAPI

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.http.lean_route import LeanRoute
from entrypoints.logging_setup import configure_logging
from entrypoints.settings import Settings

BARE_BODY = {"status": "ok"}


async def bare() -> dict[str, str]:
    """A bare async JSON endpoint, no dependencies."""
    return BARE_BODY


def bare_sync() -> dict[str, str]:
    """Diagnostic: the same as a plain `def` (FastAPI runs it in the thread pool)."""
    return BARE_BODY


def create_plain_app() -> FastAPI:
    app = FastAPI()
    app.get("/bench/bare")(bare)
    app.get("/bench/bare-sync")(bare_sync)
    return app


def create_app_with_baseline() -> FastAPI:
    settings = Settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)  # as `mailagent serve` does
    app = create_app(build_container(settings))
    routes = [
        LeanRoute("/bench/bare", bare, methods=["GET"], include_in_schema=False),
        LeanRoute("/bench/bare-sync", bare_sync, methods=["GET"], include_in_schema=False),
    ]
    app.router.routes[0:0] = routes  # first: before the web app's catch-all
    return app
