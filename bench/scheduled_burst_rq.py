"""Benchmark: 1,000 scheduled sends due in the same second on the production profile (PostgreSQL + Redis, 2 workers).

    .venv/bin/python bench/scheduled_burst_rq.py [--emails 1000] [--workers 2] [--timeout 900]

What runs, all on 127.0.0.1: a private `redis-server` on a free port (never the shared one), a brand-new database in
the local PostgreSQL (`DATABASE_URL`'s server; dropped afterwards), the schema from `mailagent db upgrade`'s code, and
`--workers` real `mailagent worker` processes with MAILAGENT_PROFILE=production and the default scheduling settings
(dispatch batch 50, 4 sends at a time per worker, sweep every 5 s). The mailbox is the demo mailbox
(MAILAGENT_DEMO_MAILBOX=true), a SQLite file in the data dir that every process shares, so a send is a real append
to its Sent folder and no provider's latency is measured.

One user and one connected demo account; every email is scheduled through the `schedule_email` use case (the path
of POST /api/v1/emails/schedule minus HTTP) for T0, a whole second picked (by a calibration of how fast scheduling
goes) so that scheduling has finished before it. The workers are up (heartbeats seen) before scheduling starts.
Then it waits until every row is `sent` and prints:
- time from T0 until the last send, and sends per second over that time (target >= 50/s);
- lateness (sent_at - send_at) p50 / p99 / max (target p99 <= 20 s), and how many went early (must be 0);
- duplicates and missing: each email's deterministic Message-ID looked up in Sent (must be exactly once);
- the jobs the burst made, by name, from RQ's finished and failed registries: how many, their run time p50/p99
  (a job's fixed overhead shows in the cheap ones, e.g. a `mail.sync` that finds nothing new) and their wait from
  enqueue to start. `mail.sync` jobs are coalesced per account, so 1,000 sends of one account make a handful.
Not a timed test: it never fails on a figure (exit 1 only if mail was lost, doubled or sent early).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchlib import MachineBusy, load_average, machine, percentile
from emails_sweep import fresh_database, private_redis

CALIBRATION = 50
WORKER_START_CEILING = 180.0  # a ceiling: a worker importing on a busy 2-core machine takes many seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--emails", type=int, default=1000, help="emails due in the same second (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="`mailagent worker` processes (default 2)")
    parser.add_argument("--timeout", type=float, default=900.0, help="give up waiting after S seconds (default 900)")
    args = parser.parse_args(argv)

    import redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from adapters.rq.job_queue import lane_queue_names
    from adapters.sqlalchemy.migrate import upgrade
    from application.mail_compose import Compose
    from application.use_cases.create_user import CreateUserInput
    from application.use_cases.mail.connect_demo_account import ConnectDemoAccountInput
    from application.use_cases.scheduled.schedule_email import ScheduleEmailInput
    from domain.identity import USER_SCOPES, Principal
    from domain.mail import SENT
    from domain.scheduled_email import ScheduledStatus
    from entrypoints.logging_setup import configure_logging
    from tests.support.installation import Installation, wait_until

    configure_logging(json_logs=False, level="WARNING")
    print(f"== Scheduled sends on PostgreSQL + Redis: {args.emails} due in one second, {args.workers} workers ==")
    print(f"machine: {machine()}; load average at start: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="mailagent-burst-") as tmp, fresh_database() as database_url:
        work = Path(tmp)
        with private_redis(work) as redis_url:
            upgrade(database_url)
            inst = Installation(work, database_url, redis_url, log_level="WARNING")
            try:
                container = inst.container
                clock = container.clock()
                user = container.create_user().execute(
                    CreateUserInput(email="burst@example.com", password="Pass-word 1234!")
                )
                principal = Principal(user, USER_SCOPES)
                account = container.connect_demo_account().execute(ConnectDemoAccountInput(principal))
                mailbox = container.mailboxes().open(account)
                schedule = container.schedule_email()

                started = time.monotonic()
                workers = [inst.worker(f"worker-{n}") for n in range(args.workers)]
                for process in workers:
                    inst.wait_for_worker(process, WORKER_START_CEILING)
                print(f"{args.workers} workers up (heartbeats) after {time.monotonic() - started:.1f} s")

                def one(n: int, when: Any) -> str:
                    compose = Compose(to=(f"friend{n}@example.com",), subject=f"Burst {n}", text_body="See you soon.")
                    return str(schedule.execute(ScheduleEmailInput(principal, compose, when.isoformat())).email.id)

                started = time.monotonic()
                far = clock.now() + timedelta(days=1)
                for n in range(CALIBRATION):
                    one(-n - 1, far)  # not due during the run; counted apart
                per_email = (time.monotonic() - started) / CALIBRATION
                t0 = clock.now() + timedelta(seconds=per_email * args.emails * 1.5 + 10)
                t0 = t0.replace(microsecond=0) + timedelta(seconds=1)
                print(f"scheduling: {per_email * 1000:.1f} ms per email (calibration); T0 = {t0:%H:%M:%S} UTC")
                started = time.monotonic()
                ids = [one(n, t0) for n in range(args.emails)]
                took = time.monotonic() - started
                ahead = (t0 - clock.now()).total_seconds()
                print(f"scheduled {args.emails} in {took:.1f} s ({args.emails / took:.0f}/s); {ahead:.1f} s before T0")
                if ahead < 0:
                    print("warning: scheduling ran past T0; lateness includes that")

                def sent_count() -> int:
                    with container.uow() as uow:
                        return int(
                            uow.scheduled_emails.list_for_user(user.id, statuses={ScheduledStatus.SENT}, limit=1)[1]
                        )

                busy = MachineBusy()
                wait_until("T0", lambda: clock.now() >= t0, ahead + 60, poll=0.05)
                deadline = time.monotonic() + args.timeout
                last_report = time.monotonic()
                while (sent := sent_count()) < args.emails and time.monotonic() < deadline:
                    if time.monotonic() - last_report > 10:
                        print(f"  {(clock.now() - t0).total_seconds():5.0f} s after T0: {sent} sent", flush=True)
                        last_report = time.monotonic()
                    time.sleep(0.25)
                cpus_busy = busy.cpus_busy()
                load_after = load_average()

                wanted = set(ids)
                rows = []
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
                copies = Counter(
                    len(mailbox.search(f"rfc822msgid:{r.message_id}", label_ids=[SENT], limit=5).messages) for r in rows
                )
                duplicates = sum((c - 1) * k for c, k in copies.items() if c > 1)
                missing = copies.get(0, 0)
                early = sum(1 for x in lateness if x < 0)
                drain = max((r.sent_at - t0).total_seconds() for r in sent_rows if r.sent_at) if sent_rows else math.nan
                first = min((r.sent_at - t0).total_seconds() for r in sent_rows if r.sent_at) if sent_rows else math.nan
                alive = sum(1 for p in workers if p.alive())

                jobs: dict[str, list[tuple[float, float]]] = defaultdict(list)  # name -> (run s, wait s)
                failed_jobs = 0
                redis_client = redis.Redis.from_url(redis_url)
                for queue_name in lane_queue_names(inst.queue):
                    queue = Queue(queue_name, connection=redis_client)
                    finished = FinishedJobRegistry(queue=queue).get_job_ids()
                    failed_jobs += FailedJobRegistry(queue=queue).count
                    for job in Job.fetch_many(finished, connection=redis_client):
                        if job is None or not job.started_at or not job.ended_at:
                            continue
                        wait = (job.started_at - job.enqueued_at).total_seconds() if job.enqueued_at else math.nan
                        jobs[str(job.args[0])].append(((job.ended_at - job.started_at).total_seconds(), wait))
            finally:
                inst.close()

    print()
    print(f"statuses: {dict(Counter(r.status.value for r in rows))}; workers alive at the end: {alive}/{len(workers)}")
    print(f"first send {first:.2f} s after T0; the last {drain:.2f} s after T0")
    print(f"throughput: {len(sent_rows) / max(drain, 1e-9):.1f} sends/s from T0 (target >= 50/s)")
    if lateness:
        print(
            f"lateness: p50 {percentile(lateness, 50):.2f} s, p99 {percentile(lateness, 99):.2f} s "
            f"(target <= 20 s), max {lateness[-1]:.2f} s; sent early: {early}"
        )
    print(f"duplicates in Sent: {duplicates}; missing from Sent: {missing}; failed jobs: {failed_jobs}")
    print(f"machine during the burst: {cpus_busy:.2f} of {__import__('os').cpu_count()} CPUs busy; load {load_after}")
    print("jobs run (RQ finished registry), run time and wait from enqueue to start:")
    print(f"  {'job':<22} {'count':>6} {'run p50 ms':>11} {'run p99 ms':>11} {'wait p50 s':>11} {'wait p99 s':>11}")
    for name in sorted(jobs):
        runs = sorted(r for r, _ in jobs[name])
        waits = sorted(w for _, w in jobs[name] if not math.isnan(w))
        print(
            f"  {name:<22} {len(runs):>6} {percentile(runs, 50) * 1000:>11.1f} {percentile(runs, 99) * 1000:>11.1f} "
            f"{percentile(waits, 50):>11.2f} {percentile(waits, 99):>11.2f}"
        )
    ok = not duplicates and not early and not missing and len(sent_rows) == args.emails
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
