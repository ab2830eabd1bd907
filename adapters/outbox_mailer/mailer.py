"""OutboxMailer: writes each system mail as an .eml file and logs where it is (never its one-time link)."""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from adapters.system_mail import build_system_mail
from application.ports.mailer import Mailer, SystemMail

log = logging.getLogger("mailagent.outbox")


class OutboxMailer(Mailer):
    def __init__(self, directory: Path, *, sender: str = "mailagent <no-reply@mailagent.local>") -> None:
        self.directory = directory
        self.sender = sender

    def send(self, mail: SystemMail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        safe_to = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in mail.to)
        path = self.directory / f"{stamp}-{safe_to}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(build_system_mail(mail, self.sender)))
        os.replace(tmp, path)
        # The link is a one-time credential (verify, reset a password): whoever reads the log must not get it. The
        # person running `make run` opens the file (README: grep the link out of var/outbox/*.eml).
        log.info("system mail to %s: %r written to %s (the link is in the file)", mail.to, mail.subject, path)
