"""Google Calendar push: Google posts to our channel address when a watched calendar changes (headers only: the
channel id, its token, the resource state). A post for the account's current channel with the right token queues
a calendar sync; the first post of a channel (state `sync`) only confirms it. A post about a channel we no longer
use is accepted and ignored (it will expire); a wrong token is refused."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from application.ports.job_queue import JobQueue
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.calendar.renew_calendar_watches import token_hash
from application.use_cases.calendar.sync_calendar import CALENDAR_SYNC_JOB, CALENDAR_SYNC_RETRY
from domain.errors import PermissionDenied
from domain.identity import new_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HandleCalendarPushInput:
    channel_id: str
    token: str
    resource_state: str  # sync | exists | not_exists


@dataclass(frozen=True)
class CalendarPushOutcome:
    known: bool  # the post is about a channel we use
    queued: bool  # a sync was queued


class HandleCalendarPush:
    def __init__(self, uow: UnitOfWork, jobs: JobQueue) -> None:
        self.uow, self.jobs = uow, jobs

    def execute(self, inp: HandleCalendarPushInput) -> CalendarPushOutcome:
        with self.uow as uow:
            state = uow.calendar_sync.by_channel(inp.channel_id)
        if state is None or state.channel_token_hash is None:
            logger.info("calendar push for a channel no longer in use: ignored")
            return CalendarPushOutcome(known=False, queued=False)
        if not hmac.compare_digest(token_hash(inp.token), state.channel_token_hash):
            raise PermissionDenied("The channel token does not match this channel's.")
        if inp.resource_state == "sync":
            return CalendarPushOutcome(known=True, queued=False)
        self.jobs.enqueue(
            CALENDAR_SYNC_JOB,
            {"account_id": state.account_id},
            job_id=f"calendar-sync-{state.account_id}-{new_id()}",
            retry=CALENDAR_SYNC_RETRY,
        )
        return CalendarPushOutcome(known=True, queued=True)
