"""The IMAP side of an IMAP/SMTP account: connecting (TLS, STARTTLS or plain on loopback), folder roles, errors."""

from __future__ import annotations

import contextlib
import enum
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from domain.errors import ReauthRequired, ServiceUnavailable, UpstreamError, ValidationFailed
from domain.mail import DRAFT, INBOX, SENT, SPAM, TRASH
from domain.mail_servers import Endpoint, Security


@dataclass(frozen=True)
class ImapSmtpAccount:
    """What it takes to reach one IMAP/SMTP account. The password never appears in repr or logs."""

    address: str
    username: str
    password: str = field(repr=False)
    imap: Endpoint
    smtp: Endpoint


class Role(enum.StrEnum):
    INBOX = "inbox"
    SENT = "sent"
    DRAFTS = "drafts"
    TRASH = "trash"
    JUNK = "junk"
    ARCHIVE = "archive"


ROLE_LABELS: dict[Role, str | None] = {
    Role.INBOX: INBOX,
    Role.SENT: SENT,
    Role.DRAFTS: DRAFT,
    Role.TRASH: TRASH,
    Role.JUNK: SPAM,
    Role.ARCHIVE: None,  # where a message with no folder label lives (Gmail's "archived")
}
_SPECIAL_USE = {
    b"\\Sent": Role.SENT,
    b"\\Drafts": Role.DRAFTS,
    b"\\Trash": Role.TRASH,
    b"\\Junk": Role.JUNK,
    b"\\Archive": Role.ARCHIVE,
}
# names used by servers without SPECIAL-USE (lower case)
_ROLE_NAMES = {
    Role.SENT: ("sent", "sent items", "sent messages", "sent mail"),
    Role.DRAFTS: ("drafts", "draft"),
    Role.TRASH: ("trash", "deleted items", "deleted messages", "bin"),
    Role.JUNK: ("junk", "spam", "junk e-mail", "junk email", "bulk mail"),
    Role.ARCHIVE: ("archive", "archives"),
}
DEFAULT_FOLDER_NAMES = {
    Role.SENT: "Sent",
    Role.DRAFTS: "Drafts",
    Role.TRASH: "Trash",
    Role.JUNK: "Junk",
    Role.ARCHIVE: "Archive",
}
# folders that show other folders' messages again (Gmail's All Mail, Starred, Important): never synced
_VIRTUAL = {b"\\All", b"\\Flagged", b"\\Important", b"\\Noselect", b"\\NonExistent"}


@dataclass(frozen=True)
class Folder:
    name: str
    role: Role | None  # None: a user folder, i.e. a user label


@dataclass(frozen=True)
class FolderList:
    folders: tuple[Folder, ...]
    delimiter: str

    def by_role(self, role: Role) -> Folder | None:
        return next((f for f in self.folders if f.role is role), None)

    def user_label_name(self, folder: Folder) -> str:
        return folder.name.replace(self.delimiter, "/") if self.delimiter else folder.name

    def folder_name_for_label(self, label_name: str) -> str:
        return label_name.replace("/", self.delimiter) if self.delimiter else label_name


def classify(listing: list[tuple[tuple[bytes, ...], bytes | None, str]]) -> FolderList:
    """Folder roles from LIST: SPECIAL-USE flags first, well-known names for servers without them."""
    delimiter = next((d.decode() for _, d, _ in listing if d), "/")
    taken: set[Role] = set()
    raw: list[tuple[str, Role | None]] = []
    for flags, _, name in listing:
        if any(f in _VIRTUAL for f in flags):
            continue
        if name.upper() == "INBOX":
            raw.append(("INBOX", Role.INBOX))
            taken.add(Role.INBOX)
            continue
        role = next((r for f, r in _SPECIAL_USE.items() if f in flags), None)
        if role is not None and role not in taken:
            taken.add(role)
            raw.append((name, role))
        else:
            raw.append((name, None))
    named: list[Folder] = []
    for name, role in raw:
        if role is None:
            leaf = name.lower()
            role = next((r for r, names in _ROLE_NAMES.items() if leaf in names and r not in taken), None)
            if role is not None:
                taken.add(role)
        named.append(Folder(name, role))
    return FolderList(tuple(named), delimiter)


def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


class ImapSession:
    """One logged-in IMAP connection, opened on first use and again after a failure; every error it raises is a
    domain or infrastructure error with a sentence a person understands (never the password)."""

    def __init__(self, account: ImapSmtpAccount, *, timeout: float = 30.0, counter: Any = None) -> None:
        self.account = account
        self.timeout = timeout
        self._client: IMAPClient | None = None
        self.capabilities: frozenset[str] = frozenset()
        self.counter = counter  # bench hook: counts commands and bytes when set

    @property
    def where(self) -> str:
        return f"the IMAP server {self.account.imap.label()}"

    def client(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _connect(self) -> IMAPClient:
        endpoint = self.account.imap
        try:
            client = IMAPClient(
                endpoint.host,
                port=endpoint.port,
                ssl=endpoint.security is Security.TLS,
                ssl_context=_tls_context() if endpoint.security is Security.TLS else None,
                timeout=self.timeout,
            )
        except (OSError, IMAPClientError) as exc:
            raise ServiceUnavailable(f"Could not reach {self.where}: {_reason(exc)}.", service="imap") from exc
        try:
            if endpoint.security is Security.STARTTLS:
                if not client.has_capability("STARTTLS"):
                    raise ValidationFailed(
                        f"The IMAP server {endpoint.label()} does not offer STARTTLS, and it will not get the password "
                        "without encryption. Choose TLS (usually port 993) instead."
                    )
                client.starttls(_tls_context())
            client.normalise_times = False
            client.login(self.account.username, self.account.password)
        except LoginError as exc:
            _close_quietly(client)
            raise ReauthRequired(
                f"The IMAP server {self.account.imap.label()} refused the password for {self.account.username}. "
                "Connect the account again with a new (app) password."
            ) from exc
        except ValidationFailed:
            _close_quietly(client)
            raise
        except (OSError, IMAPClientError, ssl.SSLError) as exc:
            _close_quietly(client)
            raise ServiceUnavailable(f"Could not sign in to {self.where}: {_reason(exc)}.", service="imap") from exc
        self.capabilities = frozenset(c.decode().upper() for c in client.capabilities())
        if "CONDSTORE" in self.capabilities:
            try:
                client.enable("CONDSTORE")
            except IMAPClientError:
                self.capabilities -= {"CONDSTORE"}
        return client

    @contextmanager
    def guarded(self) -> Iterator[IMAPClient]:
        """The connection, for a few commands: a broken connection is dropped (the next use reconnects) and reported
        as ServiceUnavailable; a NO/BAD answer is an UpstreamError."""
        client = self.client()
        try:
            yield client
        except (IMAPClientAbortError, OSError, ssl.SSLError) as exc:
            self.drop()
            raise ServiceUnavailable(
                f"Lost the connection to {self.where} ({_reason(exc)}); try again.", service="imap"
            ) from exc
        except IMAPClientError as exc:
            raise UpstreamError(
                f"The IMAP server {self.account.imap.label()} refused a request: {_reason(exc)}.", service="imap"
            ) from exc

    def drop(self) -> None:
        if self._client is not None:
            _close_quietly(self._client)
            self._client = None

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # closing a connection that may already be gone
                self._client.logout()
            self._client = None


def _close_quietly(client: IMAPClient) -> None:
    with contextlib.suppress(Exception):  # the connection may already be gone
        client.shutdown()


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text[:200]
