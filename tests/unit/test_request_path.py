"""The cheap request path (issue 13) does what the library code it replaces did: the credential read straight from
the headers equals what FastAPI's HTTPBearer and APIKeyHeader read; the quick look for secrets never misses what
`redact` would scrub; gzip for clients that do not ask for it adds the same Vary header as Starlette's middleware;
cached metric series and route templates answer as the uncached ones."""

from __future__ import annotations

import asyncio
import gzip
from typing import Any

import pytest
from fastapi.security import APIKeyHeader, HTTPBearer
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request

from adapters.prometheus.metrics import PrometheusMetrics
from application.ports.metrics import HTTP_REQUESTS
from domain.errors import AuthenticationFailed
from entrypoints.http.deps import credential_from_headers
from entrypoints.http.metrics_middleware import MAX_REMEMBERED_PATHS, UNMATCHED, WEB_APP, RouteTemplates
from entrypoints.http.middleware import GZipWhenAccepted
from entrypoints.redaction import TOKEN_PATTERNS, might_hold_secret, redact, register_secret

NAMES = st.sampled_from([b"authorization", b"x-api-key", b"accept", b"x-other"])
VALUES = st.one_of(
    st.sampled_from([b"", b"Bearer", b"Bearer ", b"bearer abc", b"BEARER  tok  ", b"Basic Zm9v", b"mak_x_y", b" "]),
    st.binary(max_size=12).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
    st.text(alphabet="Bb earrtok_mk\t", max_size=14).map(lambda s: s.encode("latin-1")),
)


def _what_fastapi_reads(headers: list[tuple[bytes, bytes]]) -> str | None:
    request = Request({"type": "http", "headers": headers, "method": "GET", "path": "/", "query_string": b""})

    async def read() -> str | None:
        api_key = await APIKeyHeader(name="X-API-Key", auto_error=False)(request)
        bearer = await HTTPBearer(auto_error=False)(request)
        return api_key or (bearer.credentials if bearer else None)  # what current_principal took before

    return asyncio.run(read())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(NAMES, VALUES), max_size=4))
def test_the_credential_read_from_the_headers_is_what_the_two_schemes_read(
    headers: list[tuple[bytes, bytes]],
) -> None:
    assert credential_from_headers(headers) == _what_fastapi_reads(headers)


def test_an_api_key_wins_over_a_bearer_token_and_the_first_header_counts() -> None:
    both = [(b"authorization", b"Bearer jwt"), (b"x-api-key", b"mak_1"), (b"x-api-key", b"mak_2")]
    assert credential_from_headers(both) == "mak_1"
    assert credential_from_headers([(b"x-api-key", b""), (b"authorization", b"bearer  jwt ")]) == "jwt"
    assert credential_from_headers([(b"authorization", b"Basic abc")]) is None
    assert credential_from_headers([]) is None


TOKENS = ["ya29." + "a" * 12, "1//0" + "b" * 22, "GOCSPX-" + "c" * 12, "AKIA" + "D" * 16, "xoxb-" + "1" * 12]
NEAR_MISSES = ["Bearer ya29.x", "bearer\u00a01//0abc", "BEARER\u2003ya29.zz", "Bearer token", "bearer", "ya29", "AKIA"]
NEAR_MISSES += ["bEaReR\t1//0" + "k" * 20, "XAKIA" + "E" * 16, "AKIA" + "F" * 17, "9AKIA" + "G" * 16 + "-"]
FRAGMENTS = st.sampled_from([*TOKENS, *NEAR_MISSES, "s3cr3t-value-for-tests", "\u00e9", "\ufffd", "x", " ", "{", '"'])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=6)), max_size=8).map("".join))
def test_the_quick_look_never_misses_what_redact_would_scrub(text: str) -> None:
    register_secret("s3cr3t-value-for-tests")
    if redact(text) != text:
        assert might_hold_secret(text.encode("utf-8"))


def test_the_quick_look_lets_a_clean_body_through_and_stops_each_pattern() -> None:
    register_secret("s3cr3t-value-for-tests")
    assert not might_hold_secret(b'{"data":{"email":"me@example.com"},"error":null}')
    samples = ["ya29." + "a" * 12, "1//0" + "b" * 22, "GOCSPX-" + "c" * 12, "AKIA" + "D" * 16, "xoxp-" + "1" * 12]
    assert len(samples) == len(TOKEN_PATTERNS) - 1
    for sample in [*samples, "Bearer\u00a0ya29.abc", "the s3cr3t-value-for-tests here"]:
        assert might_hold_secret(f'{{"x": "{sample}"}}'.encode())


