"""`mailagent worker --burst` runs what is due and exits, locally (in-process queue, SQLite) and in production
(RQ on Redis, PostgreSQL, as a real subprocess); `mailagent serve`'s app runs the in-process queue for exactly
its lifetime."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dependency_injector import providers
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.outbox import enqueue_after_commit
from application.ports.job_queue import JobPayload
from application.ports.unit_of_work import UnitOfWork
from domain.events import DomainEvent, EventType
from domain.identity import Role, User, UserStatus, new_id
from entrypoints.cli.main import app as cli
from tests.support.app import make_app, make_settings

runner = CliRunner()
NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=10)  # beyond the default retention of three days


def seed(uow: UnitOfWork) -> dict[str, str]:
    """A user; an old event already relayed (due for pruning); a recent event never relayed (due for relaying)."""
    user_id = new_id()
    with uow:
        uow.users.add(
            User(id=user_id, email=f"{user_id}@example.com", role=Role.USER, status=UserStatus.ACTIVE, created_at=OLD)
        )
        uow.events.append(DomainEvent("old-relayed", user_id, EventType.EMAIL_RECEIVED, OLD, {"n": 1}))
        uow.commit()
        assert [s.event.id for s in uow.events.claim_unpublished(limit=10, at=OLD)] == ["old-relayed"]
        uow.commit()
        uow.events.append(DomainEvent("recent", user_id, EventType.EMAIL_RECEIVED, NOW, {"n": 2}))
        uow.commit()
    return {"user_id": user_id}


def event_rows(url: str) -> dict[str, bool]:
    """Event id -> relayed?, read straight from the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, published_at FROM events")).all()
    finally:
        engine.dispose()
    return {row[0]: row[1] is not None for row in rows}


# -- local profile -----------------------------------------------------------------------------------------------


@pytest.fixture
def local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {"MAILAGENT_DATA_DIR": str(tmp_path / "var"), "MAILAGENT_PROFILE": "local"}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    return values


def test_local_worker_burst_relays_runs_and_prunes_then_exits(
    local_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import entrypoints.worker.jobs as jobs_module

    touched = tmp_path / "touched.txt"
    real_build_registry = jobs_module.build_registry

    def build_registry(container: Any) -> Any:
        registry = real_build_registry(container)

        @registry.job("test.touch")
        def touch(payload: JobPayload) -> None:
            with touched.open("a") as f:
                f.write(f"{payload['n']}\n")

        return registry

    monkeypatch.setattr(jobs_module, "build_registry", build_registry)
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{(tmp_path / 'var' / 'mailagent.db').resolve()}"
    engine = make_engine(url)
    seed(SqlAlchemyUnitOfWork(make_session_factory(engine)))
    with SqlAlchemyUnitOfWork(make_session_factory(engine)) as uow:  # committed before, never relayed
        enqueue_after_commit(uow, _Clock(), "test.touch", {"n": 7})
        enqueue_after_commit(uow, _Clock(), "test.touch", {"n": 8}, at=NOW + timedelta(days=1))  # not due
        uow.commit()
    engine.dispose()
    threads_before = set(threading.enumerate())

    result = runner.invoke(cli, ["worker", "--burst"])

    assert result.exit_code == 0, result.output
    # The due outbox job was relayed by the periodic relay, then run, once; the one due tomorrow did not keep the
    # burst waiting (the in-process queue forgets it on exit; durable work keeps its own state in the database).
    assert touched.read_text() == "7\n"
    assert event_rows(url) == {"recent": True}  # relayed; the old relayed one pruned
    leftover = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
    assert not [t for t in leftover if t.name.startswith(("jobs-", "periodic-"))]


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def test_serve_runs_the_in_process_queue_for_the_apps_lifetime(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    app, container = make_app(settings)
    ran = threading.Event()
    from entrypoints.worker.jobs import build_registry

    registry = build_registry(container)
    registry.register("test.ping", lambda payload: ran.set())
    container.job_registry.override(providers.Object(registry))
    with container.uow() as uow:  # committed while the server was down: relayed when it starts
        enqueue_after_commit(uow, container.clock(), "test.ping", {})
        uow.commit()
    before = set(threading.enumerate())

    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        started = [t for t in threading.enumerate() if t not in before]
        names = sorted(t.name for t in started)
        assert "jobs-scheduler" in names and "periodic-ticker" in names
        assert sum(n.startswith("jobs-worker-") for n in names) == settings.job_workers
        assert ran.wait(10), "the outbox job committed before start-up was relayed and run"

    for thread in started:
        thread.join(5)
    assert [t.name for t in started if t.is_alive()] == [], "shutdown stops every background thread"


# -- production profile ------------------------------------------------------------------------------------------


@pytest.fixture
def production_env(tmp_path: Path, postgres_url: str, redis_url: str, redis_client: Any) -> Iterator[dict[str, str]]:
    queue = f"test-worker-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "MAILAGENT_PROFILE": "production",
        "MAILAGENT_DATABASE_URL": postgres_url,
        "MAILAGENT_REDIS_URL": redis_url,
        "MAILAGENT_JWT_SECRET": "worker-test-secret-" + "x" * 40,
        "MAILAGENT_MAILER": "outbox",
        "MAILAGENT_JOB_QUEUE_NAME": queue,
        "MAILAGENT_EVENT_CHANNEL": f"mailagent-test:{queue}:events",
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_LOG_LEVEL": "WARNING",
    }
    yield env
    from tests.contract.test_job_queue import remove_rq_queue

    remove_rq_queue(redis_client, queue)


def mailagent(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_worker_burst_runs_the_periodic_jobs_on_rq_and_exits(
    production_env: dict[str, str], tmp_path: Path, redis_client: Any
) -> None:
    from rq import Queue
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from adapters.rq.job_queue import lane_queue_names

    url = production_env["MAILAGENT_DATABASE_URL"]
    upgraded = mailagent(production_env, tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    engine = make_engine(url)
    seed(SqlAlchemyUnitOfWork(make_session_factory(engine)))
    engine.dispose()

    burst = mailagent(production_env, tmp_path, "worker", "--burst")

    assert burst.returncode == 0, burst.stdout + burst.stderr
    # outbox.relay relayed the recent event; events.prune (after it, RQ runs in order) removed the old one.
    assert event_rows(url) == {"recent": True}
    # Periodic jobs run on their own lane's queue, taken before anything else.
    names = lane_queue_names(production_env["MAILAGENT_JOB_QUEUE_NAME"])
    queues = [Queue(name, connection=redis_client) for name in names]
    finished = [j for queue in queues for j in FinishedJobRegistry(queue=queue).get_job_ids()]
    assert [j for queue in queues for j in FailedJobRegistry(queue=queue).get_job_ids()] == []
    assert [queue.count for queue in queues] == [0, 0]
    prefix = f"tick-{production_env['MAILAGENT_JOB_QUEUE_NAME']}-"
    assert any(j.startswith(prefix + "outbox-relay-") for j in finished), finished
    assert any(j.startswith(prefix + "events-prune-") for j in finished), finished
