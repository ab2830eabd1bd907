"""Pure checks behind a recipient's flags: outside the organisation, a display name that shows another address, and a
domain that imitates a known one (non-Latin look-alike letters, punycode, or one typo away)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Mail providers anyone can sign up to: sharing one of these says nothing about being in the same organisation.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "ymail.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.ru",
        "yandex.ru",
        "qq.com",
        "163.com",
        "zoho.com",
        "fastmail.com",
    }
)

_ADDRESS_IN_TEXT = re.compile(r"[^\s<>()\"',;:@]+@[^\s<>()\"',;:@]+\.[^\s<>()\"',;:@]+")

# ASCII spellings that read like other letters, folded before domains are compared ("rn" reads as "m").
_ASCII_LOOKALIKES = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("0", "o"), ("1", "l"), ("i", "l"), ("5", "s"))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().lower().rstrip(".")


def ascii_address(address: str) -> str:
    """The address as mail systems carry it: a non-ASCII domain in its punycode form (`xn--...`), which also shows
    a look-alike for what it is. Unchanged when the domain is ASCII or cannot be encoded."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def organisation_domains(own_address: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The account's own domain (unless it is a public provider's) and any configured ones."""
    own = domain_of(own_address)
    found = {d.strip().lower() for d in extra if d.strip()}
    if own and own not in PUBLIC_MAIL_DOMAINS:
        found.add(own)
    return frozenset(found)


def is_outside(address: str, own_address: str, organisation: frozenset[str]) -> bool:
    """Outside the organisation: not the account itself and not in one of its domains (or a subdomain)."""
    if address.lower() == own_address.lower():
        return False
    domain = domain_of(address)
    return not any(domain == d or domain.endswith("." + d) for d in organisation)


def name_shows_other_address(name: str, address: str) -> bool:
    """`"ceo@company.example" <attacker@evil.example>`: the name holds an address that is not the real one."""
    return any(found.lower() != address.lower() for found in _ADDRESS_IN_TEXT.findall(name or ""))


def _skeleton(domain: str) -> str:
    folded = domain.lower()
    for a, b in _ASCII_LOOKALIKES:
        folded = folded.replace(a, b)
    return folded


def _within_one_edit(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns a into b (a != b)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(shorter) and shorter[i] == longer[i]:
        i += 1
    return shorter[i:] == longer[i + 1 :]


def lookalike_domain(domain: str, known: Iterable[str]) -> bool:
    """The domain could pass for another: it has non-ASCII letters or a punycode label (homoglyphs such as a
    Cyrillic 'а'), or it is not a known domain but reads like one (`exarnple.com`, `examp1e.com`, `exmaple.com`)."""
    domain = domain.lower().rstrip(".")
    if not domain.isascii() or any(label.startswith("xn--") for label in domain.split(".")):
        return True
    known_set = {k.lower().rstrip(".") for k in known if k}
    if domain in known_set:
        return False
    for k in known_set:
        if len(k) < 6 or not k.isascii():
            continue
        if _skeleton(domain) == _skeleton(k) or _within_one_edit(domain, k):
            return True
    return False
