"""Shared by the system-mail adapters: turn a SystemMail into an RFC 5322 message."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from application.ports.mailer import SystemMail


def build_system_mail(mail: SystemMail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or "mailagent.local")
    msg.set_content(mail.text, cte="8bit")  # keeps the link on one readable line in the .eml
    return msg
