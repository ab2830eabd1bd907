"""Turn a bearer credential (access token or API key) into a Principal, or refuse it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import NamedTuple

from application import principal_cache
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.identity_provider import IdentityProvider
from application.ports.token_issuer import AccessClaims, TokenIssuer
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import same_digest
from application.session_tokens import revoked_token_cache_key
from domain.errors import AuthenticationFailed, PermissionDenied
from domain.identity import API_KEY_PREFIX, ApiKey, Principal, User, UserStatus, scopes_for_role

LAST_USED_RESOLUTION = timedelta(minutes=1)
PRINCIPALS_KEPT = 10_000


def _invalid_key() -> AuthenticationFailed:
    return AuthenticationFailed("The API key is not valid, expired or was revoked.")


def parse_api_key(key: str) -> tuple[str, str] | None:
    """API keys look like `mak_<id>.<secret>`."""
    if not key.startswith(API_KEY_PREFIX) or len(key) > 200:
        return None
    key_id, sep, secret = key[len(API_KEY_PREFIX) :].partition(".")
    return (key_id, secret) if sep and key_id and secret else None


@dataclass(frozen=True)
class AuthenticateInput:
    credential: str


class Credential(NamedTuple):
    """A bearer credential read once (no I/O): an API key's id and secret, the verified claims of one of our access
    tokens, or someone else's token for the identity provider. A NamedTuple: made on every authenticated request,
    where a frozen dataclass cost ~0.8 µs more."""

    raw: str
    api_key: tuple[str, str] | None = None
    claims: AccessClaims | None = None


class Authenticate:
    """`execute` does it all. A caller on an event loop can split it: `read` and `from_snapshot` never touch the
    database (the snapshot comes from the cache), only `from_store` does, and only when there was no snapshot."""

    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork],
        tokens: TokenIssuer,
        cache: Cache,
        clock: Clock,
        identity: IdentityProvider | None = None,
    ) -> None:
        # A unit of work is made only when the store is asked (a missing or stale snapshot): most requests are
        # answered from the snapshot, and making one per request cost them ~10 µs (bench/request_cpu.py).
        self.new_uow, self.tokens, self.cache, self.clock, self.identity = new_uow, tokens, cache, clock, identity
        self._principals: dict[tuple[str, str], Principal] = {}  # per session or key id: from_snapshot

    def execute(self, inp: AuthenticateInput) -> Principal:
        credential = self.read(inp)
        return self.from_snapshot(credential) or self.from_store(credential)

    def read(self, inp: AuthenticateInput) -> Credential:
        return self.read_credential(inp.credential)

    def read_credential(self, credential: str) -> Credential:
        """`read` for the credential itself (the HTTP dependency has it as a string already)."""
        raw = credential.strip()
        if not raw:
            raise AuthenticationFailed("Sign in to continue.")
        if raw.startswith(API_KEY_PREFIX):
            parts = parse_api_key(raw)
            if parts is None:
                raise _invalid_key()
            return Credential(raw, api_key=parts)
        claims = self.tokens.read_own_token(raw, now=self.clock.now())
        if claims is None and self.identity is None:
            raise AuthenticationFailed("The access token is not valid. Sign in again.")
        return Credential(raw, claims=claims)

    def from_snapshot(self, credential: Credential) -> Principal | None:
        """The principal from the cached snapshot, or None when the store must be asked.

        The snapshot is read from the cache on every call, so a deleted one (logout, revocation, a role change) is
        seen at once. What follows from a snapshot never changes while its text is the same (it decodes to the
        same User object, `principal_cache`), so the Principal made from it is kept per session or key and made
        again only when the snapshot changed: ~1.5 µs of every authenticated request (bench/request_cpu.py)."""
        if credential.claims is not None:
            session_id = credential.claims.session_id
            cached = principal_cache.get_session(self.cache, session_id)
            if cached is None or cached.id != credential.claims.subject:
                return None
            known = self._principals.get(("session", session_id))
            if known is not None and known.user is cached:
                return known
            user = self._require_active(cached)
            principal = Principal(user=user, scopes=scopes_for_role(user.role), session_id=session_id)
            return self._keep(("session", session_id), principal)
        if credential.api_key is not None:
            now = self.clock.now()
            found = principal_cache.get_api_key(self.cache, credential.api_key[0])
            if found is None or found[0].last_used_at is None or now - found[0].last_used_at > LAST_USED_RESOLUTION:
                return None  # its last use is due to be recorded: the store does that
            key, user = found
            if not same_digest(credential.api_key[1], key.key_hash) or not key.is_usable(now):
                raise _invalid_key()
            known = self._principals.get(("key", key.id))
            if known is not None and known.user is user:  # the same snapshot: the same key and user objects
                return known
            return self._keep(("key", key.id), self._key_principal(key, self._require_active(user)))
        return None  # the identity provider's tokens are checked against the store every time

    def _keep(self, slot: tuple[str, str], principal: Principal) -> Principal:
        if len(self._principals) >= PRINCIPALS_KEPT:  # bounded: live sessions and keys, made again when dropped
            self._principals.clear()
        self._principals[slot] = principal
        return principal

    def from_store(self, credential: Credential) -> Principal:
        if credential.claims is not None:
            return self._session_token(credential.claims)
        if credential.api_key is not None:
            return self._api_key(credential.api_key)
        return self._external_token(credential.raw)

    @staticmethod
    def _require_active(user: User | None) -> User:
        if user is None:
            raise AuthenticationFailed("The account behind this credential no longer exists.")
        if user.status is UserStatus.DISABLED:
            raise PermissionDenied("This account is disabled. Contact your administrator.")
        if user.status is not UserStatus.ACTIVE:
            raise PermissionDenied("Confirm your e-mail address first.")
        return user

    @staticmethod
    def _key_principal(key: ApiKey, user: User) -> Principal:
        # A key never grants more than its owner's role allows today (a demoted admin's key loses `admin`).
        return Principal(user=user, scopes=key.scopes & scopes_for_role(user.role), api_key_id=key.id)

    def _session_token(self, claims: AccessClaims) -> Principal:
        now = self.clock.now()
        with self.new_uow() as uow:
            session = uow.sessions.get(claims.session_id)
            if session is None or session.user_id != claims.subject or not session.is_valid(now):
                raise AuthenticationFailed("Your session has ended. Sign in again.")
            user = self._require_active(uow.users.get(claims.subject))
        principal_cache.put_session(self.cache, session.id, user)
        return Principal(user=user, scopes=scopes_for_role(user.role), session_id=claims.session_id)

    def _api_key(self, parts: tuple[str, str]) -> Principal:
        now = self.clock.now()
        with self.new_uow() as uow:
            found = uow.api_keys.get(parts[0])
            if found is None or not same_digest(parts[1], found.key_hash) or not found.is_usable(now):
                raise _invalid_key()
            user = self._require_active(uow.users.get(found.user_id))
            key = replace(found, last_used_at=now)
            uow.api_keys.update(key)  # at most once a minute per key, thanks to the snapshot
            uow.commit()
        principal_cache.put_api_key(self.cache, key, user)
        return self._key_principal(key, user)

    def _external_token(self, token: str) -> Principal:
        assert self.identity is not None
        claims = self.identity.verify_access_token(token)
        if claims.token_id and self.cache.get(revoked_token_cache_key(claims.token_id)):
            raise AuthenticationFailed("Your session has ended. Sign in again.")
        with self.new_uow() as uow:
            user = self._require_active(uow.users.get_by_external_subject(claims.subject))
        return Principal(user=user, scopes=scopes_for_role(user.role), extra={"token_id": claims.token_id or ""})
