"""Admin: query the audit log by user, action and time range, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from application.authorization import require_admin
from application.ports.unit_of_work import AuditQuery, UnitOfWork
from domain.audit import AuditEvent
from domain.errors import ValidationFailed
from domain.identity import Principal


@dataclass(frozen=True)
class ListAuditLogsInput:
    principal: Principal
    actor_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    offset: int = 0
    limit: int = 50


class ListAuditLogs:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def execute(self, inp: ListAuditLogsInput) -> tuple[Sequence[AuditEvent], int]:
        require_admin(inp.principal)
        if inp.since and inp.until and inp.since > inp.until:
            raise ValidationFailed("'since' must be before 'until'.")
        with self.uow as uow:
            return uow.audit.query(
                AuditQuery(
                    actor_id=inp.actor_id,
                    action=inp.action,
                    since=inp.since,
                    until=inp.until,
                    offset=inp.offset,
                    limit=inp.limit,
                )
            )
