"""The Mailbox contract suite, unchanged, against ImapSmtpMailbox talking to a real Dovecot (IMAP) and Postfix (SMTP)
started once for the session on free ports of 127.0.0.1 (tests.support.mail_servers).

Every test of tests/contract/test_mailbox.py is imported here; the `new_mailbox` fixture below overrides the
suite's for this module only. Each mailbox is a fresh Dovecot account with its own local index, driven by the test's
FakeClock. The seeder puts mail on the SERVER (IMAP APPEND into the folders its labels name, with \\Seen/\\Flagged),
never into the index: the adapter only learns of it through its sync, as it would of mail delivered by Postfix.

Each call is several IMAP round trips, so the Hypothesis properties run with MAILAGENT_IMAP_CONTRACT_EXAMPLES
examples (default 25; the same tests, strategies and assertions). Set it to 100 for the suite's full count."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

import pytest

from adapters.imap_smtp.mailbox import ImapSmtpMailbox
from adapters.imap_smtp.sync import FLAGGED, SEEN
from adapters.imap_smtp.transport import ImapSmtpAccount, Role
from application.ports.mailbox import Mailbox
from domain.mail import STARRED, TRASH, UNREAD, LabelType
from domain.mail_servers import Endpoint, Security
from domain.mime import parse_mime
from tests.contract import test_mailbox as _suite
from tests.contract.test_mailbox import *  # noqa: F403  (the whole suite runs again, against IMAP/SMTP)
from tests.support.mail_servers import PASSWORD, MailServers, mail_servers  # noqa: F401  (session fixture)
from tests.support.mailbox_seed import OWNER, FakeClock, MailboxSeeder
from tests.support.rerun_properties import rerun_properties

# Not part of the port's contract: SQLite persistence and process sharing.
del test_sqlite_mailbox_survives_a_restart_and_isolates_accounts  # noqa: F821
del test_sqlite_mailbox_is_shared_between_processes  # noqa: F821

IMAP_EXAMPLES = int(os.environ.get("MAILAGENT_IMAP_CONTRACT_EXAMPLES", "25"))


rerun_properties(_suite, globals(), _suite.PROPERTY, IMAP_EXAMPLES)


def account_for(
    servers: MailServers, username: str, *, address: str = OWNER, password: str = PASSWORD
) -> ImapSmtpAccount:
    return ImapSmtpAccount(
        address=address,
        username=username,
        password=password,
        imap=Endpoint(servers.host, servers.imap_port, Security.NONE),
        smtp=Endpoint(servers.host, servers.smtp_port, Security.NONE),
    )


class HarnessImapMailbox(ImapSmtpMailbox):
    """An ImapSmtpMailbox whose test hooks (the suite's seeder, the demo seeding, expiring the change feed) act on
    the IMAP server, as another mail client or the delivery agent would."""

    def deliver(self, raw: bytes, label_ids: Sequence[str], /) -> str:
        labels = frozenset(label_ids)
        self._append_raw(raw, labels - {TRASH}, parse_mime(raw).date)
        self.sync()
        key = parse_mime(raw).message_id
        assert key is not None
        found = self.index.find_by_message_id(key)
        assert found is not None, "the sync did not pick up the delivered message"
        if TRASH in labels:
            self.modify_labels([found.id], add=[TRASH])
        return found.id

    def _append_raw(self, raw: bytes, labels: frozenset[str], date: datetime | None) -> None:
        names = {label.id: label.name for label in self.index.list_labels() if label.type is LabelType.USER}
        folders = self._desired_folders(labels, names)
        flags = ([] if UNREAD in labels else [SEEN]) + ([FLAGGED] if STARRED in labels else [])
        with self.session.guarded() as client:
            for folder in sorted(folders):
                client.append(folder, raw, flags=flags, msg_time=date)

    def seed(
        self, messages: Iterable[tuple[bytes, Sequence[str], Sequence[str], datetime]], *, only_if_empty: bool = True
    ) -> int:
        if only_if_empty and self.search("in:anywhere", limit=1).messages:
            return 0
        count = 0
        for raw, system_labels, user_labels, internal_date in messages:
            labels = set(system_labels)
            for name in user_labels:
                existing = {label.name.lower(): label.id for label in self.index.list_labels()}
                labels.add(existing.get(name.lower()) or self.create_label(name).id)
            self._append_raw(raw, frozenset(labels - {TRASH}), internal_date)
            count += 1
        self.sync()
        return count

    def expire_history(self) -> None:
        self.sync()
        self.index.expire_history()


@pytest.fixture  # type: ignore[no-redef]  # overrides the suite's fixture for this module
def new_mailbox(mail_servers: MailServers) -> Iterator[_suite.MailboxMaker]:  # noqa: F811
    mailboxes: list[ImapSmtpMailbox] = []

    def make(clock: FakeClock) -> tuple[Mailbox, MailboxSeeder]:
        username = mail_servers.add_user()
        mailbox = HarnessImapMailbox(
            account_for(mail_servers, username), ":memory:", account_key=username, clock=clock, timeout=60
        )
        mailboxes.append(mailbox)
        return mailbox, mailbox

    yield make
    for mailbox in mailboxes:
        mailbox.close()


def test_folder_roles_come_from_special_use(mail_servers: MailServers) -> None:  # noqa: F811
    mailbox = HarnessImapMailbox(account_for(mail_servers, mail_servers.add_user()), ":memory:", account_key="roles")
    try:
        folders = mailbox.folders()
        assert {role: (folders.by_role(role) or None) for role in Role} == {
            role: next(f for f in folders.folders if f.role is role) for role in Role
        }
        assert folders.by_role(Role.SENT) is not None and folders.by_role(Role.SENT).name == "Sent"  # type: ignore[union-attr]
        assert folders.delimiter == "/"
    finally:
        mailbox.close()
