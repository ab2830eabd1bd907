"""Connected mail accounts (a user's Gmail or the demo mailbox) and the single-use OAuth state of a connect."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class MailProvider(enum.StrEnum):
    GOOGLE = "google"
    DEMO = "demo"
    IMAP = "imap"  # any IMAP/SMTP server, signed in with an (app) password kept in the secret store


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    REAUTH_REQUIRED = "reauth_required"  # the provider refused our grant: the user must connect again


@dataclass(frozen=True)
class MailAccount:
    id: str
    user_id: str
    provider: MailProvider
    address: str
    status: AccountStatus
    created_at: datetime
    updated_at: datetime
    scopes: tuple[str, ...] = ()
    secret_ref: str | None = None  # where the OAuth tokens live in the SecretStore; never the tokens themselves
    last_error: str | None = None


@dataclass(frozen=True)
class OAuthState:
    """The `state` of one authorization request: bound to a user, single use, short-lived; carries the PKCE
    verifier so only the server that started the flow can finish it."""

    id: str
    user_id: str
    state_hash: str
    code_verifier: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    return_to: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def is_usable(self, now: datetime) -> bool:
        return self.used_at is None and now < self.expires_at
