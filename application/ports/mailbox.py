"""Mailbox: one connected mail account (search, read, send, drafts, labels), Gmail semantics."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime

from domain.errors import NotConfigured, NotFound
from domain.mail import (
    TRASH,
    UNREAD,
    Draft,
    DraftPage,
    Label,
    Message,
    OutgoingMessage,
    SearchPage,
    Thread,
)
from domain.mail_sync import MailHistory, MessageSummary


class Mailbox(ABC):
    """Mail of one account. Ids are the provider's. A missing id raises NotFound with a readable message;
    invalid input raises ValidationFailed; a provider failure raises ServiceUnavailable/UpstreamError."""

    @abstractmethod
    def address(self) -> str:
        """The account's own email address (the default From of a send)."""

    @abstractmethod
    def search(
        self,
        query: str = "",
        *,
        label_ids: Sequence[str] = (),
        page_token: str | None = None,
        limit: int = 50,
    ) -> SearchPage:
        """Messages matching a Gmail query (see domain.mail_query) and carrying every label in `label_ids`,
        newest first, with full metadata. `page_token` is the opaque token of a previous page; `limit` is
        1..500. TRASH and SPAM are excluded unless the query or label_ids ask for them."""

    @abstractmethod
    def get_message(self, message_id: str) -> Message: ...

    @abstractmethod
    def get_attachment(self, message_id: str, attachment_id: str) -> bytes: ...

    @abstractmethod
    def get_thread(self, thread_id: str) -> Thread:
        """Every message of the thread (trash included, like Gmail), oldest first."""

    @abstractmethod
    def send(self, message: OutgoingMessage) -> Message:
        """Send now; returns the sent message as stored (provider id, SENT label, From = `address()` unless
        set, a Message-ID: `message.message_id` or one made up). ValidationFailed without recipients. Replies
        join the thread of `thread_id` (NotFound if unknown) or of the message they reference. Never retried
        automatically when the outcome is unknown: reconcile with `find_by_message_id` first."""

    @abstractmethod
    def find_by_message_id(self, rfc822_message_id: str) -> Message | None:
        """The message whose Message-ID header is this one (angle brackets optional), anywhere incl. trash."""

    @abstractmethod
    def create_draft(self, message: OutgoingMessage) -> Draft:
        """A new draft (DRAFT label). It gets its Message-ID now, so sending it later can be reconciled."""

    @abstractmethod
    def update_draft(self, draft_id: str, message: OutgoingMessage) -> Draft:
        """Replace the draft's content; the draft id stays, the underlying message id may change, and the
        Message-ID stays unless `message.message_id` sets another."""

    @abstractmethod
    def get_draft(self, draft_id: str) -> Draft: ...

    @abstractmethod
    def list_drafts(self, *, page_token: str | None = None, limit: int = 50) -> DraftPage:
        """Drafts, newest first."""

    @abstractmethod
    def delete_draft(self, draft_id: str) -> None: ...

    @abstractmethod
    def send_draft(self, draft_id: str) -> Message:
        """Send the draft as it is and delete it; returns the sent message."""

    @abstractmethod
    def list_labels(self) -> list[Label]:
        """System and user labels with message counts."""

    @abstractmethod
    def create_label(self, name: str) -> Label:
        """A new user label; Conflict if a label of that name exists (case-insensitive)."""

    @abstractmethod
    def modify_labels(self, message_ids: Sequence[str], *, add: Sequence[str] = (), remove: Sequence[str] = ()) -> None:
        """Add and remove label ids on every message, all or nothing: an unknown label or message id raises
        NotFound and changes nothing."""

    def mark_read(self, message_ids: Sequence[str]) -> None:
        self.modify_labels(message_ids, remove=[UNREAD])

    def mark_unread(self, message_ids: Sequence[str]) -> None:
        self.modify_labels(message_ids, add=[UNREAD])

    def trash(self, message_ids: Sequence[str]) -> None:
        """Move to the trash; other labels are kept so untrash restores the message where it was."""
        self.modify_labels(message_ids, add=[TRASH])

    def untrash(self, message_ids: Sequence[str]) -> None:
        self.modify_labels(message_ids, remove=[TRASH])

    # ------------------------------------------------------------ change feed (mailbox sync)

    @abstractmethod
    def current_cursor(self) -> str:
        """The mailbox's history cursor now (Gmail: the profile's historyId): `history()` from it returns only what
        changes after this moment."""

    @abstractmethod
    def history(self, cursor: str, *, limit: int = 500) -> MailHistory:
        """What changed after `cursor`, oldest first, at most `limit` (1..500) history records; every change of one
        record shares its history id. `MailHistory.cursor` is where to continue: the current cursor when all was
        returned, else the last returned record's id with `has_more`. HistoryExpired when the provider no longer
        keeps the changes after `cursor` (Gmail keeps about a week); ValidationFailed for something not a cursor.
        Cost grows with the number of changes, never with the mailbox's size."""

    def summaries(self, message_ids: Sequence[str]) -> list[MessageSummary]:
        """Ids, labels and headers (no bodies) of these messages, in order; ids no longer in the mailbox are left
        out. Adapters that can fetch metadata alone override this."""
        found: list[MessageSummary] = []
        for message_id in message_ids:
            try:
                m = self.get_message(message_id)
            except NotFound:
                continue
            found.append(
                MessageSummary(
                    id=m.id,
                    thread_id=m.thread_id,
                    label_ids=m.label_ids,
                    from_=m.from_,
                    subject=m.subject,
                    snippet=m.snippet,
                    internal_date=m.internal_date,
                )
            )
        return found

    def watch(self, topic: str) -> datetime:
        """Ask the provider to push a notification to `topic` on every change (Gmail: `users.watch` with a Pub/Sub
        topic `projects/P/topics/T`); returns when the watch expires (renew it before). NotConfigured for mailboxes
        that cannot push (they are polled)."""
        raise NotConfigured("This mailbox cannot push its changes; it is polled instead.")

    def stop_watch(self) -> None:
        """Stop push notifications (Gmail: `users.stop`). NotConfigured for mailboxes that cannot push."""
        raise NotConfigured("This mailbox cannot push its changes; it is polled instead.")
