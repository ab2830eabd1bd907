"""`/mcp` on the HTTP server, with the MCP SDK loaded only when the first MCP request arrives (importing it takes
seconds on a busy machine: `mailagent serve` neither waits for it nor pays for it unless MCP is used). The load runs
in the app's lifespan task (the SDK's session manager must start and stop in one task); requests wait for it (up to a
minute). Without the app's lifespan (nothing started it) the answer is a 503."""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from entrypoints.http.deps import principal_from_headers

logger = logging.getLogger(__name__)
LOAD_WAIT_SECONDS = 60


class McpEndpoint:
    def __init__(self, container: Any) -> None:
        self.container = container
        self._http: Any = None
        self._started = False
        self._wanted = anyio.Event()
        self._ready = anyio.Event()
        self._stop = anyio.Event()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """For the app's lifespan: loads the SDK and runs its session manager until the app stops."""
        self._started = True
        async with anyio.create_task_group() as group:
            group.start_soon(self._serve)
            try:
                yield
            finally:
                self._stop.set()
                self._wanted.set()

    async def _serve(self) -> None:
        await self._wanted.wait()
        if self._stop.is_set():
            return
        try:
            module = await anyio.to_thread.run_sync(importlib.import_module, "entrypoints.mcp_server")
            http = module.McpHttp(self.container, principal_from_headers)
            async with http.lifespan():
                self._http = http
                self._ready.set()
                await self._stop.wait()
        except Exception:  # the rest of the app runs on; /mcp answers 503
            logger.exception("the MCP endpoint could not start")
        finally:
            self._http = None
            self._ready.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._started and not self._ready.is_set():
            self._wanted.set()
            with anyio.move_on_after(LOAD_WAIT_SECONDS):
                await self._ready.wait()
        if self._http is None:
            response = JSONResponse(
                {"error": {"code": "service_unavailable", "message": "The MCP endpoint is not running; try again."}},
                status_code=503,
                headers={"Retry-After": "5"},
            )
            await response(scope, receive, send)
            return
        await self._http(scope, receive, send)
