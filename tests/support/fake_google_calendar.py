"""A local Google Calendar v3 + People v1 server for tests: real HTTP on 127.0.0.1, shaped by the wheel's
`calendar.v3.json` and `people.v1.json` discovery documents, as the Gmail fake is by gmail.v1.json.

* Routes, parameters, scopes and bodies come from the documents: every JSON body received and sent is validated
  against the document's schemas (closed objects, the method's required fields); a mismatch is answered with an
  error and recorded in `server.drift` (tests assert it stays empty).
* Accounts, tokens and scopes are the Gmail fake's (`FakeGmailServer`): one Google grant works for Gmail,
  Calendar and People, and a grant without the calendar or contacts scopes gets Google's 403
  insufficientPermissions. Faults are injected the same way (`server.inject(Fault(method="calendar.events.insert"))`).
* Calendar semantics: events.list (timeMin/timeMax, singleEvents expansion with `<series>_<UTC start>` instance ids,
  orderBy, q, iCalUID, pages), get (series, instance, cancelled → status cancelled), insert/update/patch
  (organizer = the account, sendUpdates recorded in `sent_updates`), delete (an instance id cancels that instance;
  deleting twice → 410), import (matched by iCalUID), freebusy.query (the account's own calendar; others → notFound),
  calendars.get, calendarList.list. Recurrence is expanded with domain.calendar (RFC 5545 on the zone's wall clock,
  as Google does).
* People: people.connections.list, people.get, otherContacts.list (needs contacts.other.readonly), with pages.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import googleapiclient

from domain.calendar import Attendee as DomainAttendee
from domain.calendar import CalendarEvent, EventStatus, Interval, expand, local_midnight, matches, merge_busy, zone
from domain.calendar import ResponseStatus as DomainResponse
from tests.support.fake_gmail import (
    Call,
    FakeAccount,
    FakeGmailServer,
    Fault,
    GmailError,
    SchemaBook,
    _Handler,
    _Reply,
)

DOCUMENTS = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents")
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts"
OTHER_CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.other.readonly"
WORKSPACE_SCOPES = frozenset({CALENDAR_SCOPE, CONTACTS_SCOPE, OTHER_CONTACTS_SCOPE})
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


def _load(name: str) -> dict[str, Any]:
    with open(os.path.join(DOCUMENTS, f"{name}.json"), encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


@dataclass(frozen=True)
class _Route:
    api: str
    method_id: str
    http_method: str
    pattern: re.Pattern[str]
    description: Mapping[str, Any]
    specificity: tuple[int, int, int]


def _routes(api: str, document: Mapping[str, Any]) -> list[_Route]:
    prefix = "/" + str(document.get("servicePath", ""))
    found: list[_Route] = []

    def visit(resource: Mapping[str, Any]) -> None:
        for method in resource.get("methods", {}).values():
            path = prefix + str(method["path"])
            reserved = path.count("{+")
            regex = re.escape(path)
            params = method.get("parameters", {})

            def reserved_group(
                found: re.Match[str], params: Mapping[str, Any] = params
            ) -> str:  # {+name}: may hold slashes, shaped by its pattern
                name = found.group(1)
                shape = str(params.get(name, {}).get("pattern") or "^.+$").removeprefix("^").removesuffix("$")
                return f"(?P<{name}>{shape})"

            regex = re.sub(r"\\\{\\\+([A-Za-z_]+)\\\}", reserved_group, regex)
            regex = re.sub(r"\\\{([A-Za-z_]+)\\\}", r"(?P<\1>[^/]+)", regex)
            literal = len(re.sub(r"\{[^}]*\}", "", path))
            found.append(
                _Route(
                    api,
                    method["id"],
                    method["httpMethod"],
                    re.compile(f"^{regex}$"),
                    method,
                    (reserved, path.count("{"), -literal),
                )
            )
        for child in resource.get("resources", {}).values():
            visit(child)

    visit(document)
    return found


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _parse_instant(text: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise GmailError(400, f"Bad Request: invalid {name}", "badRequest") from None
    if value.tzinfo is None:
        raise GmailError(400, f"Bad Request: {name} needs an offset", "badRequest")
    return value


def _when(raw: Mapping[str, Any], fallback: str) -> tuple[datetime, str, bool]:
    name = str(raw.get("timeZone") or fallback)
    tz = zone(name)
    if raw.get("date"):
        return local_midnight(date.fromisoformat(str(raw["date"])), tz), name, True
    if not raw.get("dateTime"):
        raise GmailError(400, "Missing time", "required")
    return datetime.fromisoformat(str(raw["dateTime"])).astimezone(tz), name, False


@dataclass
class _Calendar:
    """One account's primary calendar: Event resources by id, and the instances cancelled per series."""

    timezone: str = "UTC"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancelled_instances: dict[str, set[str]] = field(default_factory=dict)
    contacts: list[dict[str, Any]] = field(default_factory=list)  # People Person resources
    other_contacts: list[dict[str, Any]] = field(default_factory=list)
    # the change feed: (sequence, event or instance id) per change; a sync token "st-N" means "seen up to N"
    log: list[tuple[int, str]] = field(default_factory=list)
    seq: int = 0
    sync_floor: int = 0  # tokens older than this get 410 fullSyncRequired
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # push channels by id


