"""OPTIONS and 405 tell the truth: `Allow` lists every method the path takes, whichever route FastAPI tried first."""

from __future__ import annotations

import pytest

from tests.support.app import Api

pytestmark = pytest.mark.e2e

PATHS = {
    "/api/v1/labels": "GET, POST, OPTIONS",
    "/api/v1/emails/scheduled/some-id": "GET, PATCH, DELETE, OPTIONS",
    "/api/v1/emails/draft/some-id": "GET, PUT, DELETE, OPTIONS",
    "/api/v1/attachments/some-id": "GET, DELETE, OPTIONS",
    "/api/v1/api-keys": "GET, POST, OPTIONS",
    "/healthz": "GET, OPTIONS",
}


@pytest.mark.parametrize(("path", "allow"), PATHS.items())
def test_options_answers_with_every_method_of_the_path(api: Api, path: str, allow: str) -> None:
    r = api.options(path)
    assert r.status_code == 204, r.text
    assert r.headers["allow"] == allow
    assert r.content == b""


@pytest.mark.parametrize(("path", "allow"), PATHS.items())
def test_a_method_the_path_does_not_take_is_405_naming_the_ones_it_does(api: Api, path: str, allow: str) -> None:
    r = api.request("TRACE" if "PATCH" in allow else "PATCH", path)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    body = r.json()
    assert body["error"]["code"] == "method_not_allowed"
    assert allow in body["error"]["message"]


def test_options_on_an_unknown_api_path_is_404(api: Api) -> None:
    r = api.options("/api/v1/nothing-here")
    assert r.status_code == 404
    assert "allow" not in r.headers
