"""End one of the caller's sessions (e.g. a lost laptop); another user's session id is not found."""

from __future__ import annotations

from dataclasses import dataclass, replace

from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from application.principal_cache import session_key
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import NotFound
from domain.identity import Principal


@dataclass(frozen=True)
class RevokeSessionInput:
    principal: Principal
    session_id: str
    context: AuditContext = AuditContext()


class RevokeSession:
    def __init__(self, uow: UnitOfWork, cache: Cache, clock: Clock) -> None:
        self.uow, self.cache, self.clock = uow, cache, clock

    def execute(self, inp: RevokeSessionInput) -> None:
        now = self.clock.now()
        with self.uow as uow:
            session = uow.sessions.get(inp.session_id)
            if session is None or session.user_id != inp.principal.user_id:
                raise NotFound("No session with that id.")
            if session.revoked_at is None:
                uow.sessions.update(replace(session, revoked_at=now, revoked_reason="revoked_by_user"))
                uow.audit.append(
                    AuditDraft(
                        AuditAction.LOGOUT,
                        actor_id=inp.principal.user_id,
                        target=f"session:{session.id}",
                        context=inp.context,
                    ),
                    at=now,
                )
                uow.commit()
        self.cache.delete(session_key(inp.session_id))