@dataclass(frozen=True)
class SentUpdate:
    method: str
    event_id: str
    send_updates: str
    guests: tuple[str, ...]


class FakeGoogleWorkspace:
    """`with FakeGoogleWorkspace(gmail) as apis:` — `apis.url` is the root URL for GoogleCalendar and
    GooglePeopleContacts. Accounts are `gmail`'s; give them `WORKSPACE_SCOPES` to allow calendar and contacts."""

    def __init__(self, gmail: FakeGmailServer, host: str = "127.0.0.1", clock: Any = None) -> None:
        self.gmail = gmail
        self.clock = clock or (lambda: datetime.now(UTC))
        self.documents = {"calendar": _load("calendar.v3"), "people": _load("people.v1")}
        self.schemas = {api: SchemaBook(doc) for api, doc in self.documents.items()}
        self.routes = sorted(
            [r for api, doc in self.documents.items() for r in _routes(api, doc)], key=lambda r: r.specificity
        )
        self.drift: list[str] = []
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.sent_updates: list[SentUpdate] = []
        self._state: dict[str, _Calendar] = {}
        self._lock = threading.RLock()
        self._httpd = _Server(("127.0.0.1" if host == "127.0.0.1" else host, 0), _Handler, self)
        self._thread: threading.Thread | None = None
        self._handlers = {
            "calendar.calendars.get": self._calendars_get,
            "calendar.calendarList.list": self._calendar_list,
            "calendar.events.list": self._events_list,
            "calendar.events.get": self._events_get,
            "calendar.events.insert": self._events_insert,
            "calendar.events.update": self._events_update,
            "calendar.events.patch": self._events_patch,
            "calendar.events.delete": self._events_delete,
            "calendar.events.import": self._events_import,
            "calendar.freebusy.query": self._freebusy,
            "calendar.events.watch": self._events_watch,
            "calendar.channels.stop": self._channels_stop,
            "people.people.connections.list": self._connections,
            "people.people.get": self._people_get,
            "people.otherContacts.list": self._other_contacts,
        }

    # ------------------------------------------------------------ lifecycle and test hooks

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/"

    def __enter__(self) -> FakeGoogleWorkspace:
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-google-apis", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def state(self, account: FakeAccount | str) -> _Calendar:
        address = account if isinstance(account, str) else account.address
        with self._lock:
            return self._state.setdefault(address.lower(), _Calendar())

    def forget(self, address: str) -> None:
        """Drop an address's calendar and contacts (a fresh account with the same address)."""
        with self._lock:
            self._state.pop(address.lower(), None)

    def set_timezone(self, account: FakeAccount, timezone: str) -> None:
        self.state(account).timezone = timezone

    def add_event(self, account: FakeAccount, resource: Mapping[str, Any]) -> dict[str, Any]:
        """Put an event on the account's calendar as Google would store it (e.g. an invitation from someone else)."""
        with self._lock:
            event_id = resource.get("id")
            return self._store(
                self.state(account),
                account.address,
                dict(resource),
                organizer=None,
                event_id=event_id and str(event_id),
            )

    def add_contact(
        self,
        account: FakeAccount,
        name: str,
        email: str,
        organisation: str = "",
        *,
        other: bool = False,
        contact_id: str | None = None,
    ) -> str:
        with self._lock:
            book = self.state(account)
            kind = "otherContacts" if other else "people"
            resource = f"{kind}/{contact_id or f'c{uuid.uuid4().int % 10**18}'}"
            person: dict[str, Any] = {"resourceName": resource, "etag": "%EgU=", "emailAddresses": [{"value": email}]}
            if name:
                person["names"] = [{"displayName": name}]
            if organisation and not other:
                person["organizations"] = [{"name": organisation}]
            (book.other_contacts if other else book.contacts).append(person)
            return resource

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def count(self, method: str, *, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for c in self.calls
                if (c.method == method or c.method.endswith("." + method)) and (status is None or c.status == status)
            )

    # ------------------------------------------------------------ HTTP entry

    def handle(self, http_method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        parts = urlsplit(target)
        route, path_params = None, {}
        for candidate in self.routes:
            if candidate.http_method == http_method:
                match = candidate.pattern.match(parts.path)
                if match:
                    route, path_params = candidate, {k: unquote(v) for k, v in match.groupdict().items()}
                    break
        if route is None:
            self.drift.append(f"no route for {http_method} {parts.path}")
            return _Reply.error(GmailError(404, f"No such method: {http_method} {parts.path}", "notFound"))
        account = self.gmail._authenticate(headers.get("authorization"))
        if account is None:
            self._log(route.method_id, http_method, parts.path, 401, None)
            return _Reply.error(GmailError(401, "Request had invalid authentication credentials.", "authError"))
        fault = self._take_fault(route.method_id)
        if fault is not None and fault.replaces_answer and not fault.after:
            reply = fault.reply()
        else:
            reply = self._run(route, account, path_params, parts.query, body)
            if fault is not None and fault.replaces_answer:
                reply = fault.reply()
        if fault is not None:
            reply.delay = fault.delay
        self._log(route.method_id, http_method, parts.path, reply.status, account.address)
        return reply

    def _log(self, method: str, http_method: str, path: str, status: int, who: str | None) -> None:
        with self._lock:
            self.calls.append(Call(method, http_method, path, status, False, who))

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.method in (None, method):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _run(self, route: _Route, account: FakeAccount, path_params: dict[str, str], query: str, body: bytes) -> _Reply:
        schemas = self.schemas[route.api]
        try:
            allowed = set(route.description.get("scopes", []))
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
                        }
                    ],
                )
            params = self._parameters(route, path_params, query)
            resource: Any = None
            if body:
                try:
                    resource = json.loads(body)
                except ValueError:
                    raise GmailError(400, "Invalid JSON payload received.", "parseError") from None
                schema = route.description.get("request", {}).get("$ref")
                if schema is None:
                    raise GmailError(400, f"{route.method_id} takes no request body", "invalidArgument")
                problems = schemas.errors(schema, resource, method_id=route.method_id)
                if problems:
                    self.drift.append(f"{route.method_id} request does not match {schema}: {problems}")
                    raise GmailError(400, f"Invalid JSON payload received. {problems}", "invalidArgument")
            handler = self._handlers.get(route.method_id)
            if handler is None:
                self.drift.append(f"{route.method_id} is not implemented by the fake")
                raise GmailError(501, f"{route.method_id} is not implemented by the fake", "notImplemented")
            with self._lock:
                payload = handler(account, self.state(account), params, resource)
        except GmailError as exc:
            return _Reply.error(exc)
        if payload is None:
            return _Reply(204)
        schema = route.description.get("response", {}).get("$ref")
        problems = schemas.errors(schema, payload) if schema else ["no response schema"]
        if problems:
            self.drift.append(f"{route.method_id} response does not match {schema}: {problems}")
            return _Reply.error(GmailError(500, f"fake drift: {problems}", "backendError"))
        return _Reply.json(200, payload)

    def _parameters(self, route: _Route, path_params: Mapping[str, str], query: str) -> dict[str, Any]:
        document = self.documents[route.api]
        specs: dict[str, Any] = {**document.get("parameters", {}), **route.description.get("parameters", {})}
        values: dict[str, Any] = dict(path_params)
        for name, raw_values in parse_qs(query, keep_blank_values=True).items():
            spec = specs.get(name)
            if spec is None:
                raise GmailError(400, f'Unknown name "{name}": Cannot bind query parameter.', "invalidArgument")
            if name == "fields":
                self.drift.append("the fake does not implement partial responses (fields=)")
                raise GmailError(400, "fields= is not implemented by the fake", "invalidArgument")
            converted = [FakeGmailServer._convert_parameter(name, spec, v) for v in raw_values]
            values[name] = converted if spec.get("repeated") else converted[-1]
        for name, spec in route.description.get("parameters", {}).items():
            if spec.get("required") and name not in values:
                raise GmailError(400, f"Required parameter: {name}", "required")
        return values

    # ------------------------------------------------------------ calendar state

    def _check_calendar(self, account: FakeAccount, params: Mapping[str, Any]) -> None:
        if str(params.get("calendarId", "primary")).lower() not in ("primary", account.address.lower()):
            raise GmailError(404, "Not Found", "notFound")

    def _domain(self, raw: Mapping[str, Any], cal: _Calendar) -> CalendarEvent:
        """Just enough of an Event to expand it (times, zone, recurrence, attendees' answers, transparency)."""
        start, tz, all_day = _when(raw["start"], cal.timezone)
        end, _, _ = _when(raw["end"], tz)
        attendees = tuple(
            DomainAttendee(str(a["email"]), response=DomainResponse(a.get("responseStatus") or "needsAction"))
            for a in raw.get("attendees") or ()
        )
        return CalendarEvent(
            str(raw["id"]),
            "primary",
            "x",
            start,
            end,
            tz,
            all_day=all_day,
            attendees=attendees,
            recurrence=tuple(raw.get("recurrence") or ()),
            busy=raw.get("transparency", "opaque") != "transparent",
        )

    def _instance(self, series: Mapping[str, Any], instance: CalendarEvent, cal: _Calendar) -> dict[str, Any]:
        raw = {k: v for k, v in series.items() if k != "recurrence"}
        tz = instance.timezone

        def when(at: datetime) -> dict[str, str]:
            if instance.all_day:
                return {"date": at.astimezone(zone(tz)).date().isoformat(), "timeZone": tz}
            return {"dateTime": at.astimezone(zone(tz)).isoformat(), "timeZone": tz}

        raw.update(
            id=instance.id,
            start=when(instance.start),
            end=when(instance.end),
            recurringEventId=series["id"],
            originalStartTime=when(instance.start),
        )
        if instance.id in cal.cancelled_instances.get(str(series["id"]), set()):
            raw["status"] = "cancelled"
        return raw

    def _expanded(self, cal: _Calendar, window: Interval) -> list[dict[str, Any]]:
        found: list[tuple[datetime, dict[str, Any]]] = []
        for raw in cal.events.values():
            if raw.get("status") == "cancelled":
                continue
            event = self._domain(raw, cal)
            for instance in expand(event, window):
                if not event.recurring:
                    found.append((instance.start, raw))
                    continue
                item = self._instance(raw, instance, cal)
                if item.get("status") != "cancelled":
                    found.append((instance.start, item))
        return [item for _, item in sorted(found, key=lambda pair: (pair[0], str(pair[1]["id"])))]

    def _find(self, cal: _Calendar, event_id: str) -> dict[str, Any]:
        if event_id in cal.events:
            return cal.events[event_id]
        series_id, _, stamp = event_id.rpartition("_")
        series = cal.events.get(series_id)
        if series is not None and series.get("recurrence") and stamp:
            try:
                start = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            except ValueError:
                raise GmailError(404, "Not Found", "notFound") from None
            probe = Interval(start, start + timedelta(seconds=1))
            for instance in expand(self._domain(series, cal), probe):
                if instance.id == event_id:
                    return self._instance(series, instance, cal)
        raise GmailError(404, "Not Found", "notFound")

    def _store(
        self, cal: _Calendar, address: str, raw: dict[str, Any], *, organizer: str | None, event_id: str | None = None
    ) -> dict[str, Any]:
        now = _stamp(self._tick())
        event_id = event_id or "".join(_BASE32HEX[b % 32] for b in uuid.uuid4().bytes)
        previous = cal.events.get(event_id, {})
        owner = (organizer or (raw.get("organizer") or {}).get("email") or address).lower()
        attendees = []
        for a in raw.get("attendees") or ():
            email = str(a["email"]).lower()
            entry = {k: v for k, v in a.items() if k not in ("self", "organizer")}
            entry["email"] = email
            entry.setdefault("responseStatus", "needsAction")
            if email == owner:
                entry["organizer"] = True
            if email == address.lower():
                entry["self"] = True
            attendees.append(entry)
        stored: dict[str, Any] = {
            **{k: v for k, v in raw.items() if k not in ("id", "organizer", "creator", "attendees")},
            "kind": "calendar#event",
            "etag": f'"{uuid.uuid4().int % 10**16}"',
            "id": event_id,
            "status": raw.get("status") or "confirmed",
            "htmlLink": f"https://www.google.com/calendar/event?eid={event_id}",
            "created": previous.get("created", now),
            "updated": now,
            "iCalUID": raw.get("iCalUID") or previous.get("iCalUID") or f"{event_id}@google.com",
            "organizer": {"email": owner, **({"self": True} if owner == address.lower() else {})},
            "creator": {"email": address.lower(), "self": True},
            "sequence": int(previous.get("sequence", -1)) + 1,
        }
        if attendees:
            stored["attendees"] = attendees
        _when(stored["start"], cal.timezone)
        cal.events[event_id] = stored
        self._changed(cal, event_id)
        return stored

    def _tick(self) -> datetime:
        """Now, but always after the last change's time (Google's `updated` moves on with every change)."""
        now = self.clock()
        last = getattr(self, "_last_change", None)
        if last is not None and now <= last:
            now = last + timedelta(milliseconds=1)
        self._last_change: datetime = now
        return now

    @staticmethod
    def _changed(cal: _Calendar, event_id: str) -> None:
        cal.seq += 1
        cal.log.append((cal.seq, event_id))

    def expire_sync_tokens(self, account: FakeAccount) -> None:
        """Google forgets every sync token issued so far: the next incremental sync gets 410 fullSyncRequired."""
        with self._lock:
            cal = self.state(account)
            cal.sync_floor = cal.seq + 1

    def _record_updates(self, method: str, stored: Mapping[str, Any], params: Mapping[str, Any]) -> None:
        guests = tuple(
            str(a["email"]) for a in stored.get("attendees") or () if not a.get("organizer") and not a.get("self")
        )
        self.sent_updates.append(
            SentUpdate(method, str(stored["id"]), str(params.get("sendUpdates") or "false"), guests)
        )

    # ------------------------------------------------------------ calendar methods

    def _calendars_get(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        return {
            "kind": "calendar#calendar",
            "etag": '"1"',
            "id": account.address,
            "summary": account.address,
            "timeZone": cal.timezone,
        }

    def _calendar_list(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        entry = {
            "kind": "calendar#calendarListEntry",
            "etag": '"1"',
            "id": account.address,
            "summary": account.address,
            "timeZone": cal.timezone,
            "accessRole": "owner",
            "primary": True,
        }
        return {"kind": "calendar#calendarList", "etag": '"1"', "items": [entry]}

    def _events_list(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        if "syncToken" in params:
            return self._incremental(account, cal, params)
        if params.get("orderBy") == "startTime" and not params.get("singleEvents"):
            raise GmailError(400, "The requested ordering is not available for the particular query.", "invalid")
        time_min = (
            _parse_instant(params["timeMin"], "timeMin") if "timeMin" in params else datetime(1970, 1, 1, tzinfo=UTC)
        )
        time_max = (
            _parse_instant(params["timeMax"], "timeMax") if "timeMax" in params else datetime(2100, 1, 1, tzinfo=UTC)
        )
        if time_max <= time_min:
            raise GmailError(400, "Bad Request", "timeRangeEmpty")
        if params.get("iCalUID"):
            items = [e for e in cal.events.values() if e.get("iCalUID") == params["iCalUID"]]
            if not params.get("showDeleted"):
                items = [e for e in items if e.get("status") != "cancelled"]
        elif params.get("singleEvents"):
            items = self._expanded(cal, Interval(time_min, time_max))
        else:
            window = Interval(time_min, time_max)
            items = [
                e
                for e in cal.events.values()
                if e.get("status") != "cancelled"
                and (e.get("recurrence") or self._domain(e, cal).interval.overlaps(window))
            ]
        if params.get("q"):
            items = [e for e in items if matches(_searchable(e), str(params["q"]))]
        size = min(int(params.get("maxResults") or 250), 2500)
        offset = int(params.get("pageToken") or 0) if str(params.get("pageToken") or "0").isdigit() else 0
        page = items[offset : offset + size]
        answer: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": '"1"',
            "summary": account.address,
            "updated": _stamp(self.clock()),
            "timeZone": cal.timezone,
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}],
            "items": page,
        }
        if offset + size < len(items):
            answer["nextPageToken"] = str(offset + size)
        else:
            answer["nextSyncToken"] = f"st-{cal.seq}"
        return answer

    def _incremental(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any]) -> Any:
        clash = {"iCalUID", "orderBy", "q", "timeMin", "timeMax", "updatedMin", "privateExtendedProperty"} & set(params)
        if clash:
            raise GmailError(400, f"syncToken cannot be used with {sorted(clash)}", "invalid")
        token = str(params["syncToken"])
        seen = int(token[3:]) if token.startswith("st-") and token[3:].isdigit() else -1
        if seen < cal.sync_floor or seen > cal.seq:
            raise GmailError(410, "Sync token is no longer valid, a full sync is required.", "fullSyncRequired")
        latest: dict[str, int] = {}
        for number, event_id in cal.log:
            if number > seen:
                latest.pop(event_id, None)
                latest[event_id] = number  # in the order of each id's last change
        items: list[dict[str, Any]] = []
        for event_id in latest:
            found = cal.events.get(event_id)
            if found is None:
                try:
                    found = self._find(cal, event_id)
                except GmailError:
                    continue
            if found.get("status") == "cancelled" and not params.get("showDeleted"):
                continue
            items.append(found)
        size = min(int(params.get("maxResults") or 250), 2500)
        offset = int(params.get("pageToken") or 0) if str(params.get("pageToken") or "0").isdigit() else 0
        answer: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": '"1"',
            "summary": account.address,
            "updated": _stamp(self.clock()),
            "timeZone": cal.timezone,
            "accessRole": "owner",
            "items": items[offset : offset + size],
        }
        if offset + size < len(items):
            answer["nextPageToken"] = str(offset + size)
        else:
            answer["nextSyncToken"] = f"st-{cal.seq}"
        return answer

    def _events_watch(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        if body.get("type") != "web_hook" or not str(body.get("address", "")).startswith("https://"):
            raise GmailError(
                400, "WebHook callback must be HTTPS: " + str(body.get("address")), "push.webhookUrlNotHttps"
            )
        if body["id"] in cal.channels:
            raise GmailError(400, f"Channel id {body['id']} not unique", "channelIdNotUnique")
        channel = {
            "kind": "api#channel",
            "id": body["id"],
            "resourceId": f"res-{uuid.uuid4().hex[:20]}",
            "resourceUri": f"{self.url}calendar/v3/calendars/primary/events",
            "expiration": str(int((self.clock() + timedelta(days=7)).timestamp() * 1000)),
        }
        cal.channels[body["id"]] = {**channel, "token": body.get("token", ""), "address": body["address"]}
        return channel

    def _channels_stop(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        found = cal.channels.get(str(body.get("id")))
        if found is None or found["resourceId"] != body.get("resourceId"):
            raise GmailError(404, f"Channel '{body.get('id')}' not found for project", "notFound")
        del cal.channels[body["id"]]
        return None

    def push_headers(self, account: FakeAccount, channel_id: str, state: str = "exists") -> dict[str, str]:
        """The headers Google's post to a channel's address carries (tests post them to the app)."""
        with self._lock:
            channel = self.state(account).channels[channel_id]
        return {
            "X-Goog-Channel-ID": channel["id"],
            "X-Goog-Channel-Token": channel["token"],
            "X-Goog-Resource-ID": channel["resourceId"],
            "X-Goog-Resource-State": state,
            "X-Goog-Message-Number": "1",
            "X-Goog-Channel-Expiration": "Mon, 14 Dec 2026 08:00:00 GMT",
        }

    def _events_get(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        return self._find(cal, str(params["eventId"]))

    def _events_insert(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        stored = self._store(cal, account.address, dict(body), organizer=account.address)
        self._record_updates("insert", stored, params)
        return stored

    def _owned(self, account: FakeAccount, cal: _Calendar, event_id: str) -> dict[str, Any]:
        if event_id not in cal.events:
            self._find(cal, event_id)  # 404 for an unknown id
            raise GmailError(400, "Instances cannot be changed by this fake; change the series.", "invalid")
        existing = cal.events[event_id]
        if existing.get("status") == "cancelled":
            raise GmailError(410, "Resource has been deleted", "deleted")
        return existing

    def _events_update(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        existing = self._owned(account, cal, str(params["eventId"]))
        if (existing.get("organizer") or {}).get("email") != account.address.lower():
            raise GmailError(403, "You need to have writer access to this calendar.", "requiredAccessLevel")
        stored = self._store(
            cal,
            account.address,
            {**dict(body), "iCalUID": existing["iCalUID"]},
            organizer=account.address,
            event_id=existing["id"],
        )
        self._record_updates("update", stored, params)
        return stored

    def _events_patch(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        existing = self._owned(account, cal, str(params["eventId"]))
        organizer = str((existing.get("organizer") or {}).get("email") or account.address)
        if organizer != account.address.lower():  # an attendee may only change their own answer
            mine = {a["email"]: a for a in existing.get("attendees") or ()}
            theirs = {str(a["email"]).lower(): a for a in (body or {}).get("attendees") or ()}
            changed = [
                e
                for e in set(mine) | set(theirs)
                if e != account.address.lower()
                and mine.get(e, {}).get("responseStatus") != theirs.get(e, {}).get("responseStatus")
            ]
            if set(body or {}) - {"attendees"} or changed or set(mine) != set(theirs):
                raise GmailError(403, "You need to have writer access to this calendar.", "requiredAccessLevel")
        merged = {**existing, **dict(body or {})}
        stored = self._store(cal, account.address, merged, organizer=organizer, event_id=existing["id"])
        self._record_updates("patch", stored, params)
        return stored

    def _events_delete(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        event_id = str(params["eventId"])
        if event_id in cal.events:
            existing = cal.events[event_id]
            if existing.get("status") == "cancelled":
                raise GmailError(410, "Resource has been deleted", "deleted")
            existing["status"] = "cancelled"
            existing["updated"] = _stamp(self._tick())
            self._changed(cal, event_id)
            self._record_updates("delete", existing, params)
            return None
        instance = self._find(cal, event_id)
        if instance.get("status") == "cancelled":
            raise GmailError(410, "Resource has been deleted", "deleted")
        cal.cancelled_instances.setdefault(str(instance["recurringEventId"]), set()).add(event_id)
        self._changed(cal, event_id)
        self._record_updates("delete", instance, params)
        return None

    def _events_import(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        self._check_calendar(account, params)
        same = next((e for e in cal.events.values() if e.get("iCalUID") == body["iCalUID"]), None)
        return self._store(cal, account.address, dict(body), organizer=None, event_id=same["id"] if same else None)

    def _freebusy(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        window = Interval(_parse_instant(body["timeMin"], "timeMin"), _parse_instant(body["timeMax"], "timeMax"))
        calendars: dict[str, Any] = {}
        for item in body.get("items") or ():
            who = str(item["id"])
            if who.lower() not in ("primary", account.address.lower()):
                calendars[who] = {"busy": [], "errors": [{"domain": "global", "reason": "notFound"}]}
                continue
            spans = []
            for raw in self._expanded(cal, window):
                if raw.get("transparency") == "transparent":
                    continue
                mine = next((a for a in raw.get("attendees") or () if a.get("self")), None)
                if mine is not None and mine.get("responseStatus") == "declined":
                    continue
                start, tz, _ = _when(raw["start"], cal.timezone)
                end, _, _ = _when(raw["end"], tz)
                begin, finish = max(start, window.start), min(end, window.end)
                if finish > begin:
                    spans.append(Interval(begin, finish))
            calendars[who] = {"busy": [{"start": _stamp(s.start), "end": _stamp(s.end)} for s in merge_busy(spans)]}
        return {
            "kind": "calendar#freeBusy",
            "timeMin": _stamp(window.start),
            "timeMax": _stamp(window.end),
            "calendars": calendars,
        }

    # ------------------------------------------------------------ people methods

    @staticmethod
    def _page(items: list[dict[str, Any]], params: Mapping[str, Any], key: str, total: str) -> dict[str, Any]:
        size = int(params.get("pageSize") or 100)
        if not 1 <= size <= 1000:
            raise GmailError(400, "pageSize must be 1 to 1000", "invalidArgument")
        offset = int(params["pageToken"]) if str(params.get("pageToken") or "").isdigit() else 0
        answer: dict[str, Any] = {key: items[offset : offset + size], total: len(items)}
        if offset + size < len(items):
            answer["nextPageToken"] = str(offset + size)
        return answer

    def _connections(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        if params.get("resourceName") != "people/me":
            raise GmailError(400, "resourceName must be people/me", "invalidArgument")
        if not params.get("personFields"):
            raise GmailError(400, "personMask is required. Please specify one or more valid paths.", "invalidArgument")
        return self._page(cal.contacts, params, "connections", "totalItems")

    def _other_contacts(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        if not params.get("readMask"):
            raise GmailError(400, "readMask is required", "invalidArgument")
        return self._page(cal.other_contacts, params, "otherContacts", "totalSize")

    def _people_get(self, account: FakeAccount, cal: _Calendar, params: dict[str, Any], body: Any) -> Any:
        if not params.get("personFields"):
            raise GmailError(400, "personMask is required. Please specify one or more valid paths.", "invalidArgument")
        found = next((p for p in cal.contacts if p["resourceName"] == params["resourceName"]), None)
        if found is None:
            raise GmailError(404, "Requested entity was not found.", "notFound")
        return found


def _searchable(raw: Mapping[str, Any]) -> CalendarEvent:
    """An Event as the domain's matcher sees it: what Google's q searches (summary, description, location,
    attendees)."""
    start = datetime(2000, 1, 1, tzinfo=UTC)
    return replace(
        CalendarEvent("q", "primary", str(raw.get("summary") or "-"), start, start, "UTC"),
        description=str(raw.get("description") or ""),
        location=str(raw.get("location") or ""),
        attendees=tuple(
            DomainAttendee(str(a["email"]), str(a.get("displayName") or "")) for a in raw.get("attendees") or ()
        ),
        status=EventStatus.CONFIRMED,
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: Any, fake: FakeGoogleWorkspace) -> None:
        self.fake = fake  # _Handler calls self.server.fake.handle(...)
        super().__init__(address, handler)
