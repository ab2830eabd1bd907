"""The real application plus bare baseline routes, served together by one uvicorn for `bench/auth_me.py`.

    uvicorn --factory --app-dir bench app_with_baseline:create_app_with_baseline

Settings come from MAILAGENT_* like `mailagent serve`; the database must already be migrated.
The baseline routes are mounted on the same FastAPI app, so they pass through the same middleware stack
(request id, security headers, access log, anonymous rate limit) as `/api/v1/auth/me`: the difference between
them is routing + dependencies + authentication + the endpoint itself.
"""

from __future__ import annotations

from fastapi import FastAPI

from entrypoints.container import build_container
from entrypoints.http.app import create_app
from entrypoints.logging_setup import configure_logging
from entrypoints.settings import Settings


def create_app_with_baseline() -> FastAPI:
    settings = Settings()
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)  # as `mailagent serve` does
    app = create_app(build_container(settings))

    @app.get("/bench/bare", include_in_schema=False)
    async def bare() -> dict[str, str]:
        """Baseline (a): a bare async JSON endpoint, no dependencies."""
        return {"status": "ok"}

    @app.get("/bench/bare-sync", include_in_schema=False)
    def bare_sync() -> dict[str, str]:
        """Diagnostic: the same, as a plain `def` (FastAPI runs it in the thread pool, like the real routes)."""
        return {"status": "ok"}

    return app
