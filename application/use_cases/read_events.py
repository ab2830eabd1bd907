"""A user's stored events after a given id (what a reconnecting live client or `mailagent events tail` reads),
and pruning of relayed events past their retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from domain.errors import ValidationFailed
from domain.events import StoredEvent

MAX_LIMIT = 1000


@dataclass(frozen=True)
class ReadEventsInput:
    user_id: str
    after: int | None  # None: nothing to replay, only where the stream stands
    limit: int = 500


@dataclass(frozen=True)
class EventsRead:
    latest: int  # the seq of the user's newest stored event (0 when none)
    events: tuple[StoredEvent, ...]  # oldest first, at most `limit`


class ReadEvents:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ReadEventsInput) -> EventsRead:
        if not 1 <= inp.limit <= MAX_LIMIT or (inp.after is not None and inp.after < 0):
            raise ValidationFailed(f"after must be 0 or more and limit 1 to {MAX_LIMIT}.")
        with self.uow as uow:
            latest = uow.events.latest_seq(inp.user_id)
            found = uow.events.after(inp.user_id, inp.after, limit=inp.limit) if inp.after is not None else ()
        return EventsRead(latest, tuple(found))


class PruneEvents:
    def __init__(self, uow: UnitOfWork, clock: Clock, retention_seconds: int) -> None:
        self.uow, self.clock, self.retention = uow, clock, timedelta(seconds=retention_seconds)

    def execute(self) -> int:
        with self.uow as uow:
            gone = uow.events.prune(before=self.clock.now() - self.retention)
            uow.commit()
        return gone
