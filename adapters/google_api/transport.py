"""What every Google API adapter shares (Gmail, Calendar, People): where OAuth access tokens come from, a
`http.client` transport that never re-sends a request by surprise, and how one failed call is classified (rate
limit, daily quota, missing scope, retryable, ambiguous).

httplib2 silently re-sends a request whose connection died before the answer, which is how duplicate mail (or a
duplicate invitation) happens; this transport re-sends only on a kept-alive connection found dead, and only when
the caller allows it."""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import ssl
import threading
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import google.auth.exceptions
import google.auth.transport.requests
import google.oauth2.credentials
import httplib2  # type: ignore[import-untyped]
from googleapiclient.errors import HttpError

from domain.errors import ReauthRequired, ServiceUnavailable, UpstreamError

logger = logging.getLogger(__name__)

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "concurrentLimitExceeded"})
DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "quotaExceeded"})
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# ---------------------------------------------------------------- tokens


@runtime_checkable
class TokenSource(Protocol):
    """Where the adapter gets the account's OAuth access token.

    `access_token()` returns a currently valid token (refreshing it first if the implementation knows it expired);
    `refresh()` gets a new one from Google and returns it (after it, `access_token()` returns the new token too).
    Both raise `ReauthRequired` when Google answers `invalid_grant` (the grant was revoked or expired)."""

    def access_token(self) -> str: ...

    def refresh(self) -> str: ...


class StaticTokenSource:
    """A fixed access token (scripts, tests). It cannot be refreshed: a rejected token means reconnecting."""

    def __init__(self, token: str) -> None:
        self._token = token

    def access_token(self) -> str:
        return self._token

    def refresh(self) -> str:
        raise ReauthRequired("The Gmail access token was rejected and cannot be refreshed; reconnect the account.")


class GoogleOAuthTokenSource:
    """A TokenSource over google-auth: refreshes with the refresh token at `token_uri` and hands every new token
    to `on_refresh(access_token, expiry, refresh_token)` so the caller can keep it in its SecretStore.

    `invalid_grant` (revoked or expired grant) raises ReauthRequired; Google unreachable raises ServiceUnavailable.
    Error messages never contain a token or the client secret."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        access_token: str | None = None,
        expiry: datetime | None = None,
        token_uri: str = GOOGLE_TOKEN_URI,
        scopes: Sequence[str] | None = None,
        on_refresh: Callable[[str, datetime | None, str | None], None] | None = None,
    ) -> None:
        naive_expiry = expiry.astimezone(UTC).replace(tzinfo=None) if expiry is not None else None
        self._credentials = google.oauth2.credentials.Credentials(  # type: ignore[no-untyped-call]
            token=access_token,
            refresh_token=refresh_token,
            token_uri=token_uri,
            client_id=client_id,
            client_secret=client_secret,
            scopes=list(scopes) if scopes else None,
            expiry=naive_expiry,
        )
        self._on_refresh = on_refresh
        self._lock = threading.Lock()

    def access_token(self) -> str:
        with self._lock:
            token = self._credentials.token
            if not token or self._credentials.expired:
                return self._refresh_locked()
            return str(token)

    def refresh(self) -> str:
        with self._lock:
            return self._refresh_locked()

    def _refresh_locked(self) -> str:
        try:
            self._credentials.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
        except google.auth.exceptions.RefreshError as exc:
            if "invalid_grant" in str(exc):
                raise ReauthRequired(
                    "Google no longer accepts this account's authorization (it was revoked or has expired). "
                    "Reconnect the account."
                ) from None
            if getattr(exc, "retryable", False):
                raise ServiceUnavailable(
                    "Google's sign-in service is unavailable; try again later.", service="google"
                ) from None
            raise UpstreamError(
                "Google refused to refresh the account's access token; reconnect the account if this persists.",
                service="google",
            ) from None
        except google.auth.exceptions.TransportError:
            raise ServiceUnavailable(
                "Could not reach Google's sign-in service; try again later.", service="google"
            ) from None
        token = str(self._credentials.token)
        if self._on_refresh is not None:
            expiry = self._credentials.expiry
            self._on_refresh(
                token, expiry.replace(tzinfo=UTC) if expiry is not None else None, self._credentials.refresh_token
            )
        return token


class BridgeCredentials:
    """What googleapiclient's batch code expects of credentials (`apply`, `refresh`...), backed by a TokenSource.
    Lets a batch re-send its 401-answered calls once after a refresh, like a single call does."""

    access_token_expired = False

    def __init__(self, tokens: TokenSource) -> None:
        self._tokens = tokens

    @property
    def access_token(self) -> str:
        return self._tokens.access_token()

    def refresh(self, _http: object = None) -> None:
        self._tokens.refresh()

    def apply(self, headers: dict[str, str]) -> None:
        headers["authorization"] = f"Bearer {self._tokens.access_token()}"


# ---------------------------------------------------------------- transport


class GoogleTransport:
    """The `http` object googleapiclient drives (`request(uri, method, body, headers)` -> (Response, bytes)).

    Built on `http.client`. With `reuse=True` connections are kept alive (one pool per thread) and a request whose
    REUSED connection turned out to be dead is sent again once on a new connection: only for idempotent calls.
    With `reuse=False` every request gets a fresh connection and is never sent twice (sends, creations)."""

    def __init__(self, tokens: TokenSource, *, timeout: float, reuse: bool) -> None:
        self.credentials = BridgeCredentials(tokens)
        self._tokens = tokens
        self._timeout = timeout
        self._reuse = reuse
        self._local = threading.local()
        self._all: set[http.client.HTTPConnection] = set()
        self._lock = threading.Lock()
        self._ssl: ssl.SSLContext | None = None

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        redirections: int = 5,
        connection_type: object = None,
    ) -> tuple[Any, bytes]:
        parts = urlsplit(uri)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        sent_headers = {k.lower(): str(v) for k, v in (headers or {}).items()}
        sent_headers["authorization"] = f"Bearer {self._tokens.access_token()}"
        payload = body.encode("utf-8") if isinstance(body, str) else body
        key = (parts.scheme, parts.hostname or "", parts.port)
        for attempt in (1, 2):
            conn, reused = self._connection(key)
            try:
                conn.request(method, target, body=payload, headers=sent_headers)
                response = conn.getresponse()
                content = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self._discard(key, conn)
                if reused and attempt == 1 and not isinstance(exc, TimeoutError):
                    # a kept-alive connection the server had closed meanwhile: send again on a new one
                    logger.debug("google: kept-alive connection was closed, sending again")
                    continue
                raise
            if response.will_close or not self._reuse:
                self._discard(key, conn)
            return self._response(response, content)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            connections, self._all = list(self._all), set()
        for conn in connections:
            conn.close()

    def _connection(self, key: tuple[str, str, int | None]) -> tuple[http.client.HTTPConnection, bool]:
        pool: dict[tuple[str, str, int | None], http.client.HTTPConnection] | None = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        if self._reuse and key in pool:
            return pool[key], True
        scheme, host, port = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self._timeout, context=self._ssl_context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self._timeout)
        if self._reuse:
            pool[key] = conn
        with self._lock:
            self._all.add(conn)
        return conn, False

    def _discard(self, key: tuple[str, str, int | None], conn: http.client.HTTPConnection) -> None:
        conn.close()
        pool = getattr(self._local, "pool", {})
        if pool.get(key) is conn:
            del pool[key]
        with self._lock:
            self._all.discard(conn)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            try:
                import certifi

                self._ssl = ssl.create_default_context(cafile=certifi.where())
            except ImportError:  # pragma: no cover - certifi comes with google-auth's dependencies
                self._ssl = ssl.create_default_context()
        return self._ssl

    @staticmethod
    def _response(response: http.client.HTTPResponse, content: bytes) -> tuple[Any, bytes]:
        result = httplib2.Response(response)
        encoding = (result.get("content-encoding") or "").lower()
        if encoding in ("gzip", "deflate") and content:
            content = gzip.decompress(content) if encoding == "gzip" else zlib.decompress(content)
            result["-content-encoding"] = result.pop("content-encoding")
            result["content-length"] = str(len(content))
        return result, content


class NoHttp:
    """Placeholder http of the shared service object: every request gets a mailbox's transport instead."""

    def request(self, *args: object, **kwargs: object) -> tuple[Any, bytes]:
        raise RuntimeError("Google API requests must be bound to a transport")


