"""GooglePeopleContacts: the Contacts port over the People API v1 — saved contacts (people.connections.list) and
"other contacts" (otherContacts.list: people the user wrote to), read page by page and searched with the port's
own rule (domain.contacts), so a Google address book answers a search exactly as the demo one does. The application
caches an account's contacts for an hour (ContactBook), so a search does not list them from Google each time."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any

from adapters.google_api.caller import GoogleCaller, Op, offline_service
from adapters.google_api.transport import CallFailure, TokenSource
from application.calendar_book import BookContacts
from domain.contacts import Contact
from domain.errors import NotFound, ReauthRequired

logger = logging.getLogger(__name__)

PEOPLE_ROOT_URL = "https://people.googleapis.com/"
DOCUMENT = "people.v1"
PERSON_FIELDS = "names,emailAddresses,organizations,phoneNumbers,photos"
OTHER_FIELDS = "names,emailAddresses,phoneNumbers,photos"
PAGE_SIZE = 1000  # the maximum of both listings
REAUTH = (
    "This Google account was connected without access to contacts. Reconnect to allow calendar access and "
    "contacts: connect it again with Reconnect on the Contacts page, or Connect Gmail in Settings → Mail accounts."
)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_NO_CONTACT = "No contact with that id."


def _first(items: Any, key: str) -> str:
    for item in items or ():
        if isinstance(item, Mapping) and item.get(key):
            return str(item[key])
    return ""


def contact_from_person(person: Mapping[str, Any], *, other: bool) -> Contact | None:
    """A People `Person` as a Contact (None for an entry with neither a name nor an address)."""
    resource = str(person.get("resourceName") or "")
    local = resource.split("/", 1)[-1]
    emails = tuple(str(e["value"]) for e in person.get("emailAddresses") or () if e.get("value") and "@" in e["value"])
    name = _first(person.get("names"), "displayName")
    if not local or (not emails and not name.strip()):
        return None
    organisations = person.get("organizations") or ()
    return Contact(
        id=local,
        name=name,
        emails=emails,
        organisation=_first(organisations, "name"),
        title=_first(organisations, "title"),
        phones=tuple(str(p["value"]) for p in person.get("phoneNumbers") or () if p.get("value")),
        photo_url=_first(person.get("photos"), "url") or None,
        other=other,
    )


class GooglePeopleContacts(BookContacts):
    """One account's Google contacts through `tokens`; `root_url` points every request elsewhere (a local fake)."""

    def __init__(self, tokens: TokenSource, *, root_url: str = PEOPLE_ROOT_URL, **caller_options: Any) -> None:
        service = offline_service(DOCUMENT, root_url)
        self._people = service.people()
        self._connections = self._people.connections()
        self._other = service.otherContacts()
        self.caller = GoogleCaller(
            tokens, service="people", label="Google Contacts", reauth_message=REAUTH, **caller_options
        )

    def close(self) -> None:
        self.caller.close()

    def _pages(self, make: Any, key: str, op: Op, *, optional: bool = False) -> Iterator[Mapping[str, Any]]:
        token: str | None = None
        while True:
            request = make(**({"pageToken": token} if token else {}))
            if optional:
                outcome = self.caller.call(request)
                if isinstance(outcome, CallFailure):
                    error = self.caller.error(outcome, op)
                    if isinstance(error, ReauthRequired) and outcome.status == 403:
                        # connected before "other contacts" was asked for: saved contacts still work
                        logger.info("people: other contacts not granted; listing saved contacts only")
                        return
                    raise error
                page = outcome
            else:
                page = self.caller.execute(request, op)
            yield from page.get(key) or ()
            token = page.get("nextPageToken")
            if not token:
                return

    def _all(self) -> list[Contact]:
        op = Op("read your contacts")
        saved = self._pages(
            lambda **kw: self._connections.list(
                resourceName="people/me", personFields=PERSON_FIELDS, pageSize=PAGE_SIZE, **kw
            ),
            "connections",
            op,
        )
        others = self._pages(
            lambda **kw: self._other.list(readMask=OTHER_FIELDS, pageSize=PAGE_SIZE, **kw),
            "otherContacts",
            op,
            optional=True,
        )
        found = [contact_from_person(p, other=False) for p in saved]
        found += [contact_from_person(p, other=True) for p in others]
        return [c for c in found if c is not None]

    def get(self, contact_id: str) -> Contact:
        if _ID.match(contact_id):
            try:
                person = self.caller.execute(
                    self._people.get(resourceName=f"people/{contact_id}", personFields=PERSON_FIELDS),
                    Op("read your contacts", _NO_CONTACT),
                )
            except NotFound:
                pass  # an "other contact" has no people/ entry (and no get of its own): found in the listing
            else:
                contact = contact_from_person(person, other=False)
                if contact is not None:
                    return contact
        return super().get(contact_id)
