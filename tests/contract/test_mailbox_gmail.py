"""The Mailbox contract suite, unchanged, against GmailMailbox talking HTTP to the local fake Gmail server.

Every test of tests/contract/test_mailbox.py is imported here; the `new_mailbox` fixture below overrides the
suite's (parametrized over in-memory and SQLite) for the tests of this module only. Each mailbox is a fresh
fake account (its own token), driven by the test's FakeClock on both sides (Date header and internal date).

Each Gmail call is a real HTTP round trip (plus googleapiclient's batch MIME encoding), about 100 times the cost
of an in-memory call, so the suite's Hypothesis properties run here with MAILAGENT_GMAIL_CONTRACT_EXAMPLES
examples (default 40; the same tests, strategies and assertions). Set it to 100 for the suite's full count
(about 100 s on a 2-CPU machine)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest

from adapters.gmail import GmailMailbox
from application.ports.mailbox import Mailbox
from tests.contract import test_mailbox as _suite
from tests.contract.test_mailbox import *  # noqa: F403  (the whole suite runs again, against Gmail)
from tests.support.fake_gmail import FakeAccount, FakeGmailServer, FakeTokenSource
from tests.support.mailbox_seed import OWNER, FakeClock, MailboxSeeder
from tests.support.rerun_properties import rerun_properties

# Not part of the port's contract: SQLite persistence and process sharing.
del test_sqlite_mailbox_survives_a_restart_and_isolates_accounts  # noqa: F821
del test_sqlite_mailbox_is_shared_between_processes  # noqa: F821

GMAIL_EXAMPLES = int(os.environ.get("MAILAGENT_GMAIL_CONTRACT_EXAMPLES", "40"))


rerun_properties(_suite, globals(), _suite.PROPERTY, GMAIL_EXAMPLES)


class HarnessGmailMailbox(GmailMailbox):
    """A GmailMailbox (every port call is HTTP to the fake) that can also take the demo mailbox: `seed` is a test
    hook like the seeder, so it loads the fake account in process (adapters.demo's DemoSeedable protocol)."""

    def __init__(self, account: FakeAccount, **kwargs: Any) -> None:
        super().__init__(FakeTokenSource(account), **kwargs)
        self._account = account

    def seed(
        self,
        messages: Iterable[tuple[bytes, Sequence[str], Sequence[str], datetime]],
        *,
        only_if_empty: bool = True,
    ) -> int:
        return self._account.seed(messages, only_if_empty=only_if_empty)


@pytest.fixture(scope="module")
def fake_gmail() -> Iterator[FakeGmailServer]:
    with FakeGmailServer() as server:
        yield server


@pytest.fixture  # type: ignore[no-redef]  # overrides the suite's fixture for this module
def new_mailbox(fake_gmail: FakeGmailServer) -> Iterator[_suite.MailboxMaker]:
    mailboxes: list[GmailMailbox] = []

    def make(clock: FakeClock) -> tuple[Mailbox, MailboxSeeder]:
        account = fake_gmail.add_account(OWNER, clock=clock)
        mailbox = HarnessGmailMailbox(
            account,
            address=OWNER,
            root_url=fake_gmail.url,
            clock=clock,
            sleep=lambda seconds: None,
        )
        mailboxes.append(mailbox)
        return mailbox, account

    yield make
    for mailbox in mailboxes:
        mailbox.close()
    assert fake_gmail.drift == [], "the fake Gmail server saw requests or gave answers outside gmail.v1.json"
