"""Search the caller's mail grouped by conversation, as Gmail's conversation view lists it: one row per thread
(its newest matching message), with every message of the thread counted, newest conversation first."""

from __future__ import annotations

from dataclasses import dataclass

from application.mail_access import MailAccess
from application.ports.mailbox import Mailbox
from application.use_cases.mail.search_emails import MAX_QUERY, SearchEmailsInput
from domain.audit import MailAuditAction
from domain.errors import ValidationFailed
from domain.identity import Scope
from domain.mail import SPAM, TRASH, Message
from domain.mail_account import MailAccount


@dataclass(frozen=True)
class Conversation:
    latest: Message  # the newest message of the thread that matched the search (the row shows it)
    messages: tuple[Message, ...]  # the thread's messages a reader sees there, oldest first (never fewer than one)

    @property
    def count(self) -> int:
        return len(self.messages)

    @property
    def unread(self) -> bool:
        return any(m.is_unread for m in self.messages)


@dataclass(frozen=True)
class ConversationPage:
    conversations: tuple[Conversation, ...]
    next_page_token: str | None
    result_size_estimate: int


def _looks_in_bin(inp: SearchEmailsInput) -> bool:
    """Trash and spam are counted only when the search looks there (as Gmail counts a conversation)."""
    query = inp.query.lower()
    return bool({TRASH, SPAM} & set(inp.label_ids)) or "in:trash" in query or "in:spam" in query


class SearchConversations:
    def __init__(self, access: MailAccess) -> None:
        self.access = access

    def execute(self, inp: SearchEmailsInput) -> tuple[MailAccount, ConversationPage]:
        if len(inp.query) > MAX_QUERY:
            raise ValidationFailed(f"The search is longer than {MAX_QUERY} characters.", details=[{"field": "q"}])
        bin_view = _looks_in_bin(inp)

        def grouped(mailbox: Mailbox, _: MailAccount) -> ConversationPage:
            page = mailbox.search(inp.query, label_ids=inp.label_ids, page_token=inp.page_token, limit=inp.limit)
            latest: dict[str, Message] = {}
            for message in page.messages:  # newest first: the first seen of a thread is its newest match
                latest.setdefault(message.thread_id, message)
            conversations = []
            for thread_id, newest in latest.items():
                thread = mailbox.get_thread(thread_id)
                shown = tuple(m for m in thread.messages if bin_view or not ({TRASH, SPAM} & set(m.label_ids))) or (
                    newest,
                )
                conversations.append(Conversation(newest, shown))
            return ConversationPage(tuple(conversations), page.next_page_token, page.result_size_estimate)

        account, page = self.access.run(inp.principal, inp.account_id, Scope.MAIL_READ, grouped)
        self.access.audit(
            inp.principal,
            MailAuditAction.SEARCH,
            target=f"mail_account:{account.id}",
            context=inp.context,
            details={
                "query": inp.query[:200],
                "labels": list(inp.label_ids),
                "results": len(page.conversations),
                "conversations": True,
            },
        )
        return account, page
