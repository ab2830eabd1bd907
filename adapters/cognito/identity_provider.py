"""CognitoIdentityProvider: registration, sign-in and access-token checks against an Amazon Cognito user pool."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeGuard

import httpx
import jwt
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from application.ports.clock import Clock
from application.ports.identity_provider import IdentityClaims, IdentityProvider, IdentityTokens
from domain.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    UpstreamError,
    ValidationFailed,
)

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

logger = logging.getLogger(__name__)

_SERVICE = "identity_provider"
_UNAVAILABLE = "The sign-in service is unavailable right now; try again later."
_UNEXPECTED = "The sign-in service gave an unexpected answer; try again later."
_WRONG_CREDENTIALS = "Wrong e-mail or password."
_SESSION_ENDED = "Your session has ended; sign in again."
_INVALID_TOKEN = "The access token is not valid; sign in again."
_EXPIRED_TOKEN = "The access token has expired; refresh it or sign in again."
_BAD_CODE = "The confirmation code is wrong or has expired."
_MAX_TOKEN_LENGTH = 16 * 1024


class CognitoIdentityProvider(IdentityProvider):
    """Delegates credentials to a Cognito user pool; checks access tokens locally against the pool's JWKS.

    Cognito access tokens carry `client_id` (not `aud`) and `token_use: access`; both are checked, with the
    issuer, the RS256 signature and the expiry. `logout` revokes the refresh tokens at Cognito, but an access
    token already handed out stays valid here until it expires (keep access tokens short-lived).
    """

    name = "cognito"

    def __init__(
        self,
        client: CognitoIdentityProviderClient,
        *,
        user_pool_id: str,
        client_id: str,
        region: str,
        jwks_url: str,
        issuer: str,
        http_timeout: float = 5,
        client_secret: str | None = None,
        clock: Clock | None = None,
        http_client: httpx.Client | None = None,
        leeway_seconds: int = 30,
        jwks_min_refetch_seconds: float = 60,
    ) -> None:
        self._client = client
        self.user_pool_id = user_pool_id
        self.client_id = client_id
        self.region = region
        self.jwks_url = jwks_url
        self.issuer = issuer
        self._http_timeout = http_timeout
        self._client_secret = client_secret
        self._clock = clock
        self._http = http_client
        self._leeway = leeway_seconds
        self._min_refetch = jwks_min_refetch_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None
        self._keys_lock = threading.Lock()

    # ------------------------------------------------------------ account lifecycle

    def register(self, email: str, password: str) -> str:
        response = self._call(
            lambda: self._client.sign_up(
                ClientId=self.client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
                **self._secret_hash_param("SecretHash", email),
            ),
            {
                "UsernameExistsException": lambda _: Conflict("An account with this e-mail address already exists."),
                "AliasExistsException": lambda _: Conflict("An account with this e-mail address already exists."),
                "InvalidPasswordException": _password_policy_error,
            },
        )
        subject = response.get("UserSub")
        if not isinstance(subject, str) or not subject:
            _unexpected("sign_up returned no UserSub")
        return subject

    def confirm(self, email: str, code: str) -> None:
        bad_code = ValidationFailed(_BAD_CODE, details=[{"field": "code", "issue": "invalid"}])
        self._call(
            lambda: self._client.confirm_sign_up(
                ClientId=self.client_id,
                Username=email,
                ConfirmationCode=code,
                **self._secret_hash_param("SecretHash", email),
            ),
            {
                "CodeMismatchException": lambda _: bad_code,
                "ExpiredCodeException": lambda _: bad_code,
                # Answer as for a wrong code, so confirmation does not reveal which addresses have accounts.
                "UserNotFoundException": lambda _: bad_code,
                "NotAuthorizedException": lambda _: Conflict("This account is already confirmed."),
                "AliasExistsException": lambda _: Conflict("An account with this e-mail address already exists."),
            },
        )

    # ------------------------------------------------------------ sessions

    def login(self, email: str, password: str) -> IdentityTokens:
        parameters = {"USERNAME": email, "PASSWORD": password, **self._secret_hash_param("SECRET_HASH", email)}
        response = self._call(
            lambda: self._client.initiate_auth(
                ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters=parameters
            ),
            {
                "NotAuthorizedException": lambda _: AuthenticationFailed(_WRONG_CREDENTIALS),
                "UserNotFoundException": lambda _: AuthenticationFailed(_WRONG_CREDENTIALS),
                "UserNotConfirmedException": lambda _: PermissionDenied(
                    "Confirm your e-mail address first: enter the code we sent you."
                ),
                "PasswordResetRequiredException": lambda _: PermissionDenied("Reset your password before signing in."),
            },
        )
        return _tokens_from(response, fallback_refresh_token=None)

    def refresh(self, refresh_token: str, *, email: str | None = None) -> IdentityTokens:
        if self._client_secret is not None and not email:
            raise ValidationFailed("The e-mail address is needed to refresh this session.")
        parameters = {
            "REFRESH_TOKEN": refresh_token,
            **(self._secret_hash_param("SECRET_HASH", email) if email else {}),
        }
        response = self._call(
            lambda: self._client.initiate_auth(
                ClientId=self.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=parameters
            ),
            {
                "NotAuthorizedException": lambda _: AuthenticationFailed(_SESSION_ENDED),
                "UserNotFoundException": lambda _: AuthenticationFailed(_SESSION_ENDED),
            },
        )
        # Without refresh-token rotation Cognito returns no new refresh token: the old one stays valid.
        return _tokens_from(response, fallback_refresh_token=refresh_token)

    def logout(self, access_token: str) -> None:
        self._call(
            lambda: self._client.global_sign_out(AccessToken=access_token),
            {"NotAuthorizedException": lambda _: AuthenticationFailed(_SESSION_ENDED)},
        )

    # ------------------------------------------------------------ token verification

    def verify_access_token(self, token: str) -> IdentityClaims:
        if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
            raise AuthenticationFailed(_INVALID_TOKEN)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationFailed(_INVALID_TOKEN) from None
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str) or not kid:
            raise AuthenticationFailed(_INVALID_TOKEN)
        key = self._signing_key(kid)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={
                    "require": ["iss", "sub", "exp", "token_use", "client_id"],
                    # Time is checked below against the injected clock; access tokens have no `aud`.
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                },
            )
        except jwt.PyJWTError:
            raise AuthenticationFailed(_INVALID_TOKEN) from None
        return self._claims_from(claims)

    def _claims_from(self, claims: Mapping[str, Any]) -> IdentityClaims:
        if claims.get("token_use") != "access" or claims.get("client_id") != self.client_id:
            raise AuthenticationFailed(_INVALID_TOKEN)
        subject = claims.get("sub")
        expires = claims.get("exp")
        if not isinstance(subject, str) or not subject or not _is_number(expires):
            raise AuthenticationFailed(_INVALID_TOKEN)
        now = self._now().timestamp()
        if float(expires) <= now - self._leeway:
            raise AuthenticationFailed(_EXPIRED_TOKEN)
        for claim in ("iat", "nbf"):
            moment = claims.get(claim)
            if moment is not None and (not _is_number(moment) or float(moment) > now + self._leeway):
                raise AuthenticationFailed(_INVALID_TOKEN)
        token_id = claims.get("jti") or claims.get("origin_jti")
        return IdentityClaims(
            subject=subject,
            email=_email_from(claims),
            expires_at=datetime.fromtimestamp(float(expires), tz=UTC),
            token_id=token_id if isinstance(token_id, str) else None,
        )

    def _signing_key(self, kid: str) -> jwt.PyJWK:
        with self._keys_lock:
            key = self._keys.get(kid)
            if key is None and self._may_refetch():
                # An unknown kid may mean Cognito rotated its keys: fetch the set again, at most once a while.
                self._keys = self._fetch_keys()
                self._fetched_at = time.monotonic()
                key = self._keys.get(kid)
        if key is None:
            raise AuthenticationFailed(_INVALID_TOKEN)
        return key

    def _may_refetch(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at >= self._min_refetch

    def _fetch_keys(self) -> dict[str, jwt.PyJWK]:
        try:
            if self._http is not None:
                response = self._http.get(self.jwks_url, timeout=self._http_timeout)
            else:
                response = httpx.get(self.jwks_url, timeout=self._http_timeout)
            response.raise_for_status()
            document = response.json()
        except httpx.HTTPStatusError as exc:
            logger.warning("cognito jwks fetch answered HTTP %s", exc.response.status_code)
            if exc.response.status_code >= 500:
                raise ServiceUnavailable(_UNAVAILABLE, service=_SERVICE) from None
            raise UpstreamError(_UNEXPECTED, service=_SERVICE) from None
        except httpx.HTTPError as exc:
            logger.warning("cognito jwks fetch failed: %s", type(exc).__name__)
            raise ServiceUnavailable(_UNAVAILABLE, service=_SERVICE) from None
        except ValueError:
            _unexpected("jwks is not JSON")
        keys: dict[str, jwt.PyJWK] = {}
        entries = document.get("keys") if isinstance(document, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
                continue
            kid = entry.get("kid")
            if not isinstance(kid, str) or entry.get("alg", "RS256") != "RS256":
                continue
            try:
                keys[kid] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                logger.warning("cognito jwks: skipping unusable key %s", kid)
        if not keys:
            _unexpected("jwks holds no usable RS256 key")
        return keys

    def _now(self) -> datetime:
        return self._clock.now() if self._clock is not None else datetime.now(UTC)

    # ------------------------------------------------------------ plumbing

    def _secret_hash_param(self, parameter: str, username: str) -> dict[str, Any]:
        """App clients with a secret need HMAC-SHA256(secret, username + client id) with each call."""
        if self._client_secret is None:
            return {}
        digest = hmac.new(
            self._client_secret.encode("utf-8"), (username + self.client_id).encode("utf-8"), hashlib.sha256
        ).digest()
        return {parameter: base64.b64encode(digest).decode("ascii")}

    def _call(
        self,
        operation: Callable[[], Any],
        errors: Mapping[str, Callable[[ClientError], DomainError]],
    ) -> Any:
        try:
            return operation()
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in errors:
                raise errors[code](exc) from None
            _translate_other(code, exc)
        except ParamValidationError:
            # botocore refused the input before sending it (e.g. an empty password); its text may quote input.
            raise ValidationFailed("The e-mail address, password or code is not in an accepted form.") from None
        except BotoCoreError as exc:
            logger.warning("cognito unreachable: %s", type(exc).__name__)
            raise ServiceUnavailable(_UNAVAILABLE, service=_SERVICE) from None


def build_cognito_identity_provider(
    region: str,
    user_pool_id: str,
    client_id: str,
    endpoint_url: str | None = None,
    jwks_url: str | None = None,
    issuer: str | None = None,
    *,
    client_secret: str | None = None,
    http_timeout: float = 5,
    clock: Clock | None = None,
) -> CognitoIdentityProvider:
    """Build the provider with a boto3 client; issuer and JWKS URL default to the real AWS ones for the pool.

    Cognito's user-facing calls (sign-up, sign-in, sign-out) are unsigned, so no AWS credentials are needed.
    """
    import boto3
    from botocore.config import Config

    pool_region = user_pool_id.split("_", 1)[0] if "_" in user_pool_id else None
    if pool_region is not None and pool_region != region:
        raise ValueError(f"User pool {user_pool_id} lives in {pool_region}, not in the configured {region}.")
    client = boto3.client(
        "cognito-idp",
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(
            connect_timeout=http_timeout,
            read_timeout=http_timeout * 2,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )
    default_issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
    return CognitoIdentityProvider(
        client,
        user_pool_id=user_pool_id,
        client_id=client_id,
        region=region,
        jwks_url=jwks_url or f"{default_issuer}/.well-known/jwks.json",
        issuer=issuer or default_issuer,
        http_timeout=http_timeout,
        client_secret=client_secret,
        clock=clock,
    )


def _tokens_from(response: Mapping[str, Any], *, fallback_refresh_token: str | None) -> IdentityTokens:
    if response.get("ChallengeName"):
        raise PermissionDenied(
            "This account needs an extra sign-in step (a new password or a second factor) "
            "that this app does not support yet."
        )
    result = response.get("AuthenticationResult") or {}
    access_token = result.get("AccessToken")
    if not isinstance(access_token, str) or not access_token:
        _unexpected("no access token in AuthenticationResult")
    return IdentityTokens(
        access_token=access_token,
        refresh_token=result.get("RefreshToken") or fallback_refresh_token,
        expires_in=int(result.get("ExpiresIn") or 3600),
        id_token=result.get("IdToken"),
    )


def _password_policy_error(exc: ClientError) -> DomainError:
    hint = str(exc.response.get("Error", {}).get("Message", ""))
    details: list[dict[str, Any]] = [{"field": "password", "issue": "password_policy"}]
    if hint and len(hint) <= 300:
        details[0]["hint"] = hint  # Cognito's policy text ("Password must have uppercase characters")
    return ValidationFailed("The password does not meet the password policy.", details=details)


def _translate_other(code: str, exc: ClientError) -> NoReturn:
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    logger.warning("cognito call failed: %s (HTTP %s)", code or "unknown", status)
    if code in {"TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException"}:
        raise RateLimited("Too many attempts; wait a minute and try again.", retry_after=60) from None
    if code in {"InternalErrorException", "ServiceUnavailable", "ServiceUnavailableException"} or status >= 500:
        raise ServiceUnavailable(_UNAVAILABLE, service=_SERVICE) from None
    if code == "InvalidParameterException":
        raise ValidationFailed("The sign-in service did not accept these details.") from None
    raise UpstreamError(_UNEXPECTED, service=_SERVICE) from None


def _unexpected(what: str) -> NoReturn:
    logger.warning("cognito: %s", what)
    raise UpstreamError(_UNEXPECTED, service=_SERVICE)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _email_from(claims: Mapping[str, Any]) -> str | None:
    # Access tokens carry `username`, which is the e-mail only when the pool does not use e-mail as an alias
    # (then it is the sub); the `email` claim appears only in ID tokens or with custom token claims.
    for claim in ("email", "username"):
        value = claims.get(claim)
        if isinstance(value, str) and "@" in value:
            return value
    return None
