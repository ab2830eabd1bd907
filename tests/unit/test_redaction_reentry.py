"""`redact` may be entered again while it runs: it is every log record's filter, and a record can be logged from a
signal handler or a garbage-collection callback in the middle of another record's redaction (CI saw a worker
deadlock on SIGTERM this way: the handler's log line waited for a lock its own thread held)."""

from __future__ import annotations

import threading

import pytest

from entrypoints import redaction


def test_redact_entered_again_while_reading_the_registered_secrets_does_not_hang(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inner: list[str] = []
    entered: list[bool] = []

    class ReenteringSecrets(tuple):  # type: ignore[type-arg]
        """Stands in for a signal arriving while `redact` reads the registered secrets."""

        def __iter__(self):  # type: ignore[no-untyped-def]
            if not entered:
                entered.append(True)
                inner.append(redaction.redact("inner s3cret-value-123"))
            return super().__iter__()

    monkeypatch.setattr(redaction, "_known", ReenteringSecrets(("s3cret-value-123",)))
    outer: list[str] = []
    thread = threading.Thread(target=lambda: outer.append(redaction.redact("outer s3cret-value-123")), daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "redact deadlocked when entered again"
    assert outer == [f"outer {redaction.REDACTED}"]
    assert inner == [f"inner {redaction.REDACTED}"]


def test_a_registered_secret_is_redacted_and_registering_it_twice_keeps_one() -> None:
    before = redaction._known
    try:
        redaction.register_secret("another-secret-4711")
        redaction.register_secret("another-secret-4711")
        assert redaction._known.count("another-secret-4711") == 1
        assert redaction.redact("x another-secret-4711 y") == f"x {redaction.REDACTED} y"
        assert redaction.might_hold_secret(b"x another-secret-4711 y")
    finally:
        redaction._known = before
        redaction._known_bytes = tuple(v.encode() for v in before)
