"""MailServerCheck: signs in to an IMAP and an SMTP server once, before an account is stored (the connect flow)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from domain.mail_servers import ImapSmtpSettings


class MailServerCheck(ABC):
    @abstractmethod
    def check(self, settings: ImapSmtpSettings, password: str) -> None:
        """Return when both servers accept the login. ReauthRequired when a server refuses the password,
        ValidationFailed when a server does not offer the encryption asked for, ServiceUnavailable when one cannot
        be reached. Messages name the server, never the password."""
