"""One contract for Mailer: the outbox (embedded default), SMTP (against a real SMTP server) and the fake."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.in_memory.mailer import InMemoryMailer
from adapters.outbox_mailer.mailer import OutboxMailer
from adapters.smtp.mailer import SmtpMailer
from application.ports.mailer import Mailer, SystemMail
from domain.errors import ServiceUnavailable

SENDER = "mailagent <no-reply@mailagent.local>"
MAIL = SystemMail(
    to="zoë@example.com".replace("ë", "e"),
    subject="Confirm your e-mail address — ✓",
    text="Open https://app.example/verify-email?token=abc.DEF_123-xyz within 24 hours.\nDanke schön.\n",
    link="https://app.example/verify-email?token=abc.DEF_123-xyz",
)


class _Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, int, _Sink]]:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd needs a concrete port to check that it is up
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port, sink
    finally:
        controller.stop()


Received = Callable[[], list[email.message.EmailMessage]]


@pytest.fixture(params=["memory", "outbox", "smtp"])
def mailer_and_inbox(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Mailer, Received]:
    if request.param == "memory":
        fake = InMemoryMailer()

        def from_fake() -> list[email.message.EmailMessage]:
            from adapters.system_mail import build_system_mail

            return [build_system_mail(m, SENDER) for m in fake.sent]

        return fake, from_fake
    if request.param == "outbox":
        outbox = tmp_path / "outbox"

        def from_files() -> list[email.message.EmailMessage]:
            return [
                email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
                for p in sorted(outbox.glob("*.eml"))
            ]

        return OutboxMailer(outbox, sender=SENDER), from_files
    host, port, sink = request.getfixturevalue("smtp_server")

    def from_sink() -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(m, policy=email.policy.default) for m in sink.messages]  # type: ignore[misc]

    return SmtpMailer(host, port, sender=SENDER, security="none"), from_sink


def test_a_sent_mail_arrives_whole(mailer_and_inbox: tuple[Mailer, Received]) -> None:
    mailer, received = mailer_and_inbox
    mailer.send(MAIL)
    mailer.send(SystemMail(to="second@example.com", subject="Second", text="two"))
    messages = received()
    assert [m["To"] for m in messages] == [MAIL.to, "second@example.com"]
    first = messages[0]
    assert first["Subject"] == MAIL.subject
    assert first["From"] == SENDER
    assert first["Message-ID"]
    body = first.get_body(("plain",))
    assert body is not None and MAIL.link in body.get_content() and "Danke schön" in body.get_content()


def test_smtp_failure_is_a_clear_service_error_without_credentials() -> None:
    mailer = SmtpMailer("127.0.0.1", 1, sender=SENDER, username="u", password="hunter2-secret", security="none")
    with pytest.raises(ServiceUnavailable) as caught:
        mailer.send(MAIL)
    assert "127.0.0.1:1" in caught.value.message
    assert "hunter2" not in caught.value.message
