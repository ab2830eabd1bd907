"""Gmail push: a Pub/Sub notification (`message.data` = base64 JSON {emailAddress, historyId}) queues a sync of
every connected account with that address. Unknown addresses are accepted and ignored (so Pub/Sub stops
retrying); a body that is not a Gmail notification is refused with InvalidPushMessage (HTTP 400)."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from application.ports.job_queue import JobQueue
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.mail.sync_mailbox import SYNC_JOB, SYNC_RETRY, sync_job_id
from domain.errors import ValidationFailed
from domain.mail_account import AccountStatus, MailProvider
from domain.mail_sync import InvalidPushMessage, cursor_value

logger = logging.getLogger(__name__)

MAX_DATA_CHARS = 4096


@dataclass(frozen=True)
class GmailNotification:
    email_address: str
    history_id: str


def parse_pubsub_envelope(envelope: Any) -> GmailNotification:
    """The Gmail notification inside a Pub/Sub push body; InvalidPushMessage saying what is wrong otherwise."""
    if not isinstance(envelope, Mapping):
        raise InvalidPushMessage("A push body is a JSON object with a `message`.")
    message = envelope.get("message")
    if not isinstance(message, Mapping):
        raise InvalidPushMessage("The push body has no `message` object.")
    data = message.get("data")
    if not isinstance(data, str) or not data or len(data) > MAX_DATA_CHARS:
        raise InvalidPushMessage("The push message has no `data` (base64 of the Gmail notification).")
    try:
        decoded = json.loads(base64.b64decode(data + "=" * (-len(data) % 4), altchars=b"-_", validate=False))
    except (binascii.Error, ValueError):
        raise InvalidPushMessage("The push message's `data` is not base64-encoded JSON.") from None
    if not isinstance(decoded, Mapping):
        raise InvalidPushMessage("The push message's `data` is not a JSON object.")
    address, history_id = decoded.get("emailAddress"), decoded.get("historyId")
    if not isinstance(address, str) or "@" not in address or len(address) > 320:
        raise InvalidPushMessage("The Gmail notification has no `emailAddress`.")
    if isinstance(history_id, bool) or not isinstance(history_id, int | str):
        raise InvalidPushMessage("The Gmail notification has no `historyId`.")
    try:
        history = str(cursor_value(str(history_id)))
    except ValidationFailed:
        raise InvalidPushMessage("The Gmail notification's `historyId` is not a history id.") from None
    return GmailNotification(address.strip().lower(), history)


@dataclass(frozen=True)
class HandleGooglePushInput:
    envelope: Any  # the parsed JSON body


@dataclass(frozen=True)
class PushOutcome:
    history_id: str
    accounts: int  # connected accounts with that address
    queued: int  # syncs queued (an account already synced past the history id needs none)


class HandleGooglePush:
    def __init__(self, uow: UnitOfWork, jobs: JobQueue) -> None:
        self.uow, self.jobs = uow, jobs

    def execute(self, inp: HandleGooglePushInput) -> PushOutcome:
        note = parse_pubsub_envelope(inp.envelope)
        with self.uow as uow:
            accounts = [
                a
                for a in uow.mail_sync.accounts_with_address(MailProvider.GOOGLE, note.email_address)
                if a.status is AccountStatus.ACTIVE
            ]
            cursors = {a.id: (s.cursor if (s := uow.mail_sync.get(a.id)) else None) for a in accounts}
        if not accounts:
            logger.info("gmail push for an address with no connected account: ignored")
            return PushOutcome(note.history_id, 0, 0)
        queued = 0
        for account in accounts:
            cursor = cursors[account.id]
            if cursor is not None and cursor_value(cursor) >= cursor_value(note.history_id):
                continue  # already synced past this change
            # one job per (account, history id): Pub/Sub redelivering the same notification queues it once
            self.jobs.enqueue(
                SYNC_JOB,
                {"account_id": account.id},
                job_id=sync_job_id(account.id, f"h{note.history_id}"),
                retry=SYNC_RETRY,
            )
            queued += 1
        return PushOutcome(note.history_id, len(accounts), queued)
