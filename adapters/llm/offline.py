"""OfflineCommandModel: the embedded default chat model. No network, no key: a deterministic reader of plain requests
about mail (adapters/llm/offline_language.py; docs/agent-commands.md) that emits real tool calls through the same
graph as a hosted model.

It decides each step from the conversation: the user's last message says what to do, the tool results of this turn
(ToolMessages after it) say how far it got. It reads only structured fields of tool results (ids, senders,
subjects, dates, labels; snippets only to quote them in a summary), so instructions inside mail content cannot steer
it; it asks to send only when the user asked for a reply or typed "send it", and the gate holds every send."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from adapters.llm.offline_calendar import parse_calendar
from adapters.llm.offline_calendar_steps import calendar_step
from adapters.llm.offline_language import Intent, parse
from application.ports.summarizer import MailItem, Summarizer, SummaryRequest

HOSTED_MODEL_HELP = "/help/hosted-model"  # served by the HTTP app: how to configure a hosted model (docs/llm.md)
EXAMPLES = (
    "summarise my unread mail",
    "who wrote about the offsite?",
    "what did Alice send me last week?",
    "reply to Carol saying I'll be there",
    "archive all newsletters",
)
MORE_EXAMPLES = (
    "anything important today?",
    "find unread mail from Bob about the budget",
    "summarise the offsite thread",
    "draft a reply to the last mail from Dana saying Thanks!",
    "draft an email to bob@example.com about Lunch saying See you at noon",
    "label mail from Alice as Receipts",
    "mark all newsletters as read",
    "send it (after a draft)",
)


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


NOT_UNDERSTOOD = (
    "Sorry, I didn't understand that. I'm the built-in assistant that works without an AI service, so I follow "
    "simple requests about your mail, like these:\n"
    + _bullets(EXAMPLES)
    + "\n\nType **help** for more. To ask in your own words, "
    f"[use a hosted model]({HOSTED_MODEL_HELP})."
)
HELP = (
    "I'm the built-in assistant that works without an AI service. I understand requests like these:\n"
    + _bullets(EXAMPLES + MORE_EXAMPLES)
    + "\n\nYou can add a time: today, yesterday, this week, last week, since Monday, in the last 3 days, this month, "
    "in November. Nothing is sent, trashed or replied to until you approve it. To ask in your own words, "
    f"[use a hosted model]({HOSTED_MODEL_HELP})."
)
OFFLINE_NOTICE = NOT_UNDERSTOOD  # the answer to anything it does not understand

_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>|([^<>\s]+@[^<>\s]+)")
SEARCH_LIMIT = 10
WIDE_LIMIT = 25  # summaries, "who wrote", labels: the most one search returns
BULK_LIMIT = 20  # archive / trash / mark: the agent's default budget of changes per turn, so they run at once


# ---- reading tool results -------------------------------------------------------------------------------------


def _content(m: ToolMessage) -> dict[str, Any]:
    try:
        data = json.loads(m.content if isinstance(m.content, str) else json.dumps(m.content))
    except ValueError:
        return {"error": str(m.content)}
    return data if isinstance(data, dict) else {"value": data}


def _messages_of(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = result.get("untrusted_mail_content", result)
    found = data.get("messages", []) if isinstance(data, Mapping) else []
    return [m for m in found if isinstance(m, dict)]


def address_of(sender: str) -> str:
    m = _ADDRESS.search(sender or "")
    return (m.group(1) or m.group(2)).lower() if m else (sender or "").strip().lower()


def _first_sentence(text: str, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    m = re.search(r"(.+?[.!?])(\s|$)", flat)
    out = m.group(1) if m else flat
    return out if len(out) <= limit else out[: limit - 3] + "..."


def _senders(messages: Sequence[Mapping[str, Any]], who: str) -> list[str]:
    """Distinct senders of `messages` that `who` (a first name or part of an address) could mean."""
    seen: dict[str, str] = {}
    needle = who.lower()
    for m in messages:
        sender = str(m.get("from", ""))
        if needle in sender.lower():
            seen.setdefault(address_of(sender), sender)
    return list(seen.values())


def name_of(sender: str) -> str:
    """'Carol Díaz' of 'Carol Díaz <carol@…>', else the address."""
    name = str(sender).split("<", 1)[0].strip().strip('"')
    return name or address_of(sender)


def _names(people: Sequence[str]) -> str:
    names = list(dict.fromkeys(name_of(p) for p in people if p))
    if not names:
        return "nobody yet"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _date(raw: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(raw))
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def mail_item(m: Mapping[str, Any]) -> MailItem:
    """A search result as the Summarizer reads it (structured fields; the snippet only to be quoted)."""
    labels = {str(label) for label in m.get("labels", ())}
    unread = bool(m.get("unread"))
    bulk = bool(labels & {"CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_SOCIAL", "CATEGORY_FORUMS"})
    return MailItem(
        id=str(m.get("id", "")),
        sender=str(m.get("from", "")),
        subject=str(m.get("subject", "")),
        snippet=str(m.get("snippet", "")),
        received_at=_date(m.get("date")),
        unread=unread,
        needs_reply=unread and not bulk and "?" in str(m.get("snippet", "")),
        important="IMPORTANT" in labels,
    )


def _line(m: Mapping[str, Any]) -> str:
    unread = ", unread" if m.get("unread") else ""
    subject = m.get("subject") or "(no subject)"
    return f"{name_of(str(m.get('from', '')))}: {subject} ({str(m.get('date', ''))[:10]}{unread})"


_BULK_TOOLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    # verb: (tool, extra search term, extra arguments)
    "archive": ("remove_label", "in:inbox", {"label": "INBOX"}),
    "trash": ("trash", "", {}),
    "read": ("mark_read", "is:unread", {"read": True}),
    "unread": ("mark_read", "-is:unread", {"read": False}),
    "star": ("apply_label", "-is:starred", {"label": "STARRED"}),
}
_BULK_DONE = {
    "archive": "Archived",
    "trash": "Moved to the trash:",
    "read": "Marked read:",
    "unread": "Marked unread:",
    "star": "Starred",
}


class OfflineCommandModel(BaseChatModel):
    model_name: str = "offline"
    tool_names: tuple[str, ...] = ()
    summarizer: Summarizer | None = None  # the extractive Summarizer in the app; None: one line per message

    @property
    def _llm_type(self) -> str:
        return "offline"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineCommandModel:
        names = tuple(str(getattr(t, "name", None) or (t.get("name") if isinstance(t, dict) else t)) for t in tools)
        return self.model_copy(update={"tool_names": names})

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.step(messages))])

    # -- deciding the next step ---------------------------------------------------------------------------------

    def step(self, messages: Sequence[BaseMessage]) -> AIMessage:
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=None)
        if last_human is None:
            return AIMessage(content=HELP)
        request = messages[last_human]
        text = request.content if isinstance(request.content, str) else str(request.content)
        earlier, turn = messages[:last_human], messages[last_human + 1 :]
        results = [(m.name or "", _content(m)) for m in turn if isinstance(m, ToolMessage)]
        asked = parse_calendar(text, _sent_at(request) or datetime.now(UTC))
        if asked is not None and "list_events" in (self.tool_names or ("list_events",)):
            reply = calendar_step(asked, results, self._call)
        else:
            reply = self._decide(parse(text, _sent_at(request)), earlier, results)
        if reply.tool_calls:  # one call per step; ids unique within the conversation
            n = sum(1 for m in messages if isinstance(m, AIMessage) and m.tool_calls) + 1
            reply.tool_calls = [{**c, "id": f"offline_{n}"} for c in reply.tool_calls]
        return reply

    def _decide(
        self, intent: Intent, earlier: Sequence[BaseMessage], results: list[tuple[str, dict[str, Any]]]
    ) -> AIMessage:
        if results and "error" in results[-1][1] and results[-1][1].get("status") not in ("rejected", "failed"):
            tool, data = results[-1]
            return AIMessage(content=f"That did not work ({tool.replace('_', ' ')}): {data['error']}")
        match intent.kind:
            case "help":
                return AIMessage(content=HELP)
            case "unknown":
                return AIMessage(content=NOT_UNDERSTOOD)
            case "question":
                return AIMessage(content=intent.text)
            case "find":
                return self._find(intent, results)
            case "digest":
                return self._digest(intent, results)
            case "who":
                return self._who(intent, results)
            case "summarize":
                return self._summarize(intent, results)
            case "draft_reply":
                return self._draft_reply(intent, results)
            case "draft_new":
                if not results:
                    args: dict[str, Any] = {"to": [intent.to], "body": intent.body}
                    if intent.subject:
                        args["subject"] = intent.subject
                    return self._call("create_draft", args)
                return self._drafted(results[-1][1])
            case "send_new":
                if not results:
                    args = {"to": [intent.to], "subject": intent.subject, "body": intent.body}
                    return self._call("send_email", args)
                return self._outcome(results[-1][1], rejected="OK, I did not send it.")
            case "label":
                return self._label(intent, results)
            case "bulk":
                return self._bulk(intent, results)
            case "reply":
                return self._reply(intent, results)
            case _:
                return self._send(earlier, results)

    def _call(self, tool: str, args: Mapping[str, Any]) -> AIMessage:
        return AIMessage(
            content="", tool_calls=[{"name": tool, "args": dict(args), "id": "offline", "type": "tool_call"}]
        )

    def _search(self, intent: Intent, limit: int = SEARCH_LIMIT, extra: str = "") -> AIMessage:
        query = " ".join(part for part in (intent.query, extra) if part)
        return self._call("search_emails", {"query": query, "limit": limit})

    @staticmethod
    def _nothing(intent: Intent, tail: str = "") -> AIMessage:
        what = intent.described or f"'{intent.query}'"
        return AIMessage(content=f"I found no {what}" + (f"; {tail}" if tail else "") + ".")

    def _ambiguous(self, intent: Intent, found: Sequence[Mapping[str, Any]]) -> AIMessage | None:
        if not intent.who or "@" in intent.who:
            return None
        senders = _senders(found, intent.who)
        if len(senders) > 1:
            listed = " or ".join(senders)
            return AIMessage(
                content=f"I found mail from {len(senders)} different people matching '{intent.who}': "
                f"{listed}. Which one do you mean? Repeat the request with their address."
            )
        return None

    def _find(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent)
        found = _messages_of(results[0][1])
        if not found:
            return self._nothing(intent)
        what = intent.described or "mail"
        return AIMessage(content=f"Found {len(found)} message(s) — {what}:\n" + _bullets([_line(m) for m in found]))

    def _digest(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        """An extractive summary: headline, then one line per message (sender — subject: first sentence)."""
        if not results:
            return self._search(intent, WIDE_LIMIT)
        found = _messages_of(results[0][1])
        if not found:
            return self._nothing(intent, "you're all caught up")
        if self.summarizer is None:
            return AIMessage(content=f"{intent.described or 'Mail'}:\n" + _bullets([_line(m) for m in found]))
        period = intent.described or "mail"
        summary = self.summarizer.summarize(
            SummaryRequest(tuple(mail_item(m) for m in found), period=f"— {period}", max_items=WIDE_LIMIT)
        )
        parts = [summary.headline]
        for section in summary.sections:
            parts.append(f"\n**{section.title}**\n" + _bullets(section.lines))
        if len(found) >= WIDE_LIMIT:
            parts.append(f"\n(The {WIDE_LIMIT} newest; ask for a shorter time or a sender to see others.)")
        return AIMessage(content="\n".join(parts))

    def _who(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent, WIDE_LIMIT)
        found = _messages_of(results[0][1])
        if not found:
            return self._nothing(intent, "nobody wrote about it")
        people: dict[str, list[Mapping[str, Any]]] = {}
        for m in found:
            if "SENT" in m.get("labels", ()):  # the person asking wrote it: not an answer to "who wrote"
                continue
            people.setdefault(address_of(str(m.get("from", ""))), []).append(m)
        if not people:
            return AIMessage(content=f"Only you wrote {intent.described}.")
        lines = []
        for mails in people.values():
            newest = mails[0]
            more = f" and {len(mails) - 1} more" if len(mails) > 1 else ""
            lines.append(
                f"{newest.get('from', '')}: {newest.get('subject') or '(no subject)'} "
                f"({str(newest.get('date', ''))[:10]}){more}"
            )
        return AIMessage(
            content=f"{len(people)} {'person' if len(people) == 1 else 'people'} wrote {intent.described}:\n"
            + _bullets(lines)
        )

    def _reply_draft(self, message: Mapping[str, Any], intent: Intent) -> AIMessage:
        subject = str(message.get("subject") or "")
        if subject and not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        args = {
            "reply_to_message_id": str(message.get("id")),
            "reply_all": intent.everyone,
            "subject": subject,
            "body": intent.body,
        }
        return self._call("create_draft", args)

    def _drafted(self, result: Mapping[str, Any]) -> AIMessage:
        if result.get("status") in ("pending", "pending_approval"):
            return AIMessage(content="The draft waits for your approval.")
        if result.get("status") == "rejected":
            return AIMessage(content="OK, I did not make the draft.")
        subject = result.get("subject") or "(no subject)"
        to = _names([*result.get("to", []), *result.get("cc", [])])
        return AIMessage(
            content=f"I drafted '{subject}' to {to}. Nothing was sent: say 'send it' to send it, and you will be "
            "asked to approve."
        )

    def _summarize(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent)
        if len(results) == 1:
            found = _messages_of(results[0][1])
            if not found:
                return self._nothing(intent)
            if ask := self._ambiguous(intent, found):
                return ask
            return self._call("get_thread", {"message_id": str(found[0].get("id"))})
        thread = _messages_of(results[-1][1])
        subject = thread[0].get("subject", "") if thread else ""
        lines = [
            f"{name_of(str(m.get('from', '')))} ({str(m.get('date', ''))[:10]}): "
            f"{_first_sentence(str(m.get('text_body') or m.get('snippet') or ''))}"
            for m in thread
        ]
        return AIMessage(
            content=f"Summary of the thread '{subject}' ({len(thread)} message(s); first sentence of "
            "each, quoted from the mail):\n" + _bullets(lines)
        )

    def _draft_reply(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent)
        if len(results) == 1:
            found = _messages_of(results[0][1])
            if not found:
                return self._nothing(intent, "so I drafted nothing")
            if ask := self._ambiguous(intent, found):
                return ask
            return self._reply_draft(found[0], intent)
        return self._drafted(results[-1][1])

    def _label(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent, WIDE_LIMIT)
        if len(results) == 1:
            ids = [str(m.get("id")) for m in _messages_of(results[0][1])]
            if not ids:
                return self._nothing(intent, "nothing was labelled")
            return self._call("apply_label", {"message_ids": ids, "label": intent.label})
        outcome = results[-1][1]
        if outcome.get("status") in ("rejected", "failed", "pending_approval"):
            return self._outcome(outcome, rejected="OK, nothing was labelled.", done="Labelled.")
        n = len(outcome.get("messages", []))
        return AIMessage(content=f"Labelled {n} message(s) as {intent.label}.")

    def _bulk(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        tool, extra, args = _BULK_TOOLS[intent.verb]
        if not results:
            return self._search(intent, BULK_LIMIT, extra)
        if len(results) == 1:
            found = _messages_of(results[0][1])
            if not found:
                return self._nothing(intent, "nothing to do")
            return self._call(tool, {"message_ids": [str(m.get("id")) for m in found], **args})
        outcome = results[-1][1]
        found = _messages_of(results[0][1])
        done = f"{_BULK_DONE[intent.verb]} {len(found)} message(s) — {intent.described}."
        if len(found) >= BULK_LIMIT:
            done += f" Those were the {BULK_LIMIT} newest; ask again for the rest."
        if "status" not in outcome:  # ran at once (reversible; Undo is in the app)
            return AIMessage(content=done)
        return self._outcome(outcome, rejected="OK, I left them as they are.", done=done)

    def _reply(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        """Reply (to all) straight away: the gate holds it, and the card shows exactly who it goes to."""
        if not results:
            return self._search(intent)
        if len(results) == 1:
            found = _messages_of(results[0][1])
            if not found:
                return self._nothing(intent, "so I replied to nothing")
            if ask := self._ambiguous(intent, found):
                return ask
            args = {"message_id": str(found[0].get("id")), "body": intent.body, "reply_all": intent.everyone}
            return self._call("reply", args)
        return self._outcome(results[-1][1], rejected="OK, I did not send the reply.")

    @staticmethod
    def _outcome(outcome: Mapping[str, Any], *, rejected: str, done: str = "Sent.") -> AIMessage:
        match outcome.get("status"):
            case "executed":
                return AIMessage(content=done)
            case "rejected":
                return AIMessage(content=rejected)
            case "failed":
                return AIMessage(content=f"You approved it, but it failed: {outcome.get('error')}")
            case _:
                return AIMessage(content="It is waiting for your approval.")

    def _send(self, earlier: Sequence[BaseMessage], results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            for m in reversed(earlier):
                if isinstance(m, ToolMessage) and m.name in ("create_draft", "update_draft"):
                    draft = _content(m).get("draft_id")
                    if draft:
                        return self._call("send_email", {"draft_id": str(draft)})
            return AIMessage(
                content="Send what? There is no draft in this conversation yet. Ask me to draft "
                "something first, e.g. 'draft a reply to the last mail from carol saying ...'."
            )
        return self._outcome(results[-1][1], rejected="OK, I did not send it. The draft is still in your drafts.")


def _sent_at(request: BaseMessage) -> datetime | None:
    raw = request.additional_kwargs.get("at")
    if isinstance(raw, str):
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None