def _call(middleware: Any, accept: bytes | None, body: bytes, content_type: bytes = b"application/json") -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"accept-encoding", accept)] if accept is not None else []
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""}
    asyncio.run(middleware(app, minimum_size=1024)(scope, receive, send))
    start, chunks = sent[0], [m.get("body", b"") for m in sent[1:]]
    return {k.lower(): v for k, v in start["headers"]}, b"".join(chunks)


@pytest.mark.parametrize("accept", [None, b"identity", b"br", b"gzip, deflate", b"gzip"])
@pytest.mark.parametrize("size", [10, 1023, 1024, 5000])
@pytest.mark.parametrize("content_type", [b"application/json", b"text/event-stream"])
def test_gzip_answers_like_starlettes_middleware(accept: bytes | None, size: int, content_type: bytes) -> None:
    body = (b'{"k": "' + b"v" * size + b'"}')[:size]
    ours, ours_body = _call(GZipWhenAccepted, accept, body, content_type)
    theirs, theirs_body = _call(GZipMiddleware, accept, body, content_type)
    assert ours == theirs
    assert ours_body == theirs_body
    if b"content-encoding" in ours:
        assert gzip.decompress(ours_body) == body


def test_route_templates_are_remembered_within_a_bound() -> None:
    document = {"paths": {"/api/v1/emails/{message_id}": {}, "/api/v1/emails/scheduled": {}}}
    routes = RouteTemplates(lambda: document)
    for _ in range(2):
        assert routes.match("/api/v1/emails/scheduled") == "/api/v1/emails/scheduled"
        assert routes.match("/api/v1/emails/abc") == "/api/v1/emails/{message_id}"
        assert routes.match("/api/v1/nothing") == UNMATCHED
        assert routes.match("/inbox") == WEB_APP
    for n in range(MAX_REMEMBERED_PATHS + 10):
        assert routes.match(f"/api/v1/emails/m{n}") == "/api/v1/emails/{message_id}"
    assert len(routes._seen) == MAX_REMEMBERED_PATHS


def test_a_remembered_metric_series_counts_and_a_wrong_label_still_fails() -> None:
    metrics = PrometheusMetrics()
    for _ in range(3):
        metrics.increment(HTTP_REQUESTS, method="GET", route="/x", status="200")
    assert b'status="200"} 3.0' in metrics.render()
    with pytest.raises(ValueError, match="labels"):
        metrics.increment(HTTP_REQUESTS, method="GET", route="/x")
    with pytest.raises(ValueError, match="labels"):
        metrics.increment(HTTP_REQUESTS, method="GET", route="/x", status="200", extra="1")


