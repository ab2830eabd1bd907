"""Sign in with e-mail and password; brute force is limited per account and per IP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.auth_policy import AuthPolicy
from application.ports.clock import Clock
from application.ports.identity_provider import IdentityProvider
from application.ports.password_hasher import PasswordHasher
from application.ports.rate_limiter import RateLimiter
from application.ports.token_issuer import TokenIssuer
from application.ports.unit_of_work import UnitOfWork
from application.session_tokens import AuthTokens, issue_tokens
from application.use_cases.register_user import normalize_email
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import AuthenticationFailed, PermissionDenied, RateLimited
from domain.identity import Role, Session, User, UserStatus, new_id

WRONG_CREDENTIALS = "Wrong e-mail or password."
# Verifying against a real hash when the account does not exist keeps the timing the same either way.
_DUMMY_PASSWORD = "not-a-real-password-0!A"


@dataclass(frozen=True)
class LoginInput:
    email: str
    password: str
    context: AuditContext = AuditContext()


class Login:
    def __init__(
        self,
        uow: UnitOfWork,
        hasher: PasswordHasher,
        tokens: TokenIssuer,
        rate_limiter: RateLimiter,
        clock: Clock,
        policy: AuthPolicy,
        identity: IdentityProvider | None = None,
    ) -> None:
        self.uow, self.hasher, self.tokens, self.limiter = uow, hasher, tokens, rate_limiter
        self.clock, self.policy, self.identity = clock, policy, identity
        self._dummy_hash: str | None = None

    def _limits(self, email: str, ip: str | None) -> list[tuple[str, int]]:
        keys = [(f"login-fail:acct:{email}", self.policy.login_failures_per_account)]
        if ip:
            keys.append((f"login-fail:ip:{ip}", self.policy.login_failures_per_ip))
        return keys

    def _check_not_locked(self, email: str, ip: str | None) -> None:
        window = self.policy.login_failure_window_seconds
        for key, limit in self._limits(email, ip):
            decision = self.limiter.peek(key, limit=limit, window_seconds=window)
            if decision.remaining <= 0:
                minutes = max(1, (decision.retry_after + 59) // 60)
                raise RateLimited(
                    f"Too many failed sign-in attempts. Try again in {minutes} minute(s).",
                    retry_after=decision.retry_after,
                )

    def _record_failure(self, email: str, user: User | None, reason: str, context: AuditContext) -> None:
        window = self.policy.login_failure_window_seconds
        for key, limit in self._limits(email, context.ip):
            self.limiter.hit(key, limit=limit, window_seconds=window)
        self.uow.audit.append(
            AuditDraft(
                AuditAction.LOGIN_FAILURE,
                actor_id=user.id if user else None,
                target=f"email:{email}",
                context=context,
                details={"reason": reason},
            ),
            at=self.clock.now(),
        )
        self.uow.commit()

    def _password_matches(self, user: User | None, password: str) -> bool:
        if user is None or user.password_hash is None:
            if self._dummy_hash is None:
                self._dummy_hash = self.hasher.hash(_DUMMY_PASSWORD)
            self.hasher.verify(self._dummy_hash, password)
            return False
        return self.hasher.verify(user.password_hash, password)

    def execute(self, inp: LoginInput) -> AuthTokens:
        email = normalize_email(inp.email)
        self._check_not_locked(email, inp.context.ip)
        now = self.clock.now()
        with self.uow as uow:
            user = uow.users.get_by_email(email)
            if self.identity is not None:
                return self._external_login(uow, email, inp, user)
            if not self._password_matches(user, inp.password) or user is None:
                self._record_failure(email, user, "wrong_credentials", inp.context)
                raise AuthenticationFailed(WRONG_CREDENTIALS)
            self._check_status(user, email, inp.context)
            if user.password_hash and self.hasher.needs_rehash(user.password_hash):
                user = user.with_changes(password_hash=self.hasher.hash(inp.password))
                uow.users.update(user)
            self.limiter.reset(f"login-fail:acct:{email}")
            session = Session(
                id=new_id(),
                user_id=user.id,
                created_at=now,
                expires_at=now + timedelta(seconds=self.policy.session_max_age_seconds),
                ip=inp.context.ip,
                user_agent=(inp.context.user_agent or "")[:300] or None,
            )
            uow.sessions.add(session)
            result = issue_tokens(
                uow, tokens=self.tokens, clock=self.clock, policy=self.policy, user=user, session=session
            )
            uow.audit.append(
                AuditDraft(
                    AuditAction.LOGIN_SUCCESS,
                    actor_id=user.id,
                    target=f"session:{session.id}",
                    context=inp.context,
                ),
                at=now,
            )
            uow.commit()
            return result

    def _check_status(self, user: User, email: str, context: AuditContext) -> None:
        if user.status is UserStatus.DISABLED:
            self._record_failure(email, user, "disabled", context)
            raise PermissionDenied("This account is disabled. Contact your administrator.")
        if user.status is UserStatus.PENDING and self.policy.require_verified_email:
            self._record_failure(email, user, "unverified", context)
            raise PermissionDenied("Confirm your e-mail address first: open the link we sent you.")

    def _external_login(self, uow: UnitOfWork, email: str, inp: LoginInput, user: User | None) -> AuthTokens:
        assert self.identity is not None
        try:
            issued = self.identity.login(email, inp.password)
        except AuthenticationFailed:
            self._record_failure(email, user, "wrong_credentials", inp.context)
            raise
        claims = self.identity.verify_access_token(issued.access_token)
        now = self.clock.now()
        if user is None:  # created directly in the provider (console, hosted UI): adopt it
            user = User(
                id=new_id(),
                email=email,
                role=Role.USER,
                status=UserStatus.ACTIVE,
                created_at=now,
                email_verified_at=now,
                external_subject=claims.subject,
            )
            uow.users.add(user)
        elif user.status is UserStatus.PENDING:
            user = user.with_changes(status=UserStatus.ACTIVE, email_verified_at=now)
            uow.users.update(user)
        if user.status is UserStatus.DISABLED:
            self._record_failure(email, user, "disabled", inp.context)
            raise PermissionDenied("This account is disabled. Contact your administrator.")
        uow.audit.append(
            AuditDraft(AuditAction.LOGIN_SUCCESS, actor_id=user.id, target=f"user:{user.id}", context=inp.context),
            at=now,
        )
        uow.commit()
        return AuthTokens(
            access_token=issued.access_token,
            refresh_token=issued.refresh_token,
            expires_in=issued.expires_in,
            user=user,
        )
