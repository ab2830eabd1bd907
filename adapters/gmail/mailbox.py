"""GmailMailbox: the Mailbox port over the Gmail v1 REST API.

* The client is google-api-python-client built OFFLINE from the discovery document shipped in its wheel; the root
  URL is configurable (a copy of the document is rewritten, so batch and upload requests follow it too).
* Messages are fetched with `format=raw` and parsed with `domain.mime.parse_mime`: a message reads exactly as
  InMemoryMailbox reads the same bytes. Reads of several messages go in batches (at most 50 calls per batch).
* Reads and modifications are retried with exponential backoff and full jitter on 429/rate-limit 403 and 5xx
  answers and on network errors. A send (`messages.send`, `drafts.send`) is NEVER sent again when its outcome is
  unknown (timeout, 5xx, dropped connection): the adapter looks for the message by its Message-ID instead and
  returns it, or raises UpstreamError saying the outcome is unknown and that it was not resent.
* HTTP goes through a small `http.client` transport, not httplib2: httplib2 silently re-sends a request whose
  connection died before the answer, which is how duplicate mail happens. Sends use a fresh connection each.
* Every call's quota units (Gmail's published costs) are counted in `quota_units_used` and reported to `on_quota`.
"""

from __future__ import annotations

import base64
import copy
import json
import logging
import os
import random as _random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import googleapiclient
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import MediaInMemoryUpload

from adapters.google_api.transport import (
    NETWORK_ERRORS as _NETWORK_ERRORS,
)
from adapters.google_api.transport import (
    SCOPE_REASONS,
    TokenSource,
)
from adapters.google_api.transport import (
    CallFailure as _Failure,
)
from adapters.google_api.transport import (
    GoogleTransport as _Transport,
)
from adapters.google_api.transport import (
    NoHttp as _NoHttp,
)
from application.ports.mailbox import Mailbox
from domain.errors import (
    Conflict,
    DomainError,
    InfrastructureError,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    ReauthRequired,
    ServiceUnavailable,
    UpstreamError,
    ValidationFailed,
)
from domain.mail import (
    SENT,
    SYSTEM_LABEL_IDS,
    Draft,
    DraftPage,
    EmailAddress,
    Label,
    LabelType,
    Message,
    OutgoingMessage,
    SearchPage,
    Thread,
    check_page_limit,
    from_millis,
    to_millis,
    validate_label_change,
    validate_label_name,
)
from domain.mail_query import parse_query
from domain.mail_sync import (
    ChangeKind,
    HistoryExpired,
    MailChange,
    MailHistory,
    MessageSummary,
    cursor_value,
)
from domain.mime import build_mime, ensure_message_id, normalize_message_id, parse_mime

logger = logging.getLogger(__name__)

GMAIL_ROOT_URL = "https://gmail.googleapis.com/"
SERVICE = "gmail"

# Gmail's published quota units per method (https://developers.google.com/gmail/api/reference/quota).
QUOTA_UNITS: Mapping[str, int] = {
    "gmail.users.getProfile": 1,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.send": 100,
    "gmail.users.messages.insert": 25,
    "gmail.users.messages.import": 25,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.batchDelete": 50,
    "gmail.users.messages.trash": 5,
    "gmail.users.messages.untrash": 5,
    "gmail.users.messages.delete": 10,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.threads.get": 10,
    "gmail.users.threads.list": 10,
    "gmail.users.threads.modify": 10,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.create": 5,
    "gmail.users.labels.update": 5,
    "gmail.users.labels.patch": 5,
    "gmail.users.labels.delete": 5,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.update": 15,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.send": 100,
    "gmail.users.history.list": 2,
    "gmail.users.watch": 100,
    "gmail.users.stop": 50,
}
DEFAULT_UNITS = 5

MAX_BATCH_SIZE = 100  # Gmail's hard limit per batch; 50 is advised and the default
_REFERENCE_LOOKUP_LIMIT = 20  # Message-IDs used to find the thread of a reply
_QUERY_STOP = frozenset(' \t\r\n(){}"')

_RECIPIENT_REQUIRED = "A message needs at least one recipient (to, cc or bcc)."
MAX_HISTORY_PAGE = 500  # history.list's own maximum
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
SUMMARY_HEADERS = ("From", "Subject")


# ---------------------------------------------------------------- discovery


def gmail_discovery_document(root_url: str = GMAIL_ROOT_URL) -> dict[str, Any]:
    """A copy of the wheel's gmail.v1 discovery document whose every URL (REST, batch, upload) is under `root_url`."""
    return copy.deepcopy(_document(_normalize_root(root_url)))


def _normalize_root(root_url: str) -> str:
    return root_url if root_url.endswith("/") else root_url + "/"


