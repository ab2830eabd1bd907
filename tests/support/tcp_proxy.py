"""A TCP proxy on 127.0.0.1 for fault tests: counts connections, and can cut a connection after the server has sent
a number of bytes (a server gone in the middle of an answer)."""

from __future__ import annotations

import contextlib
import re
import socket
import threading

_TAGGED = re.compile(rb"(?:^|\r\n)[A-Z]{4}\d+ [A-Z]")  # imaplib's tags: four letters and a number


class TcpProxy:
    def __init__(self, target_port: int, *, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.budget: int | None = None  # bytes the server may send on one connection before it is cut
        self.connections = 0
        self.cuts = 0
        self.bytes_up = 0  # client -> server
        self.bytes_down = 0  # server -> client
        self.commands = 0  # IMAP commands: client lines starting with a tag (literals and IDLE's DONE are not)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            try:
                server = socket.create_connection(self.target, timeout=30)
                server.settimeout(None)  # a client may stay quiet for minutes (a long first sync): no idle limit
            except OSError:
                client.close()
                continue
            budget = self.budget
            threading.Thread(target=self._pump, args=(client, server, None, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, budget, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, budget: int | None, up: bool) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if budget is not None and sent + len(data) > budget:
                    sink.sendall(data[: max(0, budget - sent)])
                    self.cuts += 1
                    break
                sink.sendall(data)
                sent += len(data)
                if up:
                    self.bytes_up += len(data)
                    self.commands += len(_TAGGED.findall(data))
                else:
                    self.bytes_down += len(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
