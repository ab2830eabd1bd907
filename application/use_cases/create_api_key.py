"""Create an API key: shown once, stored as a digest, limited to scopes the owner has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.ports.clock import Clock
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import digest, new_token
from domain.audit import AuditAction, AuditContext, AuditDraft
from domain.errors import PermissionDenied, ValidationFailed
from domain.identity import API_KEY_PREFIX, ApiKey, Principal, Scope, scopes_for_role

MAX_KEYS_PER_USER = 50
MAX_EXPIRY_DAYS = 3650


@dataclass(frozen=True)
class CreateApiKeyInput:
    principal: Principal
    name: str
    scopes: frozenset[str]
    expires_in_days: int | None = None
    context: AuditContext = AuditContext()


@dataclass(frozen=True)
class CreatedApiKey:
    key: ApiKey
    secret: str  # the full key; shown once and never stored


class CreateApiKey:
    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow, self.clock = uow, clock

    def execute(self, inp: CreateApiKeyInput) -> CreatedApiKey:
        name = inp.name.strip()
        if not name or len(name) > 100:
            raise ValidationFailed(
                "Give the key a name of 1 to 100 characters.",
                details=[{"field": "name", "message": "1-100 chars"}],
            )
        known = {s.value for s in Scope}
        unknown = sorted(set(inp.scopes) - known)
        if unknown:
            raise ValidationFailed(
                f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(sorted(known))}.",
                details=[{"field": "scopes", "message": f"unknown: {s}"} for s in unknown],
            )
        scopes = frozenset(Scope(s) for s in inp.scopes) if inp.scopes else scopes_for_role(inp.principal.user.role)
        beyond = scopes - inp.principal.scopes
        if beyond:
            raise PermissionDenied(f"You cannot give a key scopes you do not have: {', '.join(sorted(beyond))}.")
        if inp.expires_in_days is not None and not 1 <= inp.expires_in_days <= MAX_EXPIRY_DAYS:
            raise ValidationFailed(f"expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}.")
        now = self.clock.now()
        key_id, secret = new_token(9).replace("-", "x").replace("_", "y"), new_token(32)
        full = f"{API_KEY_PREFIX}{key_id}.{secret}"
        key = ApiKey(
            id=key_id,
            user_id=inp.principal.user_id,
            name=name,
            prefix=full[: len(API_KEY_PREFIX) + 8],
            key_hash=digest(secret),
            scopes=scopes,
            created_at=now,
            expires_at=now + timedelta(days=inp.expires_in_days) if inp.expires_in_days else None,
        )
        with self.uow as uow:
            live = [k for k in uow.api_keys.list_for_user(key.user_id) if k.is_usable(now)]
            if len(live) >= MAX_KEYS_PER_USER:
                raise ValidationFailed(f"You already have {MAX_KEYS_PER_USER} keys; revoke one first.")
            uow.api_keys.add(key)
            uow.audit.append(
                AuditDraft(
                    AuditAction.API_KEY_CREATED,
                    actor_id=inp.principal.user_id,
                    target=f"api_key:{key.id}",
                    context=inp.context,
                    details={"name": name, "scopes": sorted(s.value for s in scopes)},
                ),
                at=now,
            )
            uow.commit()
        return CreatedApiKey(key=key, secret=full)
