"""Build an ImapSmtpMailbox for a connected IMAP account: server settings and password from the SecretStore, the local
index in the data directory (one SQLite file per account), one open instance per account and stored secret."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from application.ports.mailbox import Mailbox
from application.ports.secret_store import SecretStore
from domain.errors import NotFound, ReauthRequired
from domain.mail_account import MailAccount
from domain.mail_servers import Endpoint, Security

# A read syncs first when the last sync is older than this; `mailagent mail idle` and the mail.poll job keep the
# shared index current in between, and every write syncs before and after.
READ_SYNC_SECONDS = 15.0


def _endpoint(data: dict[str, Any]) -> Endpoint:
    return Endpoint(str(data["host"]), int(data["port"]), Security(data["security"]))


def imap_account(secret_store: SecretStore, account: MailAccount) -> Any:
    """The account's ImapSmtpAccount (servers and password) from the SecretStore; ReauthRequired when it is gone."""
    from adapters.imap_smtp.transport import ImapSmtpAccount

    if not account.secret_ref:
        raise ReauthRequired(f"The account {account.address} has no stored password; connect it again.")
    try:
        stored = json.loads(secret_store.get(account.secret_ref))
    except NotFound as exc:
        raise ReauthRequired(f"The password of {account.address} is gone; connect it again.") from exc
    return ImapSmtpAccount(
        address=account.address,
        username=stored["username"],
        password=stored["password"],
        imap=_endpoint(stored["imap"]),
        smtp=_endpoint(stored["smtp"]),
    )


def imap_factory(secret_store: SecretStore, index_dir: Path, clock: Any) -> Any:
    from adapters.imap_smtp.mailbox import ImapSmtpMailbox

    opened: dict[str, tuple[tuple[str | None, datetime], ImapSmtpMailbox]] = {}
    lock = threading.Lock()

    def build(account: MailAccount) -> Mailbox:
        key = (account.secret_ref, account.updated_at)
        with lock:
            found = opened.get(account.id)
            if found is not None and found[0] == key:
                return found[1]
            mailbox = ImapSmtpMailbox(
                imap_account(secret_store, account),
                index_dir / f"{account.id}.sqlite3",
                account_key=account.id,
                clock=clock.now,
                read_sync_seconds=READ_SYNC_SECONDS,
            )
            if found is not None:
                found[1].close()
            opened[account.id] = (key, mailbox)
            return mailbox

    return build
