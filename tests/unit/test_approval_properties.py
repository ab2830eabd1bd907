"""The approval property (issue 11): for any held action, the envelope recipients of what is sent on approval equal
the recipients the card showed — whatever the replied mail's From, Reply-To, To and Cc (duplicates, our own address,
odd display names), whether it is a reply, a reply to all, a forward, a new mail with Bcc or a saved draft, and even
when the draft is rewritten after the card was shown."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from application.use_cases.agent.decide_pending_action import DecidePendingAction, DecidePendingActionInput
from domain.agent import PendingStatus
from domain.mail import EmailAddress, OutgoingMessage
from domain.recipient_checks import ascii_address
from tests.support.agent_world import T0, ScriptedAgent, World
from tests.support.mail_strategies import addresses, tricky_names
from tests.support.mailbox_seed import incoming_raw

OWN = "alice@example.com"
people = addresses(tricky_names)
# Addresses that meet each other: the owner (in any case), a few fixed people, and generated ones.
pool = st.one_of(
    st.sampled_from(
        [
            EmailAddress(address=OWN),
            EmailAddress(address="ALICE@example.com", name="Me, myself"),
            EmailAddress(address="bob@example.com", name="Bob"),
            EmailAddress(address="attacker@evil.example", name="bob@example.com"),
            EmailAddress(address="carol@exаmple.com", name="Carol"),  # Cyrillic а
        ]
    ),
    people,
)
groups = st.lists(pool, max_size=4)


@st.composite
def held_calls(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["reply", "reply_all", "forward", "send", "draft"]))
    return {
        "kind": kind,
        "from": draw(st.one_of(st.none(), pool)),
        "reply_to": draw(st.lists(pool, max_size=2)),
        "to": draw(groups),
        "cc": draw(groups),
        "bcc": draw(groups),
        "rewrite_to": draw(st.one_of(st.none(), st.lists(pool, min_size=1, max_size=2))),
    }


def _strs(group: list[EmailAddress]) -> list[str]:
    return [str(a) for a in group]


def _deliver(w: World, case: dict[str, Any]) -> str:
    sender = case["from"] or EmailAddress(address="someone@example.org")
    raw = incoming_raw(
        sender=sender,
        to=case["to"] or [EmailAddress(address=OWN)],
        cc=case["cc"],
        reply_to=case["reply_to"],
        subject="Question",
        text="Can you help?",
        date=T0 - timedelta(minutes=5),
    )
    return w.alice.mailbox.deliver(raw)


def _call(w: World, case: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    kind = case["kind"]
    if kind in ("reply", "reply_all", "forward"):
        message_id = _deliver(w, case)
        if kind == "forward":
            return "forward", {"message_id": message_id, "to": _strs(case["to"] or case["cc"]) or ["x@example.net"]}
        return "reply", {"message_id": message_id, "body": "Sure.", "reply_all": kind == "reply_all"}
    recipients = {"to": _strs(case["to"]), "cc": _strs(case["cc"]), "bcc": _strs(case["bcc"])}
    if kind == "send":
        return "send_email", {**recipients, "subject": "Hello", "body": "Hi"}
    message = OutgoingMessage(to=tuple(case["to"]), cc=tuple(case["cc"]), bcc=tuple(case["bcc"]), subject="Draft")
    draft = w.alice.mailbox.create_draft(message)
    return "send_email", {"draft_id": draft.id}


def _envelope(message: Any) -> list[tuple[str, str]]:
    return sorted(
        [("to", ascii_address(a.address)) for a in message.to]
        + [("cc", ascii_address(a.address)) for a in message.cc]
        + [("bcc", ascii_address(a.address)) for a in message.bcc]
    )


@settings(max_examples=60)
@given(held_calls())
def test_what_is_sent_on_approval_goes_to_exactly_the_recipients_the_card_showed(case: dict[str, Any]) -> None:
    w = World(sends_per_hour=10_000)
    call = _call(w, case)
    assert call is not None
    tool, args = call
    out = w.toolbox.call(w.ctx(w.alice), tool, args)
    if out.status == "error":  # nobody to send to: refused with a reason, nothing held, nothing sent
        assert "recipient" in out.content["error"] or "nobody" in out.content["error"], out.content
        assert w.alice.mailbox.sent == []
        return
    assert out.status == "pending", out
    with w.uow() as uow:
        action = uow.pending_actions.get(out.pending_action_id or "")
    assert action is not None and action.snapshot is not None
    card = action.snapshot.card()
    # as mail systems carry them: a homoglyph domain travels as punycode, and the card says so (ascii_address)
    shown = sorted((r.field, r.ascii_address) for r in card.recipients)
    if case["kind"] == "draft" and case["rewrite_to"]:
        # the draft is rewritten after the card was shown: the approval still sends what the card showed
        rewritten = OutgoingMessage(to=tuple(case["rewrite_to"]), subject="Swapped", text_body="secret")
        w.alice.mailbox.update_draft(args["draft_id"], rewritten)
    agent = ScriptedAgent(w.toolbox)
    agent.owner[action.conversation_id] = w.alice.user.id
    agent.log[action.conversation_id] = []
    decide = DecidePendingAction(w.uow, w.toolbox, agent, w.clock, w.relay)
    outcome = decide.execute(DecidePendingActionInput(w.alice.principal, action.id, True, action.snapshot.hash))
    assert outcome.action.status is PendingStatus.EXECUTED, outcome.action.error
    [sent] = w.alice.mailbox.sent
    assert _envelope(sent) == shown
    assert sent.subject == dict(card.fields)["Subject"] or (sent.subject == "" and not dict(card.fields)["Subject"])
