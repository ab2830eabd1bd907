"""Benchmark: Gmail API calls and quota units to pick up 10 new messages in a 100,000-message mailbox — the
incremental sync (users.history.list from the stored cursor + metadata of the added messages) against a naive
poll (messages.list of the newest page + messages.get of each message on it).

    .venv/bin/python bench/incremental_sync.py [--messages 100000] [--new 10] [--pages 100 500]

Runs the real code against the local fake Gmail server from tests/support/fake_gmail.py (real HTTP on 127.0.0.1 and
nowhere else; every request and answer checked against the discovery document): `SyncMailbox` (the use case the
`mail.sync` job runs, on an in-memory unit of work) for the incremental sync, and `GmailMailbox.search` for the
naive poll. Quota units are the adapter's own meter (Gmail's published costs, adapters/gmail QUOTA_UNITS); calls and
HTTP requests are counted on the fake. The fake account is filled in process with `--messages` small messages; its
history of that bulk load is then dropped (as Gmail's would be after a week), so the fake's own scan of history
does not distort the wall times. The "full scan" row — what a poller needs to also see label changes and deletions
anywhere in the mailbox — is computed from the measured per-call units, not run. Quota units are counts, so one run
is enough; the wall times are of the local fake, not of Gmail. Not a timed test: it never fails on a figure.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support.fake_gmail
from benchlib import machine

OWNER = "you@example.com"
PER_USER_PER_MINUTE = 15_000


def raw_message(n: int, when: datetime) -> bytes:
    return (
        f"From: Sender {n % 97} <sender{n % 97}@example.org>\r\nTo: {OWNER}\r\nSubject: Message {n}\r\n"
        f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\nMessage-ID: <m{n}@bench.example.org>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBody of message {n}.\r\n"
    ).encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="messages in the mailbox (default 100000)")
    parser.add_argument("--new", type=int, default=10, help="new messages to pick up (default 10)")
    parser.add_argument("--pages", type=int, nargs="+", default=[100, 500], help="naive poll page sizes")
    args = parser.parse_args(argv)

    from adapters.gmail import QUOTA_UNITS, GmailMailbox, StaticTokenSource
    from adapters.in_memory.clock import InMemoryClock
    from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
    from application.ports.mailbox_provider import MailboxProvider
    from application.use_cases.mail.sync_mailbox import SyncMailbox, SyncMailboxInput
    from domain.identity import Role, User, UserStatus
    from domain.mail import to_millis
    from domain.mail_account import AccountStatus, MailAccount, MailProvider
    from domain.mime import parse_mime
    from tests.support.fake_gmail import FakeGmailServer

    print("== Incremental sync vs naive poll: Gmail calls and quota units, local fake Gmail ==")
    print(f"machine: {machine()}")
    rows: list[dict[str, Any]] = []
    now = datetime.now(UTC).replace(microsecond=0)
    with FakeGmailServer() as server:
        account = server.add_account(OWNER, clock=lambda: now)
        started = time.perf_counter()
        with account.lock:
            for n in range(args.messages):
                raw = raw_message(n, now - timedelta(minutes=args.messages - n))
                parsed = parse_mime(raw)
                account.store(raw, parsed, {"INBOX"}, to_millis(parsed.date or now), None)
        account.expire_history()
        load_seconds = time.perf_counter() - started
        mailbox = GmailMailbox(
            StaticTokenSource(account.access_token), address=OWNER, root_url=server.url, sleep=lambda _: None
        )

        class Provider(MailboxProvider):
            def supports(self, provider: MailProvider) -> bool:
                return True

            def open(self, _: MailAccount) -> Any:
                return mailbox

            def provision(self, _: MailAccount) -> None:
                return None

        clock = InMemoryClock(now)
        store = InMemoryStore()
        with InMemoryUnitOfWork(store) as uow:
            user = User("u1", "you@example.com", Role.USER, UserStatus.ACTIVE, created_at=now)
            uow.users.add(user)
            uow.mail_accounts.add(MailAccount("a1", "u1", MailProvider.GOOGLE, OWNER, AccountStatus.ACTIVE, now, now))
            uow.commit()
        sync = SyncMailbox(InMemoryUnitOfWork(store), Provider(), clock)
        baseline = sync.execute(SyncMailboxInput("a1"))  # the feed starts (users.getProfile)
        assert baseline.baseline

        def measure(name: str, run: Any) -> Any:
            server.clear_log()
            before = mailbox.quota_units_used
            t0 = time.perf_counter()
            result = run()
            elapsed = time.perf_counter() - t0
            calls = Counter(c.method.removeprefix("gmail.users.") for c in server.calls if c.method != "batch")
            assert not server.drift, server.drift
            rows.append(
                {
                    "name": name,
                    "units": mailbox.quota_units_used - before,
                    "calls": calls,
                    "http": sum(1 for c in server.calls if not c.batch),
                    "ms": elapsed * 1000,
                    "found": result,
                }
            )
            return result

        new_ids = [
            account.deliver(raw_message(args.messages + n, now + timedelta(seconds=n)), ["INBOX", "UNREAD"])
            for n in range(args.new)
        ]
        result = measure(
            f"incremental sync: {args.new} new (SyncMailbox)",
            lambda: sync.execute(SyncMailboxInput("a1")),
        )
        with InMemoryUnitOfWork(store) as uow:
            announced = {s.event.data["message_id"] for s in uow.events.after("u1", 0, limit=10_000)}
        assert announced == set(new_ids), "the sync must announce exactly the new messages"
        rows[-1]["found"] = f"{result.events} events"
        idle = measure("incremental sync: nothing new", lambda: sync.execute(SyncMailboxInput("a1")))
        rows[-1]["found"] = f"{idle.events} events"
        for message_id in new_ids[:3]:  # label changes elsewhere: the same feed reports them
            account.relabel(account.messages[message_id], {"INBOX", "STARRED"})
        labels = measure("incremental sync: 3 relabelled (+1 -1)", lambda: sync.execute(SyncMailboxInput("a1")))
        rows[-1]["found"] = f"{labels.events} events"

        for size in args.pages:
            page = measure(f"naive poll: newest page of {size}", lambda size=size: mailbox.search("", limit=size))
            rows[-1]["found"] = f"{len(set(new_ids) & {m.id for m in page.messages})} of {args.new} new"
        mailbox.close()
        total = len(account.messages)

    list_units, get_units = QUOTA_UNITS["gmail.users.messages.list"], QUOTA_UNITS["gmail.users.messages.get"]
    full_lists = math.ceil(total / 500)
    full_units = full_lists * list_units + total * get_units
    print(
        f"mailbox: {total:,} messages (loaded in {load_seconds:.0f} s); costs: history.list "
        f"{QUOTA_UNITS['gmail.users.history.list']}, messages.get {get_units}, messages.list {list_units}, "
        f"getProfile {QUOTA_UNITS['gmail.users.getProfile']} units"
    )
    header = (
        f"{'what':<40} {'units':>7} {'history.list':>12} {'messages.get':>12} {'messages.list':>13} "
        f"{'HTTP req':>8} {'ms (fake)':>9}  result"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        c = row["calls"]
        print(
            f"{row['name']:<40} {row['units']:>7} {c['history.list']:>12} {c['messages.get']:>12} "
            f"{c['messages.list']:>13} {row['http']:>8} {row['ms']:>9.0f}  {row['found']}"
        )
    print(
        f"{'naive full scan (computed, not run)':<40} {full_units:>7} {0:>12} {total:>12} {full_lists:>13} "
        f"{'':>8} {'':>9}  sees label changes and deletions too"
    )
    incremental = rows[0]["units"]
    print(
        f"per check: incremental {incremental} units vs newest-page poll {rows[3]['units']} units "
        f"({rows[3]['units'] / max(1, incremental):.0f}x) vs full scan {full_units:,} units "
        f"({full_units / max(1, incremental):,.0f}x); at {PER_USER_PER_MINUTE:,} units/user/minute a full scan "
        f"takes {full_units / PER_USER_PER_MINUTE:.0f} minutes of one user's quota"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
