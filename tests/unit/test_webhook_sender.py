"""The webhook sender against a real local receiver: Standard Webhooks signatures that the official package verifies
(property 55, the spec's known vector, two signatures during a rotation), and the transport's rules — refused
addresses checked on what the host resolves to at send time (DNS rebinding), no redirects followed, a capped
response body, timeouts and resets reported rather than raised, Retry-After read."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks import Webhook, WebhookVerificationError

from adapters.webhooks import sender as sender_module
from adapters.webhooks.sender import HttpxWebhookSender, retry_after_seconds
from application.ports.webhooks import OutgoingWebhook
from domain.webhooks import MAX_RESPONSE_BYTES, new_secret
from tests.support.webhook_receiver import running_receiver


def outgoing(url: str, secrets: tuple[str, ...], body: str = '{"type":"webhook.test"}', **kw: Any) -> OutgoingWebhook:
    return OutgoingWebhook(
        url=url,
        message_id=kw.get("message_id", "evt_1"),
        timestamp=kw.get("timestamp", datetime.now(UTC)),
        body=body,
        secrets=secrets,
    )


@pytest.mark.property(55)
def test_known_vector_of_the_specification() -> None:
    sender = HttpxWebhookSender(allow_loopback=True)
    webhook = OutgoingWebhook(
        url="https://example.com/",
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=datetime.fromtimestamp(1614265330, UTC),
        body='{"test": 2432232314}',
        secrets=("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",),
    )
    assert sender.signature(webhook) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.property(55)
@settings(max_examples=60, deadline=None)
@given(
    body=st.text(max_size=300),
    message_id=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=64),
)
def test_property_55_every_signature_verifies_with_the_official_package(body: str, message_id: str) -> None:
    """Property 55: for any body and id, the headers we send verify with standardwebhooks, and only for that body."""
    sender = HttpxWebhookSender(allow_loopback=True)
    secret = new_secret()
    webhook = outgoing("https://example.com/", (secret,), body, message_id=message_id)
    headers = sender.headers(webhook)
    Webhook(secret).verify(body.encode(), headers, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify((body + " ").encode(), headers, json_parse=False)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body.encode(), headers, json_parse=False)


def test_rotation_sends_two_signatures_each_verifying_alone() -> None:
    sender = HttpxWebhookSender(allow_loopback=True)
    new, old = new_secret(), new_secret()
    webhook = outgoing("https://example.com/", (new, old))
    headers = sender.headers(webhook)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        Webhook(secret).verify(webhook.body, headers)


def test_delivery_reaches_the_receiver_signed() -> None:
    secret = new_secret()
    with running_receiver() as receiver:
        result = HttpxWebhookSender(allow_loopback=True).send(outgoing(receiver.url("/in"), (secret,)))
        assert result.delivered and result.status_code == 200 and result.error is None
        (got,) = receiver.received("/in")
        assert got.headers["webhook-id"] == "evt_1"
        assert got.headers["content-type"] == "application/json"
        assert Webhook(secret).verify(got.body, got.headers) == {"type": "webhook.test"}


@pytest.mark.property(54)
@pytest.mark.parametrize(
    ("resolved", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.0.7", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.10.1", "link-local"),
        ("224.0.0.5", "multicast"),
        ("::1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("fe80::1", "link-local"),
    ],
)
def test_the_address_resolved_at_send_time_is_checked(
    monkeypatch: pytest.MonkeyPatch, resolved: str, reason: str
) -> None:
    """A name that looked public at registration and now resolves inside (DNS rebinding) is refused before a byte
    is sent: the check runs on the address the connection would use."""
    family = socket.AF_INET6 if ":" in resolved else socket.AF_INET
    sockaddr: tuple[Any, ...] = (resolved, 443, 0, 0) if family == socket.AF_INET6 else (resolved, 443)
    monkeypatch.setattr(
        sender_module.socket,
        "getaddrinfo",
        lambda host, port, **kw: [(family, socket.SOCK_STREAM, 6, "", sockaddr)],
    )
    result = HttpxWebhookSender(allow_loopback=False).send(outgoing("https://rebind.example.com/in", (new_secret(),)))
    assert result.status_code is None and not result.delivered
    assert result.error is not None and "refused" in result.error and reason in result.error


def test_loopback_receiver_refused_without_the_embedded_allowance() -> None:
    with running_receiver() as receiver:
        result = HttpxWebhookSender(allow_loopback=False).send(outgoing(receiver.url("/in"), (new_secret(),)))
        assert result.error is not None and "https" in result.error
        assert receiver.received() == []


def test_redirects_are_not_followed() -> None:
    with running_receiver() as receiver:
        receiver.script("/in", "redirect")
        result = HttpxWebhookSender(allow_loopback=True).send(outgoing(receiver.url("/in"), (new_secret(),)))
        assert result.status_code == 302 and not result.delivered
        assert result.error is not None and "not followed" in result.error
        assert len(receiver.received()) == 1


def test_response_body_is_read_only_up_to_the_cap() -> None:
    with running_receiver() as receiver:
        receiver.script("/in", "huge")
        result = HttpxWebhookSender(allow_loopback=True).send(outgoing(receiver.url("/in"), (new_secret(),)))
        assert result.delivered
        assert 0 < len(result.response) <= MAX_RESPONSE_BYTES


def test_timeout_and_reset_are_reported_not_raised() -> None:
    with running_receiver(hang_seconds=3) as receiver:
        receiver.script("/in", "hang", "reset", "500")
        sender = HttpxWebhookSender(allow_loopback=True, timeout_seconds=0.5)
        hung = sender.send(outgoing(receiver.url("/in"), (new_secret(),)))
        assert hung.status_code is None and hung.error is not None and "timed out" in hung.error
        reset = sender.send(outgoing(receiver.url("/in"), (new_secret(),)))
        assert reset.status_code is None and reset.error is not None
        failed = sender.send(outgoing(receiver.url("/in"), (new_secret(),)))
        assert failed.status_code == 500 and failed.response == "internal error"


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds("Mon, 07 Dec 2026 12:05:00 GMT", now) == 300
    assert retry_after_seconds("Mon, 07 Dec 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None
