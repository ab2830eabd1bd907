"""Every operation of the OpenAPI document declares the statuses its shape implies, each with the error envelope."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.app import Api

pytestmark = pytest.mark.e2e

METHODS = ("get", "put", "post", "delete", "patch")


def _operations(api: Api) -> list[tuple[str, str, dict[str, Any]]]:
    document = api.get("/openapi.json").json()
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_every_operation_declares_what_its_shape_can_answer(api: Api) -> None:
    operations = _operations(api)
    assert len(operations) > 60
    for method, path, op in operations:
        statuses = set(op["responses"])
        where = f"{method} {path}: {sorted(statuses)}"
        assert {"500", "503"} <= statuses, where
        if op.get("requestBody"):
            assert {"400", "422"} <= statuses, where
        if op.get("security"):
            assert {"401", "403"} <= statuses, where
        if any(p["in"] == "path" for p in op.get("parameters", [])):
            assert "404" in statuses, where
        if not path.endswith(("/healthz", "/readyz")):
            assert "429" in statuses, where
            assert "Retry-After" in op["responses"]["429"]["headers"], where
        for status, answer in op["responses"].items():
            if int(status) >= 400 and not (path.endswith("/readyz") and status == "503"):
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, f"{where} {status}"


def test_the_statuses_named_in_the_issue_are_declared(api: Api) -> None:
    ops = {(m, p): set(op["responses"]) for m, p, op in _operations(api)}
    assert "409" in ops[("POST", "/api/v1/labels")]
    assert "409" in ops[("DELETE", "/api/v1/emails/scheduled/{scheduled_id}")]
    assert "409" in ops[("POST", "/api/v1/auth/register")]
    assert "501" in ops[("GET", "/api/v1/mail/accounts/google/authorize")]
    assert "501" in ops[("POST", "/api/v1/mail/push/google")]
    assert "413" in ops[("POST", "/api/v1/attachments/upload")]
    assert "400" in ops[("POST", "/api/v1/auth/login")]


def test_a_body_that_is_not_utf8_is_a_documented_400_envelope(api: Api) -> None:
    r = api.post("/api/v1/auth/login", content=b"\xff\xfe{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "bad_request"
