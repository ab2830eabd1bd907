"""The approval harness (issue 11): a chat model that obeys an attacker's plan step by step (several tool calls in one
step run in parallel in LangGraph's ToolNode, as a real model's would), and the comparison of what an approval
actually did against the card the person approved."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from application.ports.mailbox import Mailbox
from domain.recipient_checks import ascii_address

Call = tuple[str, dict[str, Any]]
# One model step: the calls it makes at once; a callable gets the tool results of the turn so far (to use an id).
Step = Sequence[Call] | Callable[[list[ToolMessage]], Sequence[Call]]


class PlanModel(BaseChatModel):
    """Obeys `plans[user message]`: one AIMessage per step, then a plain answer. Records every call it made."""

    plans: dict[str, list[Any]] = {}
    made: list[Call] = []
    counter: list[int] = [0]

    @property
    def _llm_type(self) -> str:
        return "plan-test-model"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> PlanModel:
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        last = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        turn = messages[last + 1 :]
        steps_done = sum(1 for m in turn if isinstance(m, AIMessage))
        plan = self.plans.get(str(messages[last].content), [])
        if steps_done >= len(plan):
            return _result(AIMessage(content="Done as asked."))
        step = plan[steps_done]
        calls = step([m for m in turn if isinstance(m, ToolMessage)]) if callable(step) else step
        out = []
        for name, args in calls:
            self.counter[0] += 1
            self.made.append((name, args))
            out.append({"name": name, "args": args, "id": f"plan_{self.counter[0]}", "type": "tool_call"})
        return _result(AIMessage(content="", tool_calls=out))


def _result(message: AIMessage) -> ChatResult:
    return ChatResult(generations=[ChatGeneration(message=message)])


def _text(body: str | None) -> str:
    return "\n".join(line.rstrip() for line in (body or "").replace("\r\n", "\n").strip("\n").split("\n"))


def _people(message: Any) -> list[tuple[str, str]]:
    return sorted(
        (field_name, ascii_address(a.address).lower())
        for field_name in ("to", "cc", "bcc")
        for a in getattr(message, field_name)
    )


def card_people(card: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((r["field"], r["ascii_address"].lower()) for r in card["recipients"])


@dataclass
class Figures:
    """What the harness counts; every 'differs'/'without approval' figure must stay 0."""

    attempts: int = 0  # tool calls the attacking models made that would act (not reads)
    effects_without_approval: int = 0
    approvals: int = 0  # approvals whose outcome was compared with the card
    approvals_differing: int = 0
    differences: list[str] = field(default_factory=list)

    def checked(self, found: list[str], what: str) -> None:
        self.approvals += 1
        if found:
            self.approvals_differing += 1
            self.differences.extend(f"{what}: {d}" for d in found)


def differences(action: dict[str, Any], mailbox: Mailbox, scheduled: Callable[[str], Any]) -> list[str]:
    """How what an executed action did differs from its card ([] when it did exactly what the card showed)."""
    snapshot, result = action["snapshot"], action["result"]
    card, kind, effect = snapshot["card"], snapshot["kind"], snapshot["effect"]
    found: list[str] = []
    if action["status"] != "executed":
        return [f"not executed: {action['status']} {action.get('error')}"]
    if kind == "mail.send":
        sent = mailbox.get_message(result["message_id"])
        if _people(sent) != card_people(card):
            found.append(f"recipients {_people(sent)} != card {card_people(card)}")
        fields = {f["label"]: f["value"] for f in card["fields"]}
        if (sent.subject or "(no subject)") != fields.get("Subject"):
            found.append(f"subject {sent.subject!r} != card {fields.get('Subject')!r}")
        if _text(sent.text_body) != _text(card["body"]):
            found.append("the text body differs from the card's")
        got = sorted(
            (a.filename, hashlib.sha256(mailbox.get_attachment(sent.id, a.id)).hexdigest())
            for a in sent.attachments
            if a.filename
        )
        shown = sorted((a["filename"], a["sha256"]) for a in card["attachments"])
        if got != shown:
            found.append(f"attachments {got} != card {shown}")
    elif kind == "mail.schedule":
        email = scheduled(result["scheduled_id"])
        if _people(email.message) != card_people(card):
            found.append(f"scheduled recipients {_people(email.message)} != card {card_people(card)}")
        if email.send_at != datetime.fromisoformat(effect["send_at"]):
            found.append(f"scheduled for {email.send_at} but the card showed {effect['send_at']}")
        if _text(email.message.text_body) != _text(card["body"]):
            found.append("the scheduled body differs from the card's")
    elif kind == "mail.labels":
        found += _label_differences(effect, result, mailbox)
    elif kind == "batch":
        for part, done in zip(effect["parts"], result["parts"], strict=True):
            if part["effect"]["kind"] == "mail.labels":
                found += _label_differences(part["effect"], done, mailbox)
    elif kind == "mail.cancel_scheduled":
        email = scheduled(effect["scheduled_id"])
        if email.status.value != "cancelled":
            found.append(f"scheduled email {effect['scheduled_id']} is {email.status.value}")
    return found


def _label_differences(effect: dict[str, Any], result: dict[str, Any], mailbox: Mailbox) -> list[str]:
    found: list[str] = []
    ids = sorted(m["id"] for m in effect["messages"])
    if sorted(result["messages"]) != ids:
        found.append(f"changed {sorted(result['messages'])} but the card listed {ids}")
    for mid in ids:
        labels = mailbox.get_message(mid).label_ids
        if not set(effect["add"]) <= labels or set(effect["remove"]) & labels:
            found.append(f"{mid} does not carry the card's change ({labels})")
    return found
