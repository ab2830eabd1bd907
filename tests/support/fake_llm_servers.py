"""Local HTTP servers that speak the Anthropic Messages API and the OpenAI Chat Completions API (no network).

Each server records every request (path, headers, JSON body) and answers from a script of replies; with an empty
script it answers a plain text reply. It checks the API key header like the real services (401 on a wrong key).
Bound to 127.0.0.1 on a free port.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ToolCall:
    name: str
    args: dict[str, Any]
    id: str = "call_1"


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a message (text and/or tool calls), or an error status, optionally after a delay."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    status: int = 200
    error_message: str = ""
    delay_seconds: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]  # lower-case names
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class _FakeServer:
    path = ""

    def __init__(self, api_key: str | None = None) -> None:
        self.api_key = api_key
        self.requests: list[ReceivedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                request = ReceivedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                status, payload, headers, delay = server._answer(request)
                if delay and server._stop.wait(delay):
                    return
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in headers:
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    # Lifecycle ------------------------------------------------------------------------------------------------
    def start(self) -> _FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> _FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}{self.base_path}"

    base_path = ""

    # Script ---------------------------------------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def _answer(self, request: ReceivedRequest) -> tuple[int, dict[str, Any], tuple[tuple[str, str], ...], float]:
        with self._lock:
            self.requests.append(request)
            reply = self._script.popleft() if self._script else Reply(text="Hello from the fake model.")
        if request.path != self.path:
            return 404, self.error_body(404, f"Unknown path {request.path}"), (), 0.0
        if self.api_key is not None and self.presented_key(request) != self.api_key:
            return 401, self.error_body(401, "invalid api key"), (), 0.0
        if reply.status != 200:
            return reply.status, self.error_body(reply.status, reply.error_message), reply.headers, reply.delay_seconds
        return 200, self.message_body(request.body, reply), reply.headers, reply.delay_seconds

    # Wire format (per API) ------------------------------------------------------------------------------------
    def presented_key(self, request: ReceivedRequest) -> str | None:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        raise NotImplementedError

    def message_body(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        raise NotImplementedError


class FakeAnthropicServer(_FakeServer):
    """POST /v1/messages. The client's base URL is the server root (the SDK appends /v1/messages)."""

    path = "/v1/messages"
    _types = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
              404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}  # fmt: skip

    def presented_key(self, request: ReceivedRequest) -> str | None:
        # The API takes the key as x-api-key; anthropic SDK 2.x sends it as a bearer token, which it also accepts.
        if "x-api-key" in request.headers:
            return request.headers["x-api-key"]
        value = request.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        kind = self._types.get(status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": message or kind}}

    def message_body(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if reply.text is not None:
            content.append({"type": "text", "text": reply.text})
        for call in reply.tool_calls:
            content.append({"type": "tool_use", "id": call.id, "name": call.name, "input": call.args})
        return {
            "id": f"msg_{len(self.requests):04d}",
            "type": "message",
            "role": "assistant",
            "model": request.get("model", "?"),
            "content": content,
            "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": 21, "output_tokens": 7},
        }


class FakeOpenAIServer(_FakeServer):
    """POST /v1/chat/completions. The client's base URL ends in /v1 (like http://127.0.0.1:11434/v1 for Ollama)."""

    path = "/v1/chat/completions"
    base_path = "/v1"

    def presented_key(self, request: ReceivedRequest) -> str | None:
        value = request.headers.get("authorization", "")
        return value[len("Bearer ") :] if value.startswith("Bearer ") else None

    def error_body(self, status: int, message: str) -> dict[str, Any]:
        code = "invalid_api_key" if status == 401 else None
        return {"error": {"message": message or f"error {status}", "type": "invalid_request_error", "code": code}}

    def message_body(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": reply.text}
        if reply.tool_calls:
            message["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": json.dumps(c.args)}}
                for c in reply.tool_calls
            ]
        return {
            "id": f"chatcmpl-{len(self.requests):04d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "?"),
            "choices": [
                {"index": 0, "message": message, "finish_reason": "tool_calls" if reply.tool_calls else "stop"}
            ],
            "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28},
        }
