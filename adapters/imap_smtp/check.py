"""ImapSmtpServerCheck: the connect flow's test sign-in to the IMAP server (its folder list) and the SMTP server."""

from __future__ import annotations

from adapters.imap_smtp.smtp import sign_in
from adapters.imap_smtp.transport import ImapSession, ImapSmtpAccount
from application.ports.mail_server_check import MailServerCheck
from domain.mail_servers import ImapSmtpSettings


class ImapSmtpServerCheck(MailServerCheck):
    def __init__(self, *, timeout: float = 20.0) -> None:
        self.timeout = timeout

    def check(self, settings: ImapSmtpSettings, password: str) -> None:
        account = ImapSmtpAccount(
            address=settings.address,
            username=settings.username,
            password=password,
            imap=settings.imap,
            smtp=settings.smtp,
        )
        session = ImapSession(account, timeout=self.timeout)
        try:
            with session.guarded() as client:
                client.list_folders()
        finally:
            session.close()
        sign_in(account, timeout=self.timeout).quit()
