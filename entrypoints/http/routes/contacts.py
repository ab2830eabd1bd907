"""Contacts API: recipient suggestions for the compose form's autocomplete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from application.use_cases.mail.suggest_recipients import (
    MAX_LIMIT,
    MAX_QUERY,
    RecipientSuggestion,
    SuggestRecipientsInput,
)
from entrypoints.http.deps import ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.openapi_contract import MAIL

router = APIRouter(prefix="/contacts", tags=["contacts"], responses=MAIL)


class RecipientSuggestionOut(BaseModel):
    name: str = Field(description="The most recent display name seen for the address (may be empty)")
    address: str
    count: int = Field(description="Recent messages this address is on (from, to or cc)")

    @classmethod
    def of(cls, s: RecipientSuggestion) -> RecipientSuggestionOut:
        return cls(name=s.name, address=s.address, count=s.count)


@router.get("/suggestions", response_model=Envelope[list[RecipientSuggestionOut]])
def suggestions(
    principal: PrincipalDep,
    container: ContainerDep,
    q: Annotated[str, Query(max_length=MAX_QUERY, description="What was typed: matches names and addresses")] = "",
    account: Annotated[str | None, Query(description="Mail account id (default: your first)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
) -> Envelope[list[RecipientSuggestionOut]]:
    """People from your recent mail (you excluded) whose name or address matches `q`: prefix matches first, then
    the ones you exchange mail with most, then the most recent. Needs the `mail:read` scope."""
    found = container.suggest_recipients().execute(SuggestRecipientsInput(principal, q, account, limit))
    return ok([RecipientSuggestionOut.of(s) for s in found])
