"""The app with Cognito as identity provider (moto's Cognito in server mode): the same auth API, Cognito tokens."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.app import Api, make_app, make_settings
from tests.support.moto import AWS_REGION, aws_client, moto_endpoint  # noqa: F401 (fixture)

PASSWORD = "Correct-Horse-9-battery"


@pytest.fixture
def cognito_api(tmp_path: Path, moto_endpoint: str) -> Api:  # noqa: F811
    client = aws_client("cognito-idp", moto_endpoint)
    pool_id = client.create_user_pool(PoolName=f"app-{uuid.uuid4().hex[:8]}")["UserPool"]["Id"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    settings = make_settings(
        tmp_path,
        identity_provider="cognito",
        cognito_region=AWS_REGION,
        cognito_user_pool_id=pool_id,
        cognito_client_id=client_id,
        cognito_endpoint_url=moto_endpoint,
        cognito_jwks_url=f"{moto_endpoint}/{pool_id}/.well-known/jwks.json",
        cognito_issuer=f"https://cognito-idp.{AWS_REGION}.amazonaws.com/{pool_id}",
    )
    app, _ = make_app(settings)
    return Api(app, settings)


def test_register_confirm_login_me_refresh_logout_through_cognito(cognito_api: Any) -> None:
    api = cognito_api
    r = api.post("/api/v1/auth/register", json={"email": "cog@example.com", "password": PASSWORD})
    assert r.status_code == 201 and r.json()["data"]["status"] == "pending"
    missing = api.post("/api/v1/auth/verify-email", json={"email": "cog@example.com"})
    assert missing.status_code == 422 and "confirmation code" in missing.json()["error"]["message"]
    confirmed = api.post("/api/v1/auth/verify-email", json={"email": "cog@example.com", "code": "123456"})
    assert confirmed.status_code == 200 and confirmed.json()["data"]["status"] == "active"

    wrong = api.post("/api/v1/auth/login", json={"email": "cog@example.com", "password": "Wrong-Horse-9-battery"})
    assert wrong.status_code == 401 and wrong.json()["error"]["message"] == "Wrong e-mail or password."
    login = api.post("/api/v1/auth/login", json={"email": "cog@example.com", "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()["data"]
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}

    me = api.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json()["data"]["email"] == "cog@example.com" and me.json()["data"]["auth"] == "external"
    assert me.json()["data"]["role"] == "user"

    refreshed = api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    new_headers = {"Authorization": f"Bearer {refreshed.json()['data']['access_token']}"}
    assert api.get("/api/v1/auth/me", headers=new_headers).status_code == 200

    # API keys work the same under Cognito: they are this platform's own credential.
    key = api.post("/api/v1/api-keys", json={"name": "ci"}, headers=new_headers).json()["data"]["key"]
    assert api.get("/api/v1/auth/me", headers={"X-API-Key": key}).json()["data"]["auth"] == "api_key"

    assert api.post("/api/v1/auth/logout", headers=new_headers).status_code == 200
    assert api.get("/api/v1/auth/me", headers=new_headers).status_code == 401  # denied at once, not at expiry
    assert api.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_a_forged_bearer_token_is_refused(cognito_api: Any) -> None:
    forged = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImR1bW15In0.eyJzdWIiOiJ4In0.c2ln"
    r = cognito_api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "authentication_failed"
