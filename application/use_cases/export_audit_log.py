"""Admin: every audit entry matching the log's filters, for a CSV download — recorded in the log itself, then read
in pages so a large log streams instead of filling memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from application.authorization import require_admin
from application.ports.clock import Clock
from application.ports.unit_of_work import AuditQuery, UnitOfWork
from application.use_cases.list_audit_logs import AuditActor, ListAuditLogsInput, actors_of, audit_query
from domain.audit import AuditAction, AuditContext, AuditDraft, AuditEvent

PAGE_SIZE = 500


@dataclass(frozen=True)
class ExportAuditLogInput:
    filters: ListAuditLogsInput
    context: AuditContext = AuditContext()


class ExportAuditLog:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def execute(self, inp: ExportAuditLogInput) -> Iterator[tuple[AuditEvent, AuditActor | None]]:
        """Checks and records the export at once; the entries come as the iterator is read, newest first. The range
        ends when the export began (its own entry is the newest), so entries written while it streams do not shift
        the pages."""
        f = inp.filters
        require_admin(f.principal)
        now = self.clock.now()
        with self.uow as uow:
            query = audit_query(f, uow)
            uow.audit.append(
                AuditDraft(
                    AuditAction.AUDIT_EXPORTED,
                    actor_id=f.principal.user_id,
                    target="audit_log",
                    context=inp.context,
                    details={
                        "actor": f.actor_email or f.actor_id,
                        "action": f.action,
                        "hidden_actions": list(f.exclude_actions),
                        "since": f.since.isoformat() if f.since else None,
                        "until": f.until.isoformat() if f.until else None,
                    },
                ),
                at=now,
            )
            uow.commit()
        if query is None:
            return iter(())
        until = min(query.until, now) if query.until else now
        return self._pages(replace(query, until=until, offset=0, limit=PAGE_SIZE))

    def _pages(self, query: AuditQuery) -> Iterator[tuple[AuditEvent, AuditActor | None]]:
        while True:
            with self.uow as uow:
                entries, _ = uow.audit.query(query)
                actors = actors_of(entries, uow)
            for entry in entries:
                yield entry, actors.get(entry.actor_id) if entry.actor_id else None
            if len(entries) < query.limit:
                return
            query = replace(query, offset=query.offset + query.limit)
