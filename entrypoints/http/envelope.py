"""The one response envelope: {"data": ..., "error": ..., "meta": {...}} for success and failure alike."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class Meta(BaseModel):
    request_id: str | None = None
    total: int | None = None
    offset: int | None = None
    limit: int | None = None
    next_page_token: str | None = None
    degraded: bool | None = None  # true: a dependency is down and this is a fallback answer (see notice)
    notice: str | None = None  # for a person: what is degraded and since when


class ErrorBody(BaseModel):
    code: str = Field(examples=["validation_failed"])
    message: str = Field(examples=["The request is not valid."])
    details: list[dict[str, Any]] = Field(default_factory=list)


class Envelope(BaseModel, Generic[T]):
    data: T | None
    error: ErrorBody | None = None
    meta: Meta


class ErrorEnvelope(BaseModel):
    data: None = None
    error: ErrorBody
    meta: Meta


_ENVELOPES: dict[type, Any] = {}  # Envelope[X] per model class: pydantic's own lookup costs more per request


def ok(data: T, **meta: Any) -> Envelope[T]:
    # Parametrised with the model's own class, the envelope is an instance of the route's response model
    # (Envelope[MeOut] ...), which FastAPI then serialises without validating it all over again.
    if isinstance(data, BaseModel):
        kind = type(data)
        model = _ENVELOPES.get(kind)
        if model is None:
            model = _ENVELOPES.setdefault(kind, Envelope[kind])  # type: ignore[valid-type]
    else:
        model = Envelope[T]  # type: ignore[misc]
    return model(data=data, error=None, meta=Meta(request_id=request_id_var.get(), **meta))  # type: ignore[no-any-return]


def error_body(code: str, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "data": None,
        "error": {"code": code, "message": message, "details": details or []},
        "meta": {"request_id": request_id_var.get()},
    }
