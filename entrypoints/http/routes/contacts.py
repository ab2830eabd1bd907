"""Contacts API: recipient suggestions for the compose form's autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from application.use_cases.contacts.search_contacts import SearchContactsInput
from application.use_cases.mail.suggest_recipients import (
    MAX_LIMIT,
    MAX_QUERY,
    RecipientSuggestion,
    SuggestRecipientsInput,
)
from domain.contacts import Contact
from entrypoints.http.deps import ContainerDep, OneAccountQ, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import MAIL

router = APIRouter(prefix="/contacts", tags=["contacts"], responses=MAIL)


class RecipientSuggestionOut(BaseModel):
    name: str = Field(description="A saved contact's name, else the most recent display name seen (may be empty)")
    address: str
    count: int = Field(
        description="Recent messages this address is on (from, to or cc); 0 for a contact not seen in mail"
    )
    in_contacts: bool = Field(description="The address is in your address book (a saved or an 'other' contact)")

    @classmethod
    def of(cls, s: RecipientSuggestion) -> RecipientSuggestionOut:
        return cls(name=s.name, address=s.address, count=s.count, in_contacts=s.in_contacts)


@router.get("/suggestions", response_model=Envelope[list[RecipientSuggestionOut]])
def suggestions(
    principal: PrincipalDep,
    container: ContainerDep,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="What was typed: matches names and addresses")] = "",
    account: OneAccountQ = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> Envelope[list[RecipientSuggestionOut]]:
    """People from your address book and your recent mail (you excluded), one per address, whose name or address
    matches `q`: prefix matches first, then the ones you exchange mail with most (a saved contact counts as five
    messages, an "other" contact as two), then the most recent. A contact's saved name is the one shown. When the
    address book cannot be read (an account to reconnect for contacts) the suggestions come from mail alone.
    Needs the `mail:read` scope."""
    found = container.suggest_recipients().execute(SuggestRecipientsInput(principal, q, account, limit))
    return ok([RecipientSuggestionOut.of(s) for s in found])


class ContactOut(BaseModel):
    id: str
    name: str
    emails: list[str]
    organisation: str
    title: str
    phones: list[str]
    photo_url: str | None
    other: bool = Field(description="Someone you have written to, not a saved contact")

    @classmethod
    def of(cls, c: Contact) -> ContactOut:
        return cls(**c.to_dict())


@router.get("/search", response_model=Envelope[list[ContactOut]])
def search(
    principal: PrincipalDep,
    container: ContainerDep,
    q: Annotated[str, Query(max_length=200, description="Name, address or organisation words")] = "",
    account: OneAccountQ = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Envelope[list[ContactOut]]:
    """Your address book (saved and other contacts) matching every word of `q`, case- and accent-insensitive,
    best match first; an empty `q` lists them. Cached per account for an hour."""
    found = container.search_contacts().execute(SearchContactsInput(principal, q, limit, account))
    return ok([ContactOut.of(c) for c in found])


@router.get("/{contact_id}", response_model=Envelope[ContactOut])
def get_contact(
    contact_id: str,
    principal: PrincipalDep,
    container: ContainerDep,
    account: OneAccountQ = None,
) -> Envelope[ContactOut]:
    return ok(ContactOut.of(container.get_contact().execute(principal, contact_id, account)))
