"""Last line of defence: scrub OAuth tokens and configured secrets from responses and log lines (property 40)."""

from __future__ import annotations

import re
import threading
from typing import Any

# Google access tokens (ya29.), refresh tokens (1//), OAuth client secrets (GOCSPX-), AWS keys, Slack tokens,
# and bearer headers that slipped into a message.
TOKEN_PATTERNS = [
    re.compile(r"ya29\.[0-9A-Za-z\-_]{10,}"),
    re.compile(r"1//0[0-9A-Za-z\-_]{20,}"),
    re.compile(r"GOCSPX-[0-9A-Za-z\-_]{10,}"),
    re.compile(r"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])"),
    re.compile(r"xox[abposr]-[0-9A-Za-z-]{10,}"),
    re.compile(r"(?i)bearer\s+(?:ya29|1//)[^\s\"']+"),
]
REDACTED = "[redacted]"
# Logs only: the one-time credential in a link (verify e-mail, reset password, a push URL's token). Whoever reads a
# log must not be able to confirm an address or reset a password (issue 11).
ONE_TIME_LINK = re.compile(r"(?i)([?&#;](?:token|code|reset_token|verification_token|key)=)[^&#\s\"'<>]+")

# A quick look over the raw bytes that finds at least whatever TOKEN_PATTERNS find in the decoded text: the first
# five use ASCII classes only, so they match the same bytes; the AWS key's is looked for without its look-arounds
# (which only narrow a match, and cost a search that starts with one ~20 µs over a 400-byte body instead of ~0.5 µs);
# in text `\s` also matches Unicode spaces, so the bearer pattern is looked for by its keyword alone, in any case
# (ASCII: no other letter folds to one of "bearer").
_PREFILTER_BYTES = [
    re.compile(p.pattern.replace("(?<![A-Z0-9])", "").replace("(?![A-Z0-9])", "").encode("ascii"))
    for p in TOKEN_PATTERNS[:-1]
]
_BEARER = b"bearer"

# The registered secrets as immutable tuples, replaced whole under the lock: readers take no lock. `redact` runs in
# every log record's filter, and a record can be logged from a signal handler or a garbage-collection callback while
# the same thread is inside `redact`: a lock there deadlocked a worker on SIGTERM (CI, 2026-12-07).
_known: tuple[str, ...] = ()
_known_bytes: tuple[bytes, ...] = ()
_lock = threading.Lock()  # writers only


def register_secret(value: str | None) -> None:
    """Exact secret values (client secrets, SMTP password, signing keys) that must never be shown."""
    global _known, _known_bytes
    if value and len(value) >= 8:
        with _lock:
            if value not in _known:
                _known = (*_known, value)
                _known_bytes = tuple(v.encode("utf-8") for v in _known)


def redact(text: str) -> str:
    for pattern in TOKEN_PATTERNS:
        text = pattern.sub(REDACTED, text)
    for secret in _known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def might_hold_secret(data: bytes) -> bool:
    """False when `redact` would leave this UTF-8 text unchanged (no token pattern, no registered secret in it):
    a response body is decoded and scrubbed only when this says True."""
    # Loops, not any() over generators: this runs on every response (~1 µs less on a small one).
    for pattern in _PREFILTER_BYTES:
        if pattern.search(data):
            return True
    if _BEARER in data.lower():
        return True
    for secret in _known_bytes:  # noqa: SIM110 (the loop is the point: see above)
        if secret in data:
            return True
    return False


def redact_log_text(text: str) -> str:
    """What a log line may keep: `redact` plus one-time link credentials."""
    return ONE_TIME_LINK.sub(rf"\1{REDACTED}", redact(text))


def contains_secret(text: str) -> bool:
    return redact(text) != text


def redact_log_event(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: scrub every string value of a log event."""
    for key, value in list(event.items()):
        if isinstance(value, str):
            event[key] = redact_log_text(value)
        elif isinstance(value, BaseException):
            event[key] = redact_log_text(repr(value))
    return event
