"""Register a user: check the password rules, create a pending account and send the verification link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.auth_policy import AuthPolicy
from application.ports.clock import Clock
from application.ports.identity_provider import IdentityProvider
from application.ports.mailer import Mailer, SystemMail
from application.ports.password_hasher import PasswordHasher
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import digest, new_token
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import Conflict, ValidationFailed
from domain.identity import OneTimePurpose, OneTimeToken, Role, User, UserStatus, new_id
from domain.password_policy import check_password


def normalize_email(email: str) -> str:
    return email.strip().lower()


def password_errors(password: str, email: str) -> None:
    violations = check_password(password, email)
    if violations:
        raise ValidationFailed(
            "The password does not meet the rules: " + " ".join(v.message for v in violations),
            details=[{"field": "password", "rule": v.rule, "message": v.message} for v in violations],
        )


@dataclass(frozen=True)
class RegisterUserInput:
    email: str
    password: str
    context: AuditContext = AuditContext()
    display_name: str | None = None


def verification_mail(policy: AuthPolicy, email: str, token: str) -> SystemMail:
    link = f"{policy.public_url.rstrip('/')}/verify-email?token={token}"
    text = (
        "Welcome to mailagent.\n\n"
        f"Confirm your e-mail address by opening this link within {policy.verification_ttl_seconds // 3600} hours:\n"
        f"{link}\n\n"
        "If you did not create an account, ignore this mail.\n"
    )
    return SystemMail(to=email, subject="Confirm your e-mail address", text=text, link=link)


class RegisterUser:
    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        mailer: Mailer,
        clock: Clock,
        policy: AuthPolicy,
        identity: IdentityProvider | None = None,
    ) -> None:
        self.uow, self.hasher, self.mailer, self.clock = uow, hasher, mailer, clock
        self.policy, self.identity = policy, identity

    def execute(self, inp: RegisterUserInput) -> User:
        email = normalize_email(inp.email)
        password_errors(inp.password, email)
        now = self.clock.now()
        mail: SystemMail | None = None
        with self.uow as uow:
            if uow.users.get_by_email(email) is not None:
                raise Conflict("An account with this e-mail address already exists. Sign in instead.")
            user = User(
                id=new_id(),
                email=email,
                role=Role.USER,
                status=UserStatus.PENDING,
                created_at=now,
                display_name=inp.display_name,
            )
            if self.identity is not None:
                # The external provider keeps the password and sends its own confirmation code.
                user = user.with_changes(external_subject=self.identity.register(email, inp.password))
            else:
                user = user.with_changes(password_hash=self.hasher.hash(inp.password))
            uow.users.add(user)
            if self.identity is None:
                token_id, secret = new_id(), new_token()
                uow.one_time_tokens.add(
                    OneTimeToken(
                        id=token_id,
                        user_id=user.id,
                        purpose=OneTimePurpose.VERIFY_EMAIL,
                        token_hash=digest(secret),
                        created_at=now,
                        expires_at=now + timedelta(seconds=self.policy.verification_ttl_seconds),
                    )
                )
                mail = verification_mail(self.policy, email, f"{token_id}.{secret}")
            uow.audit.append(
                AuditDraft(AuditAction.REGISTER, actor_id=user.id, target=f"user:{user.id}", context=inp.context),
                at=now,
            )
            uow.commit()
        if mail is not None:
            self.mailer.send(mail)  # after commit: a mail never announces an account that was rolled back
        return user
