"""SmtpMailer: sends system mail through an SMTP relay (STARTTLS or implicit TLS, optional login)."""

from __future__ import annotations

import smtplib
import ssl

from adapters.system_mail import build_system_mail
from application.ports.mailer import Mailer, SystemMail
from domain.errors import ServiceUnavailable


class SmtpMailer(Mailer):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        security: str = "starttls",  # "starttls" | "tls" | "none"
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username, password
        self.security, self.timeout = security, timeout

    def send(self, mail: SystemMail) -> None:
        message = build_system_mail(mail, self.sender)
        try:
            smtp: smtplib.SMTP
            if self.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if self._username:
                    smtp.login(self._username, self._password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            # Say which relay failed, never the credentials.
            raise ServiceUnavailable(
                f"Could not send mail through the SMTP server {self.host}:{self.port}.", service="smtp"
            ) from exc