# ---------------------------------------------------------------- failures


@dataclass(frozen=True)
class CallFailure:
    """What went wrong with one call: an HTTP error answer, or no answer at all (`status` None)."""

    status: int | None
    reasons: frozenset[str] = frozenset()
    message: str = ""
    retry_after: float | None = None
    refused: bool = False  # the connection was refused: the request never reached Gmail

    @classmethod
    def from_http_error(cls, exc: HttpError) -> CallFailure:
        status = int(getattr(exc.resp, "status", 0) or 0)
        reasons: set[str] = set()
        message = ""
        try:
            data = json.loads(exc.content.decode("utf-8") if isinstance(exc.content, bytes) else exc.content)
            error = data.get("error", {}) if isinstance(data, dict) else {}
            if isinstance(error, dict):
                message = str(error.get("message", ""))
                for item in error.get("errors", []) or []:
                    if isinstance(item, dict) and item.get("reason"):
                        reasons.add(str(item["reason"]))
                for detail in error.get("details", []) or []:
                    if isinstance(detail, dict) and detail.get("reason"):
                        reasons.add(str(detail["reason"]))
            elif isinstance(error, str):  # OAuth-style errors: {"error": "invalid_grant", ...}
                reasons.add(error)
                message = str(data.get("error_description", ""))
        except (ValueError, AttributeError, TypeError):
            message = ""
        retry_after: float | None = None
        header = exc.resp.get("retry-after") if hasattr(exc.resp, "get") else None
        if header:
            try:
                retry_after = max(0.0, float(header))
            except ValueError:
                retry_after = None
        return cls(status=status, reasons=frozenset(reasons), message=message, retry_after=retry_after)

    @classmethod
    def network(cls, exc: BaseException) -> CallFailure:
        return cls(status=None, message=type(exc).__name__, refused=isinstance(exc, ConnectionRefusedError))

    @property
    def daily_limit(self) -> bool:
        return bool(self.reasons & DAILY_LIMIT_REASONS)

    @property
    def rate_limited(self) -> bool:
        if self.daily_limit:
            return False
        return self.status == 429 or (self.status == 403 and bool(self.reasons & RATE_LIMIT_REASONS))

    @property
    def retryable(self) -> bool:
        if self.status is None:
            return True
        return self.rate_limited or (self.status in RETRYABLE_STATUSES and not self.daily_limit)

    @property
    def ambiguous(self) -> bool:
        """Gmail may have done what was asked (no answer, or a server error): a send must not be repeated."""
        if self.status is None:
            return not self.refused
        return self.status >= 500

    @property
    def missing(self) -> bool:
        """The id does not exist (404), or is not even a valid id (Gmail's 400 `Invalid id value`)."""
        return self.status == 404 or (self.status == 400 and "invalid id value" in self.message.lower())


NETWORK_ERRORS: tuple[type[BaseException], ...] = (OSError, http.client.HTTPException, httplib2.HttpLib2Error)
