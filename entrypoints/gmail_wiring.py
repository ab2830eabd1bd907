"""Build a GmailMailbox for a connected account: tokens from the SecretStore, refreshed tokens written back."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import datetime
from typing import Any

from adapters.gmail import GmailMailbox, GoogleOAuthTokenSource
from application.ports.mailbox import Mailbox
from application.ports.metrics import GOOGLE_API_CALLS, GOOGLE_QUOTA_UNITS, NO_METRICS, Metrics
from application.ports.secret_store import SecretStore
from application.use_cases.mail.complete_google_connect import token_secret_name, tokens_json
from domain.errors import ReauthRequired
from domain.mail_account import MailAccount


class QuotaMeter:
    """Gmail quota units spent per user by this process (Gmail allows 15,000 units per user per minute)."""

    def __init__(self) -> None:
        self._units: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def add(self, user_id: str, units: int) -> None:
        with self._lock:
            self._units[user_id] += units

    def used(self, user_id: str) -> int:
        with self._lock:
            return self._units[user_id]


def _count_call(metrics: Metrics, user_id: str, method: str, units: int, api: str = "gmail") -> None:
    name = method.removeprefix(f"{api}.")  # "gmail.users.messages.get" -> "users.messages.get"
    metrics.increment(GOOGLE_API_CALLS, api=api, method=name, user=user_id)
    metrics.increment(GOOGLE_QUOTA_UNITS, float(units), api=api, method=name, user=user_id)


def google_tokens(settings: Any, secret_store: SecretStore, account: MailAccount) -> GoogleOAuthTokenSource:
    """The account's Google OAuth tokens from the SecretStore, refreshed tokens written back (Gmail, Calendar and
    People share one grant)."""
    if not account.secret_ref:
        raise ReauthRequired(f"The account {account.address} has no stored access; connect it again.")
    stored = json.loads(secret_store.get(account.secret_ref))

    def keep(access_token: str, expiry: datetime | None, refresh_token: str | None) -> None:
        secret_store.put(
            token_secret_name(account.user_id, account.id),
            tokens_json(
                access_token,
                refresh_token or stored["refresh_token"],
                expiry.isoformat() if expiry else None,
                tuple(stored.get("scopes") or ()),
            ),
        )

    return GoogleOAuthTokenSource(
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret.get_secret_value(),
        refresh_token=stored["refresh_token"],
        access_token=stored.get("access_token"),
        expiry=datetime.fromisoformat(stored["expires_at"]) if stored.get("expires_at") else None,
        token_uri=settings.google_token_uri,
        scopes=stored.get("scopes") or None,
        on_refresh=keep,
    )


def gmail_factory(
    settings: Any, secret_store: SecretStore, oauth: Any, meter: QuotaMeter | None = None, metrics: Metrics = NO_METRICS
) -> Any:
    meter = meter or QuotaMeter()
    cache: dict[tuple[str, str | None, datetime], GmailMailbox] = {}
    lock = threading.Lock()

    def build(account: MailAccount) -> Mailbox:
        if not account.secret_ref:
            raise ReauthRequired(f"The mailbox {account.address} has no stored access; connect it again.")
        key = (account.id, account.secret_ref, account.updated_at)  # a reconnect brings new tokens
        with lock:
            if key in cache:
                return cache[key]
        tokens = google_tokens(settings, secret_store, account)
        mailbox = GmailMailbox(
            tokens,
            address=account.address,
            root_url=settings.gmail_api_root,
            on_quota=lambda units: meter.add(account.user_id, units),
            on_call=lambda method, units: _count_call(metrics, account.user_id, method, units),
            max_attempts=settings.gmail_retry_attempts,
            base_delay=settings.gmail_retry_base_seconds,
        )
        with lock:
            for stale in [k for k in cache if k[0] == account.id]:
                cache.pop(stale).close()
            cache[key] = mailbox
        return mailbox

    build.meter = meter  # type: ignore[attr-defined]
    return build
