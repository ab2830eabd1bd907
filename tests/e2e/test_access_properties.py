"""Properties of identity and access, through the real app on the embedded default (SQLite in a temp dir).

- 18, 21, 22, 23: valid credentials authenticate (and yield a well-formed 15-minute JWT); wrong password and
  unknown e-mail are refused with the same answer; any altered or forged token is refused; expiry is exact.
- 19: the register endpoint accepts a password iff it meets every rule, and names each rule it breaks.
- 20, 24: registration mails exactly one verification link; a reset mails a link to existing accounts only and
  answers the same for unknown addresses.
- 34-39: API keys carry exactly their scopes, belong to their creator, stop working when revoked or expired,
  reach what the JWT reaches where scopes allow, never exceed their owner, and are audited.
- 27, 28, 31 (stateful): no user ever sees or ends another user's keys or sessions; non-admins get 403 on /admin.
- 29, 30, 32, 33, 41, 42: roles, the last admin, audit entries (who/what/where/when), audit queries and the hash
  chain check.

Each test builds its app once, before `@given` runs, and keeps each example to a few in-process round trips.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import string
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, assume, example, given, note
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test
from jwt.utils import base64url_decode

from adapters.in_memory.clock import InMemoryClock
from application.use_cases.create_user import CreateUserInput
from domain.identity import USER_SCOPES, Scope
from domain.password_policy import MIN_LENGTH, check_password
from entrypoints.container import build_container
from tests.support.app import PASSWORD, Account, Api, make_app, make_settings, outbox_link
from tests.support.properties import for_profile

API = "/api/v1"
ADMIN_EMAIL, ADMIN_PASSWORD = "root@example.com", "Admin-pass 1234!"
WRONG_CREDENTIALS = "Wrong e-mail or password."
UNLIMITED: dict[str, Any] = {
    "anonymous_rate_limit_per_minute": 10**9,
    "rate_limit_per_minute": 10**9,
    "login_failures_per_account": 10**9,
    "login_failures_per_ip": 10**9,
}
ALL_SCOPE_VALUES = sorted(s.value for s in Scope)
USER_SCOPE_VALUES = sorted(s.value for s in USER_SCOPES)
PROPS = for_profile(hsettings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]))


# ---------------------------------------------------------------------------------------------------------------
# One app per test
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Env:
    api: Api
    container: Any
    settings: Any
    clock: InMemoryClock | None = None
    admin: Account | None = None
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def email(self, prefix: str = "u") -> str:
        return f"{prefix}{next(self.counter)}q{uuid.uuid4().hex[:6]}@example.com"

    @property
    def secret(self) -> bytes:
        return self.settings.jwt_secret.get_secret_value().encode()  # type: ignore[no-any-return]

    def audit(self, **params: Any) -> list[dict[str, Any]]:
        assert self.admin is not None
        r = self.api.get(f"{API}/admin/audit-logs", params={"limit": 500, **params}, headers=self.admin.headers)
        assert r.status_code == 200, r.text
        return r.json()["data"]  # type: ignore[no-any-return]


_opened: list[Api] = []


def open_api(app: Any, settings: Any) -> Api:
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


def make_env(data_dir: Path, *, clock: InMemoryClock | None = None, admin: bool = True, **overrides: Any) -> Env:
    settings = make_settings(data_dir, **{**UNLIMITED, **overrides})
    app, container = make_app(settings, clock=clock)
    env = Env(open_api(app, settings), container, settings, clock)
    if admin:
        container.create_user().execute(CreateUserInput(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True))
        env.admin = env.api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    return env


def past_whole_second() -> datetime:
    """A clock start in the (recent) past: tokens are never issued after the wall clock (PyJWT checks `iat`)."""
    return (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sid_of(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------------------------------------------
# 18, 21: credentials
# ---------------------------------------------------------------------------------------------------------------

passwords_1_64 = st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=64)


@pytest.mark.property(18, 21)
def test_p18_p21_only_the_right_password_signs_in_and_refusals_do_not_tell_why(tmp_path: Path) -> None:
    env = make_env(tmp_path, admin=False)
    secrets = ["Correct-horse 42 battery", "Zebra?crossing 9 times", "Ünïcode-Pässwort 77"]
    users = [env.api.signup(f"login{i}@example.com", pw) for i, pw in enumerate(secrets)]
    refusals: set[str] = set()
    refresh_tokens: set[str] = set()

    @PROPS
    @given(
        idx=st.integers(0, len(users) - 1),
        upper=st.lists(st.booleans(), min_size=30, max_size=30),
        password=st.one_of(st.none(), passwords_1_64, st.sampled_from(secrets)),
        unknown=st.booleans(),
    )
    def check(idx: int, upper: list[bool], password: str | None, unknown: bool) -> None:
        acct = users[idx]
        address = f"ghost{idx}@example.com" if unknown else acct.email
        address = "".join(c.upper() if u else c for c, u in zip(address, upper + [False] * 30, strict=False))
        pw = acct.password if password is None else password
        r = env.api.post(f"{API}/auth/login", json={"email": address, "password": pw})
        note(f"{address} / {pw!r} -> {r.status_code} {r.text[:200]}")
        if not unknown and pw == acct.password:
            assert r.status_code == 200, r.text
            data = r.json()["data"]
            assert data["user"]["id"] == acct.user_id and data["token_type"] == "bearer"
            assert data["expires_in"] == 900
            claims = jwt.decode(data["access_token"], env.secret, algorithms=["HS256"], issuer="mailagent")
            assert claims["sub"] == acct.user_id and claims["typ"] == "access"
            assert claims["exp"] - claims["iat"] == 900
            assert data["refresh_token"] and data["refresh_token"] not in refresh_tokens
            refresh_tokens.add(data["refresh_token"])
            me = env.api.get(f"{API}/auth/me", headers=bearer(data["access_token"]))
            assert me.status_code == 200 and me.json()["data"]["id"] == acct.user_id
        else:
            assert r.status_code == 401, r.text
            error = r.json()["error"]
            assert error["code"] == "authentication_failed" and error["message"] == WRONG_CREDENTIALS
            refusals.add(json.dumps(error, sort_keys=True))
            assert "access_token" not in r.text

    check()
    assert len(refusals) == 1, refusals  # unknown address and wrong password: the very same answer


# ---------------------------------------------------------------------------------------------------------------
# 22: altered and forged tokens
# ---------------------------------------------------------------------------------------------------------------

B64URL = string.ascii_letters + string.digits + "-_"
mutation = st.one_of(
    st.tuples(st.just("replace"), st.integers(0, 2), st.integers(0, 10**4), st.sampled_from(B64URL + "=.+/!~")),
    st.tuples(st.just("delete"), st.integers(0, 2), st.integers(0, 10**4), st.just("")),
    st.tuples(st.just("insert"), st.integers(0, 2), st.integers(0, 10**4), st.sampled_from(B64URL + "=.")),
    st.tuples(st.just("truncate"), st.just(0), st.integers(0, 10**4), st.just("")),
    st.tuples(st.just("swap"), st.integers(0, 2), st.integers(0, 2), st.just("")),
)


def mutate(token: str, m: tuple[str, int, int, str]) -> str:
    kind, seg, pos, ch = m
    if not token:
        return token
    if kind == "truncate":
        return token[: pos % len(token)]
    parts = token.split(".")
    seg %= len(parts)
    if kind == "swap":
        other = pos % len(parts)
        parts[seg], parts[other] = parts[other], parts[seg]
        return ".".join(parts)
    s = parts[seg]
    if kind == "replace" and s:
        i = pos % len(s)
        parts[seg] = s[:i] + ch + s[i + 1 :]
    elif kind == "delete" and s:
        i = pos % len(s)
        parts[seg] = s[:i] + s[i + 1 :]
    elif kind == "insert":
        i = pos % (len(s) + 1)
        parts[seg] = s[:i] + ch + s[i:]
    return ".".join(parts)


def same_token(original: str, altered: str) -> bool:
    """True when the alteration is not one: the same signed bytes (base64 leaves the last bits of a segment free)."""
    a, b = original.split("."), altered.split(".")
    if len(b) != 3 or a[:2] != b[:2]:
        return False
    try:
        return base64url_decode(a[2]) == base64url_decode(b[2])
    except Exception:
        return False


@pytest.mark.property(22)
def test_p22_any_altered_token_is_refused(tmp_path: Path) -> None:
    env = make_env(tmp_path, admin=False)
    acct = env.api.signup("tamper@example.com")

    @PROPS
    @given(mutations=st.lists(mutation, min_size=1, max_size=3))
    def check(mutations: list[tuple[str, int, int, str]]) -> None:
        altered = acct.access_token
        for m in mutations:
            altered = mutate(altered, m)
        assume(altered.strip() and not same_token(acct.access_token, altered))
        note(altered)
        r = env.api.get(f"{API}/auth/me", headers=bearer(altered))
        assert r.status_code == 401, r.text
        assert r.json()["error"]["code"] == "authentication_failed"
        assert r.headers.get("www-authenticate") == "Bearer"

    check()
    assert env.api.get(f"{API}/auth/me", headers=acct.headers).status_code == 200  # the real one still works


CHOICE = st.sampled_from(["ok", "wrong", "absent"])


@pytest.mark.property(22)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # forging with short keys is the point
def test_p22_a_forged_token_works_only_when_everything_about_it_is_right(tmp_path: Path) -> None:
    env = make_env(tmp_path, admin=False)
    alice, bob = env.api.signup("alice@example.com"), env.api.signup("bob@example.com")
    me = (alice.user_id, sid_of(alice.access_token))
    other = (bob.user_id, sid_of(bob.access_token))

    @PROPS
    @given(
        key=st.sampled_from(["ok", "wrong"]),
        alg=st.sampled_from(["HS256", "HS384", "HS512", "none"]),
        kid=CHOICE,
        typ=CHOICE,
        iss=CHOICE,
        who=st.sampled_from(["me", "bob", "my-sub-bobs-session", "bobs-sub-my-session", "random", "no-sub", "no-sid"]),
        exp=st.sampled_from(["future", "past", "absent"]),
        iat=st.sampled_from(["ok", "absent"]),
        wrong_key=st.binary(min_size=32, max_size=64),
    )
    def check(key: str, alg: str, kid: str, typ: str, iss: str, who: str, exp: str, iat: str, wrong_key: bytes) -> None:
        assume(wrong_key != env.secret)
        now = int(datetime.now(UTC).timestamp())
        sub, sid = {
            "me": me,
            "bob": other,
            "my-sub-bobs-session": (me[0], other[1]),
            "bobs-sub-my-session": (other[0], me[1]),
            "random": (uuid.uuid4().hex, uuid.uuid4().hex),
            "no-sub": (None, me[1]),
            "no-sid": (me[0], None),
        }[who]
        payload: dict[str, Any] = {"jti": uuid.uuid4().hex}
        for name, value in (("sub", sub), ("sid", sid)):
            if value is not None:
                payload[name] = value
        if typ != "absent":
            payload["typ"] = "access" if typ == "ok" else "refresh"
        if iss != "absent":
            payload["iss"] = "mailagent" if iss == "ok" else "someone-else"
        if exp != "absent":
            payload["exp"] = now + 600 if exp == "future" else now - 5
        if iat == "ok":
            payload["iat"] = now - 10
        headers = {} if kid == "absent" else {"kid": "mailagent" if kid == "ok" else "other"}
        signing_key: Any = None if alg == "none" else (env.secret if key == "ok" else wrong_key)
        token = jwt.encode(payload, signing_key, algorithm=alg, headers=headers)
        should_work = (
            key == "ok"
            and alg == "HS256"
            and kid == typ == iss == iat == "ok"
            and exp == "future"
            and who in ("me", "bob")
        )
        r = env.api.get(f"{API}/auth/me", headers=bearer(token))
        note(f"{payload} {headers} {alg} -> {r.status_code}")
        if should_work:
            assert r.status_code == 200, r.text
            assert r.json()["data"]["id"] == sub
        else:
            assert r.status_code == 401, r.text
            assert r.json()["error"]["code"] == "authentication_failed"

    check()


# ---------------------------------------------------------------------------------------------------------------
# 23: expiry
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.property(23)
def test_p23_an_access_token_works_until_it_expires_and_never_after(tmp_path: Path) -> None:
    t0 = past_whole_second()
    clock = InMemoryClock(t0)
    env = make_env(tmp_path, clock=clock, admin=False)
    acct = env.api.signup("expiry@example.com")
    ttl = env.settings.access_token_ttl_seconds
    assert ttl == 900

    @PROPS
    @given(
        offset=st.one_of(
            st.sampled_from([0.0, 1.0, ttl - 1.0, ttl - 0.001, float(ttl), ttl + 0.001, ttl + 1.0]),
            st.floats(0, 4 * ttl),
        )
    )
    def check(offset: float) -> None:
        clock.set(t0 + timedelta(seconds=offset))
        r = env.api.get(f"{API}/auth/me", headers=acct.headers)
        if offset < ttl:
            assert r.status_code == 200, (offset, r.text)
        else:
            assert r.status_code == 401, (offset, r.text)
            assert "expired" in r.json()["error"]["message"]
            assert r.headers.get("www-authenticate") == "Bearer"

    check()


# ---------------------------------------------------------------------------------------------------------------
# 19: password complexity
# ---------------------------------------------------------------------------------------------------------------

LOWER = string.ascii_lowercase + "äöüéçñ"
UPPER = string.ascii_uppercase + "ÄÖÜÉÇÑ"
SYMBOLS = string.punctuation + " "
ANY_CLASS = LOWER + UPPER + string.digits + SYMBOLS
CLASS_TEST: dict[str, Callable[[str], bool]] = {
    "lowercase": str.islower,
    "uppercase": str.isupper,
    "digit": str.isdigit,
    "symbol": lambda c: not c.isalnum(),
}


@st.composite
def compliant_passwords(draw: st.DrawFn, min_size: int = MIN_LENGTH) -> str:
    must = [draw(st.sampled_from(pool)) for pool in (LOWER, UPPER, string.digits, SYMBOLS)]
    size = draw(st.integers(min_size, 64))
    rest = draw(st.lists(st.sampled_from(ANY_CLASS), min_size=size - 4, max_size=size - 4))
    return "".join(draw(st.permutations(must + rest)))


@st.composite
def password_cases(draw: st.DrawFn) -> tuple[str, str, set[str]]:
    """(kind, password, rules it must break) -- the expectation comes from how the password was built."""
    kind = draw(st.sampled_from(["compliant", "missing", "short", "contains-email", "arbitrary"]))
    if kind == "compliant":
        return kind, draw(compliant_passwords()), set()
    if kind == "missing":
        rule = draw(st.sampled_from(sorted(CLASS_TEST)))
        kept = "".join(c for c in draw(compliant_passwords(min_size=MIN_LENGTH + 4)) if not CLASS_TEST[rule](c))
        return kind, kept, {rule}  # never empty: the other three classes are still there
    if kind == "short":
        full = draw(compliant_passwords())
        return kind, full[: draw(st.integers(1, MIN_LENGTH - 1))], {"min_length"}
    if kind == "contains-email":
        return kind, draw(compliant_passwords()), {"not_email"}  # the e-mail is spliced in by the test
    return kind, draw(st.text(alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)), set()


@pytest.mark.property(19, 32)
def test_p19_p32_register_accepts_exactly_the_passwords_that_meet_every_rule(tmp_path: Path) -> None:
    env = make_env(tmp_path, admin=False)

    @PROPS
    @given(case=password_cases(), at=st.integers(0, 64), shout=st.booleans())
    def check(case: tuple[str, str, set[str]], at: int, shout: bool) -> None:
        kind, password, must_break = case
        address = env.email("pw")
        local = address.split("@")[0]
        if kind == "contains-email":
            spliced = local.upper() if shout else local
            password = password[: at % (len(password) + 1)] + spliced + password[at % (len(password) + 1) :]
        expected = {v.rule for v in check_password(password, address)}
        assert must_break <= expected, (password, must_break, expected)  # the oracle agrees with construction
        if kind == "compliant":
            assume(local not in password.casefold())
            assert expected == set()
        r = env.api.post(f"{API}/auth/register", json={"email": address, "password": password})
        note(f"{password!r} -> {r.status_code} {r.text[:300]}")
        if not expected:
            assert r.status_code == 201, r.text
            user = r.json()["data"]
            assert user["role"] == "user" and user["status"] == "pending"  # 32: the default role
        else:
            assert r.status_code == 422, r.text
            error = r.json()["error"]
            assert error["code"] == "validation_failed"
            rules = {d.get("rule") for d in error["details"]}
            assert rules == expected, (rules, expected)
            assert all(d.get("field") == "password" and d.get("message") for d in error["details"])
            for violation in check_password(password, address):
                assert violation.message in error["message"]  # a clear message per broken rule

    check()


# ---------------------------------------------------------------------------------------------------------------
# 20, 24: verification and reset mails
# ---------------------------------------------------------------------------------------------------------------


def new_mails(outbox: Path, before: set[Path]) -> list[Any]:
    import email
    import email.policy

    after = set(outbox.glob("*.eml")) if outbox.exists() else set()
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(after - before)]


def mail_names(outbox: Path) -> set[Path]:
    return set(outbox.glob("*.eml")) if outbox.exists() else set()


@pytest.mark.property(20, 24)
def test_p20_p24_one_verification_mail_per_registration_and_reset_mail_only_for_real_accounts(
    tmp_path: Path,
) -> None:
    env = make_env(tmp_path, admin=False)
    outbox = env.settings.outbox_dir
    numbers = itertools.count()

    @PROPS
    @given(
        local=st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20),
        verify_first=st.booleans(),
        shout=st.booleans(),
    )
    def check(local: str, verify_first: bool, shout: bool) -> None:
        n = next(numbers)
        address = f"{local}-{n}@example.com"
        before = mail_names(outbox)
        r = env.api.post(
            f"{API}/auth/register", json={"email": address.upper() if shout else address, "password": PASSWORD}
        )
        assert r.status_code == 201, r.text
        assert r.json()["data"]["role"] == "user"
        mails = new_mails(outbox, before)
        assert [m["To"] for m in mails] == [address]  # exactly one, to the (normalised) address
        assert "/verify-email?token=" in mails[0].get_body(("plain",)).get_content()
        if verify_first:  # reset links go to active and to not-yet-verified accounts alike
            env.api.verify(address)
        else:  # a second registration of the address sends nothing
            before = mail_names(outbox)
            dup = env.api.post(f"{API}/auth/register", json={"email": address, "password": PASSWORD})
            assert dup.status_code == 409 and new_mails(outbox, before) == []

        before = mail_names(outbox)
        known = env.api.post(f"{API}/auth/reset-password", json={"email": address})
        mails = new_mails(outbox, before)
        assert [m["To"] for m in mails] == [address]
        assert "/reset-password?token=" in mails[0].get_body(("plain",)).get_content()

        before = mail_names(outbox)
        unknown = env.api.post(f"{API}/auth/reset-password", json={"email": f"nobody-{local}-{n}@example.com"})
        assert new_mails(outbox, before) == []  # nothing is sent for an address without an account
        assert known.status_code == unknown.status_code == 202
        assert known.json()["data"] == unknown.json()["data"]
        assert known.json()["error"] is None and unknown.json()["error"] is None

    check()


# ---------------------------------------------------------------------------------------------------------------
# 34-39: API keys
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.property(34, 35, 36, 37, 39)
def test_p34_p35_p36_p37_p39_keys_carry_their_scopes_belong_to_their_creator_and_are_audited(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    alice, bob = env.api.signup("alice@example.com"), env.api.signup("bob@example.com")

    @PROPS
    @given(
        scopes=st.sets(st.sampled_from(ALL_SCOPE_VALUES)),
        expires=st.none() | st.integers(1, 3650),
        transport=st.sampled_from(["x-api-key", "bearer"]),
        name=st.text(alphabet=string.ascii_letters + " -", min_size=1, max_size=30).filter(str.strip),
    )
    def check(scopes: set[str], expires: int | None, transport: str, name: str) -> None:
        rid = uuid.uuid4().hex
        body = {"name": name, "scopes": sorted(scopes), "expires_in_days": expires}
        r = env.api.post(f"{API}/api-keys", json=body, headers={**alice.headers, "X-Request-ID": rid})
        if "admin" in scopes:  # a user cannot hand out what they do not have
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] == "permission_denied"
            assert rid not in {e["request_id"] for e in env.audit(user_id=alice.user_id, limit=3)}
            return
        assert r.status_code == 201, r.text
        created = r.json()["data"]
        expected_scopes = sorted(scopes) if scopes else USER_SCOPE_VALUES
        key, key_id = created["key"], created["id"]
        assert key.startswith("mak_") and created["prefix"] == key[:12] and created["name"] == name.strip()
        assert created["scopes"] == expected_scopes and created["revoked_at"] is None
        if expires is None:
            assert created["expires_at"] is None
        else:
            assert when(created["expires_at"]) - when(created["created_at"]) == timedelta(days=expires)
        cred = {"X-API-Key": key} if transport == "x-api-key" else bearer(key)

        me = env.api.get(f"{API}/auth/me", headers=cred)
        assert me.status_code == 200, me.text
        assert me.json()["data"]["id"] == alice.user_id and me.json()["data"]["auth"] == "api_key"
        assert me.json()["data"]["scopes"] == expected_scopes

        mine = env.api.get(f"{API}/api-keys", headers=alice.headers).json()["data"]
        assert key_id in {k["id"] for k in mine} and all("key" not in k for k in mine)
        if transport == "bearer":  # (the other user's view of it is the state machine's business; once here)
            assert key_id not in {k["id"] for k in env.api.get(f"{API}/api-keys", headers=bob.headers).json()["data"]}

        revoke_rid = uuid.uuid4().hex
        gone = env.api.delete(f"{API}/api-keys/{key_id}", headers={**alice.headers, "X-Request-ID": revoke_rid})
        assert gone.status_code == 200 and gone.json()["data"]["revoked_at"]
        refused = env.api.get(f"{API}/auth/me", headers=cred)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "authentication_failed"

        revoked_entry, created_entry = env.audit(user_id=alice.user_id, limit=2)
        assert (created_entry["action"], created_entry["target"]) == ("api_key.created", f"api_key:{key_id}")
        assert created_entry["request_id"] == rid and created_entry["details"]["scopes"] == expected_scopes
        assert (revoked_entry["action"], revoked_entry["target"]) == ("api_key.revoked", f"api_key:{key_id}")
        assert revoked_entry["request_id"] == revoke_rid
        assert created_entry["actor_id"] == revoked_entry["actor_id"] == alice.user_id
        assert "secret" not in json.dumps(created_entry) and key.split(".")[1] not in json.dumps(created_entry)

    check()


@pytest.mark.property(36, 38)
def test_p36_p38_an_api_key_reaches_what_the_jwt_reaches_as_far_as_its_scopes_allow(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    assert env.admin is not None
    alice = env.api.signup("alice@example.com")

    def key(acct: Account, scopes: list[str]) -> str:
        r = env.api.post(f"{API}/api-keys", json={"name": "parity", "scopes": scopes}, headers=acct.headers)
        assert r.status_code == 201, r.text
        return str(r.json()["data"]["key"])

    # (owner, role scopes, credential headers, effective scopes)
    creds: dict[str, tuple[Account, set[str], dict[str, str], set[str]]] = {}
    for label, acct in (("alice", alice), ("admin", env.admin)):
        role_scopes = set(ALL_SCOPE_VALUES if label == "admin" else USER_SCOPE_VALUES)
        creds[f"{label}-jwt"] = (acct, role_scopes, acct.headers, role_scopes)
        creds[f"{label}-full-key"] = (acct, role_scopes, {"X-API-Key": key(acct, [])}, role_scopes)
        creds[f"{label}-read-key"] = (acct, role_scopes, {"X-API-Key": key(acct, ["mail:read"])}, {"mail:read"})
    creds["admin-admin-only-key"] = (env.admin, set(ALL_SCOPE_VALUES), bearer(key(env.admin, ["admin"])), {"admin"})
    no_admin = ["mail:read", "mail:send", "agent"]
    creds["admin-key-without-admin"] = (
        env.admin,
        set(ALL_SCOPE_VALUES),
        bearer(key(env.admin, no_admin)),
        set(no_admin),
    )

    reads = [
        f"{API}/auth/me",
        f"{API}/api-keys",
        f"{API}/auth/sessions",
        f"{API}/admin/users",
        f"{API}/admin/audit-logs?limit=5",
    ]

    def ids(r: Any) -> Any:
        data = r.json()["data"]
        if isinstance(data, list):
            return sorted(d.get("id") or d.get("seq") for d in data)
        return (data["id"], data["email"], data["role"])

    @PROPS
    @given(
        name=st.sampled_from(sorted(creds)),
        path=st.sampled_from([*reads, "create-key"]),
        child=st.sets(st.sampled_from(ALL_SCOPE_VALUES)),
    )
    def check(name: str, path: str, child: set[str]) -> None:
        owner, role_scopes, headers, effective = creds[name]
        if path == "create-key":  # a credential never mints a key with more than it has itself
            r = env.api.post(f"{API}/api-keys", json={"name": "child", "scopes": sorted(child)}, headers=headers)
            wanted = child or role_scopes
            if wanted <= effective:
                assert r.status_code == 201, r.text
                assert set(r.json()["data"]["scopes"]) == wanted
                env.api.delete(f"{API}/api-keys/{r.json()['data']['id']}", headers=owner.headers)
            else:
                assert r.status_code == 403, r.text
            return
        r = env.api.get(path, headers=headers)
        admin_only = path.startswith(f"{API}/admin/")
        if admin_only and not ("admin" in role_scopes and "admin" in effective):
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] == "permission_denied"
            return
        assert r.status_code == 200, r.text
        via_jwt = env.api.get(path, headers=owner.headers)
        assert via_jwt.status_code == 200
        assert ids(r) == ids(via_jwt)  # the same answer as the owner's own session
        if path.endswith("/auth/me"):
            assert sorted(r.json()["data"]["scopes"]) == sorted(effective)

    check()


@pytest.mark.property(37)
def test_p37_an_api_key_works_until_it_expires(tmp_path: Path) -> None:
    t0 = past_whole_second()
    clock = InMemoryClock(t0)
    env = make_env(tmp_path, clock=clock, admin=False)
    acct = env.api.signup("keys@example.com")
    days = [1, 2, 5, 30]
    keys = []
    for d in days:
        r = env.api.post(f"{API}/api-keys", json={"name": f"{d}d", "expires_in_days": d}, headers=acct.headers)
        assert r.status_code == 201
        keys.append(r.json()["data"]["key"])

    @PROPS
    @given(
        idx=st.integers(0, len(days) - 1),
        anywhere=st.floats(0, 31 * 86400),
        near_end=st.booleans(),
        epsilon=st.sampled_from([-1.0, -0.001, 0.0, 0.001, 1.0]),
    )
    def check(idx: int, anywhere: float, near_end: bool, epsilon: float) -> None:
        lifetime = days[idx] * 86400
        moment = lifetime + epsilon if near_end else anywhere
        clock.set(t0 + timedelta(seconds=moment))
        r = env.api.get(f"{API}/auth/me", headers={"X-API-Key": keys[idx]})
        assert r.status_code == (200 if moment < lifetime else 401), (moment, lifetime, r.text)

    check()


# ---------------------------------------------------------------------------------------------------------------
# 27, 28, 31: isolation between users, as a state machine
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Person:
    """What the app holds for one person, as the machine made it."""

    account: Account  # its session is never ended by the machine: used to look at the person's own lists
    sessions: dict[str, str] = field(default_factory=dict)  # session id -> access token
    ended: set[str] = field(default_factory=set)
    keys: dict[str, str] = field(default_factory=dict)  # key id -> full key
    revoked: set[str] = field(default_factory=set)

    @property
    def anchor(self) -> str:
        return sid_of(self.account.access_token)

    def live_keys(self) -> list[str]:
        # Insertion order, not sorted: ids are random, and Hypothesis must draw the same item when it replays.
        return [k for k in self.keys if k not in self.revoked]

    def other_sessions(self) -> list[str]:
        return [s for s in self.sessions if s != self.anchor]


class IsolationMachine(RuleBasedStateMachine):
    """One app for every example (building one per example costs too much); each example brings its own people,
    so the model, and what Hypothesis draws from it, depends on that example only."""

    env: Env

    def __init__(self) -> None:
        super().__init__()
        self.api = self.env.api
        self.people: list[Person] = []

    # -- helpers ---------------------------------------------------------------------------------------------
    def _add(self, acct: Account) -> Person:
        person = Person(acct)
        person.sessions[person.anchor] = acct.access_token
        self.people.append(person)
        return person

    def _who(self, data: st.DataObject, label: str = "person") -> Person:
        return self.people[data.draw(st.integers(0, len(self.people) - 1), label=label)]

    def _pair(self, data: st.DataObject) -> tuple[Person, Person]:
        a = data.draw(st.integers(0, len(self.people) - 1), label="attacker")
        b = data.draw(st.sampled_from([i for i in range(len(self.people)) if i != a]), label="victim")
        return self.people[a], self.people[b]

    def _credential(self, data: st.DataObject, person: Person) -> dict[str, str]:
        pick = data.draw(st.sampled_from(["jwt", *person.live_keys()]), label="credential")
        return person.account.headers if pick == "jwt" else {"X-API-Key": person.keys[pick]}

    def check(self, person: Person) -> None:
        """The person's lists hold exactly their own keys and sessions, in the state the model says."""
        others_keys = set().union(*(p.keys for p in self.people if p is not person))
        others_sessions = set().union(*(p.sessions for p in self.people if p is not person))
        keys = self.api.get(f"{API}/api-keys", headers=person.account.headers)
        assert keys.status_code == 200, keys.text
        listed = {k["id"]: k for k in keys.json()["data"]}
        assert not set(listed) & others_keys, "another person's key is listed"
        assert set(listed) == set(person.keys)
        assert {i for i, k in listed.items() if k["revoked_at"]} == person.revoked
        sessions = self.api.get(f"{API}/auth/sessions", headers=person.account.headers)
        assert sessions.status_code == 200, sessions.text
        listed = {s["id"]: s for s in sessions.json()["data"]}
        assert not set(listed) & others_sessions, "another person's session is listed"
        assert set(listed) == set(person.sessions)
        assert {i for i, s in listed.items() if s["revoked_at"]} == person.ended

    # -- rules -----------------------------------------------------------------------------------------------
    @initialize()
    def two_people(self) -> None:
        """Made the quick way, as `mailagent user create` does (the operator's use case), then signed in."""
        for _ in range(2):
            address = self.env.email("iso")
            self.env.container.create_user().execute(CreateUserInput(email=address, password=PASSWORD))
            self._add(self.api.login(address))

    @precondition(lambda self: len(self.people) < 3)
    @rule()
    def register_verify_login(self) -> None:
        self._add(self.api.signup(self.env.email("iso")))

    @rule(data=st.data())
    def sign_in_again(self, data: st.DataObject) -> None:
        person = self._who(data)
        acct = self.api.login(person.account.email)
        person.sessions[sid_of(acct.access_token)] = acct.access_token

    @rule(data=st.data(), how=st.sampled_from(["logout", "delete"]))
    def end_own_session(self, data: st.DataObject, how: str) -> None:
        person = self._who(data)
        if not person.other_sessions():
            return
        sid = data.draw(st.sampled_from(person.other_sessions()), label="session")
        if how == "logout":
            r = self.api.post(f"{API}/auth/logout", headers=bearer(person.sessions[sid]))
            expected = 401 if sid in person.ended else 200  # a signed-out token cannot sign out again
        else:
            r = self.api.delete(f"{API}/auth/sessions/{sid}", headers=person.account.headers)
            expected = 200
        assert r.status_code == expected, r.text
        person.ended.add(sid)
        assert self.api.get(f"{API}/auth/me", headers=bearer(person.sessions[sid])).status_code == 401

    @rule(data=st.data(), scopes=st.sets(st.sampled_from(USER_SCOPE_VALUES), max_size=3))
    def create_key(self, data: st.DataObject, scopes: set[str]) -> None:
        person = self._who(data)
        r = self.api.post(
            f"{API}/api-keys", json={"name": "machine", "scopes": sorted(scopes)}, headers=person.account.headers
        )
        assert r.status_code == 201, r.text
        person.keys[r.json()["data"]["id"]] = r.json()["data"]["key"]

    @rule(data=st.data())
    def revoke_own_key(self, data: st.DataObject) -> None:
        person = self._who(data)
        if not person.keys:
            return
        key_id = data.draw(st.sampled_from(list(person.keys)), label="key")
        r = self.api.delete(f"{API}/api-keys/{key_id}", headers=self._credential(data, person))
        assert r.status_code == 200, r.text
        person.revoked.add(key_id)

    @rule(data=st.data())
    def try_to_revoke_someone_elses_key(self, data: st.DataObject) -> None:
        attacker, victim = self._pair(data)
        if not victim.keys:
            return
        key_id = data.draw(st.sampled_from(list(victim.keys)), label="key")
        r = self.api.delete(f"{API}/api-keys/{key_id}", headers=self._credential(data, attacker))
        assert r.status_code == 404, r.text
        if key_id not in victim.revoked:  # it still works (and the teardown sees it listed as it was)
            me = self.api.get(f"{API}/auth/me", headers={"X-API-Key": victim.keys[key_id]})
            assert me.status_code == 200 and me.json()["data"]["id"] == victim.account.user_id

    @rule(data=st.data())
    def try_to_end_someone_elses_session(self, data: st.DataObject) -> None:
        attacker, victim = self._pair(data)
        sid = data.draw(st.sampled_from(list(victim.sessions)), label="session")
        r = self.api.delete(f"{API}/auth/sessions/{sid}", headers=self._credential(data, attacker))
        assert r.status_code == 404, r.text
        if sid not in victim.ended:
            me = self.api.get(f"{API}/auth/me", headers=bearer(victim.sessions[sid]))
            assert me.status_code == 200 and me.json()["data"]["id"] == victim.account.user_id

    @rule(data=st.data(), which=st.integers(0, 5))
    def non_admin_is_refused_every_admin_endpoint(self, data: st.DataObject, which: int) -> None:
        person, other = self._pair(data)
        calls = [
            ("GET", f"{API}/admin/users", None, None),
            ("GET", f"{API}/admin/audit-logs", None, None),
            ("GET", f"{API}/admin/audit-logs?user_id={other.account.user_id}", None, None),
            ("PATCH", f"{API}/admin/users/{person.account.user_id}", {"role": "admin"}, person),
            ("PATCH", f"{API}/admin/users/{other.account.user_id}", {"disabled": True}, other),
            ("PATCH", f"{API}/admin/users/{other.account.user_id}", {"role": "admin"}, other),
        ]
        method, path, body, target = calls[which]
        r = self.api.client.request(method, path, json=body, headers=self._credential(data, person))
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "permission_denied" and r.json()["data"] is None
        if target is not None:  # nothing changed
            me = self.api.get(f"{API}/auth/me", headers=target.account.headers)
            assert me.status_code == 200 and me.json()["data"]["role"] == "user", me.text

    def teardown(self) -> None:
        for person in self.people:
            self.check(person)


