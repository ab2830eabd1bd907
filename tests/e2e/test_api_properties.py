"""Properties of the HTTP surface, through the real app on the embedded default (SQLite in a temp dir).

- Property 12: every JSON answer is the one envelope, whatever the request (valid or not, known path or not,
  right method or not, with good, bad or no credentials); the request id is echoed or replaced.
- Property 14: malformed input is a 422 `validation_failed` naming the field.
- Security headers on every answer (200 ... 404, 405, 422, 429, 500).
- Property 13: exactly the requests beyond the limit get 429 (+ Retry-After, + envelope): per IP for anonymous
  callers, per user for sessions, per API key for keys.
- An unhandled exception is a generic 500 envelope quoting the request id, logged with its traceback.

Each property builds its app once (module fixture or inside the test before `@given` runs) and keeps every
example to a few in-process HTTP round trips.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import string
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from dependency_injector import providers
from hypothesis import HealthCheck, assume, example, given, note
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from adapters.in_memory.clock import InMemoryClock
from application.use_cases.create_user import CreateUserInput
from domain import errors
from entrypoints.http.web_app import is_reserved
from entrypoints.settings import Settings
from tests.support.app import PASSWORD, Account, Api, make_app, make_settings
from tests.support.properties import for_profile

API = "/api/v1"
ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "Admin-pass 1234!"
REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Rate limits out of the way, for the properties that are not about them.
UNLIMITED: dict[str, Any] = {
    "anonymous_rate_limit_per_minute": 10**9,
    "rate_limit_per_minute": 10**9,
    "login_failures_per_account": 10**9,
    "login_failures_per_ip": 10**9,
}
SECURITY_HEADERS = (
    "strict-transport-security",
    "content-security-policy",
    "x-frame-options",
    "x-content-type-options",
    "referrer-policy",
)
PROPS = for_profile(hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]))


# ---------------------------------------------------------------------------------------------------------------
# Building the app once per test / module
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class World:
    api: Api
    container: Any
    settings: Settings
    admin: Account
    user: Account
    key: str
    key_id: str
    clock: InMemoryClock | None = None

    def relogin(self) -> None:
        """Generated requests may sign a session out (POST /auth/logout); get fresh tokens when they did."""
        if self.api.get(f"{API}/auth/me", headers=self.user.headers).status_code != 200:
            self.user = self.api.login(self.user.email)
        if self.api.get(f"{API}/auth/me", headers=self.admin.headers).status_code != 200:
            self.admin = self.api.login(ADMIN_EMAIL, ADMIN_PASSWORD)


_opened: list[Api] = []


def open_api(app: Any, settings: Settings) -> Api:
    """An Api whose TestClient keeps one event loop for all its requests (a new one per request costs ~3 ms)."""
    api = Api(app, settings)
    api.client.__enter__()
    _opened.append(api)
    return api


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    before = len(_opened)
    yield
    while len(_opened) > before:
        _opened.pop().client.__exit__(None, None, None)


def build_world(data_dir: Path, *, clock: InMemoryClock | None = None, **overrides: Any) -> World:
    settings = make_settings(data_dir, **{**UNLIMITED, **overrides})
    app, container = make_app(settings, clock=clock)
    api = open_api(app, settings)
    container.create_user().execute(CreateUserInput(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True))
    admin = api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    user = api.signup("alice@example.com")
    created = api.post(f"{API}/api-keys", json={"name": "props"}, headers=user.headers)
    assert created.status_code == 201, created.text
    data = created.json()["data"]
    return World(api, container, settings, admin, user, data["key"], data["id"], clock)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = build_world(tmp_path_factory.mktemp("api-props"))
    _opened.remove(w.api)  # closed here, at the end of the module, not after the first test
    yield w
    w.api.client.__exit__(None, None, None)


# ---------------------------------------------------------------------------------------------------------------
# Shared assertions
# ---------------------------------------------------------------------------------------------------------------


def assert_security_headers(r: Any) -> None:
    h = r.headers
    for name in SECURITY_HEADERS:
        assert h.get(name), f"{name} missing on {r.request.method} {r.request.url} -> {r.status_code}"
    max_age = re.search(r"max-age=(\d+)", h["strict-transport-security"])
    assert max_age and int(max_age.group(1)) > 0
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }


def assert_envelope(r: Any) -> dict[str, Any]:
    """The one envelope: exactly data/error/meta, meta.request_id == X-Request-ID, error iff status >= 400."""
    assert r.headers.get("content-type", "").startswith("application/json"), (r.status_code, r.text[:200])
    body: dict[str, Any] = r.json()
    assert isinstance(body, dict) and set(body) == {"data", "error", "meta"}, body
    assert isinstance(body["meta"], dict)
    rid = r.headers.get("x-request-id")
    assert rid and REQUEST_ID_OK.match(rid), rid
    assert body["meta"]["request_id"] == rid
    if r.status_code < 400:
        assert body["error"] is None, body
        assert body["data"] is not None, body
    else:
        err = body["error"]
        assert isinstance(err, dict), body
        assert isinstance(err.get("code"), str) and err["code"].strip(), body
        assert isinstance(err.get("message"), str) and err["message"].strip(), body
        assert isinstance(err.get("details", []), list), body
    return body


# ---------------------------------------------------------------------------------------------------------------
# Property 12: response structure
# ---------------------------------------------------------------------------------------------------------------

ROUTES = [
    "/healthz",
    "/readyz",
    f"{API}/healthz",
    f"{API}/readyz",
    f"{API}/auth/register",
    f"{API}/auth/verify-email",
    f"{API}/auth/login",
    f"{API}/auth/refresh",
    f"{API}/auth/logout",
    f"{API}/auth/reset-password",
    f"{API}/auth/reset-password/confirm",
    f"{API}/auth/me",
    f"{API}/auth/sessions",
    f"{API}/auth/sessions/{{id}}",
    f"{API}/api-keys",
    f"{API}/api-keys/{{id}}",
    f"{API}/admin/users",
    f"{API}/admin/users/{{id}}",
    f"{API}/admin/audit-logs",
]
DOC_PATHS = ("/docs", "/redoc", "/openapi.json")  # HTML and the OpenAPI document are not enveloped by design

segment = st.text(alphabet=string.ascii_letters + string.digits + "-_~", min_size=1, max_size=20)
paths = st.one_of(
    st.builds(lambda tpl, s: tpl.replace("{id}", s), st.sampled_from(ROUTES), segment),
    st.lists(segment, min_size=1, max_size=4).map(lambda p: f"{API}/" + "/".join(p)),
    st.lists(segment, min_size=1, max_size=3).map(lambda p: "/" + "/".join(p)),
).filter(lambda p: not p.startswith(DOC_PATHS))

safe_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=30)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    safe_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(safe_text, inner, max_size=4),
    max_leaves=8,
)
plausible = st.fixed_dictionaries(
    {},
    optional={
        "email": st.sampled_from(["alice@example.com", "nobody@example.com", "not-an-email", ""]) | json_scalars,
        "password": st.sampled_from([PASSWORD, "short"]) | json_scalars,
        "new_password": st.sampled_from([PASSWORD]) | json_scalars,
        "token": json_scalars,
        "refresh_token": json_scalars,
        "name": st.sampled_from(["k"]) | json_scalars,
        "scopes": st.lists(st.sampled_from(["mail:read", "admin", "nope"]), max_size=3) | json_scalars,
        "expires_in_days": st.integers(-5, 5000) | json_scalars,
        "role": st.sampled_from(["user", "admin", "root"]) | json_scalars,
        "disabled": json_scalars,
    },
)
bodies = st.one_of(
    st.just(("none", None)),
    st.tuples(st.just("json"), json_values),
    st.tuples(st.just("json"), plausible),
    st.tuples(st.just("raw"), st.binary(max_size=40)),
)
header_token = st.text(alphabet=string.ascii_letters + string.digits + "-._~+/=", min_size=1, max_size=60)
credentials = st.one_of(
    st.sampled_from(["none", "user_jwt", "admin_jwt", "key_header", "key_bearer"]).map(lambda c: (c, "")),
    st.tuples(st.sampled_from(["garbage_bearer", "garbage_key", "basic", "mak_garbage"]), header_token),
)
good_request_ids = st.text(alphabet=string.ascii_letters + string.digits + "._:-", min_size=1, max_size=64)
BAD_RID_CHARS = " !\"#$%&'()*+,/;<=>?@[\\]^`{|}~"
bad_request_ids = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + "._:-", min_size=65, max_size=120),
    st.builds(
        lambda a, bad, b: a + bad + b,
        st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
        st.sampled_from(BAD_RID_CHARS),
        st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20),
    ),
)
request_ids = st.one_of(
    st.just(("absent", None)),
    st.tuples(st.just("good"), good_request_ids),
    st.tuples(st.just("bad"), bad_request_ids),
)
query_params = st.dictionaries(
    st.sampled_from(["limit", "offset", "user_id", "action", "since", "until", "x"]),
    st.one_of(st.integers(-5, 1000).map(str), header_token),
    max_size=3,
)


def credential_headers(world: World, kind: str, raw: str) -> dict[str, str]:
    match kind:
        case "user_jwt":
            return world.user.headers
        case "admin_jwt":
            return world.admin.headers
        case "key_header":
            return {"X-API-Key": world.key}
        case "key_bearer":
            return {"Authorization": f"Bearer {world.key}"}
        case "garbage_bearer":
            return {"Authorization": f"Bearer {raw}"}
        case "garbage_key":
            return {"X-API-Key": raw}
        case "basic":
            return {"Authorization": f"Basic {raw}"}
        case "mak_garbage":
            return {"Authorization": f"Bearer mak_{raw}"}
    return {}


@pytest.mark.property(12)
@PROPS
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    path=paths,
    body=bodies,
    params=query_params,
    cred=credentials,
    rid=request_ids,
    content_type=st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)
def test_p12_every_answer_is_the_envelope_with_the_request_id(
    world: World,
    method: str,
    path: str,
    body: tuple[str, Any],
    params: dict[str, str],
    cred: tuple[str, str],
    rid: tuple[str, str | None],
    content_type: str,
) -> None:
    world.relogin()
    headers = credential_headers(world, *cred)
    if rid[1] is not None:
        headers["X-Request-ID"] = rid[1]
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    kind, value = body
    if kind == "json":
        kwargs["json"] = value
    elif kind == "raw":
        kwargs["content"] = value
        headers["Content-Type"] = content_type
    r = world.api.client.request(method, path, **kwargs)
    note(f"{method} {path} -> {r.status_code} {r.text[:300]}")
    assert_security_headers(r)
    echoed = r.headers["x-request-id"]
    if method == "GET" and not is_reserved(path):
        # Outside the API a GET is the web app's (its index.html, or the page saying how to build it): HTML by
        # design, like the docs. It still carries the request id and the security headers.
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (r.status_code, r.text)
        if rid[0] == "good":
            assert echoed == rid[1]
        return
    if method == "OPTIONS" and r.status_code == 204:
        # OPTIONS on a path that exists answers with its methods and no body (nothing to wrap in an envelope).
        assert "OPTIONS" in r.headers["allow"] and r.content == b""
        return
    body_out = assert_envelope(r)
    if rid[0] == "good":
        assert echoed == rid[1]
    elif rid[0] == "bad":
        assert echoed != rid[1]
    assert body_out["meta"]["request_id"] == echoed


@pytest.mark.property(12)
@PROPS
@given(rid=st.one_of(good_request_ids, bad_request_ids), path=st.sampled_from([f"{API}/healthz", f"{API}/nowhere"]))
def test_p12_request_id_is_echoed_when_well_formed_and_replaced_otherwise(world: World, rid: str, path: str) -> None:
    r = world.api.get(path, headers={"X-Request-ID": rid})
    body = assert_envelope(r)
    well_formed = REQUEST_ID_OK.match(rid) is not None and len(rid) <= 64 and " " not in rid
    if well_formed:
        assert r.headers["x-request-id"] == rid == body["meta"]["request_id"]
    else:
        assert r.headers["x-request-id"] != rid
        assert REQUEST_ID_OK.match(r.headers["x-request-id"])
        assert rid not in r.text  # a malformed id is not reflected anywhere


@pytest.mark.property(12)
def test_p12_generated_request_ids_are_unique(world: World) -> None:
    seen = {world.api.get(f"{API}/healthz").headers["x-request-id"] for _ in range(50)}
    assert len(seen) == 50


# ---------------------------------------------------------------------------------------------------------------
# Property 14: input validation
# ---------------------------------------------------------------------------------------------------------------

MISSING = object()
letters = st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=20)
wrong_for_str = st.one_of(
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(letters, st.integers(), max_size=2),
)
bad_emails = st.one_of(
    letters,  # no @ at all
    letters.map(lambda s: "@" + s + ".com"),  # empty local part
    letters.map(lambda s: s + "@"),  # no domain
    st.builds(lambda a, b: f"{a} {b}@example.com", letters, letters),  # a space
    st.builds(lambda a, b: f"{a}@@{b}.com", letters, letters),  # two @
    letters.map(lambda s: s + "@example..com"),  # empty domain label
    st.integers(250, 400).map(lambda n: "a" * n + "@example.com"),  # address too long (> 254)
)


def too_long(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda n: "x" * n)


def str_field(*, required: bool, lo: int = 0, hi: int | None = None, nullable: bool = False) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [wrong_for_str]
    if required:
        options.append(st.just(MISSING))
    if not nullable:
        options.append(st.none())
    if lo >= 1:
        options.append(st.just(""))
    if hi is not None:
        options.append(too_long(hi + 1, hi + 300))
    return st.one_of(*options)


def email_field(*, required: bool) -> st.SearchStrategy[Any]:
    options = [bad_emails, wrong_for_str]
    if required:
        options += [st.just(MISSING), st.none()]
    return st.one_of(*options)


bad_int_1_3650 = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=3651),
    letters.filter(lambda s: not s.isdigit()),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(letters, st.integers(), max_size=1),
)
bad_bool = st.one_of(
    st.text(alphabet=string.ascii_letters, min_size=6, max_size=12),  # never one of true/false/yes/no/on/off
    st.integers(min_value=2),
    st.integers(max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f not in (0.0, 1.0)),
    st.lists(st.booleans(), max_size=2),
    st.dictionaries(letters, st.booleans(), max_size=1),
)
bad_role = st.one_of(
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=10).filter(lambda s: s not in ("user", "admin")),
    st.integers(),
    st.lists(st.sampled_from(["user", "admin"]), max_size=2),
)
bad_scopes = st.one_of(
    st.sampled_from(["mail:read", "admin"]),  # a string, not a list
    st.integers(),
    st.dictionaries(letters, letters, max_size=1),
    st.lists(st.integers(), min_size=1, max_size=3),
)
bad_limit_users = st.one_of(st.integers(max_value=0), st.integers(min_value=201), letters.filter(str.isalpha))
bad_limit_audit = st.one_of(st.integers(max_value=0), st.integers(min_value=501), letters.filter(str.isalpha))
bad_offset = st.one_of(st.integers(max_value=-1), letters.filter(str.isalpha))
not_a_date = st.text(alphabet=string.ascii_letters, min_size=1, max_size=12)

# endpoint: (method, path, credential, valid body or None, {field: breaker}, where) where: body or query
VALIDATED: dict[str, tuple[str, str, str | None, dict[str, Any], dict[str, st.SearchStrategy[Any]], str]] = {
    "register": (
        "POST",
        f"{API}/auth/register",
        None,
        {"email": "valid.user@example.com", "password": PASSWORD, "display_name": "Val"},
        {
            "email": email_field(required=True),
            "password": str_field(required=True, lo=1, hi=256),
            "display_name": str_field(required=False, hi=200, nullable=True),
        },
        "body",
    ),
    "login": (
        "POST",
        f"{API}/auth/login",
        None,
        {"email": "alice@example.com", "password": "Wrong-but-valid 1"},
        {"email": email_field(required=True), "password": str_field(required=True, lo=1, hi=256)},
        "body",
    ),
    "refresh": (
        "POST",
        f"{API}/auth/refresh",
        None,
        {"refresh_token": "abc.def"},
        # Optional since browsers refresh with the HttpOnly cookie instead; present, it must still be valid.
        {
            "refresh_token": str_field(required=False, lo=1, hi=4096, nullable=True),
            "email": email_field(required=False),
        },
        "body",
    ),
    "verify": (
        "POST",
        f"{API}/auth/verify-email",
        None,
        {"token": "abc.def"},
        {
            "token": str_field(required=False, hi=512, nullable=True),
            "code": str_field(required=False, hi=64, nullable=True),
            "email": email_field(required=False),
        },
        "body",
    ),
    "reset": (
        "POST",
        f"{API}/auth/reset-password",
        None,
        {"email": "x@example.com"},
        {"email": email_field(required=True)},
        "body",
    ),
    "reset-confirm": (
        "POST",
        f"{API}/auth/reset-password/confirm",
        None,
        {"token": "abc.def", "new_password": PASSWORD},
        {"token": str_field(required=True, lo=1, hi=512), "new_password": str_field(required=True, lo=1, hi=256)},
        "body",
    ),
    "api-key": (
        "POST",
        f"{API}/api-keys",
        "user",
        {"name": "k", "scopes": ["mail:read"], "expires_in_days": 30},
        {"name": str_field(required=True, lo=1, hi=100), "scopes": bad_scopes, "expires_in_days": bad_int_1_3650},
        "body",
    ),
    "admin-patch": (
        "PATCH",
        f"{API}/admin/users/{{user_id}}",
        "admin",
        {"role": "user"},
        {"role": bad_role, "disabled": bad_bool},
        "body",
    ),
    "admin-users": (
        "GET",
        f"{API}/admin/users",
        "admin",
        {"limit": 10, "offset": 0},
        {"limit": bad_limit_users, "offset": bad_offset},
        "query",
    ),
    "audit-logs": (
        "GET",
        f"{API}/admin/audit-logs",
        "admin",
        {"limit": 10, "offset": 0},
        {"limit": bad_limit_audit, "offset": bad_offset, "since": not_a_date, "until": not_a_date},
        "query",
    ),
}


@st.composite
def malformed_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], str]:
    name = draw(st.sampled_from(sorted(VALIDATED)))
    _, _, _, valid, breakers, _ = VALIDATED[name]
    field = draw(st.sampled_from(sorted(breakers)))
    body: dict[str, Any] = dict(valid)
    bad = draw(breakers[field])
    if bad is MISSING:
        body.pop(field, None)
    else:
        body[field] = bad
    return name, field, body, "missing" if bad is MISSING else "bad"


@pytest.mark.property(14)
@PROPS
@given(case=malformed_requests())
def test_p14_malformed_input_is_422_validation_failed_naming_the_field(
    world: World, case: tuple[str, str, dict[str, Any], str]
) -> None:
    world.relogin()
    name, field, body, _ = case
    method, path, cred, _, _, where = VALIDATED[name]
    headers = {"user": world.user.headers, "admin": world.admin.headers}.get(cred or "", {})
    path = path.replace("{user_id}", world.user.user_id)
    if where == "body":
        r = world.api.client.request(method, path, json=body, headers=headers)
    else:
        r = world.api.client.request(method, path, params=body, headers=headers)
    note(f"{method} {path} {body!r} -> {r.status_code} {r.text[:400]}")
    assert r.status_code == 422, r.text
    out = assert_envelope(r)
    assert out["error"]["code"] == "validation_failed"
    fields = [d.get("field") or "" for d in out["error"]["details"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), (field, out["error"]["details"])
    assert field in out["error"]["message"], out["error"]["message"]  # the message says what to fix


@pytest.mark.property(14)
@PROPS
@given(
    path=st.sampled_from([f"{API}/auth/register", f"{API}/auth/login", f"{API}/auth/reset-password"]),
    body=st.one_of(st.lists(json_scalars, max_size=3), json_scalars.filter(lambda v: v is not None)),
)
def test_p14_a_body_that_is_not_an_object_is_422(world: World, path: str, body: Any) -> None:
    r = world.api.post(path, json=body)
    assert r.status_code == 422, r.text
    out = assert_envelope(r)
    assert out["error"]["code"] == "validation_failed" and out["error"]["details"]


@pytest.mark.property(14)
@PROPS
@given(raw=st.binary(min_size=1, max_size=60))  # not JSON
def test_p14_a_body_that_is_not_json_is_422(world: World, raw: bytes) -> None:
    try:
        json.loads(raw)
        assume(False)  # happens to be JSON; covered above
    except ValueError:
        pass
    r = world.api.post(f"{API}/auth/login", content=raw, headers={"Content-Type": "application/json"})
    # Not JSON: 422 validation_failed; not even text (undecodable bytes): 400 bad_request. Enveloped either way.
    assert r.status_code in (400, 422), r.text
    code = assert_envelope(r)["error"]["code"]
    assert code == ("validation_failed" if r.status_code == 422 else "bad_request")


# ---------------------------------------------------------------------------------------------------------------
# Security headers on every kind of answer
# ---------------------------------------------------------------------------------------------------------------


class BrokenUseCase:
    def __init__(self, marker: str = "boom") -> None:
        self.marker = marker

    def execute(self, *_: Any, **__: Any) -> Any:
        raise RuntimeError(f"{self.marker}: database password is hunter2")


def test_security_headers_on_every_status(tmp_path: Path) -> None:
    w = build_world(tmp_path)
    api, user, admin = w.api, w.user, w.admin
    seen: dict[int, Any] = {}

    def check(r: Any) -> None:
        assert_security_headers(r)
        seen[r.status_code] = r

    check(api.get("/healthz"))  # 200
    # The documentation pages get the headers too (with a CSP that lets them load).
    docs = api.get("/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
    assert_security_headers(docs)
    check(api.post(f"{API}/auth/register", json={"email": "new@example.com", "password": PASSWORD}))  # 201
    check(api.post(f"{API}/auth/reset-password", json={"email": "new@example.com"}))  # 202
    check(api.get(f"{API}/auth/me"))  # 401
    check(api.get(f"{API}/admin/users", headers=user.headers))  # 403
    check(api.get(f"{API}/nothing/here"))  # 404
    check(api.put("/healthz"))  # 405
    check(api.post(f"{API}/auth/register", json={"email": "new@example.com", "password": PASSWORD}))  # 409
    check(api.post(f"{API}/auth/register", json={"email": 5}))  # 422
    w.container.list_api_keys.override(providers.Object(BrokenUseCase()))
    try:
        check(api.get(f"{API}/api-keys", headers=user.headers))  # 500
    finally:
        w.container.list_api_keys.reset_override()
    w.settings.anonymous_rate_limit_per_minute = 0  # every anonymous request is now beyond the limit
    check(api.get(f"{API}/auth/me"))  # 429 from the middleware
    check(api.post(f"{API}/auth/login", json={"email": "a@example.com", "password": "x"}))  # 429
    w.settings.rate_limit_per_minute = 0
    check(api.get(f"{API}/auth/me", headers=admin.headers))  # 429 per user
    assert {200, 201, 202, 401, 403, 404, 405, 409, 422, 429, 500} <= set(seen), sorted(seen)
    for status, r in seen.items():
        if status != 200:
            assert_envelope(r)


# ---------------------------------------------------------------------------------------------------------------
# Property 13: rate limiting
# ---------------------------------------------------------------------------------------------------------------

WINDOW = 60


@dataclass
class ClockedWorld:
    world: World
    clock: InMemoryClock
    base: datetime
    window: int = 0

    def next_window(self, offset: float) -> datetime:
        """Move to the start of a window nobody has used yet, plus `offset` seconds into it; return its end."""
        self.window += 2  # two: a check may already have waited into the next one
        start = self.base + timedelta(seconds=self.window * WINDOW)
        self.clock.set(start + timedelta(seconds=offset))
        return start + timedelta(seconds=WINDOW)


def clocked_world(data_dir: Path) -> ClockedWorld:
    # A minute boundary a day ago: tokens are issued "in the past" (so they are never issued in the future of the
    # wall clock), and access tokens live long enough for the many windows the examples walk through.
    now = datetime.now(UTC) - timedelta(days=1)
    start = datetime.fromtimestamp(math.floor(now.timestamp() / WINDOW) * WINDOW, UTC)
    clock = InMemoryClock(start)
    w = build_world(data_dir, clock=clock, access_token_ttl_seconds=10**8, session_max_age_seconds=10**8)
    return ClockedWorld(w, clock, start)


def assert_rate_limited(r: Any, window_end: datetime, now: datetime) -> int:
    assert r.status_code == 429, r.text
    body = assert_envelope(r)
    assert body["error"]["code"] == "rate_limited"
    assert_security_headers(r)
    retry_after = int(r.headers["retry-after"])
    assert 0 < retry_after <= WINDOW
    assert retry_after >= math.ceil((window_end - now).total_seconds()) - 1  # not before the window ends
    return retry_after


ANONYMOUS_ROUTES = {
    "me": ("GET", f"{API}/auth/me", None),
    "unknown": ("GET", f"{API}/not/a/route", None),
    "keys-delete": ("DELETE", f"{API}/api-keys/abc", None),
    "users": ("GET", f"{API}/admin/users", None),
}
PUBLIC_ROUTES = {
    "login": ("POST", f"{API}/auth/login", {"email": "nobody@example.com", "password": "Wrong-password 1"}),
    "reset": ("POST", f"{API}/auth/reset-password", {"email": "nobody@example.com"}),
    "register-invalid": ("POST", f"{API}/auth/register", {"email": "not-an-email", "password": "x"}),
    "refresh": ("POST", f"{API}/auth/refresh", {"refresh_token": "nope.nope"}),
}


def _anonymous_limit_property(cw: ClockedWorld, routes: dict[str, tuple[str, str, Any]]) -> Any:
    @PROPS
    @given(
        limit=st.integers(1, 6),
        extra=st.integers(0, 4),
        names=st.lists(st.sampled_from(sorted(routes)), min_size=1, max_size=3),
        offset=st.floats(0, WINDOW - 0.001),
    )
    @example(limit=1, extra=1, names=sorted(routes)[:1], offset=0.0)  # the smallest case, first
    def check(limit: int, extra: int, names: list[str], offset: float) -> None:
        cw.world.settings.anonymous_rate_limit_per_minute = limit
        window_end = cw.next_window(offset)
        last_retry = None
        for i in range(1, limit + extra + 1):
            method, path, body = routes[names[i % len(names)]]
            r = cw.world.api.client.request(method, path, json=body)
            note(f"#{i} {method} {path} -> {r.status_code}")
            if i <= limit:
                assert r.status_code != 429, f"request {i} of a limit of {limit} was refused: {r.text}"
                assert_envelope(r)
            else:
                last_retry = assert_rate_limited(r, window_end, cw.clock.now())
        if last_retry is not None:  # waiting as long as Retry-After says is enough
            cw.clock.advance(last_retry)
            method, path, body = routes[names[0]]
            assert cw.world.api.client.request(method, path, json=body).status_code != 429

    return check


@pytest.mark.property(13)
def test_p13_anonymous_requests_beyond_the_limit_get_429(tmp_path: Path) -> None:
    cw = clocked_world(tmp_path)
    _anonymous_limit_property(cw, ANONYMOUS_ROUTES)()


@pytest.mark.property(13)
def test_p13_public_auth_endpoints_count_each_anonymous_request_once(tmp_path: Path) -> None:
    """register/login/refresh/reset are limited per IP: N requests pass, request N+1 is the first 429."""
    cw = clocked_world(tmp_path)
    _anonymous_limit_property(cw, PUBLIC_ROUTES)()


@pytest.mark.property(13)
def test_p13_requests_with_failed_credentials_are_limited_per_ip(tmp_path: Path) -> None:
    """Guessing tokens or keys is anonymous traffic: beyond the per-IP limit it is refused with 429 too."""
    cw = clocked_world(tmp_path)

    @PROPS
    @given(
        limit=st.integers(1, 6),
        extra=st.integers(1, 4),
        guesses=st.lists(
            st.one_of(
                header_token.map(lambda t: {"Authorization": f"Bearer {t}"}),
                header_token.map(lambda t: {"X-API-Key": f"mak_{t}.{t}"}),
            ),
            min_size=1,
            max_size=4,
        ),
        offset=st.floats(0, WINDOW - 0.001),
    )
    @example(limit=1, extra=1, guesses=[{"Authorization": "Bearer 0"}], offset=0.0)  # the smallest case, first
    def check(limit: int, extra: int, guesses: list[dict[str, str]], offset: float) -> None:
        cw.world.settings.anonymous_rate_limit_per_minute = limit
        window_end = cw.next_window(offset)
        for i in range(1, limit + extra + 1):
            r = cw.world.api.get(f"{API}/auth/me", headers=guesses[i % len(guesses)])
            if i <= limit:
                assert r.status_code == 401, r.text
            else:
                assert_rate_limited(r, window_end, cw.clock.now())

    check()


@pytest.mark.property(13)
def test_p13_authenticated_limits_count_per_user_and_per_api_key(tmp_path: Path) -> None:
    cw = clocked_world(tmp_path)
    w = cw.world
    alice_again = w.api.login(w.user.email)  # a second session of the same user: the same bucket
    bob = w.api.signup("bob@example.com")
    second_key = w.api.post(f"{API}/api-keys", json={"name": "second"}, headers=w.user.headers).json()["data"]["key"]
    actors = {
        "alice-session-1": ({"Authorization": f"Bearer {w.user.access_token}"}, "user:alice"),
        "alice-session-2": (alice_again.headers, "user:alice"),
        "bob": (bob.headers, "user:bob"),
        "alice-key-1": ({"X-API-Key": w.key}, "key:1"),
        "alice-key-2": ({"Authorization": f"Bearer {second_key}"}, "key:2"),
        "anonymous": ({}, "ip"),
    }

    @PROPS
    @given(
        user_limit=st.integers(1, 4),
        anon_limit=st.integers(1, 4),
        sequence=st.lists(st.sampled_from(sorted(actors)), min_size=1, max_size=12),
        offset=st.floats(0, WINDOW - 0.001),
    )
    def check(user_limit: int, anon_limit: int, sequence: list[str], offset: float) -> None:
        w.settings.rate_limit_per_minute = user_limit
        w.settings.anonymous_rate_limit_per_minute = anon_limit
        window_end = cw.next_window(offset)
        counts: dict[str, int] = {}
        for name in sequence:
            headers, bucket = actors[name]
            counts[bucket] = counts.get(bucket, 0) + 1
            limit = anon_limit if bucket == "ip" else user_limit
            r = w.api.get(f"{API}/auth/me", headers=headers)
            note(f"{name} #{counts[bucket]} (limit {limit}) -> {r.status_code}")
            if counts[bucket] > limit:
                assert_rate_limited(r, window_end, cw.clock.now())
            else:
                assert r.status_code == (401 if bucket == "ip" else 200), r.text

    check()


# ---------------------------------------------------------------------------------------------------------------
# Unhandled exceptions
# ---------------------------------------------------------------------------------------------------------------


@contextmanager
def log_capture() -> Iterator[io.StringIO]:
    """Collect what the app logs, whether structlog prints directly (unconfigured) or goes through logging."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.KeyValueRenderer(),
            ],
            foreign_pre_chain=[structlog.contextvars.merge_contextvars],
        )
    )
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


