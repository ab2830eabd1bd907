"""The snapshot an approval binds to: canonical content hashed, explanations left out of the hash, every effect kind
stored and loaded unchanged, a changed content detected, cards that say everything; and the checks behind the
recipient flags (outside the organisation, a name showing another address, look-alike domains)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.approval import (
    BatchEffect,
    BatchPart,
    Recipient,
    RecipientFlag,
    Snapshot,
    effect_from_dict,
)
from domain.errors import ValidationFailed
from domain.mail import EmailAddress
from domain.mail_effects import (
    AttachmentSource,
    CancelScheduledEffect,
    DraftEffect,
    FrozenAttachment,
    LabelChangeEffect,
    MailEffect,
    MailOrigin,
    MessageRef,
    ScheduledMailEffect,
)
from domain.recipient_checks import (
    ascii_address,
    is_outside,
    lookalike_domain,
    name_shows_other_address,
    organisation_domains,
)

WHEN = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
MAIL = MailEffect(
    account_id="acc",
    sender=EmailAddress(address="me@northwind.example"),
    people=(
        Recipient("to", "attacker@evil.example", "", (RecipientFlag.REPLY_TO, RecipientFlag.FIRST_CONTACT)),
        Recipient("cc", "kim@northwind.example", "Kim", (RecipientFlag.REPLY_ALL,)),
        Recipient("bcc", "zoe@evil.example"),
    ),
    subject="Re: Audit",
    text_body="Numbers attached.",
    html_body="<p>Numbers</p>",
    attachments=(
        FrozenAttachment("q3.xlsx", "application/vnd.ms-excel", 4, "ab" * 32, AttachmentSource.mail_part("m", "2")),
    ),
    message_id="<a@northwind.example>",
    in_reply_to="<o@northwind.example>",
    references=("<o@northwind.example>",),
    thread_id="t1",
    origin=MailOrigin("reply_all", "m", "Audit", "Julie <julie@northwind.example>", "attacker@evil.example"),
)
EFFECTS = [
    MAIL,
    ScheduledMailEffect(MAIL, WHEN, "Europe/Berlin", "moved forward"),
    CancelScheduledEffect("s1", "Later", ("kim@northwind.example",), WHEN, "UTC"),
    LabelChangeEffect("acc", "trash", (MessageRef("m1", "Invoice", "Ann <ann@x.org>"),), add=("TRASH",)),
    DraftEffect("acc", None, (Recipient("to", "kim@northwind.example"),), "Hi", "body"),
    BatchEffect(
        (BatchPart("c1", "mark_read", LabelChangeEffect("acc", "mark_read", (MessageRef("m1"),), remove=("UNREAD",))),),
        "over budget",
    ),
]


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.kind)
def test_every_kind_of_effect_is_stored_and_loaded_unchanged_with_its_hash(effect: object) -> None:
    snapshot = Snapshot.of(effect)  # type: ignore[arg-type]
    again = Snapshot.from_dict(snapshot.to_dict())
    assert again == snapshot and again.intact() and len(snapshot.hash) == 64
    assert snapshot.card().title


def test_the_hash_covers_what_happens_and_not_the_explanations() -> None:
    base = Snapshot.of(MAIL).hash
    unflagged = replace(MAIL, people=tuple(replace(r, flags=()) for r in MAIL.people), origin=MailOrigin("new"))
    assert Snapshot.of(unflagged).hash == base  # flags and where it came from only explain it
    for changed in (
        replace(MAIL, people=(*MAIL.people, Recipient("bcc", "x@evil.example"))),
        replace(MAIL, people=(replace(MAIL.people[0], field="cc"), *MAIL.people[1:])),
        replace(MAIL, text_body="Numbers attached. "),
        replace(MAIL, html_body=None),
        replace(MAIL, attachments=(replace(MAIL.attachments[0], sha256="cd" * 32),)),
        replace(MAIL, in_reply_to=None),
        replace(MAIL, sender=EmailAddress(address="other@northwind.example")),
    ):
        assert Snapshot.of(changed).hash != base
    scheduled = Snapshot.of(ScheduledMailEffect(MAIL, WHEN, "Europe/Berlin")).hash
    assert Snapshot.of(ScheduledMailEffect(MAIL, WHEN.replace(minute=31), "Europe/Berlin")).hash != scheduled


def test_content_changed_behind_the_hash_is_detected() -> None:
    snapshot = Snapshot.of(MAIL)
    tampered = replace(snapshot, effect=replace(MAIL, people=(Recipient("to", "x@evil.example"),)))
    assert snapshot.intact() and not tampered.intact()
    with pytest.raises(ValidationFailed, match="Unknown kind of effect"):
        effect_from_dict({"kind": "mail.teleport"})


def test_the_card_shows_every_recipient_with_flags_the_body_attachments_and_why() -> None:
    card = MAIL.card()
    assert card.title == "Reply to all on 'Audit' from Julie <julie@northwind.example>"
    assert [(r.field, r.address) for r in card.recipients] == [
        ("to", "attacker@evil.example"),
        ("cc", "kim@northwind.example"),
        ("bcc", "zoe@evil.example"),
    ]
    text = card.as_text()
    assert (
        "To: attacker@evil.example  [not the sender of the mail you are replying to (Reply-To); "
        "never written to before]" in text
    )
    assert "Cc: Kim <kim@northwind.example>  [added by reply-all]" in text
    assert "Numbers attached." in text and "q3.xlsx (4 bytes" in text and "formatted HTML version" in text
    assert any("its Reply-To" in n for n in card.notes) and any("Bcc" in n for n in card.notes)
    scheduled = ScheduledMailEffect(MAIL, WHEN, "Europe/Berlin", "02:30 does not exist").card()
    assert ("Send at", "Sun 28 Mar 2027, 03:30 Europe/Berlin (2027-03-28 01:30 UTC)") in scheduled.fields
    assert "02:30 does not exist" in scheduled.notes
    trash = EFFECTS[3].card()
    assert trash.title == "Move 1 message to the trash" and trash.items[0].label == "Invoice"
    assert "Ann <ann@x.org>" in trash.items[0].detail and "m1" not in trash.items[0].detail  # names, never ids
    homoglyph = Recipient("to", "david@nоrthwind.example")
    assert "(really david@xn--nrthwind-nbh.example)" in homoglyph.describe()


def test_outside_the_organisation() -> None:
    org = organisation_domains("me@northwind.example", ["contoso.example"])
    assert org == {"northwind.example", "contoso.example"}
    assert not is_outside("kim@northwind.example", "me@northwind.example", org)
    assert not is_outside("a@eu.contoso.example", "me@northwind.example", org)  # a subdomain is inside
    assert is_outside("x@northwind.example.evil.example", "me@northwind.example", org)
    assert organisation_domains("me@gmail.com") == frozenset()  # a public provider is nobody's organisation
    assert is_outside("friend@gmail.com", "me@gmail.com", frozenset())
    assert not is_outside("ME@gmail.com", "me@gmail.com", frozenset())


def test_a_display_name_showing_another_address() -> None:
    assert name_shows_other_address("ceo@northwind.example", "attacker@evil.example")
    assert name_shows_other_address("Kim (kim@northwind.example)", "x@evil.example")
    assert not name_shows_other_address("Kim", "kim@northwind.example")
    assert not name_shows_other_address("KIM@northwind.example", "kim@northwind.example")


@pytest.mark.parametrize(
    ("domain", "flagged"),
    [
        ("nоrthwind.example", True),  # Cyrillic о
        ("xn--nrthwind-nbh.example", True),  # the same, as punycode
        ("northwlnd.example", True),  # one letter away
        ("nortwhind.example", True),  # two letters swapped
        ("rnorthwind.example", True),  # one letter added
        ("northvvind.example", True),  # vv reads as w
        ("northwind.example", False),  # the known one itself
        ("evil.example", False),  # plainly different
        ("contoso.example", False),
    ],
)
def test_lookalike_domains(domain: str, flagged: bool) -> None:
    assert lookalike_domain(domain, ["northwind.example", "contoso.example"]) is flagged


def test_ascii_address() -> None:
    assert ascii_address("david@nоrthwind.example") == "david@xn--nrthwind-nbh.example"
    assert ascii_address("kim@northwind.example") == "kim@northwind.example"
