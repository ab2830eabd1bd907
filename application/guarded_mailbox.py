"""GuardedMailbox: a Mailbox whose every call goes through the provider's circuit breaker (fail fast while the
provider is down instead of making each person wait through the adapter's retries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from application.ports.circuit_breaker import CircuitBreakers
from application.ports.mailbox import Mailbox
from domain.mail import Draft, DraftPage, Label, Message, OutgoingMessage, SearchPage, Thread
from domain.mail_sync import MailHistory, MessageSummary


class GuardedMailbox(Mailbox):
    """Delegates to `inner` through `breakers.call(service, ...)`. Errors pass through unchanged; an open
    circuit raises ServiceUnavailable with a retry hint. Sends are never retried here (the adapter reconciles
    an unknown outcome itself)."""

    def __init__(self, inner: Mailbox, breakers: CircuitBreakers, *, service: str) -> None:
        self.inner = inner
        self.breakers = breakers
        self.service = service

    def address(self) -> str:
        return self.breakers.call(self.service, self.inner.address)

    def search(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        limit: int = 50,
    ) -> SearchPage:
        return self.breakers.call(
            self.service,
            lambda: self.inner.search(query, label_ids=label_ids, page_token=page_token, limit=limit),
        )

    def get_message(self, message_id: str) -> Message:
        return self.breakers.call(self.service, lambda: self.inner.get_message(message_id))

    def get_attachment(self, message_id: str, attachment_id: str) -> bytes:
        return self.breakers.call(self.service, lambda: self.inner.get_attachment(message_id, attachment_id))

    def get_thread(self, thread_id: str) -> Thread:
        return self.breakers.call(self.service, lambda: self.inner.get_thread(thread_id))

    def send(self, message: OutgoingMessage) -> Message:
        return self.breakers.call(self.service, lambda: self.inner.send(message))

    def find_by_message_id(self, rfc822_message_id: str) -> Message | None:
        return self.breakers.call(self.service, lambda: self.inner.find_by_message_id(rfc822_message_id))

    def create_draft(self, message: OutgoingMessage) -> Draft:
        return self.breakers.call(self.service, lambda: self.inner.create_draft(message))

    def update_draft(self, draft_id: str, message: OutgoingMessage) -> Draft:
        return self.breakers.call(self.service, lambda: self.inner.update_draft(draft_id, message))

    def get_draft(self, draft_id: str) -> Draft:
        return self.breakers.call(self.service, lambda: self.inner.get_draft(draft_id))

    def list_drafts(self, *, page_token: str | None = None, limit: int = 50) -> DraftPage:
        return self.breakers.call(self.service, lambda: self.inner.list_drafts(page_token=page_token, limit=limit))

    def delete_draft(self, draft_id: str) -> None:
        self.breakers.call(self.service, lambda: self.inner.delete_draft(draft_id))

    def send_draft(self, draft_id: str) -> Message:
        return self.breakers.call(self.service, lambda: self.inner.send_draft(draft_id))

    def list_labels(self) -> list[Label]:
        return self.breakers.call(self.service, self.inner.list_labels)

    def create_label(self, name: str) -> Label:
        return self.breakers.call(self.service, lambda: self.inner.create_label(name))

    def modify_labels(self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        self.breakers.call(self.service, lambda: self.inner.modify_labels(message_ids, add=add, remove=remove))

    # The port implements these with modify_labels; delegate anyway in case the provider does them its own way.
    def mark_read(self, message_ids: Sequence[str]) -> None:
        self.breakers.call(self.service, lambda: self.inner.mark_read(message_ids))

    def mark_unread(self, message_ids: Sequence[str]) -> None:
        self.breakers.call(self.service, lambda: self.inner.mark_unread(message_ids))

    def trash(self, message_ids: Sequence[str]) -> None:
        self.breakers.call(self.service, lambda: self.inner.trash(message_ids))

    def untrash(self, message_ids: Sequence[str]) -> None:
        self.breakers.call(self.service, lambda: self.inner.untrash(message_ids))

    # Change feed (mailbox sync).
    def current_cursor(self) -> str:
        return self.breakers.call(self.service, self.inner.current_cursor)

    def history(self, cursor: str, *, limit: int = 500) -> MailHistory:
        return self.breakers.call(self.service, lambda: self.inner.history(cursor, limit=limit))

    def summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]:
        return self.breakers.call(self.service, lambda: self.inner.summaries(message_ids))

    def watch(self, topic: str) -> datetime:
        return self.breakers.call(self.service, lambda: self.inner.watch(topic))

    def stop_watch(self) -> None:
        self.breakers.call(self.service, self.inner.stop_watch)
