"""GoogleCaller: run one googleapiclient request the way every Google adapter should — the account's token, one
refresh on a 401, backoff with full jitter on rate limits, 5xx and network errors (never re-sending a call whose
outcome is unknown when the caller says so), quota units counted per call, and failures in words a person reads."""

from __future__ import annotations

import copy
import json
import logging
import os
import random as _random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import googleapiclient
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

from adapters.google_api.transport import (
    NETWORK_ERRORS,
    SCOPE_REASONS,
    CallFailure,
    GoogleTransport,
    NoHttp,
    TokenSource,
)
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

logger = logging.getLogger(__name__)


def normalize_root(root_url: str) -> str:
    return root_url if root_url.endswith("/") else root_url + "/"


@lru_cache(maxsize=16)
def _document(name: str, root_url: str) -> dict[str, Any]:
    path = os.path.join(os.path.dirname(googleapiclient.__file__), "discovery_cache", "documents", f"{name}.json")
    with open(path, encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    document["rootUrl"] = root_url
    document["mtlsRootUrl"] = root_url
    document["baseUrl"] = root_url + document.get("servicePath", "")
    document["batchPath"] = document.get("batchPath", "batch")
    return document


def discovery_document(name: str, root_url: str) -> dict[str, Any]:
    """A copy of the wheel's discovery document `name` (e.g. "calendar.v3") whose every URL is under `root_url`."""
    return copy.deepcopy(_document(name, normalize_root(root_url)))


_services: dict[tuple[str, str], Any] = {}
_services_lock = threading.Lock()


def offline_service(name: str, root_url: str) -> Any:
    """The googleapiclient service of `name` built OFFLINE from the wheel's document, for `root_url`. It only builds
    request objects (each call runs on its caller's transport), so one is shared by every adapter instance."""
    key = (name, normalize_root(root_url))
    with _services_lock:
        service = _services.get(key)
        if service is None:
            service = build_from_document(discovery_document(*key), http=NoHttp())
            _services[key] = service
        return service


@dataclass(frozen=True)
class Op:
    """How to word a failure of one call for a person."""

    action: str  # "read your calendar", "change events"...
    not_found: str | None = None


class GoogleCaller:
    """Runs requests of one Google API (`service`: "calendar", "people") for one account.

    Retries: up to `max_attempts` tries with delays `random() * min(max_delay, base_delay * 2**(n-1))` (at least a
    Retry-After the server gave). A call that creates or notifies (`once=True`) gets a fresh connection and is never
    sent again when its outcome is unknown. `quota_units` gives each method's units (default 1); every try counts,
    in `quota_units_used` and through `on_quota`/`on_call`. A missing scope raises ReauthRequired with
    `reauth_message` (the user must reconnect and allow this API)."""

    def __init__(
        self,
        tokens: TokenSource,
        *,
        service: str,
        label: str,
        reauth_message: str,
        quota_units: Mapping[str, int] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 32.0,
        timeout: float = 60.0,
        on_quota: Callable[[int], None] | None = None,
        on_call: Callable[[str, int], None] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.service, self.label, self.reauth_message = service, label, reauth_message
        self._tokens = tokens
        self._units = dict(quota_units or {})
        self._sleep, self._random = sleep, random
        self._max_attempts, self._base_delay, self._max_delay = max_attempts, base_delay, max_delay
        self._on_quota, self._on_call = on_quota, on_call
        self._http = GoogleTransport(tokens, timeout=timeout, reuse=True)
        self._once_http = GoogleTransport(tokens, timeout=timeout, reuse=False)
        self._lock = threading.Lock()
        self._quota_units = 0

    @property
    def quota_units_used(self) -> int:
        with self._lock:
            return self._quota_units

    def close(self) -> None:
        self._http.close()
        self._once_http.close()

    def execute(self, request: Any, op: Op, *, once: bool = False) -> Any:
        """The call's answer (a dict, or None for an empty one); a failure raises a DomainError/InfrastructureError."""
        outcome = self.call(request, once=once)
        if isinstance(outcome, CallFailure):
            if once and outcome.ambiguous:
                raise UpstreamError(
                    f"{self.label} did not confirm it could {op.action}, so it may or may not have; it was not sent "
                    "again (that could notify people twice). Check before trying again.",
                    service=self.service,
                )
            raise self.error(outcome, op)
        return outcome

    def call(self, request: Any, *, once: bool = False) -> Any:
        """The answer, or the last CallFailure. With `once`, an ambiguous failure is returned at once (not resent)."""
        transport = self._once_http if once else self._http
        method = str(request.methodId)
        units = self._units.get(method, 1)
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            self._spend(units, method)
            try:
                return request.execute(http=transport, num_retries=0)
            except HttpError as exc:
                failure = CallFailure.from_http_error(exc)
            except NETWORK_ERRORS as exc:
                failure = CallFailure.network(exc)
            if failure.status == 401 and not refreshed:
                self._tokens.refresh()
                refreshed = True
                attempt -= 1  # the retry after a refresh is not a backoff attempt
                continue
            if once and failure.ambiguous:
                return failure
            if failure.retryable and attempt < self._max_attempts:
                delay = self._delay(attempt, failure.retry_after)
                logger.info(
                    "%s: %s failed (%s); retry %d in %.2fs", self.service, method, failure.status, attempt, delay
                )
                self._sleep(delay)
                continue
            return failure

    def _spend(self, units: int, method: str) -> None:
        with self._lock:
            self._quota_units += units
        if self._on_quota is not None:
            self._on_quota(units)
        if self._on_call is not None:
            self._on_call(method, units)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = float(self._random()) * min(self._max_delay, self._base_delay * float(2 ** (attempt - 1)))
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._max_delay))
        return delay

    def error(self, failure: CallFailure, op: Op) -> DomainError | InfrastructureError:
        """A failure in words a person understands (never with a token in it)."""
        status, label = failure.status, self.label
        detail = f" ({failure.message})" if failure.message else ""
        if status is None:
            return ServiceUnavailable(f"Could not reach {label}; try again in a moment.", service=self.service)
        if status in (404, 410) and op.not_found:
            return NotFound(op.not_found)
        if status == 401:
            return ReauthRequired(f"{label} no longer accepts this account's authorization; reconnect the account.")
        if failure.daily_limit:
            return QuotaExceeded(
                f"This account has used up its daily {label} allowance; try again tomorrow.",
                details=[{"service": self.service, "reason": "daily_limit"}],
            )
        if failure.rate_limited:
            return QuotaExceeded(
                f"{label} is limiting how fast this account can be used; try again in a minute.",
                details=[{"service": self.service, "reason": "rate_limit"}],
            )
        if status == 403 and failure.reasons & SCOPE_REASONS:
            return ReauthRequired(self.reauth_message, details=[{"service": self.service, "reason": "scope_missing"}])
        if status == 403:
            return PermissionDenied(f"{label} does not allow this account to {op.action}{detail}.")
        if status in (404, 410):
            return NotFound(f"{label} has no such item{detail}.")
        if status == 409:
            return Conflict(f"{label} refused because of a conflict{detail}.")
        if status == 400:
            return ValidationFailed(f"{label} rejected the request{detail}.")
        if status == 503:
            return ServiceUnavailable(f"{label} is unavailable right now; try again later.", service=self.service)
        return UpstreamError(f"{label} failed to {op.action} (HTTP {status}){detail}.", service=self.service)