@lru_cache(maxsize=8)
def _document(root_url: str) -> dict[str, Any]:
    path = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents", "gmail.v1.json")
    with open(path, encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    document["rootUrl"] = root_url
    document["mtlsRootUrl"] = root_url
    document["baseUrl"] = root_url + document.get("servicePath", "")
    return document


@dataclass(frozen=True)
class _Api:
    """The googleapiclient resources of one root URL. They only build request objects (each call gets a mailbox's
    transport when it runs), so one set is shared by every mailbox: building them takes milliseconds."""

    service: Any
    users: Any
    messages: Any
    threads: Any
    labels: Any
    drafts: Any
    history: Any


_apis: dict[str, _Api] = {}
_apis_lock = threading.Lock()


def _api(root_url: str) -> _Api:
    with _apis_lock:
        api = _apis.get(root_url)
        if api is None:
            # build_from_document adds the library's own parameters to the document it gets: give it a copy
            service = build_from_document(copy.deepcopy(_document(root_url)), http=_NoHttp())
            users = service.users()
            api = _Api(
                service, users, users.messages(), users.threads(), users.labels(), users.drafts(), users.history()
            )
            _apis[root_url] = api
        return api


# ---------------------------------------------------------------- failures


@dataclass(frozen=True)
class _Op:
    """How to word a failure of one call for a person."""

    action: str  # "read mail", "send mail"... (what the account may not do)
    not_found: str | None = None


def _message_not_found(message_id: str) -> str:
    return f"Message {message_id} was not found in this mailbox."


def _draft_not_found(draft_id: str) -> str:
    return f"Draft {draft_id} was not found in this mailbox."


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _b64decode(data: str) -> bytes:
    data = data.strip()
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


def _sort_key(message: Message) -> tuple[int, str]:
    return to_millis(message.internal_date), message.id


def _msgid_term(message_id: str) -> str | None:
    """`rfc822msgid:abc@example.com` (Gmail's documented form: no angle brackets), quoted when needed; None if the
    id cannot be expressed in a query."""
    bare = normalize_message_id(message_id)[1:-1]
    if not bare or '"' in bare:
        return None
    if any(c in _QUERY_STOP for c in bare):
        return f'rfc822msgid:"{bare}"'
    return f"rfc822msgid:{bare}"


# ---------------------------------------------------------------- the adapter


class GmailMailbox(Mailbox):
    """The Mailbox of one Gmail account (`userId=me` of the token's account).

    Build it with the account's TokenSource and its address (or None: fetched once with users.getProfile).
    `root_url` points every request (batch and uploads included) elsewhere, e.g. at a local test server.
    Retries: up to `max_attempts` tries per call with delays `random() * min(max_delay, base_delay * 2**(n-1))`
    (at least a Retry-After the server gave), slept with `sleep`. Every call's quota units are added to
    `quota_units_used` and passed to `on_quota` (count them per user there)."""

    def __init__(
        self,
        tokens: TokenSource,
        *,
        address: str | None = None,
        root_url: str = GMAIL_ROOT_URL,
        clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 32.0,
        timeout: float = 60.0,
        batch_size: int = 50,
        upload_threshold: int = 4 * 1024 * 1024,
        reconcile_attempts: int = 3,
        on_quota: Callable[[int], None] | None = None,
        on_call: Callable[[str, int], None] | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._tokens = tokens
        self._address = address
        self._root_url = _normalize_root(root_url)
        self._api = _api(self._root_url)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self._random = random
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._batch_size = batch_size
        self._upload_threshold = upload_threshold
        self._reconcile_attempts = max(1, reconcile_attempts)
        self._on_quota = on_quota
        self._on_call = on_call  # (method id, quota units) per call sent, retries included: for metrics
        self._http = _Transport(tokens, timeout=timeout, reuse=True)
        self._once_http = _Transport(tokens, timeout=timeout, reuse=False)  # never sends a request twice
        self._lock = threading.Lock()
        self._quota_units = 0
        self._known_labels: set[str] | None = None  # label ids seen in labels.list, refreshed on a miss

    # ------------------------------------------------------------ metering and lifecycle

    @property
    def quota_units_used(self) -> int:
        with self._lock:
            return self._quota_units

    def close(self) -> None:
        self._http.close()
        self._once_http.close()

    def _spend(self, units: int, method: str = "") -> None:
        with self._lock:
            self._quota_units += units
        if self._on_quota is not None:
            self._on_quota(units)
        if self._on_call is not None and method:
            self._on_call(method, units)

    # ------------------------------------------------------------ port: reading

    def address(self) -> str:
        if self._address is None:
            profile = self._execute(self._api.users.getProfile(userId="me"), _Op("read mail"))
            self._address = str(profile.get("emailAddress", ""))
        return self._address

    def search(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        limit: int = 50,
    ) -> SearchPage:
        check_page_limit(limit)
        parse_query(query)  # Gmail is lenient with queries; we answer a readable ValidationFailed instead
        self._check_labels(label_ids)
        params: dict[str, Any] = {"userId": "me", "maxResults": limit}
        if query.strip():
            params["q"] = query
        if label_ids:
            params["labelIds"] = list(dict.fromkeys(label_ids))
        if page_token:
            params["pageToken"] = page_token
        listing = self._execute(self._api.messages.list(**params), _Op("read mail"))
        ids = [str(m["id"]) for m in listing.get("messages", []) or []]
        messages = self._fetch_messages(ids, missing_ok=True)  # a message deleted meanwhile is left out
        return SearchPage(
            messages=tuple(messages),
            next_page_token=listing.get("nextPageToken") or None,
            result_size_estimate=int(listing.get("resultSizeEstimate", 0) or 0),
        )

    def get_message(self, message_id: str) -> Message:
        resource = self._execute(
            self._api.messages.get(userId="me", id=message_id, format="raw"),
            _Op("read mail", _message_not_found(message_id)),
        )
        return self._to_message(resource)

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        # Attachment ids are MIME part positions ("2", "1.2") of domain.mime, so they come from the raw message.
        resource = self._execute(
            self._api.messages.get(userId="me", id=message_id, format="raw"),
            _Op("read mail", _message_not_found(message_id)),
        )
        part = parse_mime(_b64decode(str(resource.get("raw", "")))).attachment(attachment_id)
        if part is None:
            raise NotFound(f"Attachment {attachment_id} of message {message_id} was not found.")
        return part.content

    def get_thread(self, thread_id: str) -> Thread:
        resource = self._execute(
            self._api.threads.get(userId="me", id=thread_id, format="minimal"),
            _Op("read mail", f"Thread {thread_id} was not found."),
        )
        ids = [str(m["id"]) for m in resource.get("messages", []) or []]
        messages = self._fetch_messages(ids, missing_ok=True)
        if not messages:
            raise NotFound(f"Thread {thread_id} was not found.")
        return Thread(id=thread_id, messages=tuple(sorted(messages, key=_sort_key)))

    def find_by_message_id(self, rfc822_message_id: str) -> Message | None:
        wanted = normalize_message_id(rfc822_message_id).lower()
        term = _msgid_term(rfc822_message_id)
        if term is None:
            return None
        listing = self._execute(
            self._api.messages.list(userId="me", q=term, includeSpamTrash=True, maxResults=50),
            _Op("read mail"),
        )
        ids = [str(m["id"]) for m in listing.get("messages", []) or []]
        found = [m for m in self._fetch_messages(ids, missing_ok=True) if (m.message_id_header or "").lower() == wanted]
        if not found:
            return None
        return max(found, key=lambda m: (SENT in m.label_ids, _sort_key(m)))  # a sent copy wins over a draft

    # ------------------------------------------------------------ port: sending

    def send(self, message: OutgoingMessage) -> Message:
        message.require_recipients()
        outgoing, raw, date = self._build(message)
        thread_id = outgoing.thread_id or self._thread_of_references(outgoing)
        request = self._with_raw(
            lambda **kw: self._api.messages.send(userId="me", **kw), raw, thread_id=thread_id, draft=False
        )
        op = _Op("send mail", f"Thread {thread_id} was not found." if thread_id else None)
        outcome = self._call(request, http=self._once_http, resend_ambiguous=False)
        assert outgoing.message_id is not None
        if isinstance(outcome, _Failure):
            if outcome.ambiguous:
                return self._reconcile_send(outgoing.message_id, outcome)
            raise self._error(outcome, op)
        built = parse_mime(raw).to_message(
            id="", thread_id="", label_ids=frozenset(), internal_date=date, size_estimate=len(raw)
        )
        return self._read_back_sent(outcome, built)

    def send_draft(self, draft_id: str) -> Message:
        draft = self.get_draft(draft_id)
        stored = draft.message
        if not any(a.address for a in (*stored.to, *stored.cc, *stored.bcc)):
            raise ValidationFailed(_RECIPIENT_REQUIRED, details=[{"field": "to", "issue": "required"}])
        request = self._api.drafts.send(userId="me", body={"id": draft_id})
        outcome = self._call(request, http=self._once_http, resend_ambiguous=False)
        if isinstance(outcome, _Failure):
            if outcome.ambiguous and stored.message_id_header:
                return self._reconcile_send(stored.message_id_header, outcome)
            if outcome.ambiguous:
                raise self._unknown_outcome(None)
            raise self._error(outcome, _Op("send mail", _draft_not_found(draft_id)))
        return self._read_back_sent(outcome, replace(stored, internal_date=self._clock()))

    # ------------------------------------------------------------ port: drafts

    def create_draft(self, message: OutgoingMessage) -> Draft:
        outgoing, raw, _ = self._build(message)
        thread_id = outgoing.thread_id or self._thread_of_references(outgoing)
        request = self._with_raw(
            lambda **kw: self._api.drafts.create(userId="me", **kw), raw, thread_id=thread_id, draft=True
        )
        op = _Op("write drafts", f"Thread {thread_id} was not found." if thread_id else None)
        outcome = self._call(request, http=self._once_http, resend_ambiguous=False)
        if isinstance(outcome, _Failure) and outcome.ambiguous:
            # Gmail may have stored it: look for it before creating it again (no duplicate drafts)
            assert outgoing.message_id is not None
            existing = self._find_draft_by_message_id(outgoing.message_id)
            if existing is not None:
                return existing
            outcome = self._call(request, http=self._once_http, resend_ambiguous=False)
        if isinstance(outcome, _Failure):
            raise self._error(outcome, op)
        return Draft(id=str(outcome["id"]), message=self._fetch_after_write(str(outcome["message"]["id"])))

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> Draft:
        old = self.get_draft(draft_id)
        if message.message_id is None and old.message.message_id_header:
            message = replace(message, message_id=old.message.message_id_header)  # stays reconcilable
        outgoing, raw, _ = self._build(message)
        thread_id = outgoing.thread_id or old.message.thread_id
        request = self._with_raw(
            lambda **kw: self._api.drafts.update(userId="me", id=draft_id, **kw),
            raw,
            thread_id=thread_id,
            draft_id=draft_id,
            draft=True,
        )
        not_found = f"Thread {thread_id} was not found." if outgoing.thread_id else _draft_not_found(draft_id)
        resource = self._execute(request, _Op("write drafts", not_found))
        return Draft(id=draft_id, message=self._fetch_after_write(str(resource["message"]["id"])))

    def get_draft(self, draft_id: str) -> Draft:
        resource = self._execute(
            self._api.drafts.get(userId="me", id=draft_id, format="raw"),
            _Op("read drafts", _draft_not_found(draft_id)),
        )
        return Draft(id=str(resource["id"]), message=self._to_message(resource["message"]))

    def list_drafts(self, *, page_token: str | None = None, limit: int = 50) -> DraftPage:
        check_page_limit(limit)
        params: dict[str, Any] = {"userId": "me", "maxResults": limit}
        if page_token:
            params["pageToken"] = page_token
        listing = self._execute(self._api.drafts.list(**params), _Op("read drafts"))
        draft_ids = [str(d["id"]) for d in listing.get("drafts", []) or []]
        requests = [self._api.drafts.get(userId="me", id=i, format="raw") for i in draft_ids]
        drafts: list[Draft] = []
        for draft_id, outcome in zip(draft_ids, self._batch(requests), strict=True):
            if isinstance(outcome, _Failure):
                if outcome.missing:
                    continue  # deleted since the listing
                raise self._error(outcome, _Op("read drafts", _draft_not_found(draft_id)))
            drafts.append(Draft(id=draft_id, message=self._to_message(outcome["message"])))
        return DraftPage(drafts=tuple(drafts), next_page_token=listing.get("nextPageToken") or None)

    def delete_draft(self, draft_id: str) -> None:
        request = self._api.drafts.delete(userId="me", id=draft_id)
        op = _Op("write drafts", _draft_not_found(draft_id))
        outcome = self._call(request, http=self._once_http, resend_ambiguous=False)
        if isinstance(outcome, _Failure) and outcome.ambiguous:
            try:
                self.get_draft(draft_id)
            except NotFound:
                return  # the first attempt did delete it
            outcome = self._call(request, http=self._once_http)
        if isinstance(outcome, _Failure):
            raise self._error(outcome, op)

    # ------------------------------------------------------------ port: labels

    def list_labels(self) -> list[Label]:
        listing = self._execute(self._api.labels.list(userId="me"), _Op("read labels"))
        label_ids = [str(label["id"]) for label in listing.get("labels", []) or []]
        requests = [self._api.labels.get(userId="me", id=i) for i in label_ids]
        system: list[Label] = []
        user: list[Label] = []
        for label_id, outcome in zip(label_ids, self._batch(requests), strict=True):
            if isinstance(outcome, _Failure):
                if outcome.missing:
                    continue
                raise self._error(outcome, _Op("read labels"))
            label = Label(
                id=label_id,
                name=str(outcome.get("name", label_id)),
                type=LabelType.SYSTEM if outcome.get("type") == "system" else LabelType.USER,
                messages_total=int(outcome.get("messagesTotal", 0) or 0),
                messages_unread=int(outcome.get("messagesUnread", 0) or 0),
            )
            (system if label.type is LabelType.SYSTEM else user).append(label)
        with self._lock:
            self._known_labels = set(label_ids)
        order = {label_id: index for index, label_id in enumerate(SYSTEM_LABEL_IDS)}
        system.sort(key=lambda lb: (order.get(lb.id, len(order)), lb.id))
        user.sort(key=lambda lb: (lb.name.lower(), lb.id))
        return system + user

    def create_label(self, name: str) -> Label:
        trimmed = validate_label_name(name)
        body = {"name": trimmed, "labelListVisibility": "labelShow", "messageListVisibility": "show"}
        request = self._api.labels.create(userId="me", body=body)
        op = _Op("manage labels")
        outcome = self._call(request, http=self._once_http, resend_ambiguous=False)
        if isinstance(outcome, _Failure) and outcome.ambiguous:
            existing = self._label_named(trimmed)
            if existing is not None:
                return existing  # the first attempt did create it
            outcome = self._call(request, http=self._once_http)
        if isinstance(outcome, _Failure):
            if outcome.status == 409:
                raise Conflict(f"A label named '{trimmed}' already exists.")
            raise self._error(outcome, op)
        label = Label(id=str(outcome["id"]), name=str(outcome.get("name", trimmed)), type=LabelType.USER)
        with self._lock:
            if self._known_labels is not None:
                self._known_labels.add(label.id)
        return label

    def modify_labels(self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        ids, to_add, to_remove = validate_label_change(message_ids, add, remove)
        self._check_labels(to_add | to_remove)
        if not ids:
            return
        body: dict[str, Any] = {"addLabelIds": sorted(to_add), "removeLabelIds": sorted(to_remove)}
        op = _Op("change labels", _message_not_found(ids[0]))
        if len(ids) == 1:  # one call, atomic by itself: 5 units instead of a check and a batchModify
            self._execute(self._api.messages.modify(userId="me", id=ids[0], body=body), op)
            return
        # all or nothing: every id must exist before anything changes (batchModify skips what it cannot find)
        self._require_messages(ids)
        for start in range(0, len(ids), 1000):
            chunk = list(ids[start : start + 1000])
            self._execute(self._api.messages.batchModify(userId="me", body={"ids": chunk, **body}), op)

    # ------------------------------------------------------------ port: change feed

    def current_cursor(self) -> str:
        profile = self._execute(self._api.users.getProfile(userId="me"), _Op("read mail"))
        return str(profile["historyId"])

    def history(self, cursor: str, *, limit: int = MAX_HISTORY_PAGE) -> MailHistory:
        """users.history.list from `cursor`, page after page (2 units each) until `limit` records; a 404 means
        Gmail no longer has that history: HistoryExpired."""
        if not 1 <= limit <= MAX_HISTORY_PAGE:
            raise ValidationFailed(f"limit must be between 1 and {MAX_HISTORY_PAGE}.", details=[{"field": "limit"}])
        start = str(cursor_value(cursor))
        records: list[Mapping[str, Any]] = []
        page_token: str | None = None
        current = start
        while True:
            params: dict[str, Any] = {
                "userId": "me",
                "startHistoryId": start,
                "historyTypes": list(HISTORY_TYPES),
                "maxResults": limit - len(records),
            }
            if page_token:
                params["pageToken"] = page_token
            outcome = self._call(self._api.history.list(**params))
            if isinstance(outcome, _Failure):
                if outcome.status == 404:
                    raise HistoryExpired(
                        f"Gmail no longer has this mailbox's changes after history id {start}; sync it in full."
                    )
                raise self._error(outcome, _Op("read mail"))
            current = str(outcome.get("historyId") or current)
            records.extend(outcome.get("history", []) or [])
            page_token = outcome.get("nextPageToken") or None
            if page_token is None or len(records) >= limit:
                break
        records.sort(key=lambda r: int(r["id"]))
        changes = tuple(change for record in records for change in _history_changes(record))
        more = page_token is not None
        return MailHistory(
            cursor=str(records[-1]["id"]) if more and records else current, changes=changes, has_more=more
        )

    def summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]:
        """messages.get with format=metadata (From and Subject only), in batches: 5 units each, no bodies."""
        ids = list(dict.fromkeys(message_ids))
        requests = [
            self._api.messages.get(userId="me", id=i, format="metadata", metadataHeaders=list(SUMMARY_HEADERS))
            for i in ids
        ]
        found: list[MessageSummary] = []
        for message_id, outcome in zip(ids, self._batch(requests), strict=True):
            if isinstance(outcome, _Failure):
                if outcome.missing:
                    continue  # deleted since the change was recorded
                raise self._error(outcome, _Op("read mail", _message_not_found(message_id)))
            found.append(_summary(outcome))
        return found

    def watch(self, topic: str) -> datetime:
        """users.watch (100 units): Gmail publishes to the Pub/Sub `topic` on every change for 7 days."""
        if not topic or not topic.startswith("projects/") or "/topics/" not in topic:
            raise ValidationFailed("A Gmail push topic is a Pub/Sub topic name: projects/PROJECT/topics/TOPIC.")
        resource = self._execute(
            self._api.users.watch(userId="me", body={"topicName": topic}),
            _Op("watch the mailbox for changes"),
        )
        return from_millis(int(resource["expiration"]))

    def stop_watch(self) -> None:
        self._execute(self._api.users.stop(userId="me"), _Op("watch the mailbox for changes"))

    # ------------------------------------------------------------ internals: building and parsing

    def _build(self, message: OutgoingMessage) -> tuple[OutgoingMessage, bytes, datetime]:
        if message.from_ is None:
            message = replace(message, from_=EmailAddress(address=self.address()))
        message = ensure_message_id(message, sender=self.address())
        assert message.message_id is not None
        date = self._clock()
        return message, build_mime(message, message_id=message.message_id, date=date), date

    def _with_raw(
        self, make: Callable[..., Any], raw: bytes, *, thread_id: str | None, draft_id: str | None = None, draft: bool
    ) -> Any:
        """A send/create/update request carrying `raw`: in the JSON body, or as a media upload when it is large.
        `draft`: the body is a Draft resource (its `message` carries raw and threadId), else a Message."""
        message: dict[str, Any] = {"threadId": thread_id} if thread_id else {}
        media = None
        if len(raw) <= self._upload_threshold:
            message["raw"] = _b64encode(raw)
        else:
            media = MediaInMemoryUpload(raw, mimetype="message/rfc822", resumable=False)
        body: dict[str, Any] = message
        if draft:
            body = {"message": message}
            if draft_id is not None:
                body["id"] = draft_id
        return make(body=body) if media is None else make(body=body, media_body=media)

    def _to_message(self, resource: Mapping[str, Any]) -> Message:
        raw = _b64decode(str(resource.get("raw", "")))
        parsed = parse_mime(raw)
        return parsed.to_message(
            id=str(resource["id"]),
            thread_id=str(resource.get("threadId") or resource["id"]),
            label_ids=frozenset(str(label) for label in resource.get("labelIds", []) or []),
            internal_date=from_millis(int(resource.get("internalDate", 0) or 0)),
            size_estimate=int(resource.get("sizeEstimate", len(raw)) or len(raw)),
        )

    def _fetch_messages(self, ids: Sequence[str], *, missing_ok: bool) -> list[Message]:
        requests = [self._api.messages.get(userId="me", id=i, format="raw") for i in ids]
        messages: list[Message] = []
        missing: list[str] = []
        for message_id, outcome in zip(ids, self._batch(requests), strict=True):
            if isinstance(outcome, _Failure):
                if outcome.missing:
                    missing.append(message_id)
                    continue
                raise self._error(outcome, _Op("read mail", _message_not_found(message_id)))
            messages.append(self._to_message(outcome))
        if missing and not missing_ok:
            raise NotFound(_message_not_found(", ".join(missing)))
        return messages

    def _require_messages(self, ids: Sequence[str]) -> None:
        requests = [self._api.messages.get(userId="me", id=i, format="minimal") for i in ids]
        missing: list[str] = []
        for message_id, outcome in zip(ids, self._batch(requests), strict=True):
            if isinstance(outcome, _Failure):
                if outcome.missing:
                    missing.append(message_id)
                    continue
                raise self._error(outcome, _Op("read mail", _message_not_found(message_id)))
        if len(missing) == 1:
            raise NotFound(_message_not_found(missing[0]))
        if missing:
            raise NotFound(f"Messages {', '.join(missing)} were not found in this mailbox.")

    def _fetch_after_write(self, message_id: str) -> Message:
        return self.get_message(message_id)

    def _read_back_sent(self, resource: Mapping[str, Any], built: Message) -> Message:
        """The sent message as Gmail stores it; if reading it back fails, the one we know (it WAS sent)."""
        try:
            return self.get_message(str(resource["id"]))
        except (DomainError, InfrastructureError) as exc:
            logger.warning("gmail: message %s was sent but could not be read back: %s", resource.get("id"), exc)
            return replace(
                built,
                id=str(resource["id"]),
                thread_id=str(resource.get("threadId") or resource["id"]),
                label_ids=frozenset(str(label) for label in resource.get("labelIds", []) or [SENT]),
            )

    def _thread_of_references(self, message: OutgoingMessage) -> str | None:
        """The thread a reply belongs to: Gmail threads a sent message only when told its threadId, so find the
        newest message among In-Reply-To/References (like a received reply is threaded)."""
        wanted = list(dict.fromkeys(r for r in (message.in_reply_to, *reversed(message.references)) if r))
        terms = [t for t in (_msgid_term(r) for r in wanted[:_REFERENCE_LOOKUP_LIMIT]) if t]
        if not terms:
            return None
        listing = self._execute(
            self._api.messages.list(userId="me", q=" OR ".join(terms), includeSpamTrash=True, maxResults=1),
            _Op("read mail"),
        )
        found = listing.get("messages", []) or []
        return str(found[0].get("threadId") or found[0]["id"]) if found else None

    def _reconcile_send(self, message_id: str, failure: _Failure) -> Message:
        """After a send whose outcome is unknown: the sent message if Gmail has it; never send again."""
        logger.warning(
            "gmail: send outcome unknown (%s); looking for Message-ID instead of resending",
            failure.status or failure.message,
        )
        for attempt in range(1, self._reconcile_attempts + 1):
            try:
                found = self.find_by_message_id(message_id)
            except (DomainError, InfrastructureError):
                found = None
            if found is not None and SENT in found.label_ids:
                return found
            if attempt < self._reconcile_attempts:
                self._sleep(self._delay(attempt, None))  # Gmail's search index may lag a moment
        raise self._unknown_outcome(message_id)

    @staticmethod
    def _unknown_outcome(message_id: str | None) -> UpstreamError:
        which = f" (Message-ID {message_id})" if message_id else ""
        return UpstreamError(
            f"Gmail did not confirm whether the message{which} was sent, and it is not in Sent yet. It was NOT "
            "sent again, to avoid a duplicate: check the Sent folder before trying again.",
            service=SERVICE,
        )

    def _find_draft_by_message_id(self, message_id: str) -> Draft | None:
        term = _msgid_term(message_id)
        if term is None:
            return None
        try:
            listing = self._execute(self._api.drafts.list(userId="me", q=term, maxResults=10), _Op("read drafts"))
            for item in listing.get("drafts", []) or []:
                draft = self.get_draft(str(item["id"]))
                if (draft.message.message_id_header or "").lower() == normalize_message_id(message_id).lower():
                    return draft
        except (DomainError, InfrastructureError):
            return None
        return None

    def _label_named(self, name: str) -> Label | None:
        try:
            labels = self.list_labels()
        except (DomainError, InfrastructureError):
            return None
        return next((lb for lb in labels if lb.type is LabelType.USER and lb.name.lower() == name.lower()), None)

    def _check_labels(self, label_ids: Iterable[str]) -> None:
        """NotFound for a label id this mailbox does not have (Gmail would answer a 400 or ignore it)."""
        wanted = {i for i in label_ids if i not in SYSTEM_LABEL_IDS}
        if not wanted:
            return
        with self._lock:
            known = set(self._known_labels) if self._known_labels is not None else None
        if known is None or not wanted <= known:
            listing = self._execute(self._api.labels.list(userId="me"), _Op("read labels"))
            known = {str(label["id"]) for label in listing.get("labels", []) or []}
            with self._lock:
                self._known_labels = set(known)
        unknown = sorted(wanted - known)
        if unknown:
            raise NotFound(f"No label with id {', '.join(unknown)} exists in this mailbox.")

    # ------------------------------------------------------------ internals: calling Gmail

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = float(self._random()) * min(self._max_delay, self._base_delay * float(2 ** (attempt - 1)))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._max_delay))
        return delay

    def _execute(self, request: Any, op: _Op, *, http: _Transport | None = None) -> Any:
        outcome = self._call(request, http=http)
        if isinstance(outcome, _Failure):
            raise self._error(outcome, op)
        return outcome

    def _call(self, request: Any, *, http: _Transport | None = None, resend_ambiguous: bool = True) -> Any:
        """Run one call: refresh the token once on 401; back off and retry on 429/rate-limit 403/5xx/network
        errors. The last failure is RETURNED (a _Failure); so is an ambiguous one when `resend_ambiguous` is
        False (the caller reconciles). Token trouble raises ReauthRequired."""
        transport = http or self._http
        units = QUOTA_UNITS.get(str(request.methodId), DEFAULT_UNITS)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._spend(units, str(request.methodId))
            try:
                return request.execute(http=transport, num_retries=0)
            except HttpError as exc:
                failure = _Failure.from_http_error(exc)
            except BatchError as exc:  # pragma: no cover - only batches raise it
                failure = _Failure(status=502, message=str(exc))
            except _NETWORK_ERRORS as exc:
                failure = _Failure.network(exc)
            if failure.status == 401 and not refreshed:
                self._tokens.refresh()
                refreshed = True
                attempt -= 1  # the retry after a refresh is not a backoff attempt
                continue
            if failure.ambiguous and not resend_ambiguous:
                return failure
            if failure.retryable and attempt < self._max_attempts:
                delay = self._delay(attempt, failure.retry_after)
                logger.info(
                    "gmail: %s failed (%s); retry %d in %.2fs", request.methodId, failure.status, attempt, delay
                )
                self._sleep(delay)
                continue
            return failure

    def _batch(self, requests: Sequence[Any]) -> list[Any]:
        """Run read calls in batches of at most `batch_size`; each result is the response or its last _Failure.
        Calls that failed with a retryable error are retried (in a new batch) with backoff."""
        if len(requests) == 1:
            return [self._call(requests[0])]
        results: list[Any] = [None] * len(requests)
        pending = list(range(len(requests)))
        attempt = 0
        while pending:
            attempt += 1
            retry: list[int] = []
            for start in range(0, len(pending), self._batch_size):
                chunk = pending[start : start + self._batch_size]
                for index, outcome in zip(chunk, self._run_batch([requests[i] for i in chunk]), strict=True):
                    results[index] = outcome
                    if isinstance(outcome, _Failure) and outcome.retryable and attempt < self._max_attempts:
                        retry.append(index)
            if retry:
                hints = [results[i].retry_after for i in retry if results[i].retry_after is not None]
                self._sleep(self._delay(attempt, max(hints) if hints else None))
            pending = retry
        return results

    def _run_batch(self, requests: Sequence[Any]) -> list[Any]:
        outcomes: list[Any] = [None] * len(requests)

        def callback(request_id: str, response: Any, exception: BaseException | None) -> None:
            index = int(request_id)
            if exception is None:
                outcomes[index] = response
            elif isinstance(exception, HttpError):
                outcomes[index] = _Failure.from_http_error(exception)
            else:  # pragma: no cover - googleapiclient only reports HttpError per call
                outcomes[index] = _Failure(status=502, message=type(exception).__name__)

        refreshed = False
        while True:
            batch = self._api.service.new_batch_http_request()
            for index, request in enumerate(requests):
                request.http = self._http  # each call carries the token (and a refreshed one on a 401 re-send)
                batch.add(request, callback=callback, request_id=str(index))
            for r in requests:
                self._spend(QUOTA_UNITS.get(str(r.methodId), DEFAULT_UNITS), str(r.methodId))
            try:
                batch.execute(http=self._http)
            except HttpError as exc:  # the batch request itself was refused
                failure = _Failure.from_http_error(exc)
                if failure.status == 401 and not refreshed:
                    self._tokens.refresh()
                    refreshed = True
                    continue
                return [failure] * len(requests)
            except BatchError as exc:
                return [_Failure(status=502, message=f"malformed batch answer: {exc}")] * len(requests)
            except _NETWORK_ERRORS as exc:
                return [_Failure.network(exc)] * len(requests)
            return outcomes

    def _error(self, failure: _Failure, op: _Op) -> DomainError | InfrastructureError:
        """A failure in words a person understands (never with a token in it)."""
        status = failure.status
        detail = f" ({failure.message})" if failure.message else ""
        if status is None:
            return ServiceUnavailable("Could not reach Gmail; try again in a moment.", service=SERVICE)
        if failure.missing and op.not_found:
            return NotFound(op.not_found)
        if status == 400 and "invalid label" in failure.message.lower():
            label = failure.message.split(":", 1)[-1].strip()
            return NotFound(f"No label with id {label} exists in this mailbox.")
        if status == 401:
            return ReauthRequired("Gmail no longer accepts this account's authorization; reconnect the account.")
        if failure.daily_limit:
            return QuotaExceeded(
                "This Gmail account has used up its daily Gmail API allowance; try again tomorrow.",
                details=[{"service": SERVICE, "reason": "daily_limit"}],
            )
        if failure.rate_limited:
            return QuotaExceeded(
                "Gmail is limiting how fast this account can be used; try again in a minute.",
                details=[{"service": SERVICE, "reason": "rate_limit"}],
            )
        if status == 403 and failure.reasons & SCOPE_REASONS:
            return PermissionDenied(
                f"This Gmail account was connected without permission to {op.action}. "
                f"Reconnect the account and grant access to {op.action}."
            )
        if status == 403:
            return PermissionDenied(f"Gmail does not allow this account to {op.action}{detail}.")
        if status == 404:
            return NotFound(op.not_found or "The requested item was not found in this Gmail mailbox.")
        if status == 409:
            return Conflict(f"Gmail refused because of a conflict{detail}.")
        if status == 400 and "failedPrecondition" in failure.reasons:
            return UpstreamError(f"Gmail cannot do this for this account{detail}.", service=SERVICE)
        if status == 400:
            return ValidationFailed(f"Gmail rejected the request{detail}.")
        if status == 503:
            return ServiceUnavailable("Gmail is unavailable right now; try again later.", service=SERVICE)
        return UpstreamError(f"Gmail failed to {op.action} (HTTP {status}){detail}.", service=SERVICE)


