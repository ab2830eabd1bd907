"""Benchmark: 10,000 sends scheduled for the same minute, delivered by 2 in-process workers to the in-memory mailbox.

    .venv/bin/python bench/scheduled_sends.py [--emails 10000] [--workers 2] [--spread 0] [--timeout 900]

The embedded default as `mailagent serve` runs it (the container of the local profile: SQLite in a fresh temp data
dir, the in-process job queue with `--workers` threads, the periodic ticker with `scheduled.dispatch`, the outbox
relay), except that the account's mailbox is an `InMemoryMailbox` (adapters/in_memory/mailbox.py), so the figures
are ours and not a provider's. One user and one connected account; every email is scheduled through the
`schedule_email` use case (the same path as POST /api/v1/emails/schedule, minus HTTP) for T0, the start of a whole
minute far enough ahead that scheduling finishes first (`--spread S` spreads them evenly over S seconds from T0
instead). Then it waits until every row is `sent` and prints: how long scheduling took, time from T0 until the last
one was sent, sends per second, lateness (sent_at - send_at) p50/p99/max, how many were sent early (must be 0), and
duplicates (messages in Sent beyond one per scheduled Message-ID; must be 0). Not a timed test.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchlib import machine, percentile

CALIBRATION = 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=10_000, help="scheduled emails (default 10000)")
    parser.add_argument("--workers", type=int, default=2, help="in-process job workers (default 2)")
    parser.add_argument("--spread", type=float, default=0.0, help="spread send times over S seconds (default 0)")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up waiting after S seconds (default 900)")
    args = parser.parse_args(argv)

    from dependency_injector import providers

    from adapters.in_memory.mailbox import InMemoryMailbox
    from adapters.sqlalchemy.migrate import upgrade
    from application.mail_compose import Compose
    from application.ports.mailbox import Mailbox
    from application.ports.mailbox_provider import MailboxProvider
    from application.use_cases.scheduled.schedule_email import ScheduleEmailInput
    from domain.identity import USER_SCOPES, Principal, Role, User, UserStatus, new_id
    from domain.mail_account import AccountStatus, MailAccount, MailProvider
    from domain.scheduled_email import ScheduledStatus
    from entrypoints.container import build_container
    from entrypoints.logging_setup import configure_logging
    from entrypoints.settings import Settings
    from entrypoints.worker.runtime import InProcessRuntime

    class OneMailbox(MailboxProvider):
        def __init__(self, mailbox: Mailbox) -> None:
            self.mailbox = mailbox

        def supports(self, provider: MailProvider) -> bool:
            return True

        def open(self, account: MailAccount) -> Mailbox:
            return self.mailbox

        def provision(self, account: MailAccount) -> None:
            return None

    configure_logging(json_logs=False, level="WARNING")
    print(f"== Scheduled sends: {args.emails} emails for one minute, {args.workers} in-process workers ==")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="mailagent-bench-") as tmp:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, profile="local", data_dir=Path(tmp) / "var", job_workers=args.workers, log_level="WARNING"
        )
        settings.data_dir.mkdir(parents=True)
        upgrade(settings.resolved_database_url)
        container = build_container(settings)
        mailbox = InMemoryMailbox("me@example.com")
        container.mailboxes.override(providers.Object(OneMailbox(mailbox)))
        clock = container.clock()
        now = clock.now()
        user = User(new_id(), "me@example.com", Role.USER, UserStatus.ACTIVE, now, password_hash="x")
        account = MailAccount(new_id(), user.id, MailProvider.DEMO, "me@example.com", AccountStatus.ACTIVE, now, now)
        with container.uow() as uow:
            uow.users.add(user)
            uow.mail_accounts.add(account)
            uow.commit()
        principal = Principal(user, USER_SCOPES)
        schedule = container.schedule_email()
        runtime = InProcessRuntime(container)
        runtime.start()  # as in `mailagent serve`: jobs run while people schedule

        def one(n: int, at: datetime) -> Any:
            compose = Compose(to=(f"friend{n}@example.com",), subject=f"Scheduled {n}", text_body="See you soon.")
            return schedule.execute(ScheduleEmailInput(principal, compose, at.isoformat())).email

        # Calibrate: how fast can we schedule? Then pick T0, a whole minute after scheduling will have finished.
        started = time.monotonic()
        far = now + timedelta(days=1)
        for n in range(CALIBRATION):
            one(n, far)  # not due during the run; counted apart
        per_email = (time.monotonic() - started) / CALIBRATION
        # Generous: on a busy machine scheduling slows down as it goes (a run at 1.3x + 10 s ran past T0).
        ready_by = clock.now() + timedelta(seconds=per_email * args.emails * 2.5 + 30)
        t0 = (ready_by + timedelta(minutes=1)).replace(second=0, microsecond=0)
        print(f"scheduling: {per_email * 1000:.2f} ms per email (calibration); T0 = {t0:%H:%M:%S} UTC")

        started = time.monotonic()
        ids = []
        for n in range(args.emails):
            at = t0 + timedelta(seconds=args.spread * n / args.emails)
            ids.append(one(n, at).id)
        scheduled_in = time.monotonic() - started
        print(
            f"scheduled {args.emails} in {scheduled_in:.1f} s ({args.emails / scheduled_in:.0f}/s); "
            f"{(t0 - clock.now()).total_seconds():.0f} s before T0"
        )
        if clock.now() > t0:
            print("warning: scheduling ran past T0; lateness includes that")

        cpu_before = time.process_time()  # every thread of this process; idle until T0 but for the ticker
        load_before = os.getloadavg()

        def count_sent() -> int:
            with container.uow() as uow:
                return uow.scheduled_emails.list_for_user(user.id, statuses={ScheduledStatus.SENT}, limit=1)[1]

        deadline = time.monotonic() + max(0.0, (t0 - clock.now()).total_seconds()) + args.spread + args.timeout
        last_report = 0.0
        while (sent := count_sent()) < args.emails and time.monotonic() < deadline:
            if time.monotonic() - last_report > 10 and clock.now() > t0:
                print(f"  {(clock.now() - t0).total_seconds():5.0f} s after T0: {sent} sent", flush=True)
                last_report = time.monotonic()
            time.sleep(0.5)
        cpu = time.process_time() - cpu_before
        load_after = os.getloadavg()
        runtime.stop()

        rows = []
        wanted = set(ids)
        with container.uow() as uow:
            offset = 0
            while True:
                page, total = uow.scheduled_emails.list_for_user(user.id, offset=offset, limit=1000)
                rows += [r for r in page if r.id in wanted]
                offset += len(page)
                if offset >= total or not page:
                    break
        sent_rows = [r for r in rows if r.status is ScheduledStatus.SENT and r.sent_at is not None]
        lateness = sorted((r.sent_at - r.send_at).total_seconds() for r in sent_rows)  # type: ignore[operator]
        copies = Counter(m.message_id_header for m in mailbox.sent)
        ours = {r.message_id for r in rows}
        duplicates = sum(c - 1 for mid, c in copies.items() if mid in ours and c > 1)
        missing = len(ours - set(copies))
        early = sum(1 for x in lateness if x < 0)
        statuses = Counter(r.status.value for r in rows)
        if sent_rows:
            last = max(r.sent_at for r in sent_rows if r.sent_at)
            drain = (last - t0).total_seconds()
        else:
            drain = math.nan
        print(f"statuses: {dict(statuses)}")
        print(f"time from T0 until all sent: {drain:.1f} s ({len(sent_rows) / max(drain, 1e-9):.0f} sends/s)")
        if lateness:
            print(
                f"lateness: p50 {percentile(lateness, 50):.3f} s, p99 {percentile(lateness, 99):.3f} s, "
                f"max {lateness[-1]:.2f} s, min {lateness[0]:.3f} s; sent early: {early}"
            )
        print(f"duplicates: {duplicates}; missing from Sent: {missing}")
        print(
            f"process CPU from the end of scheduling until all sent: {cpu:.1f} s "
            f"({1000 * cpu / max(len(sent_rows), 1):.2f} ms per send, all threads, incl. this benchmark's polling); "
            f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}"
        )
        container.engine().dispose()
        return 0 if not duplicates and not early and len(sent_rows) == args.emails and not missing else 1


if __name__ == "__main__":
    sys.exit(main())
