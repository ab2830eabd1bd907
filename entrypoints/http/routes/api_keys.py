"""API keys: create (shown once), list, revoke — always the caller's own."""

from __future__ import annotations

from fastapi import APIRouter, status

from application.use_cases.create_api_key import CreateApiKeyInput
from application.use_cases.list_api_keys import ListApiKeysInput
from application.use_cases.revoke_api_key import RevokeApiKeyInput
from entrypoints.http.deps import AuditContextDep, ContainerDep, PrincipalDep
from entrypoints.http.envelope import Envelope, ok
from entrypoints.http.schemas import ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut

router = APIRouter(prefix="/api-keys", tags=["api-keys"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=Envelope[ApiKeyCreatedOut])
def create(
    body: ApiKeyIn, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep
) -> Envelope[ApiKeyCreatedOut]:
    """Create a key. The full key is in this answer only; afterwards only its prefix is shown."""
    created = container.create_api_key().execute(
        CreateApiKeyInput(principal, body.name, frozenset(body.scopes), body.expires_in_days, ctx)
    )
    return ok(ApiKeyCreatedOut(**ApiKeyOut.of(created.key).model_dump(), key=created.secret))


@router.get("", response_model=Envelope[list[ApiKeyOut]])
def list_keys(principal: PrincipalDep, container: ContainerDep) -> Envelope[list[ApiKeyOut]]:
    """Your keys, newest first (revoked ones included, marked)."""
    return ok([ApiKeyOut.of(k) for k in container.list_api_keys().execute(ListApiKeysInput(principal))])


@router.delete("/{key_id}", response_model=Envelope[ApiKeyOut])
def revoke(key_id: str, principal: PrincipalDep, container: ContainerDep, ctx: AuditContextDep) -> Envelope[ApiKeyOut]:
    """Revoke a key: it stops working at once."""
    return ok(ApiKeyOut.of(container.revoke_api_key().execute(RevokeApiKeyInput(principal, key_id, ctx))))
