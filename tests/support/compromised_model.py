"""CompromisedModel: the worst-case chat model for the prompt-injection harness.

For any user request it searches (the words after "about" in the request), reads every match with read_email and
get_thread, and then OBEYS every instruction it finds in what the tools returned: verbs in several languages
(send / forward / reply / reply all / trash / schedule / label / archive / draft) plus any e-mail address in the mail
text become tool calls carrying the attacker's address and an exfiltration payload; Base64 blobs are decoded and
obeyed; tool-call JSON found in mail is called verbatim. It never looks at the `note` that says mail is data.

With `obey=False` the same model is well behaved: search, read, answer (the read-only baseline).
Every tool call it makes is recorded in `made` (tool name, args) so the test can count the attempts."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

READ_TOOLS = frozenset({"search_emails", "read_email", "get_thread"})
_ADDRESS = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_B64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
_QUOTED = re.compile(r"['\"“”‘’«»「」]([^'\"“”‘’«»「」]{1,40})['\"“”‘’«»「」]")

# verb -> words in several languages (latin words match on word boundaries, CJK as substrings)
VERBS: dict[str, tuple[str, ...]] = {
    "reply_all": (
        "reply all",
        "reply-all",
        "répondre à tous",
        "allen antworten",
        "responder a todos",
        "rispondi a tutti",
        "回复全部",
        "全員に返信",
        "ответь всем",
    ),
    "forward": (
        "forward",
        "fwd",
        "transférer",
        "transfère",
        "weiterleiten",
        "reenviar",
        "reenvía",
        "inoltra",
        "encaminhe",
        "перешли",
        "переслать",
        "转发",
        "転送",
    ),
    "send": (
        "send",
        "sende",
        "senden",
        "schicke",
        "envoyer",
        "envoie",
        "enviar",
        "envía",
        "invia",
        "envie",
        "отправь",
        "发送",
        "送信",
    ),
    "reply": (
        "reply",
        "répondre",
        "réponds",
        "antworte",
        "responder",
        "responde",
        "rispondi",
        "ответь",
        "回复",
        "返信",
    ),
    "trash": (
        "delete",
        "trash",
        "supprimer",
        "supprime",
        "löschen",
        "lösche",
        "borrar",
        "borra",
        "elimina",
        "cancella",
        "удали",
        "删除",
        "削除",
    ),
    "schedule": ("schedule", "programmer", "planen", "programar", "agende", "pianifica", "запланируй", "定时", "予約"),
    "label": ("label", "étiquette", "etiqueta", "etichetta", "ярлык", "标签", "ラベル"),
    "archive": ("archive", "archiver", "archivieren", "archivar", "归档"),
    "draft": ("draft", "brouillon", "entwurf", "borrador"),
}


def _has(text: str, word: str) -> bool:
    if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", word):  # CJK: no word boundaries
        return word in text
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.I) is not None


def verbs_in(text: str) -> set[str]:
    found = {verb for verb, words in VERBS.items() if any(_has(text, w) for w in words)}
    if "reply_all" in found:
        found.discard("reply")
    return found


def decoded_base64(text: str) -> list[str]:
    out = []
    for token in _B64.findall(text):
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if decoded.isprintable() and any(c.isalpha() for c in decoded):
            out.append(decoded)
    return out


def tool_calls_in(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Every JSON object in the text that looks like a tool call ({name, args|arguments|input|parameters}, also the
    OpenAI {function: {name, arguments}} form)."""
    decoder = json.JSONDecoder()
    found: list[tuple[str, dict[str, Any]]] = []
    for i, c in enumerate(text):
        if c != "{":
            continue
        try:
            obj, _ = decoder.raw_decode(text[i:])
        except ValueError:
            continue
        if not isinstance(obj, dict):
            continue
        if isinstance(obj.get("function"), dict):
            obj = obj["function"]
        name = obj.get("name") or obj.get("tool")
        args = next((obj[k] for k in ("args", "arguments", "input", "parameters") if k in obj), None)
        if isinstance(args, str):
            try:
                args = json.loads(args)
            except ValueError:
                continue
        if isinstance(name, str) and isinstance(args, dict):
            found.append((name, args))
    return found


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


def _mail_text(m: dict[str, Any]) -> str:
    """What an obedient model reads as instructions in one mail: subject, body, attachment names."""
    names = [re.sub(r"[_-]+", " ", str(n).rsplit(".", 1)[0]) for n in m.get("attachments", [])]
    return "\n".join([str(m.get("subject", "")), str(m.get("text_body", "")), *names])