def test_fastapis_opentelemetry_is_on_exactly_when_opentelemetry_is_set_up(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    from entrypoints.observability import fastapi_telemetry

    assert fastapi_telemetry() == {"tracing": False, "metrics": False, "logs": False}  # nothing set up here
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    assert fastapi_telemetry() is None  # FastAPI sets it up itself at start-up
    # A provider set up before the app is made (what opentelemetry-instrument does), in a process of its own since
    # OpenTelemetry's providers can be set only once per process.
    code = (
        "from opentelemetry import trace; trace.set_tracer_provider(trace.NoOpTracerProvider());"
        "from entrypoints.observability import fastapi_telemetry; print(fastapi_telemetry())"
    )
    monkeypatch.delenv("FASTAPI_OTEL_AUTO_CONFIGURE")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert found.stdout.strip() == "None"


# --- who is calling, from the snapshot: kept per snapshot, never past it -------------------------------------------


def _authenticate() -> tuple[Any, Any, Any]:
    from adapters.in_memory.cache import InMemoryCache
    from adapters.in_memory.clock import InMemoryClock
    from adapters.jwt.token_issuer import JwtTokenIssuer
    from application.use_cases.authenticate import Authenticate

    def no_store() -> Any:
        raise AssertionError("the snapshot should have answered")

    clock = InMemoryClock()
    tokens = JwtTokenIssuer(b"k" * 32)
    return Authenticate(no_store, tokens, InMemoryCache(clock), clock), tokens, clock


def _user(**changes: Any) -> Any:
    from datetime import UTC, datetime

    from domain.identity import Role, User, UserStatus

    made = datetime(2026, 1, 1, tzinfo=UTC)
    return User("u1", "ann@example.com", Role.USER, UserStatus.ACTIVE, made, email_verified_at=made).with_changes(
        **changes
    )


def test_a_snapshot_keeps_every_field_of_the_user_but_the_password_hash() -> None:
    from datetime import UTC, datetime

    from application.principal_cache import user_from_dict, user_to_dict
    from domain.identity import Role, UserStatus

    # Every field away from its default: a field the snapshot forgets comes back as its default and fails here
    # (conversation_view did: /auth/me said true on every request after the first of a session).
    user = _user(
        role=Role.ADMIN,
        status=UserStatus.DISABLED,
        password_hash="not kept",
        external_subject="sub-1",
        display_name="Ann",
        undo_send_seconds=25,
        image_senders=("news@example.com",),
        conversation_view=False,
        created_at=datetime(2025, 5, 5, tzinfo=UTC),
    )
    assert user_from_dict(user_to_dict(user)) == user.with_changes(password_hash=None)


def test_the_principal_is_kept_while_its_snapshot_is_the_same_and_made_again_when_it_changes() -> None:
    from application import principal_cache
    from domain.errors import PermissionDenied
    from domain.identity import UserStatus
    from entrypoints.http.schemas import MeOut

    authenticate, tokens, clock = _authenticate()
    token = tokens.issue_access_token(subject="u1", session_id="s1", now=clock.now(), ttl_seconds=600)
    principal_cache.put_session(authenticate.cache, "s1", _user())
    first = authenticate.from_snapshot(authenticate.read_credential(token))
    assert first is not None and first.session_id == "s1" and first.user.display_name is None
    assert authenticate.from_snapshot(authenticate.read_credential(token)) is first
    assert MeOut.answer_for(first) is MeOut.answer_for(first)
    assert MeOut.answer_for(first) == MeOut.of_principal(first)

    principal_cache.put_session(authenticate.cache, "s1", _user(display_name="Ann"))  # the profile changed
    second = authenticate.from_snapshot(authenticate.read_credential(token))
    assert second is not None and second is not first and second.user.display_name == "Ann"
    assert MeOut.answer_for(second).display_name == "Ann"

    principal_cache.forget(authenticate.cache, sessions=["s1"])  # signed out, revoked, role changed: the store asks
    assert authenticate.from_snapshot(authenticate.read_credential(token)) is None
    principal_cache.put_session(authenticate.cache, "s1", _user(display_name="Ann", status=UserStatus.DISABLED))
    with pytest.raises(PermissionDenied):
        authenticate.from_snapshot(authenticate.read_credential(token))

    other = tokens.issue_access_token(subject="u2", session_id="s1", now=clock.now(), ttl_seconds=600)
    principal_cache.put_session(authenticate.cache, "s1", _user(display_name="Ann"))
    assert authenticate.from_snapshot(authenticate.read_credential(other)) is None  # not this session's user
    clock.advance(601)
    with pytest.raises(AuthenticationFailed):  # the token's time is checked on every call
        authenticate.from_snapshot(authenticate.read_credential(token))


def test_an_api_keys_principal_is_kept_but_its_secret_and_expiry_are_checked_every_time() -> None:
    from dataclasses import replace
    from datetime import timedelta

    from application import principal_cache
    from application.secrets_util import digest
    from domain.identity import ApiKey, Scope

    authenticate, _, clock = _authenticate()
    key = ApiKey(
        id="k1",
        user_id="u1",
        name="ci",
        prefix="mak_k1",
        key_hash=digest("right"),
        scopes=frozenset({Scope.MAIL_READ}),
        created_at=clock.now(),
        expires_at=clock.now() + timedelta(seconds=30),
        last_used_at=clock.now(),
    )
    principal_cache.put_api_key(authenticate.cache, key, _user())
    first = authenticate.from_snapshot(authenticate.read_credential("mak_k1.right"))
    assert first is not None and first.api_key_id == "k1" and first.scopes == frozenset({Scope.MAIL_READ})
    assert authenticate.from_snapshot(authenticate.read_credential("mak_k1.right")) is first
    with pytest.raises(AuthenticationFailed):
        authenticate.from_snapshot(authenticate.read_credential("mak_k1.wrong"))
    principal_cache.put_api_key(authenticate.cache, replace(key, scopes=frozenset({Scope.MAIL_SEND})), _user())
    changed = authenticate.from_snapshot(authenticate.read_credential("mak_k1.right"))
    assert changed is not None and changed.scopes == frozenset({Scope.MAIL_SEND})
    clock.advance(31)
    principal_cache.put_api_key(authenticate.cache, replace(key, last_used_at=clock.now()), _user())
    with pytest.raises(AuthenticationFailed):  # expired, though its principal was kept
        authenticate.from_snapshot(authenticate.read_credential("mak_k1.right"))
