"""Admin: change a user's role or disable/enable them; the last active admin cannot be removed."""

from __future__ import annotations

from dataclasses import dataclass

from application import principal_cache
from application.authorization import require_admin
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import Conflict, NotFound
from domain.identity import Principal, Role, User, UserStatus


@dataclass(frozen=True)
class UpdateUserInput:
    principal: Principal
    user_id: str
    role: Role | None = None
    disabled: bool | None = None
    context: AuditContext = AuditContext()


class UpdateUser:
    def __init__(self, uow: UnitOfWork, cache: Cache, clock: Clock) -> None:
        self.uow, self.cache, self.clock = uow, cache, clock

    def _active_admins(self, uow: UnitOfWork) -> int:
        total = uow.users.count()
        users = uow.users.list(offset=0, limit=max(total, 1))
        return sum(1 for u in users if u.role is Role.ADMIN and u.status is UserStatus.ACTIVE)

    def execute(self, inp: UpdateUserInput) -> User:
        require_admin(inp.principal)
        now = self.clock.now()
        revoked: list[str] = []
        cached_sessions: list[str] = []
        cached_keys: list[str] = []
        with self.uow as uow:
            user = uow.users.get(inp.user_id)
            if user is None:
                raise NotFound("No user with that id.")
            before = user
            removes_admin = (
                before.role is Role.ADMIN
                and before.status is UserStatus.ACTIVE
                and ((inp.role is not None and inp.role is not Role.ADMIN) or inp.disabled is True)
            )
            if removes_admin and self._active_admins(uow) <= 1:
                raise Conflict("This is the last active administrator; promote someone else first.")
            if inp.role is not None and inp.role is not user.role:
                user = user.with_changes(role=inp.role)
                uow.audit.append(
                    AuditDraft(
                        AuditAction.ROLE_CHANGED,
                        actor_id=inp.principal.user_id,
                        target=f"user:{user.id}",
                        context=inp.context,
                        details={"from": before.role.value, "to": inp.role.value},
                    ),
                    at=now,
                )
            if inp.disabled is True and user.status is not UserStatus.DISABLED:
                user = user.with_changes(status=UserStatus.DISABLED)
                revoked = uow.sessions.revoke_all_for_user(user.id, at=now, reason="user_disabled")
                uow.audit.append(
                    AuditDraft(
                        AuditAction.USER_DISABLED,
                        actor_id=inp.principal.user_id,
                        target=f"user:{user.id}",
                        context=inp.context,
                    ),
                    at=now,
                )
            elif inp.disabled is False and user.status is UserStatus.DISABLED:
                status = UserStatus.ACTIVE if user.email_verified_at else UserStatus.PENDING
                user = user.with_changes(status=status)
                uow.audit.append(
                    AuditDraft(
                        AuditAction.USER_ENABLED,
                        actor_id=inp.principal.user_id,
                        target=f"user:{user.id}",
                        context=inp.context,
                    ),
                    at=now,
                )
            if user != before:
                uow.users.update(user)
                # Every cached snapshot of this user (sessions and API keys) is now wrong: drop them all.
                cached_sessions = [s.id for s in uow.sessions.list_for_user(user.id)]
                cached_keys = [k.id for k in uow.api_keys.list_for_user(user.id)]
                uow.commit()
        principal_cache.forget(self.cache, sessions=[*revoked, *cached_sessions], api_keys=cached_keys)
        return user
