"""A lost database connection is a 503 with Retry-After wherever it is raised, never a 500: psycopg's AdminShutdown
(what a PostgreSQL restart sends) and SQLAlchemy's OperationalError, inside a unit of work or outside one; a read
(GET) that meets one is tried once more before the 503 goes out. A bug is still a 500 with its request id. The web
app's files do not count against the anonymous API limit."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from tests.support.app import make_app, make_settings


class Flaky:
    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> dict[str, str]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return {"answer": "ok"}


def admin_shutdown() -> Exception:
    try:
        try:
            raise psycopg.errors.AdminShutdown("terminating connection due to administrator command")
        except psycopg.Error as driver:
            raise OperationalError("INSERT INTO audit_log ...", {}, driver) from driver
    except OperationalError as wrapped:
        return wrapped


@pytest.fixture
def app_with(tmp_path: Path) -> tuple[object, TestClient]:
    app, _ = make_app(make_settings(tmp_path))
    return app, TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "error",
    [admin_shutdown(), psycopg.errors.AdminShutdown("terminating connection"), psycopg.OperationalError("gone")],
    ids=["sqlalchemy-wrapped", "psycopg-raw", "psycopg-operational"],
)
def test_a_dropped_database_connection_is_503_with_retry_after(app_with: tuple[object, TestClient], error: Exception):
    app, client = app_with
    write = Flaky(10, error)
    app.post("/api/v1/test-write")(write)  # type: ignore[attr-defined]
    response = client.post("/api/v1/test-write")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["details"] == [{"service": "database"}]
    assert write.calls == 1  # a write is never repeated


def test_a_read_is_tried_once_more_before_answering_503(app_with: tuple[object, TestClient]) -> None:
    app, client = app_with
    once = Flaky(1, admin_shutdown())
    app.get("/api/v1/test-read-once")(once)  # type: ignore[attr-defined]
    response = client.get("/api/v1/test-read-once")
    assert response.status_code == 200, response.text
    assert response.json() == {"answer": "ok"} and once.calls == 2

    always = Flaky(10, admin_shutdown())
    app.get("/api/v1/test-read-always")(always)  # type: ignore[attr-defined]
    response = client.get("/api/v1/test-read-always")
    assert response.status_code == 503 and response.headers["retry-after"]
    assert always.calls == 2


def test_a_bug_is_still_a_500_with_the_request_id(app_with: tuple[object, TestClient]) -> None:
    app, client = app_with
    bug = Flaky(10, KeyError("oops"))
    app.get("/api/v1/test-bug")(bug)  # type: ignore[attr-defined]
    response = client.get("/api/v1/test-bug")
    assert response.status_code == 500
    assert response.headers["x-request-id"] in response.json()["error"]["message"]
    assert bug.calls == 1


def test_the_web_app_does_not_count_against_the_anonymous_api_limit(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>app</title>")
    (dist / "assets" / "app-1234.js").write_text("console.log(1)")
    app, _ = make_app(make_settings(tmp_path, web_dist=dist, anonymous_rate_limit_per_minute=5))
    client = TestClient(app)
    for _ in range(20):
        for path in ("/", "/assets/app-1234.js", "/mail/inbox"):
            assert client.get(path).status_code == 200, path
    statuses = [client.get("/api/v1/auth/me").status_code for _ in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
