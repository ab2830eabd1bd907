"""Mailbox: one connected mail account (search, read, send, drafts, labels), Gmail semantics."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

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
