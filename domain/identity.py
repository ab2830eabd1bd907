"""Users, roles, sessions, refresh tokens, one-time tokens and API keys."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime


def new_id() -> str:
    return uuid.uuid4().hex


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


class UserStatus(enum.StrEnum):
    PENDING = "pending"  # registered, e-mail not verified yet
    ACTIVE = "active"
    DISABLED = "disabled"


class Scope(enum.StrEnum):
    MAIL_READ = "mail:read"
    MAIL_SEND = "mail:send"
    MAIL_MODIFY = "mail:modify"
    AGENT = "agent"
    ADMIN = "admin"


ALL_SCOPES: frozenset[Scope] = frozenset(Scope)
USER_SCOPES: frozenset[Scope] = frozenset(Scope) - {Scope.ADMIN}


def scopes_for_role(role: Role) -> frozenset[Scope]:
    """What a session (JWT) of this role may do; an API key is further limited to its own scopes."""
    return ALL_SCOPES if role is Role.ADMIN else USER_SCOPES


UNDO_SEND_DEFAULT = 10
UNDO_SEND_MAX = 30
MAX_IMAGE_SENDERS = 500


@dataclass(frozen=True)
class User:
    id: str
    email: str
    role: Role
    status: UserStatus
    created_at: datetime
    password_hash: str | None = None  # None when an external identity provider holds the credentials
    email_verified_at: datetime | None = None
    external_subject: str | None = None
    display_name: str | None = None
    undo_send_seconds: int = UNDO_SEND_DEFAULT  # how long a send is held, with Undo, before it leaves
    image_senders: tuple[str, ...] = ()  # lower-cased addresses whose remote images are shown without asking
    conversation_view: bool = True  # the mail list groups a conversation's messages in one row (Gmail's default)

    @property
    def is_active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    def with_changes(self, **changes: object) -> User:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Session:
    """One login. Its refresh tokens rotate; revoking the session ends every token of the family."""

    id: str
    user_id: str
    created_at: datetime
    expires_at: datetime
    ip: str | None = None
    user_agent: str | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None
    last_used_at: datetime | None = None

    def is_valid(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class RefreshToken:
    id: str
    session_id: str
    token_hash: str
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None  # set when rotated; presenting it again is reuse


class OneTimePurpose(enum.StrEnum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


@dataclass(frozen=True)
class OneTimeToken:
    id: str
    user_id: str
    purpose: OneTimePurpose
    token_hash: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at


API_KEY_PREFIX = "mak_"


@dataclass(frozen=True)
class ApiKey:
    id: str
    user_id: str
    name: str
    prefix: str  # the first characters of the key, shown in lists so a person can recognise it
    key_hash: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class Principal:
    """Who is calling and what they may do: a user through a session, or through one of their API keys."""

    user: User
    scopes: frozenset[Scope]
    session_id: str | None = None
    api_key_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.role is Role.ADMIN and Scope.ADMIN in self.scopes

    def has_scope(self, scope: Scope) -> bool:
        return scope in self.scopes
