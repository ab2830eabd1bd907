"""A `mailagent serve` replica (production profile, a real process) while its Redis or PostgreSQL fails: each test
starts its own private Redis or PostgreSQL on a free port and stops, hangs (SIGSTOP) or restarts it.

- Redis stopped under load: no request answers 500; login keeps working (the per-process limiter takes over), the
  anonymous routes answer as usual, the web app is served, and signed-in reads answer (the principal falls through to
  the database). Only 503 with Retry-After would be allowed, for a route that truly needs Redis.
- Redis hung: `/healthz` answers at once while logins wait on Redis, and the logins succeed: the request path's
  Redis calls time out (250 ms by default, 1 s here) and never run on the event loop (before: a 5 s wait per call,
  on the loop, so `/healthz` took 24.5 s).
- PostgreSQL restarted under load: no 500; 503s carry Retry-After; everything answers again afterwards.

Every wait is on a condition with a ceiling sized for a loaded 2-core machine; no assertion is about speed except
`/healthz` answering within 3 s (against the 5 s per-call wait the hung Redis used to cost)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from adapters.sqlalchemy.migrate import upgrade
from application.use_cases.create_user import CreateUserInput
from application.use_cases.mail.connect_demo_account import ConnectDemoAccountInput
from domain.identity import USER_SCOPES, Principal
from tests.support.installation import PROCESS_START_CEILING, Installation, Process, free_port, wait_until
from tests.support.services import PrivatePostgres, PrivateRedis

PASSWORD = "Pass-word 1234!"
# The load is one IP sending hundreds of requests a minute: limits out of its way, so every status says what the
# fault did (the limits themselves, with and without Redis, are tested in tests/unit/test_fallbacks.py).
LIMITS = {
    "anonymous_rate_limit_per_minute": "1000000",
    "rate_limit_per_minute": "1000000",
    "login_failures_per_ip": "1000000",
}
HEALTHZ_CEILING = 3.0  # seconds; the hung-Redis stall this guards against was 5 s per Redis call, 24.5 s measured
REQUEST_CEILING = 60.0  # a ceiling per request on a loaded machine, not an expectation


class Replica:
    def __init__(self, installation: Installation, process: Process, port: int) -> None:
        self.installation, self.process = installation, process
        self.base = f"http://127.0.0.1:{port}"
        self.client = httpx.Client(base_url=self.base, timeout=REQUEST_CEILING)

    def ready(self) -> bool:
        assert self.process.alive(), self.process.output()[-3000:]
        try:
            return self.client.get("/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self.client.post("/api/v1/auth/login", json={"email": email, "password": password})


def start_replica(installation: Installation) -> Replica:
    port = free_port()
    process = installation.start("serve", "--no-migrate", name="serve", port=str(port), host="127.0.0.1")
    replica = Replica(installation, process, port)
    wait_until("the replica to answer /healthz", replica.ready, PROCESS_START_CEILING, poll=0.5)
    return replica


def add_user(installation: Installation, email: str) -> None:
    """A user with the demo mailbox connected (MAILAGENT_DEMO_MAILBOX=true in the installation)."""
    container = installation.container
    user = container.create_user().execute(CreateUserInput(email=email, password=PASSWORD))
    container.connect_demo_account().execute(ConnectDemoAccountInput(Principal(user, USER_SCOPES)))


class Load:
    """A mix of requests a replica gets (anonymous, login, signed-in reads, the web app, probes), sent by a few
    threads until stopped; every status is counted and every 5xx kept with its body and headers."""

    def __init__(self, replica: Replica, email: str, token: str) -> None:
        self.replica, self.email, self.token = replica, email, token
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.failures: list[str] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(3)]

    def _requests(self) -> list[tuple[str, Callable[[httpx.Client], httpx.Response]]]:
        auth = {"Authorization": f"Bearer {self.token}"}
        return [
            ("login", lambda c: c.post("/api/v1/auth/login", json={"email": self.email, "password": PASSWORD})),
            ("bad login", lambda c: c.post("/api/v1/auth/login", json={"email": "eve@example.com", "password": "x"})),
            ("me", lambda c: c.get("/api/v1/auth/me", headers=auth)),
            ("emails", lambda c: c.get("/api/v1/emails", params={"limit": 5}, headers=auth)),
            ("anonymous me", lambda c: c.get("/api/v1/auth/me")),
            ("unknown api path", lambda c: c.get("/api/v1/nothing-here")),
            ("web app", lambda c: c.get("/")),
            ("healthz", lambda c: c.get("/healthz")),
        ]

    def _run(self, n: int) -> None:
        requests = self._requests()
        with httpx.Client(base_url=self.replica.base, timeout=REQUEST_CEILING) as client:
            i = n
            while not self._stop.is_set():
                name, send = requests[i % len(requests)]
                i += 1
                try:
                    response = send(client)
                except httpx.HTTPError as exc:
                    with self._lock:
                        self.errors.append(f"{name}: {exc!r}")
                    continue
                with self._lock:
                    self.statuses[(name, response.status_code)] += 1
                    if response.status_code >= 500 and not (
                        response.status_code == 503 and response.headers.get("retry-after")
                    ):
                        self.failures.append(f"{name}: {response.status_code} {response.text[:300]}")

    def count(self) -> int:
        with self._lock:
            return sum(self.statuses.values())

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(REQUEST_CEILING + 5)

    def of(self, name: str) -> dict[int, int]:
        with self._lock:
            return {status: n for (what, status), n in self.statuses.items() if what == name}


def requests_pass(load: Load, at_least: int) -> Callable[[], bool]:
    start = load.count()
    return lambda: load.count() >= start + at_least


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    redis = PrivateRedis(tmp_path / "redis")
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def on_private_redis(tmp_path: Path, postgres_url: str, private_redis: PrivateRedis) -> Iterator[Installation]:
    upgrade(postgres_url)
    # 1 s instead of the 250 ms default: a stopped Redis refuses at once and a hung one is waited out either way,
    # while a busy test machine should not trip the fallback before the fault.
    installation = Installation(
        tmp_path, postgres_url, private_redis.url, log_level="WARNING", redis_timeout_seconds="1", **LIMITS
    )
    try:
        yield installation
    finally:
        private_redis.resume()
        installation.close()


def test_redis_stopped_under_load_no_500_and_login_keeps_working(
    on_private_redis: Installation, private_redis: PrivateRedis
) -> None:
    add_user(on_private_redis, "ann@example.com")
    replica = start_replica(on_private_redis)
    first = replica.login("ann@example.com")
    assert first.status_code == 200, first.text
    token = first.json()["data"]["access_token"]

    with Load(replica, "ann@example.com", token) as load:
        wait_until("requests with Redis up", requests_pass(load, 20), REQUEST_CEILING)
        private_redis.stop()
        wait_until("requests with Redis stopped", requests_pass(load, 60), 4 * REQUEST_CEILING)
        during = {name: load.of(name) for name, _ in load._requests()}
        private_redis.start()  # an empty Redis: a restart without persistence
        wait_until("requests after Redis came back", requests_pass(load, 30), 4 * REQUEST_CEILING)

    assert load.failures == [], load.failures[:10]
    assert load.errors == [], load.errors[:10]
    assert not any(status == 500 for (_, status) in load.statuses), load.statuses
    # While Redis was away: login answered 200 (the fallback limiter), signed-in and anonymous reads as usual.
    assert during["login"].get(200, 0) > 0 and set(during["login"]) == {200}, during["login"]
    assert set(during["bad login"]) <= {401, 429}, during["bad login"]
    assert set(during["me"]) == {200}, during["me"]
    assert set(during["emails"]) == {200}, during["emails"]  # the mail cache falls through to the mailbox
    assert set(during["anonymous me"]) == {401}, during["anonymous me"]
    assert set(during["unknown api path"]) == {404}, during["unknown api path"]
    assert set(during["web app"]) == {200}, during["web app"]
    assert replica.process.alive()
    assert replica.login("ann@example.com").status_code == 200
    # The outage is one warning line in the replica's log, not one per request (two at most: a busy machine may
    # have slowed Redis past the timeout once before it was stopped).
    lines = replica.process.output().count("redis is unreachable")
    assert 1 <= lines <= 2, replica.process.output()[-3000:]


def test_hung_redis_never_stalls_healthz_and_logins_still_succeed(
    on_private_redis: Installation, private_redis: PrivateRedis
) -> None:
    add_user(on_private_redis, "bob@example.com")
    replica = start_replica(on_private_redis)
    assert replica.login("bob@example.com").status_code == 200

    private_redis.pause()  # SIGSTOP: connections are accepted by the kernel, nothing ever answers
    logins: list[httpx.Response] = []

    def log_in() -> None:
        with httpx.Client(base_url=replica.base, timeout=REQUEST_CEILING) as client:
            logins.append(client.post("/api/v1/auth/login", json={"email": "bob@example.com", "password": PASSWORD}))

    threads = [threading.Thread(target=log_in) for _ in range(6)]
    for thread in threads:
        thread.start()
    slowest = 0.0
    for _ in range(10):
        started = time.monotonic()
        response = replica.client.get("/healthz")
        slowest = max(slowest, time.monotonic() - started)
        assert response.status_code == 200
    for thread in threads:
        thread.join(REQUEST_CEILING + 5)
    assert slowest < HEALTHZ_CEILING, f"/healthz took {slowest:.1f} s while Redis was hung"
    assert [r.status_code for r in logins] == [200] * 6, [r.text[:200] for r in logins]
    ready = replica.client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["data"]["checks"]["redis"].startswith("failing")

    private_redis.resume()
    wait_until("/readyz to be 200 again", lambda: replica.client.get("/readyz").status_code == 200, REQUEST_CEILING)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    postgres = PrivatePostgres()
    postgres.start()
    try:
        yield postgres
    finally:
        postgres.destroy()


def test_postgres_restart_under_load_no_500_and_503s_say_when_to_retry(
    tmp_path: Path, private_postgres: PrivatePostgres, redis_url: str
) -> None:
    upgrade(private_postgres.url)
    installation = Installation(tmp_path, private_postgres.url, redis_url, log_level="WARNING", **LIMITS)
    try:
        add_user(installation, "cy@example.com")
        installation.container.engine().dispose()  # the test's own pool must not hold the restart up
        replica = start_replica(installation)
        first = replica.login("cy@example.com")
        assert first.status_code == 200, first.text
        with Load(replica, "cy@example.com", first.json()["data"]["access_token"]) as load:
            wait_until("requests before the restart", requests_pass(load, 20), REQUEST_CEILING)
            private_postgres.restart()
            wait_until("requests after the restart", requests_pass(load, 40), 4 * REQUEST_CEILING)

            def answered_after_restart() -> bool:
                return load.of("login").get(200, 0) > 0 and replica.login("cy@example.com").status_code == 200

            wait_until("a login to succeed after the restart", answered_after_restart, 4 * REQUEST_CEILING)
        assert load.failures == [], load.failures[:10]
        assert load.errors == [], load.errors[:10]
        assert not any(status == 500 for (_, status) in load.statuses), load.statuses
        again = replica.login("cy@example.com").json()["data"]["access_token"]
        me = replica.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {again}"})
        assert me.status_code == 200, me.text
    finally:
        installation.close()
