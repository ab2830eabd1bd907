"""A real Prometheus (Debian's) scrapes a running `mailagent serve` and `mailagent worker` (production profile:
PostgreSQL, Redis, RQ), loads ops/prometheus/alerts.yml, and sees the job metrics recorded inside RQ's forked
work horses. The alert rules themselves fire in `promtool test rules`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.sqlalchemy.migrate import upgrade
from tests.contract.test_job_queue import remove_rq_queue

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "ops" / "prometheus"
MAILAGENT = Path(sys.executable).parent / "mailagent"
TOKEN = "prometheus-scrape-token-" + "z" * 20


def tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is missing: apt-get install prometheus (.ci/run installs it)", pytrace=False)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, check: Callable[[], Any], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_alert_rules_load_and_fire_in_promtool() -> None:
    promtool = tool("promtool")
    checked = subprocess.run([promtool, "check", "rules", "alerts.yml"], cwd=RULES, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 8 rules found" in checked.stdout
    tested = subprocess.run([promtool, "test", "rules", "alerts.test.yml"], cwd=RULES, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    config = subprocess.run([promtool, "check", "config", "prometheus.yml"], cwd=RULES, capture_output=True, text=True)
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_is_tested_and_has_a_runbook_section() -> None:
    import yaml

    rules = yaml.safe_load((RULES / "alerts.yml").read_text())["groups"][0]["rules"]
    tests = (RULES / "alerts.test.yml").read_text()
    runbook = (ROOT / "docs" / "runbook.md").read_text().lower()
    for rule in rules:
        assert f"alertname: {rule['alert']}" in tests, f"{rule['alert']} never fires in alerts.test.yml"
        anchor = rule["annotations"]["runbook"].split("#", 1)[1]
        assert f"## {anchor.replace('-', ' ')}" in runbook, f"docs/runbook.md needs a section for #{anchor}"


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            args, env=env, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def running(tmp_path: Path, postgres_url: str, redis_url: str, redis_client: Any) -> Iterator[dict[str, Any]]:
    queue = f"mailagent-prom-{uuid.uuid4().hex[:10]}"
    api_port, worker_metrics_port, prom_port = free_port(), free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MAILAGENT_", "PROMETHEUS_"))},
        "MAILAGENT_PROFILE": "production",
        "MAILAGENT_DATABASE_URL": postgres_url,
        "MAILAGENT_REDIS_URL": redis_url,
        "MAILAGENT_JWT_SECRET": "prometheus-test-secret-" + "x" * 40,
        "MAILAGENT_DATA_DIR": str(tmp_path / "var"),
        "MAILAGENT_JOB_QUEUE_NAME": queue,
        "MAILAGENT_EVENT_CHANNEL": f"mailagent-test:{queue}",
        "MAILAGENT_OUTBOX_RELAY_SECONDS": "1",
        "MAILAGENT_METRICS_TOKEN": TOKEN,
        "MAILAGENT_MAILER": "outbox",
        "MAILAGENT_LOG_LEVEL": "WARNING",
    }
    (tmp_path / "var").mkdir()
    upgrade(postgres_url)
    procs: list[Process] = []
    try:
        procs.append(Process([str(MAILAGENT), "serve", "--port", str(api_port)], env, tmp_path / "serve.log"))
        worker_env = {**env, "MAILAGENT_METRICS_PORT": str(worker_metrics_port)}
        procs.append(Process([str(MAILAGENT), "worker"], worker_env, tmp_path / "worker.log"))
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "rule_files": [str(RULES / "alerts.yml")],
            "scrape_configs": [
                {
                    "job_name": "mailagent-api",
                    "authorization": {"type": "Bearer", "credentials": TOKEN},
                    "static_configs": [{"targets": [f"127.0.0.1:{api_port}"]}],
                },
                {"job_name": "mailagent-worker", "static_configs": [{"targets": [f"127.0.0.1:{worker_metrics_port}"]}]},
            ],
        }
        (tmp_path / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        procs.append(
            Process(
                [
                    tool("prometheus"),
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{prom_port}",
                ],
                env,
                tmp_path / "prometheus.log",
            )
        )
        yield {
            "api": f"http://127.0.0.1:{api_port}",
            "prometheus": f"http://127.0.0.1:{prom_port}",
            "worker_metrics": f"http://127.0.0.1:{worker_metrics_port}/metrics",
            "procs": procs,
        }
    finally:
        for p in reversed(procs):
            p.stop()
        remove_rq_queue(redis_client, queue)
        redis_client.delete(f"rq:scheduler-lock:{queue}")


def query(prometheus: str, promql: str) -> list[dict[str, Any]]:
    status, body = get(f"{prometheus}/api/v1/query?query={urllib.parse.quote(promql)}")
    if status != 200:
        return []
    result: list[dict[str, Any]] = json.loads(body)["data"]["result"]
    return result


def test_a_real_prometheus_scrapes_the_api_and_the_worker(running: dict[str, Any]) -> None:
    api, prometheus = running["api"], running["prometheus"]

    def logs() -> str:
        text = "\n".join(f"--- {p.log_path.name}\n{p.log_path.read_text()[-3000:]}" for p in running["procs"])
        try:
            return text + "\n--- worker metrics\n" + get(running["worker_metrics"])[1][-3000:]
        except OSError as exc:
            return text + f"\n--- worker metrics unreachable: {exc}"

    try:
        wait_until("the API", lambda: get(f"{api}/readyz")[0] == 200)
        assert get(f"{api}/metrics")[0] == 401  # the token is needed
        for _ in range(3):
            get(f"{api}/api/v1/healthz")
        up = wait_until(
            "Prometheus to scrape both targets",
            lambda: (r := query(prometheus, "up == 1")) and len(r) == 2 and r,
            timeout=300,
        )
        assert {s["metric"]["job"] for s in up} == {"mailagent-api", "mailagent-worker"}
        wait_until(
            "API requests in Prometheus",
            lambda: query(prometheus, 'mailagent_http_requests_total{job="mailagent-api",route="/api/v1/healthz"}'),
        )
        # recorded inside RQ work horses (forked per job), summed by the worker's multiprocess collector
        runs = wait_until(
            "outbox relay runs from the worker",
            lambda: query(prometheus, 'mailagent_job_runs_total{job="mailagent-worker",outcome="succeeded"}'),
            timeout=300,
        )
        assert "outbox.relay" in {s["metric"]["kind"] for s in runs}
        wait_until(
            "the scheduler heartbeat",
            lambda: query(prometheus, "time() - mailagent_scheduler_last_tick_timestamp_seconds < 60"),
        )
        depth = wait_until(
            "queue depth sampled from Redis",
            lambda: query(prometheus, 'mailagent_job_queue_depth{job="mailagent-worker",state="failed"}'),
        )
        assert depth[0]["metric"]["queue"].startswith("mailagent-prom-")
        _, body = get(f"{prometheus}/api/v1/rules")
        groups = json.loads(body)["data"]["groups"]
        assert len(groups[0]["rules"]) == 8
        # Before the worker's first scrape its `up` series is absent, so the rule may have gone pending; it must
        # clear at the first evaluation after the worker is seen (and never fire: it waits 5 minutes).
        wait_until(
            "the workers-down alert to clear once the worker is scraped",
            lambda: not query(prometheus, 'ALERTS{alertname="MailagentWorkersDown"}'),
            timeout=300,
        )
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{logs()}") from exc


def test_the_grafana_dashboard_queries_only_catalogued_metrics_and_shows_every_one() -> None:
    import re

    from application.ports.metrics import CATALOGUE

    dashboard = json.loads((ROOT / "ops" / "grafana" / "mailagent.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"\b(mailagent_[a-z_]+)", e)}
    known = {spec.name for spec in CATALOGUE}
    base = {re.sub(r"_(bucket|count|sum)$", "", m) for m in used}
    assert base - known == set(), "the dashboard queries metrics the app does not have"
    assert known - base == set(), "every metric has a panel"
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
