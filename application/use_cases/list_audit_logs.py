"""Admin: query the audit log by actor (e-mail or id), action and time range, newest first, with routine actions
left out on request; each page names its actors (e-mail and display name) so nobody reads UUIDs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from application.authorization import require_admin
from application.ports.unit_of_work import AuditQuery, UnitOfWork
from domain.audit import AuditEvent
from domain.errors import ValidationFailed
from domain.identity import Principal

MAX_EXCLUDED = 50


@dataclass(frozen=True)
class AuditActor:
    id: str
    email: str
    display_name: str | None


@dataclass(frozen=True)
class ListAuditLogsInput:
    principal: Principal
    actor_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    offset: int = 0
    limit: int = 50
    actor_email: str | None = None
    exclude_actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditPage:
    entries: Sequence[AuditEvent]
    total: int
    actors: dict[str, AuditActor] = field(default_factory=dict)

    def actor(self, entry: AuditEvent) -> AuditActor | None:
        return self.actors.get(entry.actor_id) if entry.actor_id else None


def audit_query(inp: ListAuditLogsInput, uow: UnitOfWork) -> AuditQuery | None:
    """The repository query for these filters; None when an actor e-mail names nobody (nothing can match)."""
    if inp.since and inp.until and inp.since > inp.until:
        raise ValidationFailed("'since' must be before 'until'.")
    if len(inp.exclude_actions) > MAX_EXCLUDED:
        raise ValidationFailed(f"Hide at most {MAX_EXCLUDED} actions at once.")
    actor_id = inp.actor_id
    if inp.actor_email:
        user = uow.users.get_by_email(inp.actor_email.strip())
        if user is None or (actor_id and actor_id != user.id):
            return None
        actor_id = user.id
    return AuditQuery(
        actor_id=actor_id,
        action=inp.action,
        exclude_actions=tuple(dict.fromkeys(a for a in inp.exclude_actions if a)),
        since=inp.since,
        until=inp.until,
        offset=inp.offset,
        limit=inp.limit,
    )


def actors_of(entries: Sequence[AuditEvent], uow: UnitOfWork) -> dict[str, AuditActor]:
    """The users behind these entries (a deleted or unknown id is simply absent)."""
    actors: dict[str, AuditActor] = {}
    for actor_id in {e.actor_id for e in entries if e.actor_id}:
        user = uow.users.get(actor_id)
        if user is not None:
            actors[actor_id] = AuditActor(user.id, user.email, user.display_name)
    return actors


class ListAuditLogs:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListAuditLogsInput) -> AuditPage:
        require_admin(inp.principal)
        with self.uow as uow:
            query = audit_query(inp, uow)
            if query is None:
                return AuditPage([], 0)
            entries, total = uow.audit.query(query)
            return AuditPage(entries, total, actors_of(entries, uow))