@pytest.mark.property(90)
@pytest.mark.parametrize("sent_rid", ["client-chosen-id.42", None, "not a valid id!"])
def test_unhandled_exception_is_a_generic_500_logged_with_traceback_and_request_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, sent_rid: str | None
) -> None:
    w = build_world(tmp_path)
    marker = f"boom-{uuid.uuid4().hex}"
    w.container.list_api_keys.override(providers.Object(BrokenUseCase(marker)))
    capsys.readouterr()
    headers = dict(w.user.headers)
    if sent_rid:
        headers["X-Request-ID"] = sent_rid
    with log_capture() as stream, caplog.at_level(logging.ERROR):
        r = w.api.get(f"{API}/api-keys", headers=headers)
    w.container.list_api_keys.reset_override()
    assert r.status_code == 500
    body = assert_envelope(r)
    assert_security_headers(r)
    rid = r.headers["x-request-id"]
    if sent_rid and REQUEST_ID_OK.match(sent_rid):
        assert rid == sent_rid
    message = body["error"]["message"]
    assert rid in message  # the person can quote it
    assert marker not in r.text and "hunter2" not in r.text and "Traceback" not in r.text  # nothing internal
    out = capsys.readouterr()
    logged = out.out + out.err + stream.getvalue() + caplog.text
    assert "Traceback" in logged, logged[-2000:]
    assert marker in logged  # the real error is in the log, with its stack
    assert rid in logged  # ... next to the request id
    # The app keeps serving afterwards.
    assert w.api.get(f"{API}/api-keys", headers=w.user.headers).status_code == 200


