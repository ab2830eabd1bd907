"""Turn a bearer credential (access token or API key) into a Principal, or refuse it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from application import principal_cache
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.identity_provider import IdentityProvider
from application.ports.token_issuer import TokenIssuer
from application.ports.unit_of_work import UnitOfWork
from application.secrets_util import same_digest
from application.session_tokens import revoked_token_cache_key
from domain.errors import AuthenticationFailed, PermissionDenied
from domain.identity import API_KEY_PREFIX, Principal, User, UserStatus, scopes_for_role

LAST_USED_RESOLUTION = timedelta(minutes=1)


def parse_api_key(key: str) -> tuple[str, str] | None:
    """API keys look like `mak_<id>.<secret>`."""
    if not key.startswith(API_KEY_PREFIX) or len(key) > 200:
        return None
    key_id, sep, secret = key[len(API_KEY_PREFIX) :].partition(".")
    return (key_id, secret) if sep and key_id and secret else None


@dataclass(frozen=True)
class AuthenticateInput:
    credential: str


class Authenticate:
    def __init__(
        self,
        uow: UnitOfWork,
        tokens: TokenIssuer,
        cache: Cache,
        clock: Clock,
        identity: IdentityProvider | None = None,
    ) -> None:
        self.uow, self.tokens, self.cache, self.clock, self.identity = uow, tokens, cache, clock, identity

    def execute(self, inp: AuthenticateInput) -> Principal:
        credential = inp.credential.strip()
        if not credential:
            raise AuthenticationFailed("Sign in to continue.")
        if credential.startswith(API_KEY_PREFIX):
            return self._api_key(credential)
        if self.tokens.looks_like_own_token(credential):
            return self._session_token(credential)
        if self.identity is not None:
            return self._external_token(credential)
        raise AuthenticationFailed("The access token is not valid. Sign in again.")

    @staticmethod
    def _require_active(user: User | None) -> User:
        if user is None:
            raise AuthenticationFailed("The account behind this credential no longer exists.")
        if user.status is UserStatus.DISABLED:
            raise PermissionDenied("This account is disabled. Contact your administrator.")
        if user.status is not UserStatus.ACTIVE:
            raise PermissionDenied("Confirm your e-mail address first.")
        return user

    def _session_token(self, token: str) -> Principal:
        now = self.clock.now()
        claims = self.tokens.decode_access_token(token, now=now)
        cached = principal_cache.get_session(self.cache, claims.session_id)
        if cached is not None and cached.id == claims.subject:
            user = self._require_active(cached)
        else:
            with self.uow as uow:
                session = uow.sessions.get(claims.session_id)
                if session is None or session.user_id != claims.subject or not session.is_valid(now):
                    raise AuthenticationFailed("Your session has ended. Sign in again.")
                user = self._require_active(uow.users.get(claims.subject))
            principal_cache.put_session(self.cache, session.id, user)
        return Principal(user=user, scopes=scopes_for_role(user.role), session_id=claims.session_id)

    def _api_key(self, credential: str) -> Principal:
        parts = parse_api_key(credential)
        invalid = AuthenticationFailed("The API key is not valid, expired or was revoked.")
        if parts is None:
            raise invalid
        now = self.clock.now()
        cached = principal_cache.get_api_key(self.cache, parts[0])
        fresh = (
            cached is not None
            and cached[0].last_used_at is not None
            and now - cached[0].last_used_at <= (LAST_USED_RESOLUTION)
        )
        if cached is not None and fresh:
            key, user = cached
            if not same_digest(parts[1], key.key_hash) or not key.is_usable(now):
                raise invalid
            user = self._require_active(user)
        else:
            with self.uow as uow:
                found = uow.api_keys.get(parts[0])
                if found is None or not same_digest(parts[1], found.key_hash) or not found.is_usable(now):
                    raise invalid
                user = self._require_active(uow.users.get(found.user_id))
                key = replace(found, last_used_at=now)
                uow.api_keys.update(key)  # at most once a minute per key, thanks to the snapshot
                uow.commit()
            principal_cache.put_api_key(self.cache, key, user)
        # A key never grants more than its owner's role allows today (a demoted admin's key loses `admin`).
        return Principal(user=user, scopes=key.scopes & scopes_for_role(user.role), api_key_id=key.id)

    def _external_token(self, token: str) -> Principal:
        assert self.identity is not None
        claims = self.identity.verify_access_token(token)
        if claims.token_id and self.cache.get(revoked_token_cache_key(claims.token_id)):
            raise AuthenticationFailed("Your session has ended. Sign in again.")
        with self.uow as uow:
            user = self._require_active(uow.users.get_by_external_subject(claims.subject))
        return Principal(user=user, scopes=scopes_for_role(user.role), extra={"token_id": claims.token_id or ""})
