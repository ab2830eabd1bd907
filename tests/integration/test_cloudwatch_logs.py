"""JSON logs shipped to CloudWatch Logs (watchtower, against moto's CloudWatch Logs) with their request ids, and the
metrics as embedded-metric-format lines CloudWatch turns into metrics in the configured namespace."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from entrypoints.observability import ship_logs_to_cloudwatch
from tests.support.app import Api, make_app, make_settings
from tests.support.moto import aws_client, moto_endpoint  # noqa: F401  (fixture)


def events(logs: Any, group: str) -> list[dict[str, Any]]:
    found = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        for event in logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]:
            found.append(json.loads(event["message"]))
    return found


def test_request_logs_and_emf_metrics_reach_cloudwatch(tmp_path: Path, moto_endpoint: str) -> None:  # noqa: F811
    group = "/mailagent/test/app"
    logs = aws_client("logs", moto_endpoint)
    logs.create_log_group(logGroupName=group)
    settings = make_settings(
        tmp_path,
        cloudwatch_log_group=group,
        cloudwatch_emf=True,
        cloudwatch_namespace="mailagent-test",
        aws_endpoint_url=moto_endpoint,
        log_level="INFO",
    )
    handler = ship_logs_to_cloudwatch(settings, stream="api")
    try:
        app, _ = make_app(settings)
        api = Api(app, settings)
        assert api.get("/api/v1/healthz", headers={"X-Request-ID": "cw-test-42"}).status_code == 200
        token = "mak_" + "s" * 40
        api.get("/api/v1/auth/me", headers={"X-API-Key": token})  # a credential must never reach the logs
        handler.flush()
        deadline = time.monotonic() + 30
        found: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            found = events(logs, group)
            if any(e.get("request_id") == "cw-test-42" and e.get("event") == "request" for e in found):
                break
            handler.flush()
            time.sleep(0.5)
        access = [e for e in found if e.get("event") == "request" and e.get("request_id") == "cw-test-42"]
        assert access and access[0]["path"] == "/api/v1/healthz" and access[0]["status"] == 200
        emf = [e for e in found if "_aws" in e and e.get("mailagent_http_requests_total") is not None]
        assert emf, found[-5:]
        directive = emf[0]["_aws"]["CloudWatchMetrics"][0]
        assert directive["Namespace"] == "mailagent-test"
        assert directive["Dimensions"] == [["method", "route", "status"]]
        assert {"Name": "mailagent_http_requests_total", "Unit": "Count"} in directive["Metrics"]
        assert any(e.get("route") == "/api/v1/healthz" for e in emf)
        assert isinstance(emf[0]["_aws"]["Timestamp"], int)
        assert token not in json.dumps(found)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
