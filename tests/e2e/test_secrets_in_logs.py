"""One-time links never reach a log (issue 11): the outbox mailer says where a mail went, not its link; any log line
that still carries a link's token (a proxy's access line, a stray debug message) is scrubbed before it is written;
and production refuses to start without a real mailer unless the outbox is chosen explicitly."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from entrypoints.settings import Settings
from tests.support.app import Api, make_app, make_settings, outbox_link


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """What the product's log handler writes (its formatter and redaction filter), into a buffer of our own."""
    from entrypoints.logging_setup import configure_logging

    root = logging.getLogger()
    product = next((h for h in root.handlers if h.get_name() == "default"), None)
    if product is None:
        configure_logging(json_logs=False, level="INFO")
        product = next(h for h in root.handlers if h.get_name() == "default")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(product.formatter)
    for f in product.filters:
        handler.addFilter(f)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def test_a_password_reset_link_cannot_be_taken_from_the_log(tmp_path: Path, log: io.StringIO) -> None:
    settings = make_settings(tmp_path)
    app, _ = make_app(settings)
    api = Api(app, settings)
    _drain(log)
    api.signup("reset@example.com")
    r = api.post("/api/v1/auth/reset-password", json={"email": "reset@example.com"})
    assert r.status_code == 202, r.text
    verify = outbox_link(settings, "reset@example.com", "verify-email")
    reset = outbox_link(settings, "reset@example.com", "reset-password")
    logged = _drain(log)
    assert "written to" in logged and "reset@example.com" in logged  # the outbox still says where the mail went
    assert verify not in logged and reset not in logged
    assert "token=" not in logged
    # anything else that logs a link has its token scrubbed on the way out
    logging.getLogger("mailagent.access").info("GET /reset-password?token=%s HTTP/1.1", reset)
    logging.getLogger("mailagent.test").warning("clicked %s", f"{settings.public_url}/verify-email?token={verify}")
    scrubbed = _drain(log)
    assert reset not in scrubbed and verify not in scrubbed
    assert scrubbed.count("token=[redacted]") == 2
    # the link still works for its owner, who has the mail
    done = api.post(
        "/api/v1/auth/reset-password/confirm", json={"token": reset, "new_password": "Another-horse 43 battery"}
    )
    assert done.status_code == 200, done.text
    api.client.close()


def _production(**values: object) -> Settings:
    base = {"profile": "production", "database_url": "postgresql://x/y", "jwt_secret": "s" * 40, **values}
    return Settings(_env_file=None, **base)  # type: ignore[arg-type]


def test_production_refuses_to_start_without_a_real_mailer_unless_the_outbox_is_chosen() -> None:
    with pytest.raises(ValidationError, match="MAILAGENT_SMTP_HOST, or MAILAGENT_MAILER=outbox"):
        _production()
    with pytest.raises(ValidationError, match="MAILAGENT_SMTP_HOST"):
        _production(mailer="smtp")
    assert _production(smtp_host="smtp.example.com").resolved_mailer == "smtp"
    assert _production(mailer="outbox").resolved_mailer == "outbox"
    local = Settings(_env_file=None)  # type: ignore[call-arg]
    assert local.resolved_mailer == "outbox"
    with pytest.raises(ValidationError, match="MAILAGENT_SMTP_HOST"):
        Settings(_env_file=None, mailer="smtp")  # type: ignore[call-arg]
