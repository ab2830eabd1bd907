"""Run the fake Google (OAuth consent + token), fake Gmail and fake Calendar/People as one process, for the web
app's browser tests. `--withhold-calendar` plays a user who leaves calendar and contacts unticked on the consent page
(an account connected without calendar access).

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
from tests.support.fake_gmail import DEFAULT_SCOPES, FakeGmailServer
from tests.support.fake_google_calendar import WORKSPACE_SCOPES, FakeGoogleWorkspace
from tests.support.fake_google_oauth import google_settings, running_fake_google
from tests.support.mailbox_seed import incoming_raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", default="someone@gmail.example", help="The Gmail account a browser signs in as")
    parser.add_argument("--withhold-calendar", action="store_true", help="The consent grants Gmail only")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with FakeGmailServer() as gmail, FakeGoogleWorkspace(gmail) as apis, running_fake_google() as google:
        account = gmail.add_account(args.address, scopes=DEFAULT_SCOPES | WORKSPACE_SCOPES)
        apis.set_timezone(account, "Europe/Lisbon")
        apis.add_contact(account, "Alice Chen", "alice@northwind.example", "Northwind Consulting")
        if args.withhold_calendar:
            google.withheld = set(WORKSPACE_SCOPES)
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

        def issued(email: str, access: str, refresh: str | None) -> None:
            gmail.adopt_grant(account, access, refresh)
            account.scopes = frozenset(google.granted.get(email) or account.scopes)  # what the user allowed

        google.on_issue = issued
        google.on_revoke = lambda email: account.revoke()
        settings = {
            **google_settings(google),
            "gmail_api_root": gmail.url,
            "google_calendar_api_root": apis.url,
            "google_people_api_root": apis.url,
        }
        print(json.dumps({f"MAILAGENT_{k.upper()}": v for k, v in settings.items()}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    sys.exit(0)


if __name__ == "__main__":
    main()