class RaisingUseCase:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def execute(self, *_: Any, **__: Any) -> Any:
        raise self.error


BROKEN_ROUTES = {  # the container's use case behind a route -> the request that reaches it
    "list_api_keys": ("GET", f"{API}/api-keys"),
    "list_sessions": ("GET", f"{API}/auth/sessions"),
}


@pytest.mark.property(90)
@PROPS
@given(
    kind=st.sampled_from([RuntimeError, KeyError, ValueError, TypeError, ZeroDivisionError, AssertionError, OSError]),
    detail=st.text(alphabet=string.ascii_letters + string.digits + " =:/", max_size=40),
    route=st.sampled_from(sorted(BROKEN_ROUTES)),
    rid=st.one_of(st.none(), good_request_ids),
)
def test_p90_any_unhandled_exception_is_a_generic_500_logged_with_its_traceback(
    world: World, kind: type[Exception], detail: str, route: str, rid: str | None
) -> None:
    """Whatever a use case raises, wherever: the caller gets the generic 500 envelope quoting the request id and
    nothing of the error; the log has the traceback, the error and the request id; the app keeps serving."""
    marker = f"boom-{uuid.uuid4().hex}"
    provider = getattr(world.container, route)
    provider.override(providers.Object(RaisingUseCase(kind(f"{marker} {detail} password=hunter2"))))
    method, path = BROKEN_ROUTES[route]
    headers = dict(world.user.headers) | ({"X-Request-ID": rid} if rid else {})
    try:
        with log_capture() as stream:
            r = world.api.client.request(method, path, headers=headers)
    finally:
        provider.reset_override()
    assert r.status_code == 500, r.text
    body = assert_envelope(r)
    assert body["error"]["code"] == "internal_error"
    request_id = r.headers["x-request-id"]
    if rid:
        assert request_id == rid
    assert request_id in body["error"]["message"]
    assert marker not in r.text and "hunter2" not in r.text and "Traceback" not in r.text
    logged = stream.getvalue()
    assert "Traceback" in logged and marker in logged and request_id in logged, logged[-2000:]
    assert kind.__name__ in logged
    assert world.api.client.request(method, path, headers=world.user.headers).status_code == 200


