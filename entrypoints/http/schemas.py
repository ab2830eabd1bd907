"""Request and response bodies of the REST API (they shape the OpenAPI document the SPA client is generated from)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

import entrypoints.email_syntax  # noqa: F401  (allows intranet .local addresses before EmailStr is used)
from application.use_cases.list_audit_logs import AuditActor
from domain.audit import AuditEvent
from domain.identity import UNDO_SEND_MAX, ApiKey, Principal, Role, Scope, Session, User, UserStatus
from domain.network_place import place_of
from entrypoints.http.constraints import PASSWORD_SCHEMA, SCOPES_SCHEMA, Email


class RegisterIn(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=256, json_schema_extra=PASSWORD_SCHEMA)
    display_name: str | None = Field(None, max_length=200)


class LoginIn(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=256)
    refresh_cookie: bool = Field(
        False,
        description="Browsers: put the refresh token in an HttpOnly cookie (mailagent_refresh) instead of the body",
    )


class RefreshIn(BaseModel):
    refresh_token: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="Omit it to use the mailagent_refresh cookie (then send 'X-Requested-With: mailagent')",
    )
    email: Email | None = None


class VerifyEmailIn(BaseModel):
    token: str | None = Field(None, max_length=512, description="The token from the verification link")
    email: Email | None = Field(None, description="With `code`, when an external identity provider is used")
    code: str | None = Field(None, max_length=64)


class ResetRequestIn(BaseModel):
    email: Email


class ResetConfirmIn(BaseModel):
    token: str = Field(min_length=1, max_length=512)
    new_password: str = Field(min_length=1, max_length=256, json_schema_extra=PASSWORD_SCHEMA)


class UserOut(BaseModel):
    id: str
    email: str
    role: Role
    status: UserStatus
    display_name: str | None
    created_at: datetime
    email_verified_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(**_user_fields(user))


class AccountOut(UserOut):
    """A user as they see themselves: with their own settings (never in the admin's user list)."""

    undo_send_seconds: int = Field(description="How long a send is held, with Undo, before it leaves (0: at once)")
    image_senders: list[str] = Field(description="Senders whose remote images are always shown (lower case)")
    conversation_view: bool = Field(description="The mail list shows one row per conversation, with its count")

    @classmethod
    def own(cls, user: User) -> AccountOut:
        return cls(**_account_fields(user))


class MeOut(AccountOut):
    scopes: list[str]
    auth: str = Field(description="session, api_key or external")

    @classmethod
    def of_principal(cls, principal: Principal, user: User | None = None) -> MeOut:
        auth = "api_key" if principal.api_key_id else "session" if principal.session_id else "external"
        return cls(**_account_fields(user or principal.user), scopes=scope_names(principal.scopes), auth=auth)

    @classmethod
    def answer_for(cls, principal: Principal) -> MeOut:
        """`of_principal(principal)`, made once per principal. A principal is the same object for as long as its
        snapshot is (Authenticate.from_snapshot keeps it), so `GET /auth/me` validates these twelve fields once per
        session or key rather than on every call (~4 µs a request, bench/request_cpu.py). The answer is shared:
        read it, never change it (`of_principal` makes a fresh one)."""
        if not (principal.session_id or principal.api_key_id):  # another provider's token: a new principal each time
            return cls.of_principal(principal)
        kept = _ANSWERS.get(id(principal))
        if kept is not None and kept[0] is principal:  # the principal is held, so its id is not reused
            return kept[1]
        answer = cls.of_principal(principal)
        if len(_ANSWERS) >= 10_000:  # bounded: principals of live sessions and keys
            _ANSWERS.clear()
        _ANSWERS[id(principal)] = (principal, answer)
        return answer


_ANSWERS: dict[int, tuple[Principal, MeOut]] = {}


@functools.lru_cache(maxsize=256)
def _sorted_scope_names(scopes: frozenset[Scope]) -> tuple[str, ...]:
    return tuple(sorted(s.value for s in scopes))


def scope_names(scopes: frozenset[Scope]) -> list[str]:
    """The scopes' names in order. A credential's scopes are one of a few sets: sorted once per set (an enum's
    `.value` is a property, and four of them plus the sort cost ~1.5 µs of every /auth/me)."""
    return list(_sorted_scope_names(scopes))


# The fields of each model, straight from the User: one validation per response (building the smaller model and
# dumping it into the bigger one validated everything two or three times, ~20 µs per /auth/me, bench/request_cpu.py).
def _user_fields(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role,
        "status": user.status,
        "display_name": user.display_name,
        "created_at": user.created_at,
        "email_verified_at": user.email_verified_at,
    }


def _account_fields(user: User) -> dict[str, Any]:
    return {
        **_user_fields(user),
        "undo_send_seconds": user.undo_send_seconds,
        "image_senders": list(user.image_senders),
        "conversation_view": user.conversation_view,
    }


class ProfilePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(
        None, max_length=200, description="Shown in the app and on mail you send; empty or null clears it"
    )
    undo_send_seconds: int | None = Field(
        None, ge=0, le=UNDO_SEND_MAX, description="Hold each send this long, with Undo, before it leaves (0: off)"
    )
    # Strict: 0 is not false and "5" is not 5 (a client sending those has a bug worth hearing about).
    conversation_view: StrictBool | None = Field(
        None, description="Group the mail list by conversation (one row per thread, with its message count)"
    )

    @field_validator("undo_send_seconds", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        if isinstance(value, bool | str):
            raise ValueError("the undo window is a number of seconds, such as 10")
        return value


class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=256, json_schema_extra=PASSWORD_SCHEMA)


class PasswordChangedOut(BaseModel):
    message: str
    other_sessions_signed_out: int


class ImageSenderIn(BaseModel):
    address: Email = Field(description="The sender whose remote images are always shown")


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str | None
    token_type: str = "bearer"
    expires_in: int
    user: AccountOut


class MessageOut(BaseModel):
    message: str


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    ip: str | None
    place: str = Field(
        description="Where the address is, in words: 'This computer' (loopback), 'Local network' (private "
        "ranges), otherwise the address itself (no geolocation lookup)"
    )
    user_agent: str | None
    current: bool = False

    @classmethod
    def of(cls, s: Session, current_id: str | None) -> SessionOut:
        return cls(
            id=s.id,
            created_at=s.created_at,
            expires_at=s.expires_at,
            last_used_at=s.last_used_at,
            revoked_at=s.revoked_at,
            ip=s.ip,
            place=place_of(s.ip),
            user_agent=s.user_agent,
            current=s.id == current_id,
        )


class ApiKeyIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(
        default_factory=list, description="Empty means every scope you have", json_schema_extra=SCOPES_SCHEMA
    )
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class ApiKeyOut(BaseModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, k: ApiKey) -> ApiKeyOut:
        return cls(
            id=k.id,
            name=k.name,
            prefix=k.prefix,
            scopes=scope_names(k.scopes),
            created_at=k.created_at,
            expires_at=k.expires_at,
            revoked_at=k.revoked_at,
            last_used_at=k.last_used_at,
        )


class ApiKeyCreatedOut(ApiKeyOut):
    key: str = Field(description="The full key. Shown once: store it now.")


class AdminUserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role | None = None
    disabled: bool | None = None


class AuditEventOut(BaseModel):
    seq: int | None = Field(description="Place in the hash chain; null until the sealer reaches the entry (~1 s)")
    id: str
    occurred_at: datetime
    action: str
    actor_id: str | None
    actor_email: str | None = Field(None, description="The actor's e-mail address (null: no actor, or unknown id)")
    actor_name: str | None = Field(None, description="The actor's display name, when they set one")
    target: str | None
    ip: str | None
    user_agent: str | None
    request_id: str | None
    details: dict[str, Any]
    hash: str | None = Field(description="The entry's hash in the chain; null until it is sealed")

    @classmethod
    def of(cls, e: AuditEvent, actor: AuditActor | None = None) -> AuditEventOut:
        return cls(
            seq=e.seq,
            id=e.id,
            occurred_at=e.occurred_at,
            action=e.action,
            actor_id=e.actor_id,
            actor_email=actor.email if actor else None,
            actor_name=actor.display_name if actor else None,
            target=e.target,
            ip=e.ip,
            user_agent=e.user_agent,
            request_id=e.request_id,
            details=e.details,
            hash=e.hash,
        )


class HealthOut(BaseModel):
    status: str
    checks: dict[str, str] = Field(default_factory=dict)