def _history_changes(record: Mapping[str, Any]) -> list[MailChange]:
    """The changes of one History record, in the order: added, labels added, labels removed, deleted."""
    history_id = str(record["id"])

    def change(item: Mapping[str, Any], kind: ChangeKind, changed: Iterable[str] = ()) -> MailChange:
        message = item.get("message") or {}
        return MailChange(
            history_id=history_id,
            kind=kind,
            message_id=str(message["id"]),
            thread_id=str(message.get("threadId") or message["id"]),
            label_ids=frozenset(str(label) for label in message.get("labelIds", []) or []),
            changed_label_ids=frozenset(str(label) for label in changed),
        )

    changes = [change(item, ChangeKind.MESSAGE_ADDED) for item in record.get("messagesAdded", []) or []]
    for field, kind in (("labelsAdded", ChangeKind.LABELS_ADDED), ("labelsRemoved", ChangeKind.LABELS_REMOVED)):
        changes += [change(item, kind, item.get("labelIds", []) or []) for item in record.get(field, []) or []]
    changes += [change(item, ChangeKind.MESSAGE_DELETED) for item in record.get("messagesDeleted", []) or []]
    return changes


def _summary(resource: Mapping[str, Any]) -> MessageSummary:
    """A Message resource in format=metadata as a summary: the headers are parsed like a message's own."""
    headers = (resource.get("payload") or {}).get("headers", []) or []
    head = "".join(
        f"{h['name']}: {' '.join(str(h.get('value', '')).splitlines())}\r\n" for h in headers if h.get("name")
    )
    parsed = parse_mime((head + "\r\n").encode("utf-8", errors="replace"))
    return MessageSummary(
        id=str(resource["id"]),
        thread_id=str(resource.get("threadId") or resource["id"]),
        label_ids=frozenset(str(label) for label in resource.get("labelIds", []) or []),
        from_=parsed.from_,
        subject=parsed.subject,
        snippet=str(resource.get("snippet", "") or ""),
        internal_date=from_millis(int(resource.get("internalDate", 0) or 0)),
    )
