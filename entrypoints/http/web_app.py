"""Serves the built web app (the SPA in frontend/dist) from FastAPI: files, SPA fallback, cache headers."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route
from starlette.types import Scope

# Paths the API and its docs own: an unknown one there is a JSON 404, never the SPA's index.html.
RESERVED_PREFIXES = ("/api/", "/docs", "/redoc")
RESERVED_PATHS = ("/api", "/openapi.json", "/healthz", "/readyz")

# Vite puts a content hash in every file name under assets/, so a cached copy can never be stale.
IMMUTABLE = "public, max-age=31536000, immutable"
# index.html and the other unhashed files must be revalidated, or a deploy would not reach returning browsers.
REVALIDATE = "no-cache"

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mailagent: the web app is not built</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}}
code{{background:#f2f2f2;padding:.1rem .3rem}}</style>
</head>
<body>
<h1>The web app is not built yet</h1>
<p>The API is running, but there is no built web app in <code>{dist}</code>.</p>
<p>Run <code>make run</code>, or build it yourself with
<code>cd frontend &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload this page.</p>
<p>Meanwhile, the API and its documentation are at <a href="/docs">/docs</a>.</p>
</body>
</html>
"""


def is_reserved(path: str) -> bool:
    return path.startswith(RESERVED_PREFIXES) or path in RESERVED_PATHS


def resolve_in_dist(dist: Path, url_path: str) -> Path | None:
    """The file under `dist` that a (percent-decoded) URL path names, or None: nothing outside `dist` is ever
    returned, whatever `..`, symlinks or odd characters the path holds."""
    relative = url_path.lstrip("/")
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    root = dist.resolve()
    try:
        candidate = (root / relative).resolve()
    except (OSError, ValueError):
        return None
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


class _WebAppRoute(Route):
    """A catch-all route that steps aside for reserved paths and for methods other than GET/HEAD, so those keep
    their JSON 404 instead of turning into a 405 from this route."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or is_reserved(scope["path"]):
            return Match.NONE, {}
        return super().matches(scope)


def _file(path: Path, cache_control: str) -> FileResponse:
    return FileResponse(path, headers={"Cache-Control": cache_control})


def web_app_endpoint(dist: Path | None) -> Callable[[Request], Awaitable[Response]]:
    async def serve(request: Request) -> Response:
        path: str = request.scope["path"]
        # Checked per request (a stat): building the web app while the server runs needs no restart.
        if dist is None or not (dist / "index.html").is_file():
            shown = html.escape(str(dist)) if dist is not None else "(MAILAGENT_WEB_DIST is not set)"
            return HTMLResponse(NOT_BUILT_PAGE.format(dist=shown), headers={"Cache-Control": "no-store"})
        index = dist / "index.html"
        found = resolve_in_dist(dist, path)
        if found is not None:
            is_asset = path.startswith("/assets/")
            return _file(found, IMMUTABLE if is_asset else REVALIDATE)
        if path.startswith("/assets/"):
            # A missing hashed file is a stale or broken reference: index.html here would fail as a script.
            raise HTTPException(status_code=404)
        return _file(index, REVALIDATE)  # SPA fallback: the client-side router shows /mail/inbox and friends

    return serve


def install_web_app(app: FastAPI, dist: Path | None) -> None:
    """Add the web app's catch-all route. Call it after every API router: routes match in order."""
    app.router.routes.append(
        _WebAppRoute("/{path:path}", web_app_endpoint(dist), methods=["GET", "HEAD"], include_in_schema=False)
    )
