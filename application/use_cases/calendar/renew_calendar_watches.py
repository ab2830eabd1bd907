"""Keep Google Calendar push alive: each Google account whose calendar is followed (used at least once) gets an
`events.watch` channel to MAILAGENT_GOOGLE_CALENDAR_PUSH_URL, renewed when it expires within RENEW_BEFORE (a new
channel first, then the old one stopped, so no change falls between them). Each channel has its own random token,
kept only as a hash: Google echoes it in every post, which is how a post is known to be Google's. Runs as the
periodic `calendar.watch_renew` job; without a push URL it does nothing (polling with sync tokens still catches
every change)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta

from application.ports.calendar_provider import CalendarProvider
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from domain.calendar_sync import CalendarSyncState
from domain.errors import DomainError, InfrastructureError
from domain.identity import new_id
from domain.mail_account import AccountStatus, MailProvider

logger = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(days=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class CalendarWatchReport:
    configured: bool = True
    renewed: list[str] = field(default_factory=list)  # account ids with a new channel
    failed: dict[str, str] = field(default_factory=dict)  # account id -> why


class RenewCalendarWatches:
    def __init__(self, uow: UnitOfWork, calendars: CalendarProvider, clock: Clock, push_url: str | None) -> None:
        self.uow, self.calendars, self.clock, self.push_url = uow, calendars, clock, push_url

    def execute(self) -> CalendarWatchReport:
        report = CalendarWatchReport(configured=bool(self.push_url))
        if not self.push_url:
            return report
        with self.uow as uow:
            followed = {
                a.id: s
                for a in uow.mail_sync.accounts(MailProvider.GOOGLE)
                if a.status is AccountStatus.ACTIVE and (s := uow.calendar_sync.get(a.id)) is not None
            }
            accounts = [a for a in uow.mail_sync.accounts(MailProvider.GOOGLE) if a.id in followed]
            states = followed
        for account in accounts:
            state = states[account.id]
            now = self.clock.now()
            if state.channel_expires_at is not None and state.channel_expires_at - now > RENEW_BEFORE:
                continue
            try:
                feed = self.calendars.feed(account)
                if feed is None:
                    continue
                token = secrets.token_urlsafe(32)
                channel = feed.watch(self.push_url, new_id(), token)
            except (DomainError, InfrastructureError) as exc:
                logger.warning("calendar watch: account %s: %s", account.id, exc)
                report.failed[account.id] = str(exc)[:500]
                continue
            with self.uow as uow:
                current = uow.calendar_sync.get(account.id) or CalendarSyncState(account.id)
                uow.calendar_sync.put(
                    replace(
                        current,
                        channel_id=channel.id,
                        channel_resource_id=channel.resource_id,
                        channel_token_hash=token_hash(token),
                        channel_expires_at=channel.expires_at,
                    )
                )
                uow.commit()
            report.renewed.append(account.id)
            if state.channel_id and state.channel_resource_id:
                try:
                    feed.stop(state.channel_id, state.channel_resource_id)
                except (DomainError, InfrastructureError) as exc:  # it expires on its own; its posts are ignored
                    logger.info("calendar watch: stopping the old channel of %s failed: %s", account.id, exc)
        return report
