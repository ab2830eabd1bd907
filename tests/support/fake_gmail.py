"""A local Gmail v1 server for tests: real HTTP on 127.0.0.1, shaped by the wheel's gmail.v1 discovery document.

* Routes, parameters, scopes and request/response bodies all come from `gmail.v1.json`: every JSON body the fake
  sends (and every JSON body it receives) is validated against the document's schemas, converted to JSON Schema
  (`additionalProperties: false`, int64 as decimal strings...). A mismatch is answered with a 500 and recorded in
  `server.drift`, so the fake cannot silently drift from the real API (tests assert `drift == []`).
* Endpoints: users.getProfile; users.watch/stop; history.list (historyTypes, pages; 404 for a startHistoryId older
  than the kept history: `account.expire_history()`); messages list/get/send/insert/modify/batchModify (+ media
  upload of send);
  threads.get; labels list/get/create; drafts create/get/list/update/delete/send (+ media upload); the batch
  endpoint (multipart/mixed, at most 100 calls); an OAuth token endpoint (`POST /token`, refresh_token grant).
* Search (`q`) uses domain.mail_query, with Gmail's TRASH/SPAM rules and `includeSpamTrash`.
* Accounts are keyed by access token; a bad token gets 401; scopes are checked per method (403
  insufficientPermissions). Faults can be injected (`server.inject(Fault(...))`): N answers with 429/5xx, an error
  AFTER the call took effect (e.g. send stored, then 500), a dropped connection, a delay. Every call is logged.
* Each account is also a MailboxSeeder: `account.deliver(raw, label_ids)` stores a received message as
  messages.insert with internalDateSource=dateHeader would (also reachable over HTTP as messages.insert).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser, Parser
from email.policy import compat32
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import googleapiclient
import jsonschema  # type: ignore[import-untyped]

from domain.errors import ReauthRequired, ValidationFailed
from domain.mail import (
    DRAFT,
    SENT,
    SPAM,
    SYSTEM_LABEL_IDS,
    TRASH,
    UNREAD,
    Message,
    from_millis,
    to_millis,
)
from domain.mail_query import matches, parse_query
from domain.mime import ParsedMessage, parse_mime

DOCUMENT_PATH = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents", "gmail.v1.json")
FULL_SCOPE = "https://mail.google.com/"
MODIFY_SCOPE = "https://www.googleapis.com/auth/gmail.modify"
READONLY_SCOPE = "https://www.googleapis.com/auth/gmail.readonly"
COMPOSE_SCOPE = "https://www.googleapis.com/auth/gmail.compose"
SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
LABELS_SCOPE = "https://www.googleapis.com/auth/gmail.labels"
DEFAULT_SCOPES = frozenset({MODIFY_SCOPE, COMPOSE_SCOPE, SEND_SCOPE})

MAX_BATCH_CALLS = 100
MAX_RESULTS = 500
WATCH_DAYS = 7  # users.watch expires after 7 days: renew before
_TOPIC_RE = re.compile(r"^projects/[a-z][a-z0-9-]{4,28}[a-z0-9]/topics/[A-Za-z][A-Za-z0-9._~+%-]{2,254}$")
HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")
IMMUTABLE = frozenset({SENT, DRAFT, "CHAT"})
_ID_RE = re.compile(r"^[0-9a-f]{1,16}$")
_STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_REASON_PHRASE = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def load_document() -> dict[str, Any]:
    with open(DOCUMENT_PATH, encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


# ---------------------------------------------------------------- discovery schemas -> JSON Schema


def discovery_to_json_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """One discovery-format schema as JSON Schema (draft 7). Objects are closed (no unknown properties), 64-bit
    integers are decimal strings (Google's JSON mapping), `byte` is base64."""
    if "$ref" in schema:
        return {"$ref": f"#/definitions/{schema['$ref']}"}
    kind = schema.get("type")
    out: dict[str, Any] = {}
    if kind == "object":
        out["type"] = "object"
        if "properties" in schema:
            out["properties"] = {k: discovery_to_json_schema(v) for k, v in schema["properties"].items()}
        if "additionalProperties" in schema:
            out["additionalProperties"] = discovery_to_json_schema(schema["additionalProperties"])
        else:
            out["additionalProperties"] = False
    elif kind == "array":
        out["type"] = "array"
        out["items"] = discovery_to_json_schema(schema.get("items", {}))
    elif kind == "string":
        out["type"] = "string"
        fmt = schema.get("format")
        if fmt == "int64":
            out["pattern"] = r"^-?[0-9]+$"
        elif fmt == "uint64":
            out["pattern"] = r"^[0-9]+$"
        elif fmt == "byte":
            out["pattern"] = r"^[A-Za-z0-9_\-+/]*=*$"
        if "enum" in schema:
            out["enum"] = list(schema["enum"])
    elif kind == "integer":
        out["type"] = "integer"
        if schema.get("format") == "uint32":
            out["minimum"] = 0
    elif kind == "number":
        out["type"] = "number"
    elif kind == "boolean":
        out["type"] = "boolean"
    return out  # "any" (or no type): anything goes


class SchemaBook:
    """Validators for the discovery document's schemas, by name (and per method, with its required fields)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.schemas: Mapping[str, Any] = document["schemas"]
        self.definitions = {name: discovery_to_json_schema(s) for name, s in self.schemas.items()}
        self._validators: dict[tuple[str, str | None], jsonschema.Draft7Validator] = {}
        self._lock = threading.Lock()

    def errors(self, name: str, instance: Any, *, method_id: str | None = None) -> list[str]:
        validator = self._validator(name, method_id)
        return [
            f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]

    def _validator(self, name: str, method_id: str | None) -> jsonschema.Draft7Validator:
        key = (name, method_id)
        with self._lock:
            validator = self._validators.get(key)
            if validator is None:
                root = self._inline(self.definitions[name], (name,))
                if method_id is not None:  # the fields the document marks required for this method
                    required = [
                        prop
                        for prop, spec in self.schemas[name].get("properties", {}).items()
                        if method_id in spec.get("annotations", {}).get("required", [])
                    ]
                    if required:
                        root["required"] = required
                validator = jsonschema.Draft7Validator({**root, "definitions": self.definitions})
                self._validators[key] = validator
            return validator

    def _inline(self, schema: Any, seen: tuple[str, ...]) -> Any:
        """`schema` with its `$ref`s replaced by what they name (recursive ones, like MessagePart, stay refs):
        the same checks, without resolving references on every validation."""
        if isinstance(schema, list):
            return [self._inline(item, seen) for item in schema]
        if not isinstance(schema, dict):
            return schema
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/definitions/"):
            target = ref.rsplit("/", 1)[1]
            if target in seen:
                return dict(schema)
            return self._inline(self.definitions[target], (*seen, target))
        return {
            k: self._inline(v, seen)
            if k in ("properties", "items", "additionalProperties") or isinstance(v, dict)
            else v
            for k, v in schema.items()
        }


# ---------------------------------------------------------------- routes


@dataclass(frozen=True)
class Route:
    method_id: str
    http_method: str
    pattern: re.Pattern[str]
    description: Mapping[str, Any]
    upload: bool = False


def build_routes(document: Mapping[str, Any]) -> list[Route]:
    routes: list[Route] = []

    def compile_path(path: str) -> re.Pattern[str]:
        path = "/" + path.lstrip("/")
        regex = re.sub(r"\\\{\\?\+?([A-Za-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
        return re.compile(f"^{regex}$")

    def visit(resource: Mapping[str, Any]) -> None:
        for method in resource.get("methods", {}).values():
            routes.append(Route(method["id"], method["httpMethod"], compile_path(method["path"]), method))
            simple = method.get("mediaUpload", {}).get("protocols", {}).get("simple")
            if simple:
                routes.append(
                    Route(method["id"], method["httpMethod"], compile_path(simple["path"]), method, upload=True)
                )
        for child in resource.get("resources", {}).values():
            visit(child)

    visit(document)
    routes.sort(key=lambda r: r.pattern.pattern.count("(?P<"))  # literal segments win over placeholders
    return routes


# ---------------------------------------------------------------- errors, faults, logs


class GmailError(Exception):
    """An error answer in Google's JSON error format."""

    def __init__(
        self,
        status: int,
        message: str,
        reason: str = "invalidArgument",
        *,
        domain: str = "global",
        details: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.domain = domain
        self.details = details
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "errors": [{"message": self.message, "domain": self.domain, "reason": self.reason}],
            "status": _STATUS_TEXT.get(self.status, "UNKNOWN"),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def _not_found() -> GmailError:
    return GmailError(404, "Requested entity was not found.", "notFound")


@dataclass
class Fault:
    """What to do to the next `times` calls matching `method` (a discovery method id such as
    "gmail.users.messages.send", "batch" for the batch request itself, "token" for the token endpoint; None
    matches any call).

    `status`: answer this error instead (None: the real answer). `after`: the call takes effect first, then the
    fault is answered (e.g. the message is stored but the client gets a 500 or no answer). `drop`: close the
    connection without an answer (outside batches only). `delay`: wait this long before answering (client
    timeouts); with `status=None` and no `drop` the call runs normally, just late."""

    status: int | None = 503
    reason: str = "backendError"
    message: str = ""
    method: str | None = None
    times: int = 1
    after: bool = False
    drop: bool = False
    delay: float = 0.0
    retry_after: int | None = None
    in_batch: bool | None = None  # None: inside or outside a batch

    def error(self) -> GmailError:
        domain = "usageLimits" if self.reason in ("rateLimitExceeded", "userRateLimitExceeded") else "global"
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        status = self.status or 503
        text = self.message or {
            429: "Too many requests.",
            403: "User-rate limit exceeded.",
            500: "Internal error encountered.",
            503: "The service is currently unavailable.",
        }.get(status, "Backend Error")
        return GmailError(status, text, self.reason, domain=domain, headers=headers)

    @property
    def replaces_answer(self) -> bool:
        return self.drop or self.status is not None

    def reply(self) -> _Reply:
        return _Reply(0, drop=True) if self.drop else _Reply.error(self.error())


@dataclass(frozen=True)
class Call:
    method: str  # discovery method id, "batch", "token" or "?" (no route)
    http_method: str
    path: str
    status: int  # 0: the connection was dropped
    batch: bool  # inside a batch
    account: str | None


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> _Reply:
        return cls(
            status,
            json.dumps(payload).encode("utf-8"),
            {"Content-Type": "application/json; charset=UTF-8", **(headers or {})},
        )

    @classmethod
    def error(cls, exc: GmailError) -> _Reply:
        return cls.json(exc.status, exc.body(), exc.headers)


# ---------------------------------------------------------------- one account's mailbox


@dataclass
class _Stored:
    message: Message  # for matching; label_ids are the live labels
    raw: bytes
    parsed: ParsedMessage
    history_id: int

    @property
    def id(self) -> str:
        return self.message.id

    @property
    def millis(self) -> int:
        return to_millis(self.message.internal_date)


def _encode_token(millis: int, item_id: str) -> str:
    return base64.urlsafe_b64encode(f"{millis}:{item_id}".encode()).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        millis, _, item_id = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
        if not item_id:
            raise ValueError(token)
        return int(millis), item_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise GmailError(400, "Invalid pageToken", "invalidArgument") from exc


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def _unb64(data: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except ValueError as exc:
        raise GmailError(400, "Invalid value for ByteString", "invalidArgument") from exc


class FakeAccount:
    """One Gmail account: its mailbox and its tokens. Thread-safe. Implements the MailboxSeeder protocol."""

    def __init__(
        self,
        server: FakeGmailServer,
        address: str,
        *,
        clock: Callable[[], datetime] | None,
        scopes: Iterable[str],
    ) -> None:
        self.server = server
        self.address = address
        self.clock = clock or (lambda: datetime.now(UTC))
        self.scopes = frozenset(scopes)
        self.lock = threading.RLock()
        self.messages: dict[str, _Stored] = {}
        self.labels: dict[str, str] = {}  # user labels: id -> name
        self.drafts: dict[str, str] = {}  # draft id -> message id
        self.threads: dict[str, set[str]] = {}
        self.by_rfc822_id: dict[str, set[str]] = {}
        self.counter = 0
        self.history_id = 1000
        # the change feed: History records ({"id": int, "messagesAdded": [...], ...}), oldest first; ids grow with
        # gaps like Gmail's. Records up to `history_floor` are gone: an older startHistoryId gets a 404.
        self.history: list[dict[str, Any]] = []
        self.history_floor = 0
        self.watch_topic: str | None = None
        self.watch_expiration: int | None = None  # epoch millis
        self.valid_tokens: set[str] = set()
        self.refresh_token = f"1//fake-{uuid.uuid4().hex}"
        self.revoked = False
        self.access_token = ""
        self.rotate_token()

    # ------------------------------------------------------------ tokens

    def rotate_token(self) -> str:
        """A new valid access token (what a refresh gives); raises ReauthRequired once the grant is revoked."""
        if self.revoked:
            raise ReauthRequired("The fake account's grant was revoked.")
        token = f"ya29.fake-{uuid.uuid4().hex}"
        self.valid_tokens.add(token)
        self.access_token = token
        self.server._register_token(token, self)
        return token

    def expire_tokens(self) -> None:
        """Every access token issued so far now gets 401 (a refresh gives a working one)."""
        self.valid_tokens.clear()

    def revoke(self) -> None:
        """The user revoked the grant: tokens stop working and refreshing gives invalid_grant."""
        self.revoked = True
        self.valid_tokens.clear()

    # ------------------------------------------------------------ seeding (MailboxSeeder)

    def deliver(self, raw_mime: bytes, label_ids: Sequence[str], /) -> str:
        """Store a received message (internal date = its Date header, else now; threaded by its references)."""
        with self.lock:
            unknown = [label for label in label_ids if not self.label_exists(label)]
            if unknown:
                raise ValueError(f"unknown labels {unknown}")
            parsed = parse_mime(raw_mime)
            when = parsed.date or self.clock()
            return self.store(raw_mime, parsed, set(label_ids), to_millis(when), self.thread_of(parsed)).id

    def seed(
        self,
        messages: Iterable[tuple[bytes, Sequence[str], Sequence[str], datetime]],
        *,
        only_if_empty: bool = True,
    ) -> int:
        """Bulk-load demo mail: (raw, system label ids, user label NAMES, internal date) tuples, creating missing
        labels by name (adapters.demo's DemoSeedable protocol). Returns how many were added."""
        with self.lock:
            if only_if_empty and self.messages:
                return 0
            by_name = {name.lower(): label_id for label_id, name in self.labels.items()}
            count = 0
            for raw, system_labels, user_labels, internal_date in messages:
                label_ids = set(system_labels)
                for name in user_labels:
                    if name.lower() not in by_name:
                        by_name[name.lower()] = self.create_label(name)
                    label_ids.add(by_name[name.lower()])
                self.check_labels(label_ids)
                parsed = parse_mime(raw)
                self.store(raw, parsed, label_ids, to_millis(internal_date), self.thread_of(parsed))
                count += 1
            return count

    def raw(self, message_id: str) -> bytes:
        with self.lock:
            return self.messages[message_id].raw

    # ------------------------------------------------------------ state

    def now_millis(self) -> int:
        return to_millis(self.clock())

    def next_history(self) -> int:
        self.history_id += 1 + self.history_id % 2  # increasing, not contiguous (like Gmail's)
        return self.history_id

    def record(self, kind: str, stored: _Stored, labels: Iterable[str] = ()) -> None:
        """One History record for one change of one message (test code calls this through the mutations)."""
        history_id = self.next_history()
        message = {"id": stored.id, "threadId": stored.message.thread_id}
        if stored.message.label_ids:
            message["labelIds"] = sorted(stored.message.label_ids)
        entry: dict[str, Any] = {"message": message}
        if kind in ("labelsAdded", "labelsRemoved"):
            entry["labelIds"] = sorted(labels)
        self.history.append({"id": history_id, kind: [entry]})
        stored.history_id = history_id

    def expire_history(self, through: int | None = None) -> None:
        """Forget the history up to `through` (default: all of it), as Gmail does after about a week."""
        floor = self.history_id if through is None else through
        self.history = [r for r in self.history if r["id"] > floor]
        self.history_floor = max(self.history_floor, floor)

    def push_envelope(self, history_id: int | None = None) -> dict[str, Any]:
        """What Pub/Sub POSTs to a push endpoint when this mailbox changed (Gmail's notification)."""
        return pubsub_envelope(self.address, history_id if history_id is not None else self.history_id)

    def new_id(self) -> str:
        self.counter += 1
        return f"{self.counter:016x}"

    def create_label(self, name: str) -> str:
        taken = {n.lower() for n in self.labels.values()} | {i.lower() for i in SYSTEM_LABEL_IDS}
        if name.lower() in taken:
            raise GmailError(409, "Label name exists or conflicts", "duplicate")
        self.counter += 1
        label_id = f"Label_{self.counter}"
        self.labels[label_id] = name
        return label_id

    def label_exists(self, label_id: str) -> bool:
        return label_id in SYSTEM_LABEL_IDS or label_id in self.labels

    def check_labels(self, label_ids: Iterable[str]) -> None:
        for label_id in label_ids:
            if not self.label_exists(label_id):
                raise GmailError(400, f"Invalid label: {label_id}", "invalidArgument")

    def get(self, message_id: str) -> _Stored:
        if not _ID_RE.match(message_id):
            raise GmailError(400, "Invalid id value", "invalidArgument")
        stored = self.messages.get(message_id)
        if stored is None:
            raise _not_found()
        return stored

    def thread_of(self, parsed: ParsedMessage) -> str | None:
        wanted = {r.lower() for r in (*parsed.references, parsed.in_reply_to or "") if r}
        related = [self.messages[i] for key in wanted for i in self.by_rfc822_id.get(key, ())]
        if not related:
            return None
        return max(related, key=lambda s: (s.millis, s.id)).message.thread_id

    def require_thread(self, thread_id: str) -> str:
        if not _ID_RE.match(thread_id):
            raise GmailError(400, "Invalid id value", "invalidArgument")
        if not self.threads.get(thread_id):
            raise _not_found()
        return thread_id

    def store(
        self,
        raw: bytes,
        parsed: ParsedMessage,
        labels: set[str],
        millis: int,
        thread_id: str | None,
        message_id: str | None = None,
    ) -> _Stored:
        message_id = message_id or self.new_id()
        message = parsed.to_message(
            id=message_id,
            thread_id=thread_id or message_id,
            label_ids=frozenset(labels),
            internal_date=from_millis(millis),
            size_estimate=len(raw),
        )
        stored = _Stored(message=message, raw=raw, parsed=parsed, history_id=0)
        self.messages[message_id] = stored
        self.record("messagesAdded", stored)
        self.threads.setdefault(message.thread_id, set()).add(message_id)
        if message.message_id_header:
            self.by_rfc822_id.setdefault(message.message_id_header.lower(), set()).add(message_id)
        return stored

    def remove(self, message_id: str) -> _Stored:
        stored = self.messages.pop(message_id)
        members = self.threads.get(stored.message.thread_id, set())
        members.discard(message_id)
        if not members:
            self.threads.pop(stored.message.thread_id, None)
        if stored.message.message_id_header:
            self.by_rfc822_id.get(stored.message.message_id_header.lower(), set()).discard(message_id)
        self.record("messagesDeleted", stored)
        return stored

    def relabel(self, stored: _Stored, labels: Iterable[str]) -> None:
        old, new = stored.message.label_ids, frozenset(labels)
        if old == new:
            return
        stored.message = replace(stored.message, label_ids=new)
        # one record per kind of change (Gmail may also put both in one record: readers must take either)
        if new - old:
            self.record("labelsAdded", stored, new - old)
        if old - new:
            self.record("labelsRemoved", stored, old - new)

    def resource(self, stored: _Stored, fmt: str = "minimal", headers: Sequence[str] = ()) -> dict[str, Any]:
        """A Message resource in the given format (full is not implemented: the adapter reads raw)."""
        result: dict[str, Any] = {"id": stored.id, "threadId": stored.message.thread_id}
        if stored.message.label_ids:  # Gmail leaves labelIds out when there are none
            result["labelIds"] = sorted(stored.message.label_ids)
        result.update(
            snippet=stored.parsed.snippet,
            historyId=str(stored.history_id),
            internalDate=str(stored.millis),
            sizeEstimate=len(stored.raw),
        )
        if fmt == "raw":
            result["raw"] = _b64(stored.raw)
        elif fmt == "metadata":
            wanted = {h.lower() for h in headers}
            result["payload"] = {
                "partId": "",
                "mimeType": "text/plain",
                "filename": "",
                "headers": [
                    {"name": k, "value": v} for k, v in stored.parsed.headers if not wanted or k.lower() in wanted
                ],
                "body": {"size": 0},
            }
        elif fmt == "full":
            raise GmailError(501, "format=full is not implemented by the fake Gmail server", "notImplemented")
        return result

    def search(self, query: str, label_ids: Sequence[str], include_spam_trash: bool) -> list[_Stored]:
        try:
            node = parse_query(query)
        except ValidationFailed as exc:
            raise GmailError(400, f"Invalid query: {exc.message}", "invalidArgument") from exc
        self.check_labels(label_ids)
        scope = [*label_ids, *((TRASH, SPAM) if include_spam_trash else ())]
        now = self.clock()
        found = [
            s
            for s in self.messages.values()
            if all(label in s.message.label_ids for label in label_ids)
            and matches(node, s.message, now, label_names=self.labels, owner=self.address, scope_label_ids=scope)
        ]
        found.sort(key=lambda s: (s.millis, s.id), reverse=True)
        return found

    def parse_outgoing(self, raw: bytes, *, need_recipients: bool) -> ParsedMessage:
        parsed = parse_mime(raw)
        if need_recipients and not any(a.address for a in (*parsed.to, *parsed.cc, *parsed.bcc)):
            raise GmailError(400, "Recipient address required", "invalidArgument")
        return parsed


# ---------------------------------------------------------------- the server


class FakeGmailServer:
    """`with FakeGmailServer() as server:` ... `server.url` is the root URL to give GmailMailbox."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.document = load_document()
        self.schemas = SchemaBook(self.document)
        self.routes = build_routes(self.document)
        self.global_parameters: Mapping[str, Any] = self.document.get("parameters", {})
        self.calls: list[Call] = []
        self.batch_sizes: list[int] = []
        self.drift: list[str] = []  # schema mismatches and unsupported requests: tests assert it stays empty
        self.faults: list[Fault] = []
        self._accounts_by_token: dict[str, FakeAccount] = {}
        self._accounts_by_refresh: dict[str, FakeAccount] = {}
        self._lock = threading.Lock()
        self._httpd = _HTTPServer((host, 0), _Handler, self)
        self._thread: threading.Thread | None = None
        self._handlers: dict[str, Callable[[FakeAccount, dict[str, Any], Any, bytes | None], Any]] = {
            "gmail.users.getProfile": self._get_profile,
            "gmail.users.watch": self._watch,
            "gmail.users.stop": self._stop,
            "gmail.users.history.list": self._history_list,
            "gmail.users.messages.list": self._messages_list,
            "gmail.users.messages.get": self._messages_get,
            "gmail.users.messages.send": self._messages_send,
            "gmail.users.messages.insert": self._messages_insert,
            "gmail.users.messages.modify": self._messages_modify,
            "gmail.users.messages.batchModify": self._messages_batch_modify,
            "gmail.users.threads.get": self._threads_get,
            "gmail.users.labels.list": self._labels_list,
            "gmail.users.labels.get": self._labels_get,
            "gmail.users.labels.create": self._labels_create,
            "gmail.users.drafts.create": self._drafts_create,
            "gmail.users.drafts.get": self._drafts_get,
            "gmail.users.drafts.list": self._drafts_list,
            "gmail.users.drafts.update": self._drafts_update,
            "gmail.users.drafts.delete": self._drafts_delete,
            "gmail.users.drafts.send": self._drafts_send,
        }

    # ------------------------------------------------------------ lifecycle and test hooks

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def token_uri(self) -> str:
        return self.url + "token"

    def start(self) -> FakeGmailServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-gmail", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeGmailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add_account(
        self,
        address: str,
        *,
        clock: Callable[[], datetime] | None = None,
        scopes: Iterable[str] = DEFAULT_SCOPES,
    ) -> FakeAccount:
        account = FakeAccount(self, address, clock=clock, scopes=scopes)
        with self._lock:
            self._accounts_by_refresh[account.refresh_token] = account
        return account

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def clear_log(self) -> None:
        with self._lock:
            self.calls.clear()
            self.batch_sizes.clear()

    def count(self, method: str, *, status: int | None = None) -> int:
        """How many logged calls of `method` (a suffix like "messages.send" is enough), optionally by status."""
        with self._lock:
            return sum(
                1
                for c in self.calls
                if (c.method == method or c.method.endswith("." + method)) and (status is None or c.status == status)
            )

    def adopt_grant(self, account: FakeAccount, access_token: str, refresh_token: str | None = None) -> None:
        """Accept tokens issued by another fake (e.g. the OAuth consent fake) as this account's."""
        with account.lock:
            account.valid_tokens.add(access_token)
        self._register_token(access_token, account)
        if refresh_token:
            with self._lock:
                self._accounts_by_refresh[refresh_token] = account

    def _register_token(self, token: str, account: FakeAccount) -> None:
        with self._lock:
            self._accounts_by_token[token] = account

    def _take_fault(self, method: str, in_batch: bool) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method not in (None, method):
                    continue
                if fault.in_batch is not None and fault.in_batch != in_batch:
                    continue
                if fault.drop and in_batch:
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _log(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    # ------------------------------------------------------------ HTTP entry

    def handle(self, http_method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        path = urlsplit(target).path
        if path == "/token" and http_method == "POST":
            return self._token(body)
        if path in ("/batch", "/batch/gmail/v1") and http_method == "POST":
            return self._batch(headers, body)
        return self._dispatch(http_method, target, headers, body, in_batch=False, outer_auth=None)

    def _dispatch(
        self,
        http_method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        in_batch: bool,
        outer_auth: str | None,
    ) -> _Reply:
        parts = urlsplit(target)
        query = parts.query
        if http_method == "POST" and headers.get("x-http-method-override"):  # long GET turned into a POST
            http_method = headers["x-http-method-override"].upper()
            query, body = body.decode("utf-8"), b""
        route, path_params = self._route(http_method, parts.path)
        if route is None:
            self.drift.append(f"no route for {http_method} {parts.path}")
            self._log(Call("?", http_method, parts.path, 404, in_batch, None))
            return _Reply.error(GmailError(404, f"No such method: {http_method} {parts.path}", "notFound"))
        account = self._authenticate(headers.get("authorization") or outer_auth)
        if account is None:
            error = GmailError(
                401,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential.",
                "authError",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
            self._log(Call(route.method_id, http_method, parts.path, 401, in_batch, None))
            return _Reply.error(error)
        fault = self._take_fault(route.method_id, in_batch)
        reply: _Reply
        if fault is not None and fault.replaces_answer and not fault.after:
            reply = fault.reply()
        else:
            reply = self._run(route, account, path_params, query, headers, body)
            if fault is not None and fault.replaces_answer:
                reply = fault.reply()
        if fault is not None:
            reply.delay = fault.delay
        self._log(Call(route.method_id, http_method, parts.path, reply.status, in_batch, account.address))
        return reply

    def _route(self, http_method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            if route.http_method != http_method:
                continue
            match = route.pattern.match(path)
            if match:
                return route, {k: unquote(v) for k, v in match.groupdict().items()}
        return None, {}

    def _authenticate(self, authorization: str | None) -> FakeAccount | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization[7:].strip()
        with self._lock:
            account = self._accounts_by_token.get(token)
        if account is None or token not in account.valid_tokens:
            return None
        return account

    def _run(
        self,
        route: Route,
        account: FakeAccount,
        path_params: dict[str, str],
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> _Reply:
        method = route.description
        try:
            allowed = set(method.get("scopes", []))
            if allowed and not (allowed & account.scopes):
                raise GmailError(
                    403,
                    "Request had insufficient authentication scopes.",
                    "insufficientPermissions",
                    details=[
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                            "domain": "googleapis.com",
                            "metadata": {"service": "gmail.googleapis.com", "method": route.method_id},
                        }
                    ],
                )
            params = self._parameters(route, path_params, query)
            user = params.get("userId")
            if user not in ("me", account.address):
                raise GmailError(403, "Delegation denied for " + account.address, "forbidden")
            resource, upload = self._body(route, params, headers, body)
            handler = self._handlers.get(route.method_id)
            if handler is None:
                self.drift.append(f"{route.method_id} is not implemented by the fake")
                raise GmailError(501, f"{route.method_id} is not implemented by the fake", "notImplemented")
            with account.lock:
                payload = handler(account, params, resource, upload)
        except GmailError as exc:
            return _Reply.error(exc)
        if payload is None:
            return _Reply(204)
        schema = method.get("response", {}).get("$ref")
        if schema is None:
            self.drift.append(f"{route.method_id} answered a body but has no response schema")
        else:
            problems = self.schemas.errors(schema, payload)
            if problems:
                self.drift.append(f"{route.method_id} response does not match {schema}: {problems}")
                return _Reply.error(GmailError(500, f"fake drift: {problems}", "backendError"))
        return _Reply.json(200, payload)

    def _parameters(self, route: Route, path_params: Mapping[str, str], query: str) -> dict[str, Any]:
        specs: dict[str, Any] = {**self.global_parameters, **route.description.get("parameters", {})}
        values: dict[str, Any] = dict(path_params)
        for name, raw_values in parse_qs(query, keep_blank_values=True).items():
            spec = specs.get(name)
            if spec is None:
                raise GmailError(
                    400,
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter.',
                    "invalidArgument",
                )
            if name == "fields":
                self.drift.append("the fake does not implement partial responses (fields=)")
                raise GmailError(400, "fields= is not implemented by the fake", "invalidArgument")
            converted = [self._convert_parameter(name, spec, v) for v in raw_values]
            if spec.get("repeated"):
                values[name] = converted
            elif len(converted) > 1:
                raise GmailError(400, f"Parameter {name} given more than once", "invalidArgument")
            else:
                values[name] = converted[0]
        for name, spec in route.description.get("parameters", {}).items():
            if name not in values and "default" in spec and spec.get("location") == "query":
                values[name] = self._convert_parameter(name, spec, spec["default"])
            if spec.get("required") and name not in values:
                raise GmailError(400, f"Required parameter: {name}", "required")
        if route.upload and values.get("uploadType") not in ("multipart", "media"):
            raise GmailError(400, "Upload requests must have uploadType=multipart or media", "invalidArgument")
        return values

    @staticmethod
    def _convert_parameter(name: str, spec: Mapping[str, Any], value: str) -> Any:
        kind = spec.get("type")
        converted: Any = value
        if kind == "integer":
            try:
                converted = int(value)
            except ValueError as exc:
                raise GmailError(400, f"Invalid value at '{name}' ({value})", "invalidArgument") from exc
        elif kind == "boolean":
            if value not in ("true", "false"):
                raise GmailError(400, f"Invalid value at '{name}' ({value})", "invalidArgument")
            converted = value == "true"
        if "enum" in spec and converted not in spec["enum"]:
            raise GmailError(400, f"Invalid value at '{name}' ({value})", "invalidArgument")
        return converted

    def _body(
        self, route: Route, params: Mapping[str, Any], headers: Mapping[str, str], body: bytes
    ) -> tuple[Any, bytes | None]:
        """(the JSON resource, the uploaded media) of a request; the resource is checked against its schema."""
        schema = route.description.get("request", {}).get("$ref")
        resource: Any = None
        upload: bytes | None = None
        if route.upload and params.get("uploadType") == "media":
            upload = body
        elif route.upload:
            metadata, upload = _split_related(headers.get("content-type", ""), body)
            resource = json.loads(metadata) if metadata.strip() else {}
        elif body:
            try:
                resource = json.loads(body)
            except ValueError as exc:
                raise GmailError(400, "Invalid JSON payload received.", "parseError") from exc
        if resource is not None:
            if schema is None:
                raise GmailError(400, f"{route.method_id} takes no request body", "invalidArgument")
            # an upload carries `raw` as its media part, so the metadata need not have the "required" fields
            problems = self.schemas.errors(schema, resource, method_id=None if route.upload else route.method_id)
            if problems:
                self.drift.append(f"{route.method_id} request does not match {schema}: {problems}")
                raise GmailError(400, f"Invalid JSON payload received. {problems}", "invalidArgument")
        return resource, upload

    # ------------------------------------------------------------ batch and token endpoints

    def _batch(self, headers: Mapping[str, str], body: bytes) -> _Reply:
        fault = self._take_fault("batch", False)
        if fault is not None and fault.replaces_answer and not fault.after:
            reply = fault.reply()
            self._log(Call("batch", "POST", "/batch", reply.status, False, None))
            reply.delay = fault.delay
            return reply
        content_type = headers.get("content-type", "")
        envelope = BytesParser(policy=compat32).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        if not envelope.is_multipart():
            self._log(Call("batch", "POST", "/batch", 400, False, None))
            return _Reply.error(GmailError(400, "Batch requests must be multipart/mixed", "invalidArgument"))
        parts = envelope.get_payload()
        assert isinstance(parts, list)
        if len(parts) > MAX_BATCH_CALLS:
            self._log(Call("batch", "POST", "/batch", 400, False, None))
            return _Reply.error(
                GmailError(400, f"A batch can hold at most {MAX_BATCH_CALLS} calls", "batchSizeTooLarge")
            )
        with self._lock:
            self.batch_sizes.append(len(parts))
        boundary = f"batch_{uuid.uuid4().hex}"
        chunks: list[bytes] = []
        for part in parts:
            assert not isinstance(part, str)
            content_id = str(part.get("Content-ID", "")).strip()
            inner = part.get_payload()
            assert isinstance(inner, str)
            request_line, _, rest = inner.partition("\n")
            http_method, target, _ = [*request_line.strip().split(" ", 2), "", ""][:3]
            inner_message = Parser(policy=compat32).parsestr(rest)
            inner_headers = {k.lower(): str(v) for k, v in inner_message.items()}
            inner_body = inner_message.get_payload()
            reply = self._dispatch(
                http_method,
                target,
                inner_headers,
                inner_body.encode("utf-8") if isinstance(inner_body, str) else b"",
                in_batch=True,
                outer_auth=headers.get("authorization"),
            )
            response_id = "<response-" + content_id.strip("<>") + ">"
            lines = [f"HTTP/1.1 {reply.status} {_REASON_PHRASE.get(reply.status, 'Unknown')}"]
            lines += [f"{k}: {v}" for k, v in reply.headers.items()]
            chunks.append(
                (
                    f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {response_id}\r\n\r\n"
                    + "\r\n".join(lines)
                    + "\r\n\r\n"
                ).encode()
                + reply.body
                + b"\r\n"
            )
        chunks.append(f"--{boundary}--\r\n".encode())
        self._log(Call("batch", "POST", "/batch", 200, False, None))
        reply = _Reply(200, b"".join(chunks), {"Content-Type": f"multipart/mixed; boundary={boundary}"})
        if fault is not None:  # the calls ran; the answer is lost, replaced or late
            if fault.replaces_answer:
                reply = fault.reply()
            reply.delay = fault.delay
        return reply

    def _token(self, body: bytes) -> _Reply:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()}
        fault = self._take_fault("token", False)
        if fault is not None:
            status = fault.status or 503
            self._log(Call("token", "POST", "/token", status, False, None))
            return _Reply.json(status, {"error": "internal_failure"})
        with self._lock:
            account = self._accounts_by_refresh.get(form.get("refresh_token", ""))
        if form.get("grant_type") != "refresh_token" or account is None or account.revoked:
            self._log(Call("token", "POST", "/token", 400, False, account.address if account else None))
            return _Reply.json(
                400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
            )
        token = account.rotate_token()
        self._log(Call("token", "POST", "/token", 200, False, account.address))
        return _Reply.json(
            200,
            {
                "access_token": token,
                "expires_in": 3599,
                "scope": " ".join(sorted(account.scopes)),
                "token_type": "Bearer",
            },
        )

    # ------------------------------------------------------------ Gmail methods

    def _get_profile(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        return {
            "emailAddress": account.address,
            "messagesTotal": len(account.messages),
            "threadsTotal": len(account.threads),
            "historyId": str(account.history_id),
        }

    def _watch(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        topic = str((body or {}).get("topicName", ""))
        if not _TOPIC_RE.match(topic):
            raise GmailError(400, f"Invalid topicName does not match projects/*/topics/*: {topic}", "invalidArgument")
        account.watch_topic = topic
        account.watch_expiration = to_millis(account.clock() + timedelta(days=WATCH_DAYS))
        return {"historyId": str(account.history_id), "expiration": str(account.watch_expiration)}

    def _stop(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        account.watch_topic = account.watch_expiration = None
        return None

    def _history_list(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        raw_start = str(params.get("startHistoryId", ""))
        if not raw_start.isdigit():
            raise GmailError(400, "Invalid startHistoryId", "invalidArgument")
        start = int(raw_start)
        if start < account.history_floor:
            raise _not_found()
        limit = min(int(params.get("maxResults", 100)), MAX_RESULTS)
        if limit < 1:
            raise GmailError(400, "maxResults must be positive", "invalidArgument")
        wanted = set(params.get("historyTypes") or HISTORY_TYPES)
        kinds = {
            "messagesAdded": "messageAdded",
            "messagesDeleted": "messageDeleted",
            "labelsAdded": "labelAdded",
            "labelsRemoved": "labelRemoved",
        }
        label = params.get("labelId")
        after = start
        token = params.get("pageToken")
        if token:
            after = max(after, _decode_token(token)[0])
        found: list[dict[str, Any]] = []
        for record in account.history:
            if record["id"] <= after:
                continue
            out: dict[str, Any] = {"id": str(record["id"])}
            for field_name, kind in kinds.items():
                entries = [
                    e
                    for e in record.get(field_name, [])
                    if kind in wanted and (label is None or label in e["message"].get("labelIds", []))
                ]
                if entries:
                    out[field_name] = entries
            if len(out) > 1:
                out["messages"] = [e["message"] for k in kinds if k in out for e in out[k]]
                found.append(out)
        page = found[:limit]
        result: dict[str, Any] = {"historyId": str(account.history_id)}
        if page:
            result["history"] = page
        if len(found) > limit:
            result["nextPageToken"] = _encode_token(int(page[-1]["id"]), "h")
        return result

    def _messages_list(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        found = account.search(
            params.get("q", ""), params.get("labelIds", []), bool(params.get("includeSpamTrash", False))
        )
        return self._page(
            found,
            params,
            key=lambda s: (s.millis, s.id),
            item=lambda s: {"id": s.id, "threadId": s.message.thread_id},
            name="messages",
        )

    @staticmethod
    def _page(
        found: list[Any],
        params: Mapping[str, Any],
        *,
        key: Callable[[Any], tuple[int, str]],
        item: Callable[[Any], dict[str, Any]],
        name: str,
    ) -> dict[str, Any]:
        total = len(found)
        limit = min(int(params.get("maxResults", 100)), MAX_RESULTS)
        if limit < 1:
            raise GmailError(400, "maxResults must be positive", "invalidArgument")
        token = params.get("pageToken")
        if token:
            cursor = _decode_token(token)
            found = [f for f in found if key(f) < cursor]
        page = found[:limit]
        result: dict[str, Any] = {"resultSizeEstimate": total}
        if page:
            result[name] = [item(f) for f in page]
        if len(found) > limit:
            millis, item_id = key(page[-1])
            result["nextPageToken"] = _encode_token(millis, item_id)
        return result

    def _messages_get(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        stored = account.get(params["id"])
        return account.resource(stored, params.get("format", "full"), params.get("metadataHeaders", []))

    def _raw_of(self, resource: Mapping[str, Any] | None, upload: bytes | None) -> bytes:
        if upload is not None:
            return upload
        raw = (resource or {}).get("raw")
        if not raw:
            raise GmailError(
                400,
                "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
                "invalidArgument",
            )
        return _unb64(str(raw))

    def _messages_send(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        raw = self._raw_of(body, upload)
        parsed = account.parse_outgoing(raw, need_recipients=True)
        thread_id = (body or {}).get("threadId")
        thread = account.require_thread(thread_id) if thread_id else None  # Gmail threads a send only by threadId
        stored = account.store(raw, parsed, {SENT}, account.now_millis(), thread)
        return {"id": stored.id, "threadId": stored.message.thread_id, "labelIds": sorted(stored.message.label_ids)}

    def _messages_insert(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        raw = self._raw_of(body, upload)
        labels = list((body or {}).get("labelIds", []))
        account.check_labels(labels)
        parsed = parse_mime(raw)
        when = account.now_millis()
        if params.get("internalDateSource") == "dateHeader" and parsed.date is not None:
            when = to_millis(parsed.date)
        thread_id = (body or {}).get("threadId")
        thread = account.require_thread(thread_id) if thread_id else account.thread_of(parsed)
        stored = account.store(raw, parsed, set(labels), when, thread)
        return {"id": stored.id, "threadId": stored.message.thread_id, "labelIds": sorted(stored.message.label_ids)}

    @staticmethod
    def _label_change(account: FakeAccount, body: Mapping[str, Any]) -> tuple[set[str], set[str]]:
        add, remove = set(body.get("addLabelIds", [])), set(body.get("removeLabelIds", []))
        account.check_labels(add | remove)
        for label in (add | remove) & IMMUTABLE:
            raise GmailError(400, f"Invalid label: {label}", "invalidArgument")
        if add & remove:
            raise GmailError(400, "A label cannot be both added and removed", "invalidArgument")
        return add, remove

    def _messages_modify(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        stored = account.get(params["id"])
        add, remove = self._label_change(account, body or {})
        account.relabel(stored, (stored.message.label_ids | add) - remove)
        return account.resource(stored, "minimal")

    def _messages_batch_modify(
        self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None
    ) -> Any:
        ids = list((body or {}).get("ids", []))
        if len(ids) > 1000:
            raise GmailError(400, "Too many ids: at most 1000 per request", "invalidArgument")
        add, remove = self._label_change(account, body or {})
        for message_id in ids:
            if not _ID_RE.match(message_id):
                raise GmailError(400, "Invalid id value", "invalidArgument")
        for message_id in ids:  # like Gmail, ids that do not exist are skipped
            stored = account.messages.get(message_id)
            if stored is not None:
                account.relabel(stored, (stored.message.label_ids | add) - remove)
        return None

    def _threads_get(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        thread_id = account.require_thread(params["id"])
        members = sorted((account.messages[i] for i in account.threads[thread_id]), key=lambda s: (s.millis, s.id))
        fmt = params.get("format", "full")
        return {
            "id": thread_id,
            "historyId": str(max(s.history_id for s in members)),
            "messages": [account.resource(s, fmt, params.get("metadataHeaders", [])) for s in members],
        }

    @staticmethod
    def _label_resource(account: FakeAccount, label_id: str, *, counts: bool) -> dict[str, Any]:
        if label_id in SYSTEM_LABEL_IDS:
            result: dict[str, Any] = {"id": label_id, "name": label_id, "type": "system"}
        else:
            result = {
                "id": label_id,
                "name": account.labels[label_id],
                "messageListVisibility": "show",
                "labelListVisibility": "labelShow",
                "type": "user",
            }
        if counts:
            members = [s for s in account.messages.values() if label_id in s.message.label_ids]
            unread = [s for s in members if UNREAD in s.message.label_ids]
            result.update(
                messagesTotal=len(members),
                messagesUnread=len(unread),
                threadsTotal=len({s.message.thread_id for s in members}),
                threadsUnread=len({s.message.thread_id for s in unread}),
            )
        return result

    def _labels_list(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        ids = [*SYSTEM_LABEL_IDS, *account.labels]
        return {"labels": [self._label_resource(account, i, counts=False) for i in ids]}

    def _labels_get(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        if not account.label_exists(params["id"]):
            raise _not_found()
        return self._label_resource(account, params["id"], counts=True)

    def _labels_create(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        name = str((body or {}).get("name", "")).strip()
        if not name:
            raise GmailError(400, "Invalid label name", "invalidArgument")
        return self._label_resource(account, account.create_label(name), counts=False)

    def _draft(self, account: FakeAccount, draft_id: str) -> _Stored:
        message_id = account.drafts.get(draft_id)
        if message_id is None:
            raise _not_found()
        return account.messages[message_id]

    def _draft_resource(self, account: FakeAccount, draft_id: str, fmt: str) -> dict[str, Any]:
        return {"id": draft_id, "message": account.resource(self._draft(account, draft_id), fmt)}

    def _drafts_create(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        message = (body or {}).get("message") or {}
        raw = self._raw_of(message, upload)
        parsed = account.parse_outgoing(raw, need_recipients=False)
        thread_id = message.get("threadId")
        thread = account.require_thread(thread_id) if thread_id else None
        stored = account.store(raw, parsed, {DRAFT}, account.now_millis(), thread)
        account.counter += 1
        draft_id = f"r{account.counter:019d}"
        account.drafts[draft_id] = stored.id
        return {"id": draft_id, "message": {"id": stored.id, "threadId": stored.message.thread_id, "labelIds": [DRAFT]}}

    def _drafts_update(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        draft_id = params["id"]
        old = self._draft(account, draft_id)
        message = (body or {}).get("message") or {}
        raw = self._raw_of(message, upload)
        parsed = account.parse_outgoing(raw, need_recipients=False)
        thread_id = message.get("threadId")
        thread = account.require_thread(thread_id) if thread_id else old.message.thread_id
        labels = set(old.message.label_ids) | {DRAFT}
        account.remove(old.id)
        stored = account.store(raw, parsed, labels, account.now_millis(), thread)
        account.drafts[draft_id] = stored.id
        return {
            "id": draft_id,
            "message": {"id": stored.id, "threadId": stored.message.thread_id, "labelIds": sorted(labels)},
        }

    def _drafts_get(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        return self._draft_resource(account, params["id"], params.get("format", "full"))

    def _drafts_list(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        query = params.get("q", "")
        matching = {s.id for s in account.search(query, [], bool(params.get("includeSpamTrash", False)))}
        drafts = [(d, account.messages[m]) for d, m in account.drafts.items() if m in matching]
        drafts.sort(key=lambda pair: (pair[1].millis, pair[1].id), reverse=True)
        return self._page(
            drafts,
            params,
            key=lambda pair: (pair[1].millis, pair[1].id),
            item=lambda pair: {"id": pair[0], "message": {"id": pair[1].id, "threadId": pair[1].message.thread_id}},
            name="drafts",
        )

    def _drafts_delete(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        stored = self._draft(account, params["id"])
        del account.drafts[params["id"]]
        account.remove(stored.id)
        return None

    def _drafts_send(self, account: FakeAccount, params: dict[str, Any], body: Any, upload: bytes | None) -> Any:
        draft_id = str((body or {}).get("id", ""))
        stored = self._draft(account, draft_id)
        account.parse_outgoing(stored.raw, need_recipients=True)
        del account.drafts[draft_id]
        # Gmail sends the draft's message as it is: same id, SENT instead of DRAFT, received now
        account.remove(stored.id)
        labels = (set(stored.message.label_ids) - {DRAFT}) | {SENT}
        sent = account.store(
            stored.raw, stored.parsed, labels, account.now_millis(), stored.message.thread_id, stored.id
        )
        return {"id": sent.id, "threadId": sent.message.thread_id, "labelIds": sorted(labels)}


def pubsub_envelope(address: str, history_id: int | str, *, message_id: str | None = None) -> dict[str, Any]:
    """The JSON body Pub/Sub POSTs to a push endpoint for a Gmail notification."""
    data = json.dumps({"emailAddress": address, "historyId": int(history_id)}).encode()
    return {
        "message": {
            "data": base64.b64encode(data).decode("ascii"),
            "messageId": message_id or str(uuid.uuid4().int)[:16],
            "publishTime": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        },
        "subscription": "projects/mailagent-test/subscriptions/gmail-push",
    }


def _split_related(content_type: str, body: bytes) -> tuple[str, bytes]:
    """(JSON metadata, media bytes) of a multipart/related upload, bytes kept exactly."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match or not content_type.lower().startswith("multipart/related"):
        raise GmailError(400, "Upload must be multipart/related", "invalidArgument")
    delimiter = re.compile(rb"(?:\r?\n)?--" + re.escape(match.group(1).encode()) + rb"(?:--)?[ \t]*\r?\n?")
    parts = [p for p in delimiter.split(body) if p.strip()]
    if len(parts) != 2:
        raise GmailError(400, "Upload must have a metadata part and a media part", "invalidArgument")
    contents = []
    for part in parts:
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep or b"\n\n" in head:
            head, sep, content = part.partition(b"\n\n")
        contents.append(content)
    return contents[0].decode("utf-8"), contents[1]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeGmailServer) -> None:
        self.fake = fake
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.fake.handle(self.command, self.path, headers, body)
        if reply.delay:
            time.sleep(reply.delay)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status, _REASON_PHRASE.get(reply.status))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


# ---------------------------------------------------------------- a TokenSource for the fake


class FakeTokenSource:
    """The adapter's TokenSource for a fake account, in process: `refresh()` rotates the account's token."""

    def __init__(self, account: FakeAccount) -> None:
        self.account = account
        self.refreshes = 0

    def access_token(self) -> str:
        return self.account.access_token

    def refresh(self) -> str:
        self.refreshes += 1
        return self.account.rotate_token()
