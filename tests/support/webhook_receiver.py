"""A local webhook receiver on 127.0.0.1 that misbehaves on request: per path, a script of answers (ok, 500, 410,
429 with Retry-After, a timeout, a reset connection, a slow answer, a redirect, a huge body), then 'ok'. Every
request is kept (path, headers, raw body) so a test can verify each signature with the standardwebhooks package."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: str  # the behaviour used for this request


class Receiver:
    def __init__(self, *, hang_seconds: float = 5.0, slow_seconds: float = 0.3) -> None:
        self.requests: list[Received] = []
        self.scripts: dict[str, deque[str]] = defaultdict(deque)
        self.lock = threading.Lock()
        self.hang_seconds, self.slow_seconds = hang_seconds, slow_seconds
        self.server: ThreadingHTTPServer | None = None

    def script(self, path: str, *behaviours: str) -> None:
        with self.lock:
            self.scripts[path].extend(behaviours)

    def url(self, path: str) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def received(self, path: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]

    def _next(self, path: str) -> str:
        with self.lock:
            script = self.scripts[path]
            return script.popleft() if script else "ok"

    def _record(self, item: Received) -> None:
        with self.lock:
            self.requests.append(item)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            behaviour = receiver._next(self.path)
            receiver._record(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, behaviour))
            if behaviour == "reset":
                # RST instead of FIN: the sender sees "connection reset by peer".
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            if behaviour == "hang":
                time.sleep(receiver.hang_seconds)
                self.close_connection = True
                return
            if behaviour == "slow":
                time.sleep(receiver.slow_seconds)
            status, headers, payload = {
                "ok": (200, {}, b'{"ok":true}'),
                "slow": (200, {}, b"ok"),
                "204": (204, {}, b""),
                "500": (500, {}, b"internal error"),
                "410": (410, {}, b"gone"),
                "429": (429, {"Retry-After": "120"}, b"slow down"),
                "redirect": (302, {"Location": "http://127.0.0.1:1/elsewhere"}, b""),
                "huge": (200, {}, b"x" * 1_000_000),
            }[behaviour]
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                with contextlib.suppress(OSError):  # the sender stops reading after a few KiB
                    self.wfile.write(payload)

    return Handler


@contextlib.contextmanager
def running_receiver(**options: float) -> Iterator[Receiver]:
    receiver = Receiver(**options)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=15)
