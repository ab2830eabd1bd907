"""CognitoIdentityProvider against a moto Cognito on 127.0.0.1: sign-up to sign-out, and every way a token fails."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from botocore.stub import Stubber
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from adapters.cognito.identity_provider import CognitoIdentityProvider, build_cognito_identity_provider
from application.ports.clock import Clock
from domain.errors import (
    AuthenticationFailed,
    Conflict,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    UpstreamError,
    ValidationFailed,
)
from tests.support.moto import AWS_REGION, aws_client, moto_endpoint  # noqa: F401  (fixture)

pytestmark = pytest.mark.integration

PASSWORD = "Correct-Horse-9-battery"
CLOSED_PORT = "http://127.0.0.1:9"  # the discard port: nothing listens there


@dataclass(frozen=True)
class Pool:
    endpoint: str
    client: Any
    pool_id: str
    client_id: str

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{AWS_REGION}.amazonaws.com/{self.pool_id}"

    @property
    def jwks_url(self) -> str:
        return f"{self.endpoint}/{self.pool_id}/.well-known/jwks.json"

    def provider(self, **overrides: Any) -> CognitoIdentityProvider:
        arguments: dict[str, Any] = {
            "user_pool_id": self.pool_id,
            "client_id": self.client_id,
            "region": AWS_REGION,
            "jwks_url": self.jwks_url,
            "issuer": self.issuer,
        }
        arguments.update(overrides)
        return CognitoIdentityProvider(arguments.pop("client", self.client), **arguments)

    def new_app_client(self, **options: Any) -> dict[str, Any]:
        return dict(
            self.client.create_user_pool_client(
                UserPoolId=self.pool_id,
                ClientName=f"app-{uuid.uuid4().hex[:8]}",
                ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                **options,
            )["UserPoolClient"]
        )


class FixedClock(Clock):
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def _make_pool(endpoint: str, **options: Any) -> Pool:
    client = aws_client("cognito-idp", endpoint)
    pool_id = client.create_user_pool(PoolName=f"mailagent-{uuid.uuid4().hex[:8]}", **options)["UserPool"]["Id"]
    app = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    return Pool(endpoint=endpoint, client=client, pool_id=pool_id, client_id=app["ClientId"])


@pytest.fixture(scope="module")
def pool(moto_endpoint: str) -> Pool:  # noqa: F811
    return _make_pool(moto_endpoint)


@pytest.fixture
def provider(pool: Pool) -> CognitoIdentityProvider:
    return pool.provider()


def _new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def _signed_in(provider: CognitoIdentityProvider) -> tuple[str, str, Any]:
    email = _new_email()
    subject = provider.register(email, PASSWORD)
    provider.confirm(email, "123456")
    return email, subject, provider.login(email, PASSWORD)


def _unverified_claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


# ---------------------------------------------------------------- the whole journey


def test_register_confirm_login_verify_refresh_logout(provider: CognitoIdentityProvider, pool: Pool) -> None:
    email = _new_email()
    subject = provider.register(email, PASSWORD)

    with pytest.raises(PermissionDenied, match="Confirm your e-mail"):
        provider.login(email, PASSWORD)

    provider.confirm(email, "123456")
    tokens = provider.login(email, PASSWORD)
    assert tokens.refresh_token and tokens.id_token and tokens.expires_in == 3600
    assert _unverified_claims(tokens.access_token)["iss"] == pool.issuer  # moto issues the AWS-style issuer

    claims = provider.verify_access_token(tokens.access_token)
    assert claims.subject == subject
    assert claims.email == email
    assert claims.token_id == _unverified_claims(tokens.access_token)["jti"]
    assert abs(claims.expires_at - (datetime.now(UTC) + timedelta(hours=1))) < timedelta(minutes=1)

    refreshed = provider.refresh(tokens.refresh_token, email=email)
    assert refreshed.access_token != tokens.access_token
    assert refreshed.refresh_token == tokens.refresh_token  # no rotation: the old one stays in use
    assert provider.verify_access_token(refreshed.access_token).subject == subject

    provider.logout(refreshed.access_token)

    with pytest.raises(AuthenticationFailed, match="sign in again"):
        provider.refresh(tokens.refresh_token)
    with pytest.raises(AuthenticationFailed):
        provider.logout(refreshed.access_token)  # that token was signed out with the rest
    assert provider.verify_access_token(provider.login(email, PASSWORD).access_token).subject == subject


def test_pools_with_email_as_username_give_the_sub_and_no_email(moto_endpoint: str) -> None:  # noqa: F811
    pool = _make_pool(moto_endpoint, UsernameAttributes=["email"])
    provider = pool.provider()

    _, subject, tokens = _signed_in(provider)

    claims = provider.verify_access_token(tokens.access_token)
    assert claims.subject == subject
    assert claims.email is None  # the access token's username is the sub there


# ---------------------------------------------------------------- account errors


def test_wrong_password_or_unknown_email_is_the_same_authentication_failure(
    provider: CognitoIdentityProvider,
) -> None:
    email, _, _ = _signed_in(provider)

    with pytest.raises(AuthenticationFailed) as wrong_password:
        provider.login(email, PASSWORD + "x")
    with pytest.raises(AuthenticationFailed) as unknown_email:
        provider.login(_new_email(), PASSWORD)

    assert wrong_password.value.message == unknown_email.value.message == "Wrong e-mail or password."
    assert PASSWORD not in str(wrong_password.value)


def test_registering_an_existing_email_is_a_conflict(provider: CognitoIdentityProvider) -> None:
    email, _, _ = _signed_in(provider)

    with pytest.raises(Conflict, match="already exists"):
        provider.register(email, PASSWORD)


def test_a_weak_password_fails_validation_without_echoing_it(provider: CognitoIdentityProvider) -> None:
    with pytest.raises(ValidationFailed) as raised:
        provider.register(_new_email(), "weakpass")

    assert raised.value.details[0]["field"] == "password"
    assert "weakpass" not in str(raised.value) and "weakpass" not in json.dumps(raised.value.details)


def test_input_botocore_refuses_locally_is_a_validation_failure(provider: CognitoIdentityProvider) -> None:
    with pytest.raises(ValidationFailed, match="accepted form"):
        provider.confirm(_new_email(), "")  # ConfirmationCode must not be empty


def test_an_extra_sign_in_step_is_permission_denied(provider: CognitoIdentityProvider, pool: Pool) -> None:
    email = _new_email()
    pool.client.admin_create_user(UserPoolId=pool.pool_id, Username=email, TemporaryPassword=PASSWORD)

    with pytest.raises(PermissionDenied, match="extra sign-in step"):
        provider.login(email, PASSWORD)


# ---------------------------------------------------------------- tokens that must be refused


def test_tampered_tokens_are_refused(provider: CognitoIdentityProvider) -> None:
    _, _, tokens = _signed_in(provider)
    header, payload, signature = tokens.access_token.split(".")
    claims = _unverified_claims(tokens.access_token)
    other_payload = _b64(json.dumps({**claims, "sub": str(uuid.uuid4())}).encode())
    flipped_signature = signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")

    for token in [
        f"{header}.{other_payload}.{signature}",
        f"{header}.{payload}.{flipped_signature}",
        f"{header}.{payload}.",
        "not-a-jwt",
        "",
        "a" * 20_000,
    ]:
        with pytest.raises(AuthenticationFailed) as raised:
            provider.verify_access_token(token)
        assert raised.value.message == "The access token is not valid; sign in again."


def test_a_token_for_another_issuer_is_refused(pool: Pool) -> None:
    _, _, tokens = _signed_in(pool.provider())
    strict = pool.provider(issuer=f"https://cognito-idp.{AWS_REGION}.amazonaws.com/{AWS_REGION}_SomeOtherPool")

    with pytest.raises(AuthenticationFailed):
        strict.verify_access_token(tokens.access_token)


def test_a_token_for_another_app_client_is_refused(pool: Pool) -> None:
    other_app = pool.new_app_client()
    _, _, tokens = _signed_in(pool.provider(client_id=other_app["ClientId"]))

    with pytest.raises(AuthenticationFailed):
        pool.provider().verify_access_token(tokens.access_token)


def test_an_id_token_is_not_an_access_token(provider: CognitoIdentityProvider) -> None:
    _, _, tokens = _signed_in(provider)

    with pytest.raises(AuthenticationFailed):
        provider.verify_access_token(tokens.id_token)


def test_an_expired_token_is_refused_after_the_leeway(pool: Pool) -> None:
    _, _, tokens = _signed_in(pool.provider())
    expires = datetime.fromtimestamp(_unverified_claims(tokens.access_token)["exp"], tz=UTC)
    clock = FixedClock(expires + timedelta(seconds=10))
    provider = pool.provider(clock=clock, leeway_seconds=30)

    assert provider.verify_access_token(tokens.access_token).expires_at == expires  # within the leeway
    clock.current = expires + timedelta(seconds=31)
    with pytest.raises(AuthenticationFailed, match="expired"):
        provider.verify_access_token(tokens.access_token)


def test_a_token_issued_in_the_future_is_refused(pool: Pool) -> None:
    _, _, tokens = _signed_in(pool.provider())
    issued = datetime.fromtimestamp(_unverified_claims(tokens.access_token)["iat"], tz=UTC)
    provider = pool.provider(clock=FixedClock(issued - timedelta(minutes=5)))

    with pytest.raises(AuthenticationFailed):
        provider.verify_access_token(tokens.access_token)


def test_a_token_signed_with_another_key_is_refused(provider: CognitoIdentityProvider, pool: Pool) -> None:
    _, _, tokens = _signed_in(provider)
    claims = _unverified_claims(tokens.access_token)
    attacker_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = httpx.get(pool.jwks_url).json()["keys"][0]

    forged_rs256 = jwt.encode(claims, attacker_key, algorithm="RS256", headers={"kid": "dummy"})
    forged_none = f"{_b64(json.dumps({'alg': 'none', 'kid': 'dummy'}).encode())}.{tokens.access_token.split('.')[1]}."
    # The classic confusion attack: HMAC-sign with the server's public key as the secret (PyJWT refuses to).
    public_pem = jwt.PyJWK(public_jwk).key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    hs_signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'kid': 'dummy'}).encode())}.{_b64(json.dumps(claims).encode())}"
    )
    hs_signature = hmac.new(public_pem, hs_signing_input.encode(), hashlib.sha256).digest()
    forged_hs256 = f"{hs_signing_input}.{_b64(hs_signature)}"

    for forged in (forged_rs256, forged_none, forged_hs256):
        with pytest.raises(AuthenticationFailed):
            provider.verify_access_token(forged)


# ---------------------------------------------------------------- JWKS fetching


class CountingHttp(httpx.Client):
    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self.fetches = 0

    def get(self, url: httpx.URL | str, **kwargs: Any) -> httpx.Response:
        self.fetches += 1
        return super().get(url, **kwargs)


def test_jwks_is_cached_and_refetched_once_for_an_unknown_kid(pool: Pool) -> None:
    _, _, tokens = _signed_in(pool.provider())
    http = CountingHttp()
    provider = pool.provider(http_client=http, jwks_min_refetch_seconds=0)
    _, payload, signature = tokens.access_token.split(".")
    unknown_kid = _b64(json.dumps({"alg": "RS256", "kid": "rotated-away", "typ": "JWT"}).encode())

    provider.verify_access_token(tokens.access_token)
    provider.verify_access_token(tokens.access_token)
    assert http.fetches == 1

    with pytest.raises(AuthenticationFailed):
        provider.verify_access_token(f"{unknown_kid}.{payload}.{signature}")
    assert http.fetches == 2

    throttled = pool.provider(http_client=http)  # default: refetch at most once a minute
    throttled.verify_access_token(tokens.access_token)
    with pytest.raises(AuthenticationFailed):
        throttled.verify_access_token(f"{unknown_kid}.{payload}.{signature}")
    assert http.fetches == 3


def test_unreachable_jwks_is_service_unavailable(pool: Pool) -> None:
    _, _, tokens = _signed_in(pool.provider())
    provider = pool.provider(jwks_url=f"{CLOSED_PORT}/jwks.json", http_timeout=1)

    with pytest.raises(ServiceUnavailable):
        provider.verify_access_token(tokens.access_token)


def test_a_jwks_url_that_answers_404_is_an_upstream_error(pool: Pool) -> None:
    _, _, tokens = _signed_in(pool.provider())
    provider = pool.provider(jwks_url=f"{pool.endpoint}/no-such-pool/nothing-here")

    with pytest.raises(UpstreamError):
        provider.verify_access_token(tokens.access_token)


# ---------------------------------------------------------------- Cognito failures


def test_unreachable_cognito_is_service_unavailable(pool: Pool) -> None:
    provider = pool.provider(client=aws_client("cognito-idp", CLOSED_PORT, connect_timeout=1))

    with pytest.raises(ServiceUnavailable) as raised:
        provider.login(_new_email(), PASSWORD)

    assert PASSWORD not in str(raised.value)


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("TooManyRequestsException", 400, RateLimited),
        ("LimitExceededException", 400, RateLimited),
        ("InternalErrorException", 500, ServiceUnavailable),
        ("SomethingNewException", 400, UpstreamError),
    ],
)
def test_other_cognito_errors_are_mapped(pool: Pool, code: str, status: int, expected: type[Exception]) -> None:
    client = aws_client("cognito-idp", CLOSED_PORT)
    with Stubber(client) as stub:
        stub.add_client_error("initiate_auth", service_error_code=code, http_status_code=status)

        with pytest.raises(expected):
            pool.provider(client=client).login(_new_email(), PASSWORD)


# ---------------------------------------------------------------- app clients with a secret, and the factory


def test_app_client_with_a_secret_sends_the_secret_hash(pool: Pool) -> None:
    app = pool.new_app_client(GenerateSecret=True)
    provider = pool.provider(client_id=app["ClientId"], client_secret=app["ClientSecret"])
    email, subject, tokens = _signed_in(provider)

    refreshed = provider.refresh(tokens.refresh_token, email=email)

    assert provider.verify_access_token(refreshed.access_token).subject == subject
    with pytest.raises(ValidationFailed):
        provider.refresh(tokens.refresh_token)
    with pytest.raises(AuthenticationFailed):
        provider.refresh(tokens.refresh_token, email=_new_email())  # wrong secret hash


def test_factory_defaults_to_the_aws_issuer_and_jwks_url(pool: Pool) -> None:
    provider = build_cognito_identity_provider(
        AWS_REGION, pool.pool_id, pool.client_id, endpoint_url=pool.endpoint, jwks_url=pool.jwks_url
    )
    _, subject, tokens = _signed_in(provider)

    assert provider.issuer == pool.issuer
    assert provider.verify_access_token(tokens.access_token).subject == subject
    aws_default = build_cognito_identity_provider(AWS_REGION, pool.pool_id, pool.client_id)
    assert aws_default.jwks_url == f"{pool.issuer}/.well-known/jwks.json"


def test_factory_refuses_a_pool_from_another_region() -> None:
    with pytest.raises(ValueError, match="eu-west-1"):
        build_cognito_identity_provider("us-east-1", "eu-west-1_AbCdEf", "client")
