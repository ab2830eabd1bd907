"""InMemoryMailer: keeps system mail in a list (`.sent`) for tests."""

from __future__ import annotations

import threading

from application.ports.mailer import Mailer, SystemMail


class InMemoryMailer(Mailer):
    def __init__(self) -> None:
        self.sent: list[SystemMail] = []
        self._lock = threading.Lock()

    def send(self, mail: SystemMail) -> None:
        with self._lock:
            self.sent.append(mail)

    def last_to(self, address: str) -> SystemMail | None:
        with self._lock:
            return next((m for m in reversed(self.sent) if m.to == address), None)
