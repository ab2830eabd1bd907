"""GmailMailbox behaviour beyond the Mailbox contract, against the local fake Gmail server: retries with backoff,
sends that are never repeated, token refresh, error mapping, quota units, batching, discovery-schema checks."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httplib2  # type: ignore[import-untyped]
import pytest

from adapters.gmail import GmailMailbox, GoogleOAuthTokenSource, StaticTokenSource, gmail_discovery_document
from domain.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    ReauthRequired,
    ServiceUnavailable,
    UpstreamError,
    ValidationFailed,
)
from domain.mail import DRAFT, INBOX, SENT, STARRED, UNREAD, EmailAddress, OutgoingAttachment, OutgoingMessage
from domain.mime import deterministic_message_id
from tests.support.fake_gmail import (
    READONLY_SCOPE,
    FakeAccount,
    FakeGmailServer,
    FakeTokenSource,
    Fault,
    SchemaBook,
    load_document,
)
from tests.support.mailbox_seed import OWNER, FakeClock, incoming_raw

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGmailServer]:
    with FakeGmailServer() as fake:
        yield fake


@pytest.fixture(autouse=True)
def clean(server: FakeGmailServer) -> Iterator[None]:
    server.faults.clear()
    server.clear_log()
    yield
    server.faults.clear()
    assert server.drift == [], "the fake saw requests or gave answers outside gmail.v1.json"


@dataclass
class Box:
    """A GmailMailbox on a fresh fake account, with its sleeps and quota reports recorded."""

    server: FakeGmailServer
    account: FakeAccount
    tokens: FakeTokenSource
    mailbox: GmailMailbox
    clock: FakeClock
    sleeps: list[float] = field(default_factory=list)
    quota: list[int] = field(default_factory=list)

    def deliver(self, subject: str = "Hello", *, age: timedelta = timedelta(hours=1), **kwargs: object) -> str:
        raw = incoming_raw(
            sender=EmailAddress(address="alice@example.com", name="Alice"),
            subject=subject,
            text=f"Body of {subject}",
            date=self.clock.now - age,
            **kwargs,  # type: ignore[arg-type]
        )
        return self.account.deliver(raw, [INBOX, UNREAD])


def make_box(server: FakeGmailServer, *, scopes: frozenset[str] | None = None, **options: object) -> Box:
    clock = FakeClock(NOW)
    account = server.add_account(OWNER, clock=clock, **({"scopes": scopes} if scopes else {}))
    tokens = FakeTokenSource(account)
    sleeps: list[float] = []
    quota: list[int] = []
    settings: dict[str, object] = {
        "address": OWNER,
        "root_url": server.url,
        "clock": clock,
        "sleep": sleeps.append,
        "random": lambda: 1.0,  # the top of each full-jitter window: delays are exactly base * 2**(n-1)
        "on_quota": quota.append,
        **options,
    }
    mailbox = GmailMailbox(tokens, **settings)  # type: ignore[arg-type]
    return Box(server, account, tokens, mailbox, clock, sleeps, quota)


@pytest.fixture
def box(server: FakeGmailServer) -> Iterator[Box]:
    made = make_box(server)
    yield made
    made.mailbox.close()


def outgoing(subject: str = "Lunch?", **kwargs: object) -> OutgoingMessage:
    return OutgoingMessage(
        to=(EmailAddress(address="carol@example.com"),),
        subject=subject,
        text_body="Noon?",
        message_id=deterministic_message_id(f"test-{subject}", "mailagent.test"),
        **kwargs,  # type: ignore[arg-type]
    )


def sent_copies(account: FakeAccount, subject: str) -> int:
    return sum(1 for s in account.messages.values() if SENT in s.message.label_ids and s.message.subject == subject)


# ---------------------------------------------------------------- backoff


def test_429_is_retried_with_exponential_backoff(box: Box) -> None:
    message_id = box.deliver()
    box.server.inject(Fault(status=429, reason="rateLimitExceeded", method="gmail.users.messages.get", times=3))
    assert box.mailbox.get_message(message_id).subject == "Hello"
    assert box.server.count("messages.get") == 4
    assert box.server.count("messages.get", status=429) == 3
    assert box.sleeps == [1.0, 2.0, 4.0]


def test_5xx_gives_up_after_max_attempts_with_growing_full_jitter(server: FakeGmailServer) -> None:
    draws = iter([0.9, 0.6, 0.8, 0.7])
    box = make_box(server, max_attempts=4, random=lambda: next(draws), base_delay=0.5)
    server.inject(Fault(status=503, method="gmail.users.messages.list", times=10))
    with pytest.raises(ServiceUnavailable) as caught:
        box.mailbox.search("")
    assert "try again" in caught.value.message
    assert server.count("messages.list") == 4  # max_attempts, then a readable error
    # full jitter: random() * min(max_delay, base * 2**(n-1)), so the windows double: 0.5, 1, 2
    assert box.sleeps == pytest.approx([0.9 * 0.5, 0.6 * 1.0, 0.8 * 2.0])
    assert box.sleeps == sorted(box.sleeps)


def test_delays_are_capped_and_honour_retry_after(server: FakeGmailServer) -> None:
    box = make_box(server, max_attempts=6, max_delay=3.0)
    message_id = box.deliver()
    server.inject(Fault(status=500, method="gmail.users.messages.get", times=4))
    box.mailbox.get_message(message_id)
    assert box.sleeps == [1.0, 2.0, 3.0, 3.0]  # capped at max_delay

    small = make_box(server, random=lambda: 0.01)
    message_id = small.deliver()
    server.inject(Fault(status=429, reason="rateLimitExceeded", retry_after=2, method="gmail.users.messages.get"))
    small.mailbox.get_message(message_id)
    assert small.sleeps == [2.0]  # the server's Retry-After wins over a smaller jittered delay


def test_rate_limit_403_is_retried_then_reported_as_quota(server: FakeGmailServer) -> None:
    box = make_box(server, max_attempts=3)
    message_id = box.deliver()
    server.inject(Fault(status=403, reason="userRateLimitExceeded", method="gmail.users.messages.get", times=5))
    with pytest.raises(QuotaExceeded) as caught:
        box.mailbox.get_message(message_id)
    assert "try again in a minute" in caught.value.message
    assert server.count("messages.get") == 3


def test_daily_limit_is_not_retried(box: Box) -> None:
    message_id = box.deliver()
    box.server.inject(Fault(status=403, reason="dailyLimitExceeded", method="gmail.users.messages.get"))
    with pytest.raises(QuotaExceeded) as caught:
        box.mailbox.get_message(message_id)
    assert "daily" in caught.value.message
    assert box.server.count("messages.get") == 1
    assert box.sleeps == []


def test_failed_calls_inside_a_batch_are_retried_in_a_new_batch(box: Box) -> None:
    ids = [box.deliver(f"m{i}", age=timedelta(minutes=10 - i)) for i in range(6)]
    box.server.inject(
        Fault(status=429, reason="rateLimitExceeded", method="gmail.users.messages.get", times=2, in_batch=True)
    )
    page = box.mailbox.search("")
    assert [m.id for m in page.messages] == ids[::-1]
    assert box.server.batch_sizes == [6, 2]
    assert box.sleeps == [1.0]


def test_writes_are_retried_too(box: Box) -> None:
    a, b = box.deliver("a"), box.deliver("b")
    box.server.inject(Fault(status=500, method="gmail.users.messages.batchModify"))
    box.mailbox.modify_labels([a, b], add=[STARRED])
    assert box.server.count("messages.batchModify") == 2
    assert all(STARRED in box.account.messages[i].message.label_ids for i in (a, b))


# ---------------------------------------------------------------- sends are never repeated


def test_send_failing_after_gmail_stored_it_is_reconciled_not_resent(box: Box) -> None:
    box.server.inject(Fault(status=500, method="gmail.users.messages.send", after=True))
    sent = box.mailbox.send(outgoing("ambiguous 500"))
    assert box.server.count("messages.send") == 1  # never sent twice
    assert sent_copies(box.account, "ambiguous 500") == 1
    assert sent.subject == "ambiguous 500" and SENT in sent.label_ids
    assert sent.message_id_header == deterministic_message_id("test-ambiguous 500", "mailagent.test")


def test_send_whose_connection_drops_is_reconciled_not_resent(box: Box) -> None:
    box.server.inject(Fault(method="gmail.users.messages.send", after=True, drop=True))
    sent = box.mailbox.send(outgoing("dropped"))
    assert box.server.count("messages.send") == 1
    assert sent_copies(box.account, "dropped") == 1
    assert box.mailbox.get_message(sent.id) == sent


def test_httplib2_would_have_sent_the_dropped_request_twice(box: Box) -> None:
    """Why the adapter has its own transport: httplib2 silently sends a request again when the connection closes
    before the answer (its stale keep-alive handling), which duplicates a send."""
    box.server.inject(Fault(method="gmail.users.messages.send", after=True, drop=True))
    raw = base64.urlsafe_b64encode(b"To: carol@example.com\r\nSubject: twice\r\n\r\nHi\r\n").decode()
    httplib2.Http(timeout=5).request(
        box.server.url + "gmail/v1/users/me/messages/send",
        "POST",
        body=json.dumps({"raw": raw}),
        headers={"authorization": f"Bearer {box.account.access_token}", "content-type": "application/json"},
    )
    assert box.server.count("messages.send") == 2
    assert sent_copies(box.account, "twice") == 2


def test_a_closed_kept_alive_connection_is_reused_safely_for_reads(box: Box) -> None:
    message_id = box.deliver()
    box.mailbox.get_message(message_id)  # opens the kept-alive connection
    box.server.inject(Fault(method="gmail.users.messages.get", drop=True))  # the server closed it meanwhile
    assert box.mailbox.get_message(message_id).id == message_id
    assert box.server.count("messages.get") == 3  # the read went again at once on a new connection
    assert box.sleeps == []


def test_send_timing_out_after_gmail_stored_it_is_reconciled(server: FakeGmailServer) -> None:
    box = make_box(server, timeout=0.3)
    server.inject(Fault(status=None, method="gmail.users.messages.send", delay=0.8))  # stored, answered too late
    sent = box.mailbox.send(outgoing("timeout"))
    assert sent.subject == "timeout" and SENT in sent.label_ids
    assert server.count("messages.send") == 1
    assert sent_copies(box.account, "timeout") == 1
    box.mailbox.close()


def test_unknown_send_outcome_is_reported_and_not_resent(server: FakeGmailServer) -> None:
    box = make_box(server, reconcile_attempts=2)
    server.inject(Fault(status=503, method="gmail.users.messages.send"))  # refused before storing
    with pytest.raises(UpstreamError) as caught:
        box.mailbox.send(outgoing("lost"))
    assert "NOT sent again" in caught.value.message
    assert deterministic_message_id("test-lost", "mailagent.test") in caught.value.message
    assert server.count("messages.send") == 1
    assert sent_copies(box.account, "lost") == 0
    assert len(box.sleeps) == 1  # one pause between the two look-ups (search may lag), no resend


def test_a_send_refused_with_429_is_retried(box: Box) -> None:
    box.server.inject(Fault(status=429, reason="rateLimitExceeded", method="gmail.users.messages.send"))
    box.mailbox.send(outgoing("throttled"))
    assert box.server.count("messages.send") == 2  # a 429 means Gmail did not take it: safe to repeat
    assert sent_copies(box.account, "throttled") == 1


def test_draft_send_failing_after_sending_is_reconciled(box: Box) -> None:
    draft = box.mailbox.create_draft(outgoing("draft ambiguous"))
    box.server.inject(Fault(status=502, method="gmail.users.drafts.send", after=True))
    sent = box.mailbox.send_draft(draft.id)
    assert box.server.count("drafts.send") == 1
    assert sent.id == draft.message.id and SENT in sent.label_ids and DRAFT not in sent.label_ids


def test_draft_create_failing_after_storing_does_not_duplicate(box: Box) -> None:
    box.server.inject(Fault(status=500, method="gmail.users.drafts.create", after=True))
    draft = box.mailbox.create_draft(outgoing("draft once"))
    assert box.server.count("drafts.create") == 1
    assert [d.id for d in box.mailbox.list_drafts().drafts] == [draft.id]


def test_label_create_failing_after_storing_does_not_conflict(box: Box) -> None:
    box.server.inject(Fault(method="gmail.users.labels.create", after=True, drop=True))
    label = box.mailbox.create_label("Invoices")
    assert label.name == "Invoices"
    assert sum(1 for name in box.account.labels.values() if name == "Invoices") == 1


# ---------------------------------------------------------------- tokens


def test_401_refreshes_the_token_once_and_retries(box: Box) -> None:
    message_id = box.deliver()
    box.account.expire_tokens()
    assert box.mailbox.get_message(message_id).id == message_id
    assert box.tokens.refreshes == 1
    assert box.server.count("messages.get", status=401) == 1
    assert box.server.count("messages.get", status=200) == 1


def test_401_inside_a_batch_refreshes_once(box: Box) -> None:
    for i in range(3):
        box.deliver(f"m{i}")
    box.server.inject(Fault(status=401, reason="authError", method="gmail.users.messages.get", in_batch=True, times=3))
    assert len(box.mailbox.search("").messages) == 3
    assert box.tokens.refreshes == 1


def test_a_token_refused_again_after_refresh_means_reauth(box: Box) -> None:
    box.server.inject(Fault(status=401, reason="authError", method="gmail.users.labels.list", times=2))
    with pytest.raises(ReauthRequired):
        box.mailbox.list_labels()
    assert box.tokens.refreshes == 1
    assert box.server.count("labels.list") == 2


def test_google_oauth_token_source_refreshes_at_the_token_endpoint(box: Box) -> None:
    refreshed: list[tuple[str, datetime | None, str | None]] = []
    tokens = GoogleOAuthTokenSource(
        client_id="client-id",
        client_secret="client-secret",
        refresh_token=box.account.refresh_token,
        access_token="stale",
        expiry=datetime.now(UTC) + timedelta(hours=1),
        token_uri=box.server.token_uri,
        on_refresh=lambda *args: refreshed.append(args),
    )
    mailbox = GmailMailbox(tokens, address=OWNER, root_url=box.server.url, sleep=box.sleeps.append)
    message_id = box.deliver()
    assert mailbox.get_message(message_id).id == message_id  # "stale" got a 401, the refreshed token works
    assert box.server.count("token", status=200) == 1
    [(token, expiry, refresh_token)] = refreshed
    assert token == box.account.access_token and refresh_token == box.account.refresh_token
    assert expiry is not None and expiry.tzinfo is not None


def test_invalid_grant_means_reauth_required(box: Box) -> None:
    tokens = GoogleOAuthTokenSource(
        client_id="client-id",
        client_secret="client-secret",
        refresh_token=box.account.refresh_token,
        access_token=box.account.access_token,
        token_uri=box.server.token_uri,
    )
    mailbox = GmailMailbox(tokens, address=OWNER, root_url=box.server.url, sleep=box.sleeps.append)
    box.account.revoke()
    with pytest.raises(ReauthRequired) as caught:
        mailbox.search("")
    assert "Reconnect the account" in caught.value.message
    assert box.account.refresh_token not in caught.value.message and "client-secret" not in caught.value.message
    assert box.server.count("token", status=400) == 1


def test_static_token_cannot_be_refreshed(box: Box) -> None:
    mailbox = GmailMailbox(StaticTokenSource("ya29.nope"), address=OWNER, root_url=box.server.url)
    with pytest.raises(ReauthRequired):
        mailbox.search("")


# ---------------------------------------------------------------- error mapping


@pytest.mark.property(7)
def test_insufficient_scope_is_permission_denied(server: FakeGmailServer) -> None:
    box = make_box(server, scopes=frozenset({READONLY_SCOPE}))
    box.deliver()
    assert len(box.mailbox.search("").messages) == 1  # reading is allowed
    with pytest.raises(PermissionDenied) as caught:
        box.mailbox.send(outgoing("no scope"))
    assert "Reconnect the account and grant access to send mail" in caught.value.message
    assert server.count("messages.send", status=403) == 1  # not retried


@pytest.mark.property(7)
def test_gmail_errors_become_readable_domain_errors(box: Box) -> None:
    message_id = box.deliver()
    with pytest.raises(NotFound, match="Message 00000000000fffff was not found"):
        box.mailbox.get_message("00000000000fffff")  # well-formed id: Gmail answers 404
    with pytest.raises(NotFound, match="Message not-an-id was not found"):
        box.mailbox.get_message("not-an-id")  # Gmail answers 400 "Invalid id value"
    with pytest.raises(NotFound, match="Thread 00000000000fffff was not found"):
        box.mailbox.send(outgoing("lost thread", thread_id="00000000000fffff"))
    box.mailbox.create_label("Dup")
    box.account.labels["Label_elsewhere"] = "Made elsewhere"  # created in Gmail's UI meanwhile
    with pytest.raises(Conflict):
        box.mailbox.create_label("made ELSEWHERE")  # Gmail's 409
    with pytest.raises(ValidationFailed):
        box.mailbox.search("", page_token="garbage!")  # Gmail's 400
    box.mailbox.modify_labels([message_id], add=["Label_elsewhere"])  # unknown to the label cache: it refreshes
    assert "Label_elsewhere" in box.account.messages[message_id].message.label_ids
    box.server.inject(Fault(status=500, method="gmail.users.messages.get", times=5))
    with pytest.raises(UpstreamError, match="HTTP 500"):
        box.mailbox.get_message(message_id)


@pytest.mark.property(7)
def test_unreachable_gmail_is_service_unavailable(box: Box) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    mailbox = GmailMailbox(
        FakeTokenSource(box.account), address=OWNER, root_url=f"http://127.0.0.1:{port}/", sleep=sleeps.append
    )
    with pytest.raises(ServiceUnavailable, match="Could not reach Gmail"):
        mailbox.get_message("0000000000000001")
    assert len(sleeps) == 4  # retried (5 attempts) before giving up


def test_modify_labels_checks_every_id_before_changing_anything(box: Box) -> None:
    a, b = box.deliver("a"), box.deliver("b")
    with pytest.raises(NotFound, match="00000000000fffff"):
        box.mailbox.modify_labels([a, "00000000000fffff", b], add=[STARRED])
    assert box.server.count("messages.batchModify") == 0
    assert all(STARRED not in box.account.messages[i].message.label_ids for i in (a, b))
    with pytest.raises(NotFound, match="Label_404"):
        box.mailbox.modify_labels([a, b], add=["Label_404"])


# ---------------------------------------------------------------- quota and batching


@pytest.mark.property(78)
def test_a_search_page_of_50_costs_5_plus_50_times_5_units(box: Box) -> None:
    for i in range(60):
        box.deliver(f"m{i}", age=timedelta(minutes=100 - i))
    page = box.mailbox.search("", limit=50)
    assert len(page.messages) == 50 and page.next_page_token
    assert box.mailbox.quota_units_used == 5 + 50 * 5 == 255
    assert sum(box.quota) == 255
    assert box.server.batch_sizes == [50]


def test_batches_hold_at_most_50_calls(box: Box) -> None:
    for i in range(120):
        box.deliver(f"m{i}", age=timedelta(minutes=200 - i))
    page = box.mailbox.search("", limit=120)
    assert len(page.messages) == 120
    assert box.server.batch_sizes == [50, 50, 20]
    assert box.mailbox.quota_units_used == 5 + 120 * 5
    with pytest.raises(ValueError):
        GmailMailbox(box.tokens, root_url=box.server.url, batch_size=101)


@pytest.mark.property(78)
def test_quota_units_of_other_calls(box: Box) -> None:
    a, b = box.deliver("a"), box.deliver("b")

    def cost(call: object) -> int:
        before = box.mailbox.quota_units_used
        assert callable(call)
        call()
        return box.mailbox.quota_units_used - before

    assert cost(lambda: box.mailbox.send(outgoing("units"))) == 100 + 5  # send, then read it back
    assert cost(lambda: box.mailbox.modify_labels([a], add=[STARRED])) == 5  # one messages.modify
    assert cost(lambda: box.mailbox.modify_labels([a, b], add=[STARRED])) == 2 * 5 + 50  # check ids, batchModify
    draft_cost = cost(lambda: box.mailbox.create_draft(outgoing("d")))
    assert draft_cost == 10 + 5  # drafts.create, read back
    labels = len(box.mailbox.list_labels())
    assert cost(box.mailbox.list_labels) == 1 + labels  # labels.list + one labels.get each (counts)


def test_address_comes_from_the_profile_when_not_given(box: Box) -> None:
    mailbox = GmailMailbox(box.tokens, root_url=box.server.url)
    assert mailbox.address() == OWNER
    assert mailbox.address() == OWNER
    assert box.server.count("getProfile") == 1
    assert mailbox.quota_units_used == 1


# ---------------------------------------------------------------- discovery document and schemas


def test_every_request_goes_to_the_configured_root_batch_and_upload_included(server: FakeGmailServer) -> None:
    document = gmail_discovery_document(server.url)
    assert document["rootUrl"] == server.url and document["baseUrl"] == server.url
    assert gmail_discovery_document()["rootUrl"] == "https://gmail.googleapis.com/"
    box = make_box(server, upload_threshold=1024)
    big = OutgoingAttachment(filename="big.bin", mime_type="application/octet-stream", content=bytes(range(256)) * 40)
    sent = box.mailbox.send(outgoing("large", attachments=(big,)))  # over the threshold: a media upload
    assert box.mailbox.get_attachment(sent.id, sent.attachments[0].id) == big.content
    draft = box.mailbox.create_draft(outgoing("large draft", attachments=(big,)))
    assert box.mailbox.get_draft(draft.id).message.attachments[0].size == len(big.content)
    paths = {c.path for c in server.calls}
    assert "/upload/gmail/v1/users/me/messages/send" in paths
    assert "/upload/gmail/v1/users/me/drafts" in paths


def test_responses_are_checked_against_the_discovery_schemas() -> None:
    book = SchemaBook(load_document())
    good = {"id": "1", "threadId": "1", "labelIds": ["INBOX"], "internalDate": "1718450000000", "sizeEstimate": 10}
    assert book.errors("Message", good) == []
    assert book.errors("Message", {**good, "internalDate": 1718450000000})  # int64 travels as a string
    assert book.errors("Message", {**good, "labels": ["INBOX"]})  # no such field in gmail.v1.json
    assert book.errors("Message", {**good, "payload": {"parts": [{"partId": 3}]}})  # nested and recursive
    assert book.errors("ListLabelsResponse", {"labels": [{"id": "x", "type": "weird"}]})  # enum
    assert book.errors("Label", {"name": "x"}, method_id="gmail.users.labels.create")  # required for create


def test_the_fake_reports_drift(server: FakeGmailServer) -> None:
    """A response the document does not allow is answered 500 and recorded (the autouse check relies on it)."""
    account = server.add_account("drift@example.com")
    original = server._handlers["gmail.users.getProfile"]
    server._handlers["gmail.users.getProfile"] = lambda *args: {"emailAddress": "x", "messagesTotal": "many"}
    try:
        with pytest.raises(UpstreamError):
            GmailMailbox(FakeTokenSource(account), root_url=server.url, sleep=lambda s: None, max_attempts=1).address()
        assert server.drift and "getProfile" in server.drift[0]
    finally:
        server._handlers["gmail.users.getProfile"] = original
        server.drift.clear()
