"""The SMTP side of an IMAP/SMTP account: submit one message (Bcc removed from what is transmitted), and say whether
a failure left the message certainly unsent or possibly sent (the caller then reconciles; it never retries blindly)."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Sequence

from adapters.imap_smtp.transport import ImapSmtpAccount, Security
from domain.errors import ReauthRequired, ServiceUnavailable, UpstreamError, ValidationFailed

_BCC_LINE = re.compile(rb"^bcc:", re.IGNORECASE)


class OutcomeUnknown(UpstreamError):
    """The connection broke after the message was handed over: it may have been sent. Never send it again before
    looking for its Message-ID in the Sent folder."""


def without_bcc(raw: bytes) -> bytes:
    """The same bytes with the Bcc header (and its folded lines) removed from the header block."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = bool(_BCC_LINE.match(line))
        if not skipping:
            kept.append(line)
    return b"\r\n".join(kept) + sep + body


def sign_in(account: ImapSmtpAccount, *, timeout: float = 60.0) -> smtplib.SMTP:
    """A connection to the account's SMTP server, encrypted as configured and signed in (when it offers AUTH)."""
    endpoint = account.smtp
    where = f"the SMTP server {endpoint.label()}"
    server = f"The SMTP server {endpoint.label()}"
    try:
        smtp: smtplib.SMTP
        if endpoint.security is Security.TLS:
            smtp = smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=timeout, context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        raise ServiceUnavailable(f"Could not reach {where}; nothing was sent.", service="smtp") from exc
    try:
        if endpoint.security is Security.STARTTLS:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise ValidationFailed(
                    f"{server} does not offer STARTTLS, and it will not get the password without encryption; "
                    "nothing was sent."
                )
            smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
        if smtp.has_extn("auth"):
            smtp.login(account.username, account.password)
        return smtp
    except smtplib.SMTPAuthenticationError as exc:
        smtp.close()
        raise ReauthRequired(
            f"{server} refused the password for {account.username}; nothing was sent. Connect the account again "
            "with a new (app) password."
        ) from exc
    except ValidationFailed:
        smtp.close()
        raise
    except (OSError, smtplib.SMTPException) as exc:
        smtp.close()
        raise ServiceUnavailable(f"Could not sign in to {where}; nothing was sent.", service="smtp") from exc


def submit(
    account: ImapSmtpAccount, raw: bytes, *, sender: str, recipients: Sequence[str], timeout: float = 60.0
) -> None:
    """Hand the message to the SMTP server once. Refusals are ValidationFailed/UpstreamError (nothing was sent);
    a connection broken after the message was handed over is OutcomeUnknown."""
    where = f"The SMTP server {account.smtp.label()}"
    with sign_in(account, timeout=timeout) as smtp:
        try:
            # recipients refused one by one (others accepted) are not retried: the message is sent
            smtp.sendmail(sender, list(recipients), without_bcc(raw))
        except smtplib.SMTPRecipientsRefused as exc:
            raise ValidationFailed(
                f"{where} refused every recipient ({', '.join(sorted(exc.recipients))}); nothing was sent."
            ) from exc
        except smtplib.SMTPSenderRefused as exc:
            raise UpstreamError(
                f"{where} refused {sender} as the sender ({exc.smtp_code}); nothing was sent.", service="smtp"
            ) from exc
        except smtplib.SMTPDataError as exc:
            raise UpstreamError(
                f"{where} refused the message ({exc.smtp_code} {_text(exc.smtp_error)}); nothing was sent.",
                service="smtp",
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise OutcomeUnknown(
                f"The connection to the SMTP server {account.smtp.label()} broke while sending; the message may "
                "have been sent. It will not be sent again before the Sent folder has been checked.",
                service="smtp",
            ) from exc


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return text.strip()[:200]
