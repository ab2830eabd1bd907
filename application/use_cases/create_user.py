"""Operator: create an active user (optionally an admin) from the CLI, without e-mail verification."""

from __future__ import annotations

from dataclasses import dataclass

from application.ports.clock import Clock
from application.ports.password_hasher import PasswordHasher
from application.ports.unit_of_work import UnitOfWork
from application.use_cases.register_user import normalize_email, password_errors
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import Conflict
from domain.identity import Role, User, UserStatus, new_id


@dataclass(frozen=True)
class CreateUserInput:
    email: str
    password: str
    admin: bool = False
    context: AuditContext = AuditContext(user_agent="mailagent-cli")


class CreateUser:
    def __init__(self, uow: UnitOfWork, hasher: PasswordHasher, clock: Clock) -> None:
        self.uow, self.hasher, self.clock = uow, hasher, clock

    def execute(self, inp: CreateUserInput) -> User:
        email = normalize_email(inp.email)
        password_errors(inp.password, email)
        now = self.clock.now()
        with self.uow as uow:
            if uow.users.get_by_email(email) is not None:
                raise Conflict(f"A user with the e-mail address {email} already exists.")
            user = User(
                id=new_id(),
                email=email,
                role=Role.ADMIN if inp.admin else Role.USER,
                status=UserStatus.ACTIVE,
                created_at=now,
                email_verified_at=now,
                password_hash=self.hasher.hash(inp.password),
            )
            uow.users.add(user)
            uow.audit.append(
                AuditDraft(
                    AuditAction.USER_CREATED,
                    actor_id=None,
                    target=f"user:{user.id}",
                    context=inp.context,
                    details={"role": user.role.value, "via": "cli"},
                ),
                at=now,
            )
            uow.commit()
        return user
