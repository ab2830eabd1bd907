"""Benchmark: Gmail API quota units the Gmail adapter spends on a page of search results (list + batch get).

    .venv/bin/python bench/gmail_quota.py [--pages 10 50 120] [--mailbox 400]

Runs `GmailMailbox.search` against the local fake Gmail server from tests/support/fake_gmail.py (real HTTP on
127.0.0.1 and nowhere else; request and response bodies are checked against the discovery document's schemas).
The fake account holds a generated demo mailbox. For each page size it reads the adapter's own meter
(`quota_units_used`, also reported through `on_quota`), and counts on the fake what was called: `messages.list`,
`messages.get` (with `format=raw`), how many batch requests and HTTP requests that took. Also: the next page of a
50-message page (page_token), a page with a query, a page filtered by a user label (the first one also lists the
labels) and a second such page (the label list is cached). Quota units are a count, so one run is enough;
the wall times are of the local fake, not of Gmail. Not a timed test: it never fails on a figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests.support.fake_gmail
from benchlib import machine

OWNER = "you@example.com"
# Gmail's published per-user limits (https://developers.google.com/workspace/gmail/api/reference/quota):
# 15,000 units per user per minute for projects that used the API before May 2026, 6,000 for newer projects.
PER_USER_PER_MINUTE = (15_000, 6_000)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, nargs="+", default=[10, 50, 120], help="page sizes (default 10 50 120)")
    parser.add_argument("--mailbox", type=int, default=400, help="demo messages in the fake account (default 400)")
    args = parser.parse_args(argv)

    from adapters.demo.generator import generate_demo_mailbox, seed_mailbox
    from adapters.gmail import QUOTA_UNITS, GmailMailbox, StaticTokenSource
    from tests.support.fake_gmail import FakeGmailServer

    print("== Gmail adapter: quota units per page of search results (list + batch get), local fake Gmail ==")
    print(f"machine: {machine()}")
    spent: list[int] = []
    rows: list[dict[str, Any]] = []
    with FakeGmailServer() as server:
        account = server.add_account(OWNER)
        seeded = seed_mailbox(account, generate_demo_mailbox(datetime.now(UTC), OWNER, size=args.mailbox))
        mailbox = GmailMailbox(
            StaticTokenSource(account.access_token),
            address=OWNER,
            root_url=server.url,
            sleep=lambda _: None,
            on_quota=spent.append,
        )
        label_id = next(i for i, name in account.labels.items() if name == "Work")
        try:

            def measure(name: str, query: str = "", label_ids: tuple[str, ...] = (), **kwargs: Any) -> Any:
                server.clear_log()
                before, reported = mailbox.quota_units_used, len(spent)
                started = time.perf_counter()
                page = mailbox.search(query, label_ids=label_ids, **kwargs)
                elapsed = time.perf_counter() - started
                # the fake's call log (a test hook): every call the adapter made, inside a batch or not
                calls = Counter(c.method.removeprefix("gmail.users.") for c in server.calls)
                units = mailbox.quota_units_used - before
                assert sum(spent[reported:]) == units, "on_quota and quota_units_used disagree"
                assert not server.drift, server.drift
                rows.append(
                    {
                        "name": name,
                        "messages": len(page.messages),
                        "units": units,
                        "calls": calls,
                        "batches": list(server.batch_sizes),
                        "http": sum(1 for c in server.calls if not c.batch),
                        "ms": elapsed * 1000,
                    }
                )
                return page

            for size in args.pages:
                measure(f"page of {size}", limit=size)
            first = measure("page of 50, again (first page)", limit=50)
            measure("page of 50, next page (page_token)", limit=50, page_token=first.next_page_token)
            measure("page of 50, q=is:unread OR from:carol", "is:unread OR from:carol", limit=50)
            measure("page of 50, label Work (first: labels.list)", label_ids=(label_id,), limit=50)
            measure("page of 50, label Work (labels cached)", label_ids=(label_id,), limit=50)
        finally:
            mailbox.close()

    print(f"fake account: {seeded} demo messages; adapter batch size 50; published costs used by the adapter:")
    print("  " + ", ".join(f"{m.removeprefix('gmail.users.')} {QUOTA_UNITS[m]}" for m in _SHOWN))
    header = (
        f"{'page':<46} {'msgs':>5} {'units':>6} {'units/msg':>9} {'list':>5} {'get':>5} {'labels':>6} "
        f"{'batches (sizes)':>16} {'HTTP req':>8} {'ms (fake)':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        calls = row["calls"]
        per_message = row["units"] / row["messages"] if row["messages"] else float("nan")
        sizes = f"{len(row['batches'])} ({'+'.join(map(str, row['batches'])) or '-'})"
        print(
            f"{row['name']:<46} {row['messages']:>5} {row['units']:>6} {per_message:>9.2f} "
            f"{calls['messages.list']:>5} {calls['messages.get']:>5} {calls['labels.list']:>6} {sizes:>16} "
            f"{row['http']:>8} {row['ms']:>9.0f}"
        )
    fifty = next(r for r in rows if r["name"] == "page of 50")
    print(
        "at Gmail's per-user limit that is at most "
        + " or ".join(
            f"{limit // fifty['units']} pages of 50 per minute ({limit:,} units/min)" for limit in PER_USER_PER_MINUTE
        )
    )
    return 0


_SHOWN = ("gmail.users.messages.list", "gmail.users.messages.get", "gmail.users.labels.list")


if __name__ == "__main__":
    sys.exit(main())
