"""A local fake of the two Slack APIs we use, on 127.0.0.1: incoming webhooks (POST /services/T/B/X -> "ok") and the
Web API's chat.postMessage (bearer token, JSON -> {"ok": true}). Per path a script of answers ("ok", "429" with
Retry-After: 1, "500", "invalid" — Slack's own error bodies), then "ok". Every accepted or refused message is kept."""

from __future__ import annotations

import contextlib
import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "xoxb-test-0000-token"


@dataclass(frozen=True)
class Posted:
    path: str
    body: dict[str, Any]
    authorization: str | None
    answered: str


class FakeSlack:
    def __init__(self) -> None:
        self.posted: list[Posted] = []
        self.scripts: dict[str, deque[str]] = defaultdict(deque)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def webhook_url(self, name: str = "T000/B000/XXXX") -> str:
        return f"{self.base}/services/{name}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def script(self, path: str, *answers: str) -> None:
        with self.lock:
            self.scripts[path].extend(answers)

    def delivered(self) -> list[Posted]:
        with self.lock:
            return [p for p in self.posted if p.answered == "ok"]

    def _next(self, path: str) -> str:
        with self.lock:
            return self.scripts[path].popleft() if self.scripts[path] else "ok"


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            return

        def _answer(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_raw": raw.decode(errors="replace")}
            path = self.path.split("?")[0]
            answer = fake._next(path)
            auth = self.headers.get("authorization")
            with fake.lock:
                fake.posted.append(Posted(path, body, auth, answer))
            if path.startswith("/services/"):
                if answer == "429":
                    return self._answer(429, b"rate_limited", "text/plain", {"Retry-After": "1"})
                if answer == "500":
                    return self._answer(500, b"internal_error", "text/plain")
                if answer == "invalid":
                    return self._answer(404, b"no_service", "text/plain")
                if not body.get("text") and not body.get("blocks"):
                    return self._answer(400, b"no_text", "text/plain")
                return self._answer(200, b"ok", "text/html")
            if path == "/api/chat.postMessage":
                if answer == "429":
                    data = {"ok": False, "error": "ratelimited"}
                    return self._answer(429, json.dumps(data).encode(), "application/json", {"Retry-After": "1"})
                if auth != f"Bearer {TOKEN}" or answer == "invalid":
                    return self._answer(200, b'{"ok":false,"error":"invalid_auth"}', "application/json")
                if not body.get("channel"):
                    return self._answer(200, b'{"ok":false,"error":"channel_not_found"}', "application/json")
                data = {"ok": True, "channel": body["channel"], "ts": "1700000000.000100"}
                return self._answer(200, json.dumps(data).encode(), "application/json")
            return self._answer(404, b"not found", "text/plain")

    return Handler


@contextlib.contextmanager
def running_fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.server = server
    thread = threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=15)
