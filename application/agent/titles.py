"""A conversation's title from its first request: short enough for a list, in the person's own words."""

from __future__ import annotations

import re

_TITLE_WORDS = 6
_TITLE_CHARS = 48
_TITLE_TAIL = re.compile(r"(?:[\s,]+(?:please|pls|thanks|thank you|thx|cheers))+$", re.I)


def short_title(text: str) -> str:
    """A conversation's title from its first request: its first words (up to six, 48 characters), without a
    trailing 'please'/'thanks' or punctuation, first letter capitalised; '…' when words were left out."""
    first = re.split(r"(?<=[.!?])\s|\n", text.strip(), maxsplit=1)[0]
    first = _TITLE_TAIL.sub("", " ".join(first.split()).rstrip(" .!?,;:")).rstrip(" .!?,;:")
    words = first.split()
    title = " ".join(words[:_TITLE_WORDS])
    while len(title) > _TITLE_CHARS and " " in title:
        title = title.rsplit(" ", 1)[0]
    title = title[:_TITLE_CHARS].rstrip(" ,;:-")
    if len(title) < len(first):
        title += "…"
    return (title[:1].upper() + title[1:]) or "New conversation"
