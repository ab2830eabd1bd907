"""IMAP/SMTP server settings: endpoints, the encryption rule, and presets for the common providers."""

from __future__ import annotations

import enum
import ipaddress
import re
from dataclasses import dataclass

from domain.errors import ValidationFailed


class Security(enum.StrEnum):
    TLS = "tls"  # implicit TLS (IMAPS 993, SMTPS 465)
    STARTTLS = "starttls"  # plain connection upgraded before login (IMAP 143, submission 587)
    NONE = "none"  # no encryption: only for a server on this machine (tests, a local bridge)


ADDRESS_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,200}[A-Za-z0-9])?\.[A-Za-z]{2,63}$"
)
HOST_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$"
_ADDRESS = re.compile(ADDRESS_PATTERN)
_HOST = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.\-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    security: Security

    def label(self) -> str:
        return f"{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: Endpoint, what: str) -> None:
    """ValidationFailed for what a connection must not be: a bad host or port, or no encryption to another machine
    (the password would cross the network in clear)."""
    if not _HOST.match(endpoint.host or ""):
        raise ValidationFailed(
            f"The {what} server '{endpoint.host[:100]}' is not a host name.",
            details=[{"field": f"{what.lower()}_host"}],
        )
    if not 1 <= endpoint.port <= 65535:
        raise ValidationFailed(
            f"The {what} port must be between 1 and 65535.", details=[{"field": f"{what.lower()}_port"}]
        )
    if endpoint.security is Security.NONE and not is_loopback(endpoint.host):
        raise ValidationFailed(
            f"The {what} server {endpoint.host} must be reached over TLS or STARTTLS: without encryption the password "
            "would cross the network in clear.",
            details=[{"field": f"{what.lower()}_security"}],
        )


@dataclass(frozen=True)
class ServerPreset:
    id: str
    name: str
    imap: Endpoint
    smtp: Endpoint
    help: str  # where to make an app password


PRESETS: dict[str, ServerPreset] = {
    p.id: p
    for p in (
        ServerPreset(
            "outlook",
            "Outlook.com / Hotmail",
            Endpoint("outlook.office365.com", 993, Security.TLS),
            Endpoint("smtp-mail.outlook.com", 587, Security.STARTTLS),
            "Microsoft account > Security > Advanced security options > App passwords (needs two-step verification; "
            "Microsoft may require OAuth for some accounts).",
        ),
        ServerPreset(
            "fastmail",
            "Fastmail",
            Endpoint("imap.fastmail.com", 993, Security.TLS),
            Endpoint("smtp.fastmail.com", 465, Security.TLS),
            "Fastmail Settings > Privacy & Security > Integrations > App passwords (access: IMAP and SMTP).",
        ),
        ServerPreset(
            "icloud",
            "iCloud Mail",
            Endpoint("imap.mail.me.com", 993, Security.TLS),
            Endpoint("smtp.mail.me.com", 587, Security.STARTTLS),
            "appleid.apple.com > Sign-In and Security > App-Specific Passwords.",
        ),
        ServerPreset(
            "yahoo",
            "Yahoo Mail",
            Endpoint("imap.mail.yahoo.com", 993, Security.TLS),
            Endpoint("smtp.mail.yahoo.com", 465, Security.TLS),
            "Yahoo Account Security > Generate app password.",
        ),
        ServerPreset(
            "gmx",
            "GMX",
            Endpoint("imap.gmx.com", 993, Security.TLS),
            Endpoint("mail.gmx.com", 587, Security.STARTTLS),
            "GMX Settings > POP3 & IMAP: allow access (gmx.net accounts use imap.gmx.net and mail.gmx.net: "
            "choose 'other').",
        ),
    )
}
OTHER = "other"


@dataclass(frozen=True)
class ImapSmtpSettings:
    """Everything but the password: safe to show and to log."""

    address: str
    username: str
    imap: Endpoint
    smtp: Endpoint


def resolve_settings(
    *,
    address: str,
    preset: str,
    username: str | None = None,
    imap: Endpoint | None = None,
    smtp: Endpoint | None = None,
) -> ImapSmtpSettings:
    """The settings of a connect: a preset's servers, or for "other" the given ones; checked."""
    checked = address.strip()
    if not _ADDRESS.match(checked):
        raise ValidationFailed(f"'{checked[:100]}' is not an email address.", details=[{"field": "address"}])
    if preset == OTHER:
        if imap is None or smtp is None:
            raise ValidationFailed(
                "With 'other', give the IMAP and SMTP servers (host, port and security).",
                details=[{"field": "imap_host"}],
            )
    elif preset in PRESETS:
        imap, smtp = PRESETS[preset].imap, PRESETS[preset].smtp
    else:
        choices = ", ".join([*PRESETS, OTHER])
        raise ValidationFailed(
            f"Unknown provider '{preset[:50]}'; choose one of {choices}.", details=[{"field": "preset"}]
        )
    check_endpoint(imap, "IMAP")
    check_endpoint(smtp, "SMTP")
    login = (username or "").strip() or checked
    if len(login) > 320 or any(c in login for c in "\r\n\x00"):
        raise ValidationFailed("The user name is not valid.", details=[{"field": "username"}])
    return ImapSmtpSettings(address=checked, username=login, imap=imap, smtp=smtp)
