"""OfflineCommandModel: the embedded default chat model. No network, no key: a deterministic parser of a small
command language (docs/agent-commands.md) that emits real tool calls through the same graph as a hosted model.

It decides each step from the conversation: the user's last message says what to do, the tool results of this turn
(ToolMessages after it) say how far it got. It reads only structured fields of tool results (ids, senders,
subjects), so instructions inside mail content cannot steer it; it asks to send only when the user typed "send it"."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

OFFLINE_NOTICE = (
    "I'm the offline command model: I run without any AI service and understand only a small command language, "
    "for example:\n"
    "- find unread mail from alice about invoices\n"
    "- summarize the thread with Bob\n"
    "- draft a reply to the last mail from carol saying I'll join\n"
    "- draft an email to bob@example.com about Lunch saying See you at noon\n"
    "- reply to all on the last mail from dana saying Thanks, all\n"
    "- label newsletters as Later\n"
    "- send it\n"
    "For free-form chat, configure a hosted model: set MAILAGENT_LLM_PROVIDER=anthropic or openai, "
    "MAILAGENT_LLM_MODEL, MAILAGENT_LLM_API_KEY (or store the key in the secret store as llm/api_key) and, for an "
    "OpenAI-compatible server such as Ollama or vLLM, MAILAGENT_LLM_BASE_URL. See docs/agent-commands.md."
)

_MAIL = r"(?:mails?|e-?mails?|messages?)"
_WHO = r"(?P<who>[^\s,]+)"
_SAYING = r"\s+saying\s+(?P<body>.+)"
_SEND = re.compile(r"^(?:please\s+)?send\s+(?:it|that|this|the\s+draft|the\s+reply|my\s+draft)(?:\s+now)?$", re.I)
_HELP = re.compile(r"^(?:help|\?|what can you do|what do you understand)$", re.I)
_FIND = re.compile(
    rf"^(?:please\s+)?(?:find|search(?:\s+for)?|show(?:\s+me)?|list|get)\s+(?:(?:my|all|the)\s+)?"
    rf"(?P<unread>unread\s+)?{_MAIL}(?P<rest>(?:\s.*)?)$",
    re.I,
)
_FILTERS = re.compile(
    r"^(?:\s+from\s+(?P<who>[^\s,]+))?(?:\s+(?:about|regarding)\s+(?P<about>.+?))?(?:\s+from\s+(?P<who2>[^\s,]+))?$",
    re.I,
)
_AND_REPLY = re.compile(r"^(?P<find>.+?)\s+and\s+(?:then\s+)?draft\s+a\s+reply" + _SAYING + "$", re.I)
_SUMMARIZE = re.compile(
    r"^summari[sz]e\s+(?:the\s+)?(?:(?:last|latest)\s+)?(?:thread|conversation|mail|e-?mail|message)\s+"
    rf"(?:(?:with|from)\s+{_WHO}|about\s+(?P<about>.+))$",
    re.I,
)
_DRAFT_REPLY = re.compile(
    rf"^(?:draft|write)\s+a\s+reply\s+to\s+(?:the\s+)?(?:last|latest)\s+(?:mail|e-?mail|message)\s+"
    rf"(?:from\s+{_WHO}|about\s+(?P<about>.+?)){_SAYING}$",
    re.I,
)
_DRAFT_NEW = re.compile(
    r"^(?:draft|write)\s+(?:an?\s+)?(?:new\s+)?(?:mail|e-?mail|message)(?:\s+to\s+(?P<to>[^\s,]+))?"
    rf"(?:\s+about\s+(?P<subject>.+?))?{_SAYING}$",
    re.I,
)
_REPLY = re.compile(
    rf"^reply\s+(?P<all>to\s+all\s+)?(?:to|on)\s+(?:the\s+)?(?:last|latest)\s+(?:mail|e-?mail|message)\s+"
    rf"(?:from\s+{_WHO}|about\s+(?P<about>.+?)){_SAYING}$",
    re.I,
)
_LABEL = re.compile(r"^label\s+(?P<what>.+?)\s+as\s+(?P<label>.+)$", re.I)
_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>|([^<>\s]+@[^<>\s]+)")


@dataclass(frozen=True)
class Intent:
    """A parsed command. kind: find | summarize | draft_reply | draft_new | reply | label | send | help | question |
    unknown."""

    kind: str
    query: str = ""
    who: str | None = None
    body: str = ""
    to: str | None = None
    subject: str = ""
    label: str = ""
    text: str = ""  # the question to ask (kind question)
    everyone: bool = False  # reply: to all


def _clean(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".!")


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        return text[1:-1]
    return text


def _about_terms(about: str | None) -> list[str]:
    if not about:
        return []
    about = re.sub(r"^(?:the|a|an|my)\s+", "", about.strip(), flags=re.I)
    return [w for w in re.findall(r"[\w@.\-']+", about) if w]


def build_query(*, unread: bool = False, who: str | None = None, about: str | None = None) -> str:
    parts = ["is:unread"] if unread else []
    if who:
        parts.append(f"from:{who}")
    parts.extend(_about_terms(about))
    return " ".join(parts)


def _filters(rest: str) -> tuple[str | None, str | None] | None:
    m = _FILTERS.match(rest)
    if m is None or (m.group("who") and m.group("who2")):
        return None
    return m.group("who") or m.group("who2"), m.group("about")


def parse(message: str) -> Intent:
    text = _clean(message)
    if _HELP.match(text):
        return Intent("help")
    if _SEND.match(text):
        return Intent("send")
    body: str | None = None
    compound = _AND_REPLY.match(text)
    if compound and _FIND.match(compound.group("find")):
        text, body = compound.group("find"), _unquote(compound.group("body"))
    if m := _FIND.match(text):
        f = _filters(m.group("rest"))
        if f is not None:
            query = build_query(unread=bool(m.group("unread")), who=f[0], about=f[1])
            return Intent("find", query=query, who=f[0], body=body or "")
    if m := _SUMMARIZE.match(text):
        return Intent("summarize", query=build_query(who=m.group("who"), about=m.group("about")), who=m.group("who"))
    if m := _DRAFT_REPLY.match(text):
        query = build_query(who=m.group("who"), about=m.group("about"))
        return Intent("draft_reply", query=query, who=m.group("who"), body=_unquote(m.group("body")))
    if m := _REPLY.match(text):
        query = build_query(who=m.group("who"), about=m.group("about"))
        return Intent(
            "reply", query=query, who=m.group("who"), body=_unquote(m.group("body")), everyone=bool(m.group("all"))
        )
    if m := _DRAFT_NEW.match(text):
        to, subject, draft_body = m.group("to"), (m.group("subject") or "").strip(), _unquote(m.group("body"))
        if not to:
            return Intent(
                "question",
                text="Who should the e-mail go to? Tell me their e-mail address, e.g. "
                "'draft an email to bob@example.com about ... saying ...'.",
            )
        if "@" not in to:
            return Intent("question", text=f"What is {to}'s e-mail address? I need the full address to draft it.")
        return Intent("draft_new", to=to, subject=subject, body=draft_body)
    if m := _LABEL.match(text):
        what, label = m.group("what").strip(), _unquote(m.group("label").strip())
        if found := _FIND.match(f"find {what}"):
            f = _filters(found.group("rest"))
            if f is not None:
                query = build_query(unread=bool(found.group("unread")), who=f[0], about=f[1])
                return Intent("label", query=query, label=label)
        words = _about_terms(what)
        if len(words) == 1 and words[0].lower().endswith("s") and not words[0].lower().endswith("ss"):
            query = "{" + f"{words[0]} {words[0][:-1]}" + "}"  # 'newsletters' also finds 'newsletter'
        else:
            query = " ".join(words)
        return Intent("label", query=query, label=label)
    return Intent("unknown")


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


class OfflineCommandModel(BaseChatModel):
    model_name: str = "offline"
    tool_names: tuple[str, ...] = ()

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
            return AIMessage(content=OFFLINE_NOTICE)
        request = messages[last_human]
        intent = parse(request.content if isinstance(request.content, str) else str(request.content))
        earlier, turn = messages[:last_human], messages[last_human + 1 :]
        results = [(m.name or "", _content(m)) for m in turn if isinstance(m, ToolMessage)]
        reply = self._decide(intent, earlier, results)
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
            case "help" | "unknown":
                return AIMessage(content=OFFLINE_NOTICE)
            case "question":
                return AIMessage(content=intent.text)
            case "find":
                return self._find(intent, results)
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
                return self._drafted(results[-1][1], intent.to or "")
            case "label":
                return self._label(intent, results)
            case "reply":
                return self._reply(intent, results)
            case _:
                return self._send(earlier, results)

    def _call(self, tool: str, args: Mapping[str, Any]) -> AIMessage:
        return AIMessage(
            content="", tool_calls=[{"name": tool, "args": dict(args), "id": "offline", "type": "tool_call"}]
        )

    def _search(self, intent: Intent) -> AIMessage:
        return self._call("search_emails", {"query": intent.query, "limit": 10})

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
            return AIMessage(content=f"No mail matches '{intent.query}'.")
        if intent.body:
            if len(results) == 1:
                if ask := self._ambiguous(intent, found):
                    return ask
                return self._reply_draft(found[0], intent.body)
            return self._drafted(results[-1][1], address_of(str(found[0].get("from", ""))))
        lines = [
            f"- {m.get('from', '')}: {m.get('subject', '') or '(no subject)'} "
            f"({str(m.get('date', ''))[:10]}{', unread' if m.get('unread') else ''}) [id {m.get('id')}]"
            for m in found
        ]
        return AIMessage(content=f"Found {len(found)} message(s) for '{intent.query}':\n" + "\n".join(lines))

    def _reply_draft(self, message: Mapping[str, Any], body: str) -> AIMessage:
        subject = str(message.get("subject") or "")
        if subject and not subject.lower().startswith("re:"):
            subject = f"Re: {subject}"
        args = {
            "to": [address_of(str(message.get("from", "")))],
            "subject": subject,
            "body": body,
            "reply_to_message_id": str(message.get("id")),
        }
        return self._call("create_draft", args)

    def _drafted(self, result: Mapping[str, Any], to: str) -> AIMessage:
        subject = result.get("subject") or "(no subject)"
        return AIMessage(
            content=f"I drafted '{subject}' to {to} (draft {result.get('draft_id')}). Nothing was sent: "
            "say 'send it' to send it, and you will be asked to approve."
        )

    def _summarize(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent)
        if len(results) == 1:
            found = _messages_of(results[0][1])
            if not found:
                return AIMessage(content=f"No mail matches '{intent.query}'.")
            if ask := self._ambiguous(intent, found):
                return ask
            return self._call("get_thread", {"message_id": str(found[0].get("id"))})
        thread = _messages_of(results[-1][1])
        subject = thread[0].get("subject", "") if thread else ""
        lines = [
            f"- {m.get('from', '')} ({str(m.get('date', ''))[:10]}): "
            f"{_first_sentence(str(m.get('text_body') or m.get('snippet') or ''))}"
            for m in thread
        ]
        return AIMessage(
            content=f"Summary of the thread '{subject}' ({len(thread)} message(s); first sentence of "
            "each, quoted from the mail):\n" + "\n".join(lines)
        )

    def _draft_reply(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent)
        if len(results) == 1:
            found = _messages_of(results[0][1])
            if not found:
                return AIMessage(content=f"No mail matches '{intent.query}', so I drafted nothing.")
            if ask := self._ambiguous(intent, found):
                return ask
            return self._reply_draft(found[0], intent.body)
        found = _messages_of(results[0][1])
        return self._drafted(results[-1][1], address_of(str(found[0].get("from", ""))))

    def _label(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        if not results:
            return self._search(intent)
        if len(results) == 1:
            ids = [str(m.get("id")) for m in _messages_of(results[0][1])]
            if not ids:
                return AIMessage(content=f"No mail matches '{intent.query}'; nothing was labelled.")
            return self._call("apply_label", {"message_ids": ids, "label": intent.label})
        n = len(results[-1][1].get("messages", []))
        return AIMessage(content=f"Labelled {n} message(s) as {intent.label}.")

    def _reply(self, intent: Intent, results: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        """Reply (to all) straight away: the gate holds it, and the card shows exactly who it goes to."""
        if not results:
            return self._search(intent)
        if len(results) == 1:
            found = _messages_of(results[0][1])
            if not found:
                return AIMessage(content=f"No mail matches '{intent.query}', so I replied to nothing.")
            if ask := self._ambiguous(intent, found):
                return ask
            args = {"message_id": str(found[0].get("id")), "body": intent.body, "reply_all": intent.everyone}
            return self._call("reply", args)
        return self._outcome(results[-1][1], rejected="OK, I did not send the reply.")

    @staticmethod
    def _outcome(outcome: Mapping[str, Any], *, rejected: str) -> AIMessage:
        match outcome.get("status"):
            case "executed":
                return AIMessage(content="Sent.")
            case "rejected":
                return AIMessage(content=rejected)
            case "failed":
                return AIMessage(content=f"You approved it, but sending failed: {outcome.get('error')}")
            case _:
                return AIMessage(content="The send is waiting for your approval.")

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
