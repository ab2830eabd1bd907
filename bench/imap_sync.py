"""Benchmark: IMAP commands and bytes for ImapSmtpMailbox's sync of a 20,000-message folder — the first sync, then
incremental syncs after a few changes made by another mail client — measured on the wire.

    .venv/bin/python bench/imap_sync.py [--messages 20000]

Runs the real adapter against a private Dovecot (tests/support/mail_servers.py, 127.0.0.1 only). The folder is
written straight into Dovecot's maildir before the first login (APPENDing 20,000 messages would only time the
setup). Every IMAP byte passes a counting TCP proxy (tests/support/tcp_proxy.py): commands are the client's tagged
lines, bytes are what the server sent. The "without CONDSTORE" rows run the same sync with the server's CONDSTORE
capability hidden from the adapter, so it falls back to a FLAGS scan of the folder. Counts, not timings, are the
point: one run is enough; the wall times are of a busy shared machine. Not a timed test: it never fails on a figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchlib import machine
from imapclient import IMAPClient

from adapters.imap_smtp.mailbox import ImapSmtpMailbox
from adapters.imap_smtp.transport import ImapSmtpAccount
from domain.mail_servers import Endpoint, Security
from tests.support.mail_servers import (
    MAIL_UID,
    PASSWORD,
    server_workdir,
    start_mail_servers,
    stop_mail_servers,
)
from tests.support.tcp_proxy import TcpProxy

OWNER = "bench@mailagent.test"


def raw_message(n: int, when: datetime) -> bytes:
    return (
        f"From: Sender {n % 97} <sender{n % 97}@example.org>\r\nTo: {OWNER}\r\nSubject: Message {n}\r\n"
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\nMessage-ID: <m{n}@bench.example.org>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of message {n}.\r\n"
    ).encode()


def fill_maildir(maildir: Path, count: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for n in range(count):
        when = start + timedelta(minutes=n)
        path = maildir / "cur" / f"{int(when.timestamp())}.M{n}P1.bench:2,S"
        path.write_bytes(raw_message(n, when))
        os.utime(path, (when.timestamp(), when.timestamp()))
    for root, dirs, files in os.walk(maildir.parent):
        for name in dirs + files:
            os.chown(os.path.join(root, name), MAIL_UID, MAIL_UID)
    os.chown(maildir.parent, MAIL_UID, MAIL_UID)


def measure(proxy: TcpProxy, action: Callable[[], Any]) -> tuple[int, int, int, float, Any]:
    before = (proxy.commands, proxy.bytes_up, proxy.bytes_down)
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    return (
        proxy.commands - before[0],
        proxy.bytes_up - before[1],
        proxy.bytes_down - before[2],
        seconds,
        result,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000, help="messages in the INBOX (default 20000)")
    args = parser.parse_args(argv)
    workdir = server_workdir()
    servers, postfix_dir = start_mail_servers(workdir)
    proxy = TcpProxy(servers.imap_port)
    rows: list[tuple[str, int, int, int, float, str]] = []
    try:
        user = servers.add_user()
        fill_maildir(servers.maildir(user), args.messages)
        account = ImapSmtpAccount(
            address=OWNER,
            username=user,
            password=PASSWORD,
            imap=Endpoint("127.0.0.1", proxy.port, Security.NONE),
            smtp=Endpoint("127.0.0.1", servers.smtp_port, Security.NONE),
        )
        index = workdir / "index" / "index.sqlite3"
        mailbox = ImapSmtpMailbox(account, index, account_key="bench", timeout=600)
        other = IMAPClient("127.0.0.1", port=servers.imap_port, ssl=False, timeout=600)
        other.login(user, PASSWORD)

        def row(name: str, note: Callable[[Any], str]) -> None:
            commands, up, down, seconds, report = measure(proxy, mailbox.sync)
            rows.append((name, commands, up, down, seconds, note(report)))

        def changes(report: Any) -> str:
            return f"{report.added} new, {report.flags_changed} flags, {report.vanished} gone"

        row(f"first sync, {args.messages:,} messages", changes)
        row("incremental, nothing changed", changes)
        now = datetime(2026, 6, 1, tzinfo=UTC)
        for n in range(10):
            other.append("INBOX", raw_message(10_000_000 + n, now), flags=[])
        row("incremental, 10 new", changes)
        other.select_folder("INBOX")
        uids = other.search(["ALL"])
        other.add_flags(uids[100:103], [b"\\Flagged"])
        other.delete_messages(uids[200:202])
        other.expunge()
        row("incremental, 3 flagged + 2 deleted", changes)
        mailbox.session.capabilities = mailbox.session.capabilities - {"CONDSTORE"}
        other.remove_flags(uids[100:103], [b"\\Flagged"])
        row("without CONDSTORE: 3 unflagged (FLAGS scan)", changes)
        row("without CONDSTORE: nothing changed", changes)
        other.logout()
        mailbox.close()
    finally:
        proxy.close()
        stop_mail_servers(servers, postfix_dir)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\n{machine()}\n")
    print("| sync | IMAP commands | bytes sent | bytes received | seconds | changes seen |")
    print("|---|---:|---:|---:|---:|---|")
    for name, commands, up, down, seconds, note in rows:
        print(f"| {name} | {commands} | {up:,} | {down:,} | {seconds:.2f} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
