"""ImapSmtpMailbox beyond the contract, against the session's real Dovecot + Postfix: refused passwords, missing
encryption, a server gone in the middle of a sync, a UIDVALIDITY change, changes made by another mail client, and
a send that reaches Postfix exactly once."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from imapclient import IMAPClient

from adapters.imap_smtp.idle import ImapIdle
from adapters.imap_smtp.mailbox import ImapSmtpMailbox
from adapters.imap_smtp.transport import ImapSmtpAccount
from domain.errors import ReauthRequired, ServiceUnavailable, ValidationFailed
from domain.mail import INBOX, STARRED, UNREAD, EmailAddress, OutgoingMessage
from domain.mail_servers import Endpoint, Security, check_endpoint
from domain.mail_sync import ChangeKind
from domain.mime import deterministic_message_id
from entrypoints.imap_push import ImapPushWatcher
from tests.support.mail_servers import PASSWORD, RECEIVER, MailServers, mail_servers  # noqa: F401
from tests.support.mailbox_seed import OWNER, incoming_raw
from tests.support.tcp_proxy import TcpProxy

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], what: str, ceiling: float = 60.0) -> T:
    deadline = time.monotonic() + ceiling
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def account(
    servers: MailServers,
    username: str,
    *,
    password: str = PASSWORD,
    imap_port: int | None = None,
    smtp_port: int | None = None,
    security: Security = Security.NONE,
    address: str = OWNER,
) -> ImapSmtpAccount:
    return ImapSmtpAccount(
        address=address,
        username=username,
        password=password,
        imap=Endpoint(servers.host, imap_port or servers.imap_port, security),
        smtp=Endpoint(servers.host, smtp_port or servers.smtp_port, Security.NONE),
    )


@pytest.fixture
def opened() -> Iterator[list[ImapSmtpMailbox]]:
    boxes: list[ImapSmtpMailbox] = []
    yield boxes
    for box in boxes:
        box.close()


def open_mailbox(
    boxes: list[ImapSmtpMailbox], acct: ImapSmtpAccount, index: str | Path = ":memory:"
) -> ImapSmtpMailbox:
    box = ImapSmtpMailbox(acct, index, account_key=acct.username, timeout=30)
    boxes.append(box)
    return box


def other_client(servers: MailServers, username: str) -> IMAPClient:
    client = IMAPClient(servers.host, port=servers.imap_port, ssl=False, timeout=30)
    client.login(username, PASSWORD)
    return client


def append(servers: MailServers, username: str, count: int, folder: str = "INBOX") -> None:
    client = other_client(servers, username)
    try:
        for i in range(count):
            raw = incoming_raw(
                sender=EmailAddress(address="alice@example.com"),
                subject=f"message {i}",
                text=f"body {i} " + "x" * 400,
                date=datetime(2025, 6, 1, 12, tzinfo=UTC),
            )
            client.append(folder, raw)
    finally:
        client.logout()


def test_a_refused_password_asks_for_reconnection_and_never_shows_the_password(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
) -> None:
    box = open_mailbox(opened, account(mail_servers, mail_servers.add_user(), password="not-the-password-4711"))
    with pytest.raises(ReauthRequired) as refused:
        box.search("")
    assert "refused the password" in refused.value.message
    assert "not-the-password-4711" not in refused.value.message
    assert refused.value.code == "reauth_required"
    assert "not-the-password-4711" not in repr(box.account)


def test_encryption_is_required_for_other_machines_and_starttls_must_be_offered(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
) -> None:
    with pytest.raises(ValidationFailed) as clear:
        check_endpoint(Endpoint("imap.example.com", 143, Security.NONE), "IMAP")
    assert "in clear" in clear.value.message
    check_endpoint(Endpoint("127.0.0.1", 143, Security.NONE), "IMAP")  # this machine: allowed
    # the test Dovecot has ssl=no, so it does not offer STARTTLS: the adapter must not log in without it
    box = open_mailbox(opened, account(mail_servers, mail_servers.add_user(), security=Security.STARTTLS))
    with pytest.raises(ValidationFailed) as no_tls:
        box.search("")
    assert "STARTTLS" in no_tls.value.message


def test_a_server_gone_mid_sync_changes_nothing_and_the_next_sync_completes(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
) -> None:
    user = mail_servers.add_user()
    append(mail_servers, user, 60)
    proxy = TcpProxy(mail_servers.imap_port)
    try:
        proxy.budget = 8_000  # the bodies of 60 messages are ~40 kB: the connection breaks inside the FETCH
        box = open_mailbox(opened, account(mail_servers, user, imap_port=proxy.port))
        start = box.index.current_cursor()
        with pytest.raises(ServiceUnavailable) as gone:
            box.sync()
        assert "Lost the connection" in gone.value.message and proxy.cuts >= 1
        assert box.index.search("in:anywhere").result_size_estimate == 0  # nothing half-applied
        proxy.budget = None
        box.sync()
        found = box.search("in:anywhere", limit=100).messages
        assert len(found) == 60
        assert len({m.message_id_header for m in found}) == 60
        history = box.history(start)
        assert [c.kind for c in history.changes] == [ChangeKind.MESSAGE_ADDED] * 60
    finally:
        proxy.close()


def test_a_uidvalidity_change_keeps_ids_labels_and_reports_nothing(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
) -> None:
    user = mail_servers.add_user()
    append(mail_servers, user, 5)
    box = open_mailbox(opened, account(mail_servers, user))
    before = {m.id: m.label_ids for m in box.search("", limit=10).messages}
    assert len(before) == 5
    cursor = box.current_cursor()
    # Dovecot renumbers the folder when its UID list and indexes are gone: a new UIDVALIDITY
    box.session.drop()
    maildir = mail_servers.maildir(user)
    for path in maildir.iterdir():
        if path.name.startswith("dovecot-uidlist") or path.name.startswith("dovecot.index"):
            path.unlink()
    report = box.sync()
    assert report.uidvalidity_resets == ["INBOX"]
    assert {m.id: m.label_ids for m in box.search("", limit=10).messages} == before
    assert box.history(cursor).changes == ()
    box.mark_read(list(before)[:1])  # and the renumbered copies are the ones changed now
    client = other_client(mail_servers, user)
    try:
        client.select_folder("INBOX", readonly=True)
        assert len(client.search(["SEEN"])) == 1
    finally:
        client.logout()


def test_changes_made_by_another_client_reach_the_change_feed(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
) -> None:
    user = mail_servers.add_user()
    append(mail_servers, user, 3)
    box = open_mailbox(opened, account(mail_servers, user))
    ids = {m.subject: m.id for m in box.search("", limit=10).messages}
    cursor = box.current_cursor()
    client = other_client(mail_servers, user)
    try:
        client.select_folder("INBOX")
        by_subject = {
            data[b"BODY[HEADER.FIELDS (SUBJECT)]"].decode().split(":", 1)[1].strip(): uid
            for uid, data in client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]).items()
        }
        client.add_flags([by_subject["message 0"]], [b"\\Seen", b"\\Flagged"])
        client.move([by_subject["message 1"]], "Archive")
        client.delete_messages([by_subject["message 2"]])
        client.expunge()
    finally:
        client.logout()
    changes = box.history(cursor).changes
    seen = {(c.kind, c.message_id, c.changed_label_ids) for c in changes}
    assert seen == {
        (ChangeKind.LABELS_ADDED, ids["message 0"], frozenset({STARRED})),
        (ChangeKind.LABELS_REMOVED, ids["message 0"], frozenset({UNREAD})),
        (ChangeKind.LABELS_REMOVED, ids["message 1"], frozenset({INBOX})),
        (ChangeKind.MESSAGE_DELETED, ids["message 2"], frozenset()),
    }
    assert box.get_message(ids["message 1"]).label_ids == {UNREAD}  # archived: no folder label left


def test_a_send_reaches_postfix_once_without_bcc_and_is_filed_in_sent(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
) -> None:
    smtp_proxy = TcpProxy(mail_servers.smtp_port)
    try:
        sender = open_mailbox(opened, account(mail_servers, mail_servers.add_user(), smtp_port=smtp_proxy.port))
        receiver = open_mailbox(opened, account(mail_servers, RECEIVER, address=RECEIVER))
        message_id = deterministic_message_id(f"send-once-{time.time_ns()}", "mailagent.test")
        outgoing = OutgoingMessage(
            to=(EmailAddress(address=RECEIVER),),
            bcc=(EmailAddress(address="hidden@example.com"),),
            subject="Over real SMTP",
            text_body="Delivered by Postfix into Dovecot.",
            message_id=message_id,
        )
        sent = sender.send(outgoing)
        assert smtp_proxy.connections == 1
        again = sender.send(outgoing)  # a retry of the same send: found in Sent, not sent again
        assert again.id == sent.id and smtp_proxy.connections == 1
        arrived = wait_for(lambda: receiver.find_by_message_id(message_id), "the message to arrive over SMTP")
        assert arrived.subject == "Over real SMTP" and INBOX in arrived.label_ids
        assert arrived.bcc == () and b"hidden@example.com" not in receiver.index.raw(arrived.id)
        client = other_client(mail_servers, sender.account.username)
        try:
            client.select_folder("Sent", readonly=True)
            assert len(client.search(["HEADER", "Message-ID", message_id])) == 1
        finally:
            client.logout()
    finally:
        smtp_proxy.close()


def test_idle_queues_a_sync_the_moment_mail_arrives(
    mail_servers: MailServers,  # noqa: F811
) -> None:
    user = mail_servers.add_user()
    calls: list[str] = []
    watcher = ImapPushWatcher(calls.append, retry_seconds=1)
    try:
        watcher.watch("account-1", account(mail_servers, user))
        wait_for(lambda: calls, "the catch-up sync when watching starts")
        calls.clear()
        append(mail_servers, user, 1)
        wait_for(lambda: calls, "the IDLE notification of the new message")
        assert set(calls) == {"account-1"}
    finally:
        watcher.stop(timeout=30)


def test_idle_waits_quietly_when_nothing_changes(mail_servers: MailServers) -> None:  # noqa: F811
    idle = ImapIdle(account(mail_servers, mail_servers.add_user()))
    try:
        idle.start()
        assert idle.wait(0.5) is False
        append(mail_servers, idle.session.account.username, 1)
        assert wait_for(lambda: idle.wait(1.0), "IDLE to report the message") is True
    finally:
        idle.close()


def test_a_sync_holds_the_account_lock_that_other_processes_wait_for(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
    tmp_path: Path,
) -> None:
    """The web server and a worker open the same account's index files; a sync (or write) holds an flock on the
    account's lock file for its whole run, so another process's sync waits instead of storing a message twice."""
    user = mail_servers.add_user()
    append(mail_servers, user, 5)
    index = tmp_path / "index.sqlite3"
    first = open_mailbox(opened, account(mail_servers, user), index)
    second = open_mailbox(opened, account(mail_servers, user), index)
    lock_file = Path(f"{index}.lock")
    seen_locked: list[bool] = []
    real_run = first._sync.run

    def probing_run(folders: Any) -> Any:
        probe = os.open(lock_file, os.O_RDWR)
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another process trying now
            seen_locked.append(False)
            fcntl.flock(probe, fcntl.LOCK_UN)
        except BlockingIOError:
            seen_locked.append(True)
        finally:
            os.close(probe)
        return real_run(folders)

    first._sync.run = probing_run  # type: ignore[method-assign]
    first.sync()
    assert seen_locked == [True]
    probe = os.open(lock_file, os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released after the sync
        fcntl.flock(probe, fcntl.LOCK_UN)
    finally:
        os.close(probe)
    second.sync()  # the other instance finds the index filled and stores nothing twice
    found = second.search("in:anywhere", limit=100).messages
    assert len(found) == 5 and len({m.message_id_header for m in found}) == 5


def test_reads_sync_at_most_once_per_interval(
    mail_servers: MailServers,  # noqa: F811
    opened: list[ImapSmtpMailbox],
) -> None:
    user = mail_servers.add_user()
    proxy = TcpProxy(mail_servers.imap_port)
    try:
        box = open_mailbox(opened, account(mail_servers, user, imap_port=proxy.port))
        box.read_sync_seconds = 3600
        box.search("")
        before = proxy.commands
        box.search("")
        box.list_labels()
        assert proxy.commands == before  # served from the index
        box.read_sync_seconds = 0
        box.search("")
        assert proxy.commands > before
    finally:
        proxy.close()
