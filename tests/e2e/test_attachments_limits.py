"""The 25 MB limit as a streaming server keeps it: one byte over is refused with 413 after reading little more than
the limit (never the whole body), a declared Content-Length over the limit is refused before any of the body is
read, and a file of exactly 25 MB goes through while the server's memory stays flat (property 62)."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.attachments import MAX_ATTACHMENT_BYTES
from tests.support.app import Api, make_app, make_settings

BOUNDARY = "mailagent-test-boundary"
CHUNK = 256 * 1024


def signed_in(tmp_path: Path) -> tuple[Any, dict[str, str]]:
    settings = make_settings(tmp_path)
    app, _ = make_app(settings)
    api = Api(app, settings)
    me = api.signup("big@example.com")
    api.client.close()
    return app, me.headers


class Body:
    """A multipart body with a file of `size` zero bytes, produced lazily; counts what the server pulled."""

    def __init__(self, size: int) -> None:
        self.size, self.pulled = size, 0

    async def stream(self) -> AsyncIterator[bytes]:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        parts = [head]
        remaining = self.size
        zeros = bytes(CHUNK)
        for part in parts:
            self.pulled += len(part)
            yield part
        while remaining > 0:
            piece = zeros[: min(CHUNK, remaining)]
            remaining -= len(piece)
            self.pulled += len(piece)
            yield piece
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.pulled += len(tail)
        yield tail


async def post(app: Any, headers: dict[str, str], body: Body, **extra: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(
            "/api/v1/attachments/upload",
            content=body.stream(),
            headers={**headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **extra},
            timeout=120,
        )


@pytest.mark.property(62)
def test_one_byte_over_is_refused_without_reading_the_rest(tmp_path: Path) -> None:
    app, headers = signed_in(tmp_path)
    body = Body(4 * MAX_ATTACHMENT_BYTES)  # a client that would go on sending 100 MB
    response = asyncio.run(post(app, headers, body))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and "25 MB" in error["message"]
    assert error["details"][0]["limit_bytes"] == MAX_ATTACHMENT_BYTES
    assert MAX_ATTACHMENT_BYTES < body.pulled <= MAX_ATTACHMENT_BYTES + 2 * CHUNK + 1024


@pytest.mark.property(62)
def test_exactly_one_byte_over_the_limit(tmp_path: Path) -> None:
    app, headers = signed_in(tmp_path)
    response = asyncio.run(post(app, headers, Body(MAX_ATTACHMENT_BYTES + 1)))
    assert response.status_code == 413


@pytest.mark.property(62)
def test_a_declared_length_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    app, headers = signed_in(tmp_path)
    body = Body(MAX_ATTACHMENT_BYTES * 2)
    response = asyncio.run(post(app, headers, body, **{"Content-Length": str(MAX_ATTACHMENT_BYTES * 2 + 300)}))
    assert response.status_code == 413
    assert body.pulled <= CHUNK  # at most what the transport handed over before the app looked


@pytest.mark.property(62)
def test_exactly_25_mb_goes_through_with_flat_memory(tmp_path: Path) -> None:
    app, headers = signed_in(tmp_path)
    tracemalloc.start()
    try:
        response = asyncio.run(post(app, headers, Body(MAX_ATTACHMENT_BYTES)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.text
    assert response.json()["data"]["size"] == MAX_ATTACHMENT_BYTES
    assert peak < 12 * 1024 * 1024, f"peak Python allocations {peak / 2**20:.1f} MiB while 25 MB went through"
