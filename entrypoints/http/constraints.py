"""Constraints the OpenAPI document carries so generated clients (ours included) know the real rules.

Validation itself stays where it is (the domain's password policy, email-validator, the scheduler's timezone
parser), so a request that breaks a rule keeps its clear 422 message; these only describe the rules in the schema.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, EmailStr, WithJsonSchema

from domain.identity import Scope
from domain.password_policy import MAX_LENGTH, MIN_LENGTH

# domain/password_policy.py: the length as minLength/maxLength, the character classes in words (as one pattern they
# need lookaheads, which generators and many validators handle badly). `format: password` marks it as a secret.
PASSWORD_SCHEMA: dict[str, Any] = {
    "format": "password",
    "minLength": MIN_LENGTH,
    "maxLength": MAX_LENGTH,
    "description": (
        f"At least {MIN_LENGTH} characters with a lowercase and an uppercase letter, a digit and a symbol "
        "(such as ! ? # or a space), not containing your e-mail address."
    ),
}

SPECIAL_USE_HELP = (
    "Special-use domains (.test, .invalid, .localhost, .onion, .arpa) are refused; intranet .local addresses work."
)
EMAIL_SCHEMA: dict[str, Any] = {"type": "string", "format": "email", "description": SPECIAL_USE_HELP}
Email = Annotated[EmailStr, WithJsonSchema(EMAIL_SCHEMA)]

# A recipient: `alice@example.com` or `Alice <alice@example.com>`, one line (a dot-atom address, a plain name).
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"  # short, so the address stays under 254
NAME_ADDR_PATTERN = rf"^[A-Za-z0-9 ._'-]{{0,200}}<{_LOCAL}@(?:{_LABEL}\.){{1,3}}[A-Za-z]{{2,24}}>$"
RECIPIENT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "format": "email"},
        {"type": "string", "maxLength": 400, "pattern": NAME_ADDR_PATTERN},
    ],
    "description": "alice@example.com or Alice <alice@example.com>. " + SPECIAL_USE_HELP,
}

SCOPES_SCHEMA: dict[str, Any] = {"items": {"type": "string", "enum": sorted(s.value for s in Scope)}}

# IANA zone names (the scheduler accepts exactly these) or a fixed offset from -14:00 to +14:00.
OFFSET_PATTERN = r"^(?:UTC|Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$"


def timezone_schema(description: str) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "string", "enum": sorted(zoneinfo.available_timezones())},
            {"type": "string", "pattern": OFFSET_PATTERN},
            {"type": "null"},
        ],
        "description": description,
    }


# Offsets past this are no listing anyone pages through (past 2**63 the database cannot even compare them).
MAX_OFFSET = 1_000_000_000

# A path of this app (not //host, which would leave it), or empty for none: checked in StartGoogleConnect.
RETURN_TO_PATTERN = r"^(?:/(?:[^/].*)?)?$"

# A page token is the opaque cursor an earlier answer gave in `meta.next_page_token` (URL-safe characters).
PAGE_TOKEN_PATTERN = r"^[A-Za-z0-9_\-=.~]{1,500}$"
PAGE_TOKEN_HELP = "`meta.next_page_token` of the previous page, as it was given"


def _iso_only(value: object) -> object:
    # Pydantic would read a bare number as seconds since 1970; the document says ISO 8601, so hold it to that.
    if isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("use an ISO 8601 date and time, e.g. 2026-12-01T00:00:00Z")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only)]
