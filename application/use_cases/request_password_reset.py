"""Send a single-use, expiring password-reset link; the answer never reveals whether the account exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.auth_policy import AuthPolicy
from application.ports.clock import Clock
from application.ports.mailer import Mailer, SystemMail
from application.ports.rate_limiter import RateLimiter
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import digest, new_token
from application.use_cases.register_user import normalize_email
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.identity import OneTimePurpose, OneTimeToken, UserStatus, new_id

RESETS_PER_HOUR = 3


@dataclass(frozen=True)
class RequestPasswordResetInput:
    email: str
    context: AuditContext = AuditContext()


class RequestPasswordReset:
    def __init__(
        self, uow: UnitOfWork, mailer: Mailer, rate_limiter: RateLimiter, clock: Clock, policy: AuthPolicy
    ) -> None:
        self.uow, self.mailer, self.limiter, self.clock, self.policy = (
            uow,
            mailer,
            rate_limiter,
            clock,
            policy,
        )

    def execute(self, inp: RequestPasswordResetInput) -> None:
        email = normalize_email(inp.email)
        decision = self.limiter.hit(f"reset:{email}", limit=RESETS_PER_HOUR, window_seconds=3600)
        if not decision.allowed:
            return  # silently: the caller gets the same answer, the mailbox is not flooded
        now = self.clock.now()
        mail: SystemMail | None = None
        with self.uow as uow:
            user = uow.users.get_by_email(email)
            if user is None or user.password_hash is None or user.status is UserStatus.DISABLED:
                return
            uow.one_time_tokens.invalidate_for_user(user.id, OneTimePurpose.RESET_PASSWORD, now)
            token_id, secret = new_id(), new_token()
            uow.one_time_tokens.add(
                OneTimeToken(
                    id=token_id,
                    user_id=user.id,
                    purpose=OneTimePurpose.RESET_PASSWORD,
                    token_hash=digest(secret),
                    created_at=now,
                    expires_at=now + timedelta(seconds=self.policy.reset_ttl_seconds),
                )
            )
            uow.audit.append(
                AuditDraft(
                    AuditAction.RESET_REQUESTED,
                    actor_id=user.id,
                    target=f"user:{user.id}",
                    context=inp.context,
                ),
                at=now,
            )
            uow.commit()
            link = f"{self.policy.public_url.rstrip('/')}/reset-password?token={token_id}.{secret}"
            minutes = self.policy.reset_ttl_seconds // 60
            mail = SystemMail(
                to=email,
                subject="Reset your mailagent password",
                text=(
                    f"Someone asked to reset the password of {email}.\n\n"
                    f"Choose a new password within {minutes} minutes here (the link works once):\n{link}\n\n"
                    "If it was not you, ignore this mail; your password stays as it is.\n"
                ),
                link=link,
            )
        self.mailer.send(mail)
