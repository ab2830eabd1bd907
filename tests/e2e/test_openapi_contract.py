"""The OpenAPI document is the contract: Schemathesis fuzzes every operation of the real app against it.

The app runs on the embedded default (SQLite in a temp dir, the demo mailbox, the outbox mailer: nothing leaves the
machine). Every operation is tried twice: without credentials, and with an administrator's API key holding every
scope, so the routes are reached past authentication. Schemathesis' default checks run on every answer (no 500,
every status and header documented, content type and body as the schema says, invalid data rejected, valid data
accepted). Bounded and derandomized: the same cases on every run, a few minutes on a busy 2-core machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from application.mail_compose import MAX_RECIPIENTS
from application.use_cases.create_user import CreateUserInput
from domain.errors import ValidationFailed
from domain.identity import ALL_SCOPES
from domain.mail_query import parse_query
from tests.support.app import Api, make_app, make_settings

pytestmark = pytest.mark.e2e

# The document's words that no schema keyword carries, as generators, so "valid" data is what the app accepts:
# addresses outside the special-use domains the EMAIL schema's description names, passwords that follow the
# policy the PASSWORD schema describes (domain/password_policy.py).
schemathesis.openapi.format(
    "email",
    st.builds(
        "{}@{}.{}".format,
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~", min_size=1, max_size=12),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12),
        st.sampled_from(["com", "org", "net", "io", "dev", "example", "local"]),
    ),
)
schemathesis.openapi.format(
    "password",
    st.builds(
        "{}{}{}{}{}".format,
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=8),
        st.text(alphabet="0123456789", min_size=3, max_size=8),
        st.text(alphabet=" !#$%&()*+,-./:;<=>?@[]^_{|}~", min_size=3, max_size=8),
        st.text(max_size=20),
    ),
)

# Operations whose valid input depends on state the server holds, which a schema cannot describe: for these the
# "schema-valid request accepted" check is off; every other check runs on them as on the rest.
STATEFUL_INPUT = {
    "POST /api/v1/mail/accounts/imap": "the servers must exist, be reachable and accept the password",
    "POST /api/v1/auth/verify-email": "the token must be one the server mailed",
    "POST /api/v1/auth/reset-password/confirm": "the token must be one the server mailed",
    "POST /api/v1/auth/me/password": "current_password must be the account's password (and a session, not a key)",
    "GET /api/v1/emails": "page_token must be a cursor an earlier page returned",
    "GET /api/v1/emails/drafts": "page_token must be a cursor an earlier page returned",
    "GET /api/v1/emails/conversations": "page_token must be a cursor an earlier page returned",
    "POST /api/v1/emails/schedule": "send_at must lie in the future",
    "PATCH /api/v1/emails/scheduled/{scheduled_id}": "send_at must lie in the future",
    "POST /api/v1/integrations/webhooks": "at most 20 endpoints per user, and the run creates more",
}

SENDS = {"POST /api/v1/emails/send", "POST /api/v1/emails/schedule"}
# Calendar operations whose 'end' must follow 'start' within a span (domain/calendar.py MAX_WINDOW,
# MAX_EVENT_LENGTH); the descriptions say so.
CALENDAR_WINDOWS = {
    "GET /api/v1/calendar/events": timedelta(days=400),
    "POST /api/v1/calendar/freebusy": timedelta(days=400),
    "POST /api/v1/calendar/events": timedelta(days=366),
}

ADMIN_EMAIL, ADMIN_PASSWORD = "contract-admin@example.com", "Contract-pass 1234!"
EXAMPLES = 25
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@dataclass
class World:
    app: Any
    key: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp("contract")
    app_settings = make_settings(
        tmp,
        anonymous_rate_limit_per_minute=10**9,
        rate_limit_per_minute=10**9,
        login_failures_per_account=10**9,
        login_failures_per_ip=10**9,
        demo_mailbox_size=40,
        # Configured, so the Google routes answer as on a real installation: the consent URL is only built (no
        # request leaves the machine), the callback with a made-up state redirects with an error, and the push
        # endpoints check their tokens (501 "not configured" stays documented and is tested in test_gmail_api.py and
        # test_calendar_push_unconfigured.py).
        google_client_id="contract-test.apps.googleusercontent.com",
        google_client_secret="contract-test-secret",
        google_push_token="contract-test-push-token",
        google_calendar_push_url="https://mailagent.example/api/v1/calendar/push/google",
    )
    app, container = make_app(app_settings)
    api = Api(app, app_settings)
    container.create_user().execute(CreateUserInput(email=ADMIN_EMAIL, password=ADMIN_PASSWORD, admin=True))
    admin = api.login(ADMIN_EMAIL, ADMIN_PASSWORD)
    assert api.post("/api/v1/mail/accounts/demo", headers=admin.headers).status_code == 201
    r = api.post(
        "/api/v1/api-keys",
        headers=admin.headers,
        json={"name": "contract", "scopes": sorted(s.value for s in ALL_SCOPES)},
    )
    assert r.status_code == 201, r.text
    yield World(app=app, key=r.json()["data"]["key"])
    api.client.close()


@pytest.fixture(scope="module")
def api_schema(world: World) -> Any:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", world.app)
    only = os.environ.get("MAILAGENT_CONTRACT_PATHS")  # a regex, to re-run a few operations while fixing them
    return loaded.include(path_regex=only) if only else loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id(request: pytest.FixtureRequest) -> None:
    """Schemathesis' lazy schema renames the test node per operation through `_nodeid`, which pytest 9.2 no
    longer has (it keeps `_id`); give it the attribute so each operation is reported under its own name."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _breaks_a_rule_between_fields(case: Any) -> bool:
    """Rules that relate two fields, which JSON Schema cannot state (the descriptions do): such a case is still
    sent and every other check runs, but the app rightly answers 422."""
    body = case.body if isinstance(case.body, dict) else {}
    recipients = sum(len(body.get(k) or []) for k in ("to", "cc", "bcc") if isinstance(body.get(k), list))
    if recipients > MAX_RECIPIENTS:  # to + cc + bcc together
        return True
    if recipients == 0 and case.operation.label in SENDS:  # a message to send names somebody (a draft need not)
        return True
    add, remove = body.get("add"), body.get("remove")
    add, remove = (v if isinstance(v, list) else [] for v in (add, remove))
    if case.operation.label == "POST /api/v1/emails/batch-modify" and not add and not remove:
        return True  # nothing to add or remove
    if {str(a) for a in add} & {str(r) for r in remove}:
        return True  # the same label added and removed at once
    label = case.operation.label
    if label == "POST /api/v1/integrations/slack/configure":
        hook, token = body.get("webhook_url"), body.get("bot_token")
        if hook and token:
            return True  # one way to connect, not both
        if token and not hook and not body.get("channel"):
            return True  # a bot token needs a channel
        if not hook and not token:
            return True  # keeps a connection the run does not have
        if bool(body.get("quiet_start")) != bool(body.get("quiet_end")):
            return True  # quiet hours need both ends
        if isinstance(body.get("mail_filter"), str) and body["mail_filter"].strip():
            try:
                parse_query(body["mail_filter"].strip())
            except ValidationFailed:
                return True  # a Gmail query's grammar, which no schema keyword states
    query = case.query or {}
    if label in CALENDAR_WINDOWS:
        source = body if label.startswith("POST") else query
        start, end = _instant(source.get("start")), _instant(source.get("end"))
        if label == "GET /api/v1/calendar/events" and source.get("end") is not None and source.get("start") is None:
            return True  # the default start is today: whether 'end' follows it depends on the clock
        if start is not None and end is not None:
            return end <= start or end - start > CALENDAR_WINDOWS[label]  # 'end' after 'start', a bounded span
    since, until = _instant(query.get("since")), _instant(query.get("until"))
    if since is not None and until is not None:
        return since > until  # 'since' after 'until'
    return False


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def _excluded(case: Any) -> list[Any]:
    if case.operation.label in STATEFUL_INPUT or _breaks_a_rule_between_fields(case):
        return [positive_data_acceptance]
    return []


@schema.parametrize()
@FUZZ
@pytest.mark.timeout(1800)  # ~95 operations x 25 examples on a busy 2-core machine: far beyond the suite's 300 s
def test_every_operation_keeps_its_contract_without_credentials(case: Any) -> None:
    for name in list(case.headers or {}):
        if name.lower() in ("authorization", "x-api-key"):
            del case.headers[name]
    case.call_and_validate(excluded_checks=_excluded(case))


@schema.parametrize()
@FUZZ
@pytest.mark.timeout(1800)
def test_every_operation_keeps_its_contract_with_an_api_key(case: Any, world: World) -> None:
    for name in list(case.headers or {}):
        if name.lower() in ("authorization", "x-api-key"):
            del case.headers[name]
    # Given as the credential of the run (not as a generated header), so the auth check also replays each
    # operation without it and with a wrong one, and expects 401/403.
    case.call_and_validate(headers={"X-API-Key": world.key}, excluded_checks=_excluded(case))