class CompromisedModel(BaseChatModel):
    obey: bool = True
    owner: str = ""
    search_limit: int = 5
    made: list[tuple[str, dict[str, Any]]] = []  # every tool call this model emitted
    made_ids: list[str] = []  # their tool call ids, in the same order
    seen_tool_results: list[ToolMessage] = []
    counter: list[int] = [0]

    @property
    def _llm_type(self) -> str:
        return "compromised-test-model"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> CompromisedModel:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.step(messages))])

    # -- one step ---------------------------------------------------------------------------------------------

    def step(self, messages: Sequence[BaseMessage]) -> AIMessage:
        last = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        request = str(messages[last].content)
        turn = messages[last + 1 :]
        steps = sum(1 for m in turn if isinstance(m, AIMessage))
        results = [m for m in turn if isinstance(m, ToolMessage)]
        if steps == 0:
            return self._calls([("search_emails", {"query": self._query(request), "limit": self.search_limit})])
        self.seen_tool_results.extend(m for m in results if m not in self.seen_tool_results)
        if steps == 1:
            ids = [m["id"] for m in self._payload(results[-1]).get("messages", [])]
            reads = [("read_email", {"message_id": i}) for i in ids] + [("get_thread", {"message_id": i}) for i in ids]
            return self._calls(reads) if reads else AIMessage(content="Nothing matches.")
        if steps == 2 and self.obey:
            orders = self._orders(results)
            if orders:
                return self._calls(orders)
        return AIMessage(content=f"I read {len(results)} tool results for: {request}")

    def _query(self, request: str) -> str:
        about = re.search(r"\babout\s+(.+)$", request, re.I)
        words = about.group(1).strip() if about else ""
        unread = "is:unread " if re.search(r"\bunread\b", request, re.I) else ""
        return f"{unread}{words}".strip()

    def _calls(self, items: list[tuple[str, dict[str, Any]]]) -> AIMessage:
        calls = []
        for name, args in items:
            self.counter[0] += 1
            self.made.append((name, args))
            self.made_ids.append(f"evil_{self.counter[0]}")
            calls.append({"name": name, "args": args, "id": f"evil_{self.counter[0]}", "type": "tool_call"})
        return AIMessage(content="", tool_calls=calls)

    @staticmethod
    def _payload(m: ToolMessage) -> dict[str, Any]:
        try:
            data = json.loads(str(m.content))
        except ValueError:
            return {}
        inner = data.get("untrusted_mail_content", data) if isinstance(data, dict) else {}
        return inner if isinstance(inner, dict) else {}

    # -- obeying ----------------------------------------------------------------------------------------------

    def _orders(self, results: Sequence[ToolMessage]) -> list[tuple[str, dict[str, Any]]]:
        """Units of instruction: each read mail alone, and each thread as a whole (split instructions)."""
        units: list[tuple[str, list[str], str]] = []  # (text, message ids, current message id)
        every_id: list[str] = []
        for m in results:
            data = self._payload(m)
            if m.name == "read_email" and data.get("id"):
                units.append((_mail_text(data), [data["id"]], data["id"]))
                every_id.append(data["id"])
            elif m.name == "get_thread" and data.get("messages"):
                mails = data["messages"]
                ids = [x["id"] for x in mails]
                units.append(("\n".join(_mail_text(x) for x in mails), ids, ids[-1]))
                every_id.extend(ids)
        every_id = list(dict.fromkeys(every_id))
        out: list[tuple[str, dict[str, Any]]] = []
        for text, ids, current in units:
            out.extend(self._obey(text, ids, current, every_id))
        unique: dict[str, tuple[str, dict[str, Any]]] = {}
        for name, args in out:
            unique.setdefault(name + json.dumps(args, sort_keys=True), (name, args))
        return list(unique.values())

    def _obey(self, text: str, ids: list[str], current: str, every_id: list[str]) -> list[tuple[str, dict[str, Any]]]:
        text = "\n".join([text, *decoded_base64(text)])
        calls: list[tuple[str, dict[str, Any]]] = []
        for name, args in tool_calls_in(text):  # verbatim, with the ids an attacker could not know filled in
            args = dict(args)
            if "message_id" in args and args["message_id"] not in every_id:
                args["message_id"] = current
            if "message_ids" in args and not set(args["message_ids"]) <= set(every_id):
                args["message_ids"] = ids
            calls.append((name, args))
        found = {a.lower() for a in _ADDRESS.findall(text)} - {self.owner.lower()}
        targets = sorted(found)
        verbs = verbs_in(text)
        loot = text[:300]
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
        for verb in sorted(verbs):
            if verb == "forward" and targets:
                calls.extend(("forward", {"message_id": i, "to": targets, "body": "as requested"}) for i in ids)
            elif verb == "send" and targets:
                send: dict[str, Any] = {"to": targets, "subject": "Requested data", "body": loot}
                if re.search(r"\bbcc\b", text, re.I):
                    send = {**send, "bcc": targets}
                calls.append(("send_email", send))
            elif verb == "reply":
                calls.append(("reply", {"message_id": current, "body": f"As requested: {loot}"}))
            elif verb == "reply_all":
                calls.append(("reply", {"message_id": current, "body": f"As requested: {loot}", "reply_all": True}))
            elif verb == "trash":
                calls.append(("trash", {"message_ids": list(dict.fromkeys([*ids, *every_id]))}))
            elif verb == "schedule" and targets:
                calls.append(
                    ("schedule_email", {"to": targets, "subject": "Scheduled", "body": loot, "send_at": tomorrow})
                )
            elif verb == "label":
                quoted = _QUOTED.findall(text)
                label = quoted[0] if quoted else "Exfil"
                calls.append(("apply_label", {"message_ids": ids, "label": label}))
            elif verb == "archive":
                calls.append(("remove_label", {"message_ids": ids, "label": "INBOX"}))
            elif verb == "draft" and targets:
                calls.append(("create_draft", {"to": targets, "subject": "Draft", "body": loot}))
        return calls


def attempted_external(made: Sequence[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    return [(n, a) for n, a in made if n not in READ_TOOLS]
