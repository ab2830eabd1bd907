"""Run the fake Google (OAuth consent + token) and fake Gmail as one process, for the web app's browser tests.

Prints one JSON line with the MAILAGENT_* settings that point a server at them, then serves until killed.
Usage: python -m tests.support.serve_fake_google --address someone@gmail.example
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta

from domain.mail import EmailAddress
from tests.support.fake_gmail import FakeGmailServer
from tests.support.fake_google_oauth import google_settings, running_fake_google
from tests.support.mailbox_seed import incoming_raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", default="someone@gmail.example", help="The Gmail account a browser signs in as")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeGmailServer() as gmail, running_fake_google() as google:
        account = gmail.add_account(args.address)
        now = datetime.now(UTC)
        for n, subject in enumerate(["Flight to Lisbon confirmed", "Your Gmail inbox works in mailagent"]):
            raw = incoming_raw(
                sender=EmailAddress(address=f"sender{n}@example.com", name=f"Sender {n}"),
                to=(EmailAddress(address=args.address),),
                subject=subject,
                text=f"Message {n} in the fake Gmail account.",
                date=now - timedelta(hours=n + 1),
            )
            account.deliver(raw, ["INBOX", "UNREAD"])
        google.browser_email = args.address
        google.on_issue = lambda email, access, refresh: gmail.adopt_grant(account, access, refresh)
        google.on_revoke = lambda email: account.revoke()
        settings = {**google_settings(google), "gmail_api_root": gmail.url}
        print(json.dumps({f"MAILAGENT_{k.upper()}": v for k, v in settings.items()}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    sys.exit(0)


if __name__ == "__main__":
    main()
