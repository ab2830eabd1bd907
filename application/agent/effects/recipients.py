"""The recipients of a held message with their flags: never written to before (the mailbox's Sent has nothing to
them), not the sender of the replied mail (its Reply-To), added by reply-all, outside the organisation, a name that
shows another address, a look-alike domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from application.ports.mailbox import Mailbox
from domain.approval import Recipient, RecipientFlag
from domain.errors import DomainError, InfrastructureError
from domain.mail import EmailAddress
from domain.recipient_checks import domain_of, is_outside, lookalike_domain, name_shows_other_address


def written_to_before(mailbox: Mailbox, address: str) -> bool:
    """Any sent mail to (or cc/bcc) this address. A mailbox that cannot answer counts as no: the flag shows."""
    if '"' in address or "\\" in address:
        return False
    try:
        return bool(mailbox.search(f'in:sent to:"{address}"', limit=1).messages)
    except (DomainError, InfrastructureError):
        return False


@dataclass(frozen=True)
class Addressing:
    """What is known about where the addresses of a message came from."""

    own_address: str
    organisation: frozenset[str]
    via_reply_to: frozenset[str] = frozenset()  # lower-cased: from the replied mail's Reply-To, not its sender
    via_reply_all: frozenset[str] = frozenset()  # lower-cased: added by reply-all
    known_domains: frozenset[str] = frozenset()  # e.g. the replied mail's sender's domain


def flagged(
    mailbox: Mailbox,
    groups: Sequence[tuple[str, Iterable[EmailAddress]]],
    addressing: Addressing,
    *,
    check_history: bool = True,
) -> tuple[Recipient, ...]:
    """Every address of every group (to, cc, bcc) once per group, in order, validated, with its flags."""
    people: list[tuple[str, EmailAddress]] = []
    for field_name, addresses in groups:
        seen: set[str] = set()
        for a in addresses:
            a.validate(field_name)
            if a.address.lower() not in seen:
                seen.add(a.address.lower())
                people.append((field_name, a))
    own = addressing.own_address.lower()
    history: dict[str, bool] = {}
    for _, a in people:
        key = a.address.lower()
        if key not in history:
            history[key] = key == own or not check_history or written_to_before(mailbox, a.address)
    known = (
        set(addressing.organisation)
        | set(addressing.known_domains)
        | {domain_of(own)}
        | {domain_of(address) for address, written in history.items() if written}
    )
    out: list[Recipient] = []
    for field_name, a in people:
        key = a.address.lower()
        flags: list[RecipientFlag] = []
        if not history[key]:
            flags.append(RecipientFlag.FIRST_CONTACT)
        if key in addressing.via_reply_to:
            flags.append(RecipientFlag.REPLY_TO)
        if key in addressing.via_reply_all:
            flags.append(RecipientFlag.REPLY_ALL)
        if is_outside(a.address, addressing.own_address, addressing.organisation):
            flags.append(RecipientFlag.OUTSIDE_ORGANISATION)
        if name_shows_other_address(a.name, a.address):
            flags.append(RecipientFlag.NAME_SHOWS_OTHER_ADDRESS)
        if lookalike_domain(domain_of(a.address), known):
            flags.append(RecipientFlag.LOOKALIKE_DOMAIN)
        out.append(Recipient(field_name, a.address, a.name, tuple(flags)))
    return tuple(out)