@pytest.mark.property(27, 28, 31)
def test_p27_p28_p31_users_never_see_or_touch_each_others_keys_and_sessions(tmp_path: Path) -> None:
    IsolationMachine.env = make_env(tmp_path, admin=False)
    run_state_machine_as_test(
        IsolationMachine,
        settings=for_profile(
            hsettings(
                max_examples=100,
                stateful_step_count=10,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            )
        ),
    )


# ---------------------------------------------------------------------------------------------------------------
# 29, 33: roles, disabling and the last admin
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.property(29, 33)
def test_p29_p33_role_and_disable_changes_follow_the_rules(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    assert env.admin is not None
    people = [env.admin] + [env.api.signup(f"member{i}@example.com") for i in range(3)]
    model = {p.user_id: {"role": "admin" if p is env.admin else "user", "status": "active"} for p in people}
    tokens: dict[str, str | None] = {p.user_id: p.access_token for p in people}
    stale: dict[str, str] = {}
    passwords = {p.user_id: (p.email, p.password) for p in people}

    def token_of(uid: str) -> str:
        if tokens[uid] is None and model[uid]["status"] == "active":
            tokens[uid] = env.api.login(*passwords[uid]).access_token
        return tokens[uid] or stale[uid]

    def active_admins() -> int:
        return sum(1 for m in model.values() if m["role"] == "admin" and m["status"] == "active")

    @PROPS
    @given(
        ops=st.lists(
            st.tuples(
                st.integers(0, len(people) - 1),
                st.integers(0, len(people) - 1),
                st.sampled_from([None, "user", "admin"]),
                st.sampled_from([None, True, False]),
            ),
            min_size=1,
            max_size=3,
        )
    )
    def check(ops: list[tuple[int, int, str | None, bool | None]]) -> None:
        for actor_i, target_i, role, disabled in ops:
            actor, target = people[actor_i].user_id, people[target_i].user_id
            body = {k: v for k, v in (("role", role), ("disabled", disabled)) if v is not None}
            r = env.api.patch(f"{API}/admin/users/{target}", json=body, headers=bearer(token_of(actor)))
            note(f"{actor_i} -> {target_i} {body}: {r.status_code} {r.text[:150]}")
            before = dict(model[target])
            removes_admin = (
                before["role"] == "admin" and before["status"] == "active" and (role == "user" or disabled is True)
            )
            if model[actor]["status"] != "active":
                assert r.status_code in (401, 403), r.text
                continue
            if model[actor]["role"] != "admin":
                assert r.status_code == 403, r.text
                continue
            if removes_admin and active_admins() == 1:
                assert r.status_code == 409, r.text  # 33: the last active admin stays
                assert r.json()["error"]["code"] == "conflict"
                continue
            assert r.status_code == 200, r.text
            if role is not None:
                model[target]["role"] = role
            if disabled is True:
                model[target]["status"] = "disabled"
                current = tokens[target]
                if current is not None:
                    stale[target] = current
                tokens[target] = None
            elif disabled is False:
                model[target]["status"] = "active"
            assert {k: r.json()["data"][k] for k in ("role", "status")} == model[target]
        assert active_admins() >= 1
        # The admin's view agrees with the model; a disabled member cannot sign in nor use an old token.
        some_admin = next(uid for uid, m in model.items() if m["role"] == "admin" and m["status"] == "active")
        listed = env.api.get(f"{API}/admin/users", headers=bearer(token_of(some_admin)))
        assert listed.status_code == 200
        assert {u["id"]: {"role": u["role"], "status": u["status"]} for u in listed.json()["data"]} == model
        for uid, m in model.items():
            if m["status"] == "disabled":
                login = env.api.post(
                    f"{API}/auth/login", json=dict(zip(("email", "password"), passwords[uid], strict=True))
                )
                assert login.status_code == 403, login.text
                if uid in stale:
                    assert env.api.get(f"{API}/auth/me", headers=bearer(stale[uid])).status_code in (401, 403)

    check()


@pytest.mark.property(29)
def test_p29_disabling_and_demoting_take_effect_at_once(api: Api, admin: Account, settings: Any) -> None:
    alice = api.signup("alice@example.com")
    key = api.post(f"{API}/api-keys", json={"name": "k"}, headers=alice.headers).json()["data"]["key"]
    # Promote: the same session now reaches the admin endpoints; a key made now may carry `admin`.
    assert (
        api.patch(f"{API}/admin/users/{alice.user_id}", json={"role": "admin"}, headers=admin.headers).status_code
        == 200
    )
    assert api.get(f"{API}/admin/users", headers=alice.headers).status_code == 200
    admin_key = api.post(f"{API}/api-keys", json={"name": "a", "scopes": ["admin"]}, headers=alice.headers)
    assert admin_key.status_code == 201
    admin_key_value = admin_key.json()["data"]["key"]
    assert api.get(f"{API}/admin/users", headers={"X-API-Key": admin_key_value}).status_code == 200
    # Demote: both lose it at once.
    assert (
        api.patch(f"{API}/admin/users/{alice.user_id}", json={"role": "user"}, headers=admin.headers).status_code == 200
    )
    assert api.get(f"{API}/admin/users", headers=alice.headers).status_code == 403
    assert api.get(f"{API}/admin/users", headers={"X-API-Key": admin_key_value}).status_code == 403
    # Disable: the session ends, the key is refused, sign-in is refused, no reset mail is sent.
    r = api.patch(f"{API}/admin/users/{alice.user_id}", json={"disabled": True}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["data"]["status"] == "disabled"
    assert api.get(f"{API}/auth/me", headers=alice.headers).status_code in (401, 403)
    assert api.get(f"{API}/auth/me", headers={"X-API-Key": key}).status_code in (401, 403)
    login = api.post(f"{API}/auth/login", json={"email": alice.email, "password": PASSWORD})
    assert login.status_code == 403 and "disabled" in login.json()["error"]["message"]
    assert api.post(f"{API}/auth/refresh", json={"refresh_token": alice.refresh_token}).status_code == 401
    before = mail_names(settings.outbox_dir)
    assert api.post(f"{API}/auth/reset-password", json={"email": alice.email}).status_code == 202
    assert new_mails(settings.outbox_dir, before) == []
    # The last admin can neither demote nor disable themself.
    for body in ({"role": "user"}, {"disabled": True}):
        refused = api.patch(f"{API}/admin/users/{admin.user_id}", json=body, headers=admin.headers)
        assert refused.status_code == 409, refused.text
    assert api.get(f"{API}/admin/users", headers=admin.headers).status_code == 200
    # Enable again: sign-in works.
    assert (
        api.patch(f"{API}/admin/users/{alice.user_id}", json={"disabled": False}, headers=admin.headers).status_code
        == 200
    )
    api.login(alice.email)


# ---------------------------------------------------------------------------------------------------------------
# 30, 42: audit queries; users listing
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.property(29)
def test_p29_admin_lists_users_with_consistent_pagination(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    assert env.admin is not None
    for i in range(8):
        env.container.create_user().execute(CreateUserInput(email=f"listed{i}@example.com", password=PASSWORD))
    everyone = env.api.get(f"{API}/admin/users", params={"limit": 200}, headers=env.admin.headers).json()
    total = everyone["meta"]["total"]
    full = [u["id"] for u in everyone["data"]]
    assert total == len(full) == 9 and len(set(full)) == 9
    admin_headers = env.admin.headers

    @PROPS
    @given(offset=st.integers(0, 12), limit=st.integers(1, 12))
    def check(offset: int, limit: int) -> None:
        r = env.api.get(f"{API}/admin/users", params={"offset": offset, "limit": limit}, headers=admin_headers)
        assert r.status_code == 200
        body = r.json()
        assert body["meta"]["total"] == total
        assert (body["meta"]["offset"], body["meta"]["limit"]) == (offset, limit)
        assert [u["id"] for u in body["data"]] == full[offset : offset + limit]

    check()


def seed_audit_log(env: Env) -> list[Account]:
    people = [env.api.signup(f"audited{i}@example.com") for i in range(3)]
    for p in people:
        env.api.post(f"{API}/auth/login", json={"email": p.email, "password": "Wrong-password 1"})
        k = env.api.post(f"{API}/api-keys", json={"name": "k"}, headers=p.headers).json()["data"]["id"]
        env.api.delete(f"{API}/api-keys/{k}", headers=p.headers)
    env.api.post(f"{API}/auth/login", json={"email": "ghost@example.com", "password": "Wrong-password 1"})
    env.api.post(f"{API}/auth/logout", headers=people[0].headers)
    return people


def settled_audit(env: Env) -> list[dict[str, Any]]:
    """The whole audit log once it has stopped changing: background work (the in-process jobs that follow a login or
    a logout) may still append an entry just after the last request answered, and a filter compared with a log read
    before that entry landed would disagree by that entry. Read until two reads agree (a ceiling, not a delay)."""
    deadline = time.monotonic() + 60
    previous = env.audit()
    while True:
        time.sleep(0.2)
        current = env.audit()
        if [e["id"] for e in current] == [e["id"] for e in previous] or time.monotonic() > deadline:
            return current
        previous = current


@pytest.mark.property(30, 42)
def test_p30_p42_audit_log_filters_and_pagination_match_the_full_log(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    assert env.admin is not None
    admin_headers = env.admin.headers
    people = seed_audit_log(env)
    full = settled_audit(env)
    assert len(full) >= 20
    newest_first = [(when(e["occurred_at"]), e["id"]) for e in full]
    assert newest_first == sorted(newest_first, reverse=True)
    actors = sorted({p.user_id for p in people} | {env.admin.user_id})
    actions = sorted({e["action"] for e in full})
    times = sorted(when(e["occurred_at"]) for e in full)

    instants = st.builds(
        lambda t, d: t + timedelta(microseconds=d), st.sampled_from(times), st.sampled_from([-1, 0, 1, -1000, 1000])
    )

    @PROPS
    @given(
        actor=st.none() | st.sampled_from([*actors, "nobody"]),
        action=st.none() | st.sampled_from([*actions, "no.such_action"]),
        since=st.none() | instants,
        until=st.none() | instants,
        offset=st.integers(0, 30),
        limit=st.integers(1, 30),
    )
    def check(
        actor: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
        offset: int,
        limit: int,
    ) -> None:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        for name, value in (("user_id", actor), ("action", action), ("since", since), ("until", until)):
            if value is not None:
                params[name] = value.isoformat() if isinstance(value, datetime) else value
        r = env.api.get(f"{API}/admin/audit-logs", params=params, headers=admin_headers)
        if since and until and since > until:
            assert r.status_code == 422, r.text
            return
        assert r.status_code == 200, r.text
        wanted = [
            e["id"]
            for e in full
            if (actor is None or e["actor_id"] == actor)
            and (action is None or e["action"] == action)
            and (since is None or when(e["occurred_at"]) >= since)
            and (until is None or when(e["occurred_at"]) <= until)
        ]
        body = r.json()
        assert body["meta"]["total"] == len(wanted)
        assert [e["id"] for e in body["data"]] == wanted[offset : offset + limit]

    check()


@pytest.mark.property(42)
def test_p42_audit_time_filters_accept_any_iso_8601_form(tmp_path: Path) -> None:
    """since/until as a person types them (no zone, Z, an offset, a bare date) are read, never a 500."""
    env = make_env(tmp_path)
    assert env.admin is not None
    admin_headers = env.admin.headers
    seed_audit_log(env)
    full = settled_audit(env)
    times = sorted(when(e["occurred_at"]) for e in full)

    @PROPS
    @given(
        moment=st.sampled_from(times),
        form=st.sampled_from(["naive", "Z", "+00:00", "+02:00", "-05:30", "date"]),
        which=st.sampled_from(["since", "until"]),
    )
    @example(moment=times[0], form="naive", which="since")  # as typed from a log line: no zone
    @example(moment=times[-1], form="date", which="until")
    def check(moment: datetime, form: str, which: str) -> None:
        utc = moment.astimezone(UTC)
        if form == "naive":
            text, instant = utc.replace(tzinfo=None).isoformat(), utc  # read as UTC
        elif form == "Z":
            text, instant = utc.replace(tzinfo=None).isoformat() + "Z", utc
        elif form == "date":
            text, instant = utc.date().isoformat(), datetime.combine(utc.date(), datetime.min.time(), UTC)
        else:
            sign = 1 if form[0] == "+" else -1
            hours, minutes = int(form[1:3]), int(form[4:6])
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
            text, instant = utc.astimezone(zone).isoformat(), utc
        r = env.api.get(f"{API}/admin/audit-logs", params={which: text, "limit": 500}, headers=admin_headers)
        note(f"{which}={text} -> {r.status_code} {r.text[:200]}")
        assert r.status_code in (200, 422), r.text
        if r.status_code == 200:
            wanted = [
                e["id"]
                for e in full
                if (when(e["occurred_at"]) >= instant if which == "since" else when(e["occurred_at"]) <= instant)
            ]
            assert [e["id"] for e in r.json()["data"]] == wanted
        else:
            assert r.json()["error"]["code"] == "validation_failed"

    check()


# ---------------------------------------------------------------------------------------------------------------
# 41: every auth action is audited with actor, action, target, ip, user agent, request id and time
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.property(41)
def test_p41_every_auth_action_leaves_a_complete_audit_entry(api: Api, admin: Account, settings: Any) -> None:
    started = datetime.now(UTC) - timedelta(seconds=1)
    steps: list[tuple[str, str, str | None, str]] = []  # (request id, action, actor id or None, target prefix)
    counter = itertools.count()

    def call(method: str, path: str, action: str, actor: str | None, target: str, **kw: Any) -> Any:
        n = next(counter)
        rid, ua = f"rid-{n}-{uuid.uuid4().hex[:8]}", f"props-agent/{n} (+audit)"
        headers = {**kw.pop("headers", {}), "X-Request-ID": rid, "User-Agent": ua}
        r = api.client.request(method, path, headers=headers, **kw)
        steps.append((rid, action, actor, target))
        return r

    email = "carol@example.com"
    r = call("POST", f"{API}/auth/register", "auth.register", "?", "user:", json={"email": email, "password": PASSWORD})
    carol_id = r.json()["data"]["id"]
    steps[-1] = (steps[-1][0], "auth.register", carol_id, f"user:{carol_id}")
    call(
        "POST",
        f"{API}/auth/login",
        "auth.login_failure",
        carol_id,
        f"email:{email}",
        json={"email": email, "password": PASSWORD},
    )
    token = outbox_link(settings, email, "verify-email")
    call("POST", f"{API}/auth/verify-email", "auth.verify_email", carol_id, f"user:{carol_id}", json={"token": token})
    call(
        "POST",
        f"{API}/auth/login",
        "auth.login_failure",
        carol_id,
        f"email:{email}",
        json={"email": email, "password": "Wrong-password 1"},
    )
    call(
        "POST",
        f"{API}/auth/login",
        "auth.login_failure",
        None,
        "email:nobody@example.com",
        json={"email": "nobody@example.com", "password": "Wrong-password 1"},
    )
    r = call(
        "POST",
        f"{API}/auth/login",
        "auth.login_success",
        carol_id,
        "session:",
        json={"email": email, "password": PASSWORD},
    )
    first = r.json()["data"]
    r = call(
        "POST",
        f"{API}/auth/refresh",
        "auth.refresh",
        carol_id,
        f"session:{sid_of(first['access_token'])}",
        json={"refresh_token": first["refresh_token"]},
    )
    call(
        "POST",
        f"{API}/auth/refresh",
        "auth.refresh_reuse",
        carol_id,
        f"session:{sid_of(first['access_token'])}",
        json={"refresh_token": first["refresh_token"]},
    )
    carol = api.login(email)
    call(
        "POST",
        f"{API}/auth/logout",
        "auth.logout",
        carol_id,
        f"session:{sid_of(carol.access_token)}",
        headers=carol.headers,
    )
    carol = api.login(email)
    r = call(
        "POST", f"{API}/api-keys", "api_key.created", carol_id, "api_key:", json={"name": "k"}, headers=carol.headers
    )
    key_id = r.json()["data"]["id"]
    call("DELETE", f"{API}/api-keys/{key_id}", "api_key.revoked", carol_id, f"api_key:{key_id}", headers=carol.headers)
    call(
        "POST",
        f"{API}/auth/reset-password",
        "auth.reset_requested",
        carol_id,
        f"user:{carol_id}",
        json={"email": email},
    )
    reset = outbox_link(settings, email, "reset-password")
    call(
        "POST",
        f"{API}/auth/reset-password/confirm",
        "auth.reset_completed",
        carol_id,
        f"user:{carol_id}",
        json={"token": reset, "new_password": "Another-pass 99!"},
    )
    for body, action in (
        ({"role": "admin"}, "admin.role_changed"),
        ({"role": "user"}, "admin.role_changed"),
        ({"disabled": True}, "admin.user_disabled"),
        ({"disabled": False}, "admin.user_enabled"),
    ):
        call(
            "PATCH",
            f"{API}/admin/users/{carol_id}",
            action,
            admin.user_id,
            f"user:{carol_id}",
            json=body,
            headers=admin.headers,
        )

    entries = api.get(f"{API}/admin/audit-logs", params={"limit": 500}, headers=admin.headers).json()["data"]
    by_rid: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        by_rid.setdefault(e["request_id"], []).append(e)
    for rid, action, actor, target in steps:
        found = by_rid.get(rid, [])
        assert len(found) == 1, (rid, action, found)
        e = found[0]
        n = rid.split("-")[1]
        assert e["action"] == action, (action, e)
        assert e["actor_id"] == actor, (action, e)
        assert e["target"] and e["target"].startswith(target), (action, e)
        assert e["ip"] == "testclient"
        assert e["user_agent"] == f"props-agent/{n} (+audit)"
        assert started <= when(e["occurred_at"]) <= datetime.now(UTC) + timedelta(seconds=1)
        # in the chain once the sealer reached it (within seconds), and then with its hash
        assert (e["seq"] is None and e["hash"] is None) or (e["seq"] >= 1 and len(e["hash"]) == 64), e


@pytest.mark.property(41)
def test_p41_audit_entries_record_the_callers_user_agent_and_request_id(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    printable = "".join(chr(c) for c in range(0x21, 0x7F))

    @PROPS
    @given(
        ua=st.text(alphabet=printable + " ", min_size=1, max_size=400).filter(lambda s: s == s.strip()),
        rid=st.text(alphabet=string.ascii_letters + string.digits + "._:-", min_size=1, max_size=64),
        local=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=10),
    )
    def check(ua: str, rid: str, local: str) -> None:
        address = f"{local}@example.com"
        env.api.post(
            f"{API}/auth/login",
            json={"email": address, "password": "Wrong-password 1"},
            headers={"User-Agent": ua, "X-Request-ID": rid},
        )
        (entry,) = env.audit(action="auth.login_failure", limit=1)
        assert entry["request_id"] == rid and entry["user_agent"] == ua[:300]
        assert entry["target"] == f"email:{address}" and entry["actor_id"] is None and entry["ip"] == "testclient"

    check()


# ---------------------------------------------------------------------------------------------------------------
# 42: the hash chain (`mailagent audit verify`)
# ---------------------------------------------------------------------------------------------------------------

TAMPER_COLUMNS = {
    "action": "'auth.nothing'",
    "actor_id": "'someone-else'",
    "target": "'user:someone-else'",
    "ip": "'10.0.0.1'",
    "user_agent": "'forged-agent'",
    "request_id": "'forged-request'",
    "details": "'{\"forged\": true}'",
    "occurred_at": "'2000-01-01 00:00:00.000000'",
    "hash": "'" + "0" * 64 + "'",
    "prev_hash": "'" + "f" * 64 + "'",
}


@pytest.mark.property(42)
def test_p42_audit_verify_is_ok_untouched_and_names_the_first_tampered_entry(tmp_path: Path) -> None:
    env = make_env(tmp_path / "source")
    seed_audit_log(env)
    source_db = env.settings.data_dir / "mailagent.db"
    sealer = build_container(env.settings)
    # The app's own sealer may have sealed part of the log already (it runs in the background): what matters is that
    # after this call every entry is sealed, not how many this one call did.
    sealed = sealer.seal_audit_log().execute()
    assert sealed.head.seq >= 20 and sealed.backlog == 0, sealed
    sealer.engine().dispose()
    report = build_container(env.settings).verify_audit_chain().execute()
    assert report.ok and report.checked >= 20 and report.first_broken_seq is None and report.unsealed == 0
    last = report.checked
    copies = itertools.count()

    @PROPS
    @given(how=st.sampled_from([*sorted(TAMPER_COLUMNS), "delete", "swap", "unseal"]), seq=st.integers(1, last))
    @example(how="delete", seq=1)
    @example(how="swap", seq=last)
    @example(how="unseal", seq=3)
    @example(how="delete", seq=last // 2)
    @example(how="delete", seq=last)  # the newest entry: a truncated log must not pass as intact
    @example(how="action", seq=2)
    @example(how="hash", seq=last)
    def check(how: str, seq: int) -> None:
        settings = make_settings(tmp_path / f"copy{next(copies)}", **UNLIMITED)
        settings.data_dir.mkdir(parents=True)
        target_db = settings.data_dir / "mailagent.db"
        src, dst = sqlite3.connect(source_db), sqlite3.connect(target_db)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        container = build_container(settings)
        try:
            assert container.verify_audit_chain().execute().ok  # the copy is intact
            db = sqlite3.connect(target_db)
            try:
                if how == "delete":
                    db.execute("DELETE FROM audit_logs WHERE seq = ?", (seq,))
                elif how == "swap":  # two entries trade places in the chain (seq is unique: via a free number)
                    other = seq - 1 if seq > 1 else 2
                    db.execute("UPDATE audit_logs SET seq = -1 WHERE seq = ?", (seq,))
                    db.execute("UPDATE audit_logs SET seq = ? WHERE seq = ?", (seq, other))
                    db.execute("UPDATE audit_logs SET seq = ? WHERE seq = -1", (other,))
                elif how == "unseal":  # taken out of the chain, to be sealed again at its end
                    db.execute("UPDATE audit_logs SET seq = NULL, prev_hash = NULL, hash = NULL WHERE seq = ?", (seq,))
                else:
                    db.execute(f"UPDATE audit_logs SET {how} = {TAMPER_COLUMNS[how]} WHERE seq = ?", (seq,))
                db.commit()
            finally:
                db.close()
            report = container.verify_audit_chain().execute()
            note(f"{how} seq={seq}: {report}")
            assert not report.ok, f"{how} of entry {seq} (of {last}) went unnoticed"
            if how == "swap":
                assert report.first_broken_seq == min(seq, seq - 1 if seq > 1 else 2)
            elif how not in ("delete", "unseal"):
                assert report.first_broken_seq == seq
            elif seq < last:
                assert report.first_broken_seq == seq + 1
            if how == "unseal":  # sealing it again puts it at the end; the hole where it was stays visible
                container.seal_audit_log().execute()
                assert not container.verify_audit_chain().execute().ok
        finally:
            container.engine().dispose()

    check()
