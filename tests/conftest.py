"""Test-wide settings: Hypothesis profiles and the real services (PostgreSQL, Redis) integration tests use."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import settings

from tests.support.properties import for_profile, marker_numbers, profile, register_profiles

# Hypothesis profiles: `ci` (make test) unless HYPOTHESIS_PROFILE=thorough (make properties); see docs/properties.md.
register_profiles()
settings.load_profile(profile())


def pytest_configure(config: pytest.Config) -> None:
    # The product's own logging setup (plain tracebacks, redaction), not structlog's slow pretty default.
    from entrypoints.logging_setup import configure_logging

    configure_logging(json_logs=False, level="INFO")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`@pytest.mark.property(n, ...)`: n must be one of the plan's 90 properties. Under the thorough profile every
    property-marked Hypothesis test runs its 1,000 examples, whatever its own @settings ask for."""
    for item in items:
        marks = list(item.iter_markers("property"))
        try:
            for mark in marks:
                marker_numbers(mark.args, item.nodeid)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
        if marks and profile() == "thorough":
            _thorough(item)


def _thorough(item: pytest.Item) -> None:
    function = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
    if function is not None and hasattr(function, "_hypothesis_internal_use_settings"):
        function._hypothesis_internal_use_settings = for_profile(function._hypothesis_internal_use_settings)
    case = getattr(item, "cls", None)  # a RuleBasedStateMachine's TestCase
    if case is not None and isinstance(getattr(case, "settings", None), settings):
        case.settings = for_profile(case.settings)


DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

HOW_TO_START = (
    "Start the services: PostgreSQL with "
    "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` and Redis with "
    '`redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`, '
    "or point DATABASE_URL / REDIS_URL at yours. (MAILAGENT_SKIP_SERVICES=1 skips these tests instead.)"
)


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} is unreachable ({exc.__class__.__name__}: {exc}). {HOW_TO_START}"
    if os.environ.get("MAILAGENT_SKIP_SERVICES") == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def _postgres_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    from sqlalchemy import create_engine, text

    url = _postgres_admin_url()
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        _unavailable("PostgreSQL", exc)
    return url


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """A brand-new, empty database for one test; dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"mailagent_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except Exception as exc:
        _unavailable("Redis", exc)
    return url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def redis_prefix(redis_client: object) -> Iterator[str]:
    """A key prefix no other test uses; its keys are removed afterwards."""
    prefix = f"mailagent-test:{uuid.uuid4().hex[:10]}:"
    yield prefix
    for key in redis_client.scan_iter(match=f"{prefix}*", count=1000):  # type: ignore[attr-defined]
        redis_client.delete(key)  # type: ignore[attr-defined]