# The documented answer to each kind of failure a use case reports: (status, error code).
FAILURES: list[tuple[Callable[[str], Exception], int, str]] = [
    (lambda m: errors.ValidationFailed(m, details=[{"field": "subject"}]), 422, "validation_failed"),
    (errors.NotFound, 404, "not_found"),
    (errors.PermissionDenied, 403, "permission_denied"),
    (errors.Conflict, 409, "conflict"),
    (errors.ReauthRequired, 409, "reauth_required"),
    (lambda m: errors.RateLimited(m, retry_after=17), 429, "rate_limited"),
    (errors.QuotaExceeded, 429, "quota_exceeded"),
    (errors.NotConfigured, 501, "not_configured"),
    (lambda m: errors.ServiceUnavailable(m, service="gmail", retry_after=30), 503, "service_unavailable"),
    (lambda m: errors.UpstreamError(m, service="gmail"), 502, "upstream_error"),
]
sentences = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(st.text(alphabet=string.ascii_lowercase + "'", min_size=1, max_size=9), min_size=1, max_size=8),
    st.sampled_from([".", "; try again later.", "."]),
)


@pytest.mark.property(87)
@PROPS
@given(failure=st.sampled_from(FAILURES), message=sentences, route=st.sampled_from(sorted(BROKEN_ROUTES)))
def test_p87_every_failure_reaches_the_user_as_its_status_and_its_sentence(
    world: World, failure: tuple[Callable[[str], Exception], int, str], message: str, route: str
) -> None:
    """Whatever a use case reports (not found, refused, conflict, limits, a dependency down, ...): the caller gets
    the documented status and code in the envelope, with the use case's own sentence as the message — no
    exception name, no traceback — and Retry-After when the failure says when to try again."""
    make, status, code = failure
    error = make(message)
    provider = getattr(world.container, route)
    provider.override(providers.Object(RaisingUseCase(error)))
    method, path = BROKEN_ROUTES[route]
    try:
        r = world.api.client.request(method, path, headers=world.user.headers)
    finally:
        provider.reset_override()
    assert r.status_code == status, r.text
    body = assert_envelope(r)
    assert body["error"]["code"] == code and body["error"]["message"] == message
    assert type(error).__name__ not in r.text and "Traceback" not in r.text
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        assert r.headers["retry-after"] == str(retry_after)
