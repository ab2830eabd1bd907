"""Gmail search syntax: parse a query into a tree and match it against a Message (Gmail semantics)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from domain.errors import ValidationFailed
from domain.mail import (
    CATEGORY_FORUMS,
    CATEGORY_PERSONAL,
    CATEGORY_PROMOTIONS,
    CATEGORY_SOCIAL,
    CATEGORY_UPDATES,
    DRAFT,
    IMPORTANT,
    INBOX,
    SENT,
    SPAM,
    STARRED,
    SYSTEM_LABEL_IDS,
    TRASH,
    UNREAD,
    Message,
)

MAX_QUERY_LENGTH = 2000
MAX_NESTING = 20

TEXT_OPERATORS = frozenset({"from", "to", "cc", "bcc", "subject", "filename", "rfc822msgid"})
OPERATORS = TEXT_OPERATORS | frozenset(
    {
        "label",
        "is",
        "has",
        "in",
        "after",
        "before",
        "newer",
        "older",
        "older_than",
        "newer_than",
        "larger",
        "smaller",
        "category",
    }
)

IS_VALUES: Mapping[str, str | None] = {
    "unread": UNREAD,
    "starred": STARRED,
    "important": IMPORTANT,
    "read": None,
}
HAS_VALUES = frozenset({"attachment", "userlabels", "nouserlabels"})
CATEGORY_VALUES: Mapping[str, str] = {
    "primary": CATEGORY_PERSONAL,
    "personal": CATEGORY_PERSONAL,
    "social": CATEGORY_SOCIAL,
    "promotions": CATEGORY_PROMOTIONS,
    "updates": CATEGORY_UPDATES,
    "forums": CATEGORY_FORUMS,
}
# names of system labels as `label:`/`in:` accept them
SYSTEM_LABEL_NAMES: Mapping[str, str] = {
    "inbox": INBOX,
    "sent": SENT,
    "draft": DRAFT,
    "drafts": DRAFT,
    "trash": TRASH,
    "spam": SPAM,
    "unread": UNREAD,
    "starred": STARRED,
    "important": IMPORTANT,
    **{name: label for name, label in CATEGORY_VALUES.items() if name != "personal"},
    **{label.lower(): label for label in CATEGORY_VALUES.values()},
}
_AGE_UNITS = {"d": 1, "m": 30, "y": 365}  # Gmail's months and years, approximated in days
_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 * 1024}
_WORD_RE = re.compile(r"\w+")
_DATE_RE = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})$")
_AGE_RE = re.compile(r"^(\d{1,5})([dmy])$")
_SIZE_RE = re.compile(r"^(\d{1,12})([km]?)b?$")
_STOP = frozenset(' \t\r\n(){}"')


# ---------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Term:
    """One condition. `field` is an operator name, or "text" for free text; `exact` for quoted phrases."""

    field: str
    value: str
    exact: bool = False
    when: datetime | None = None  # after/before
    age: timedelta | None = None  # older_than/newer_than
    size: int | None = None  # larger/smaller


@dataclass(frozen=True)
class Not:
    child: QueryNode


@dataclass(frozen=True)
class And:
    children: tuple[QueryNode, ...] = ()  # empty: matches everything


@dataclass(frozen=True)
class Or:
    children: tuple[QueryNode, ...] = field(default_factory=tuple)


QueryNode = Term | Not | And | Or

MATCH_ALL: QueryNode = And(())


# ---------------------------------------------------------------- parsing


def parse_query(query: str) -> QueryNode:
    """Parse Gmail search syntax. Raises ValidationFailed (with the position) on syntax it cannot read."""
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailed(f"The search query is too long (at most {MAX_QUERY_LENGTH} characters).")
    return _Parser(query).parse()


def _fail(message: str, position: int | None = None) -> ValidationFailed:
    details: list[dict[str, object]] = [{"field": "q", "issue": "invalid_query"}]
    if position is not None:
        details[0]["position"] = position
    return ValidationFailed(f"Invalid search query: {message}", details=details)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def parse(self) -> QueryNode:
        node = self._sequence("text", closing=None)
        return node

    # helpers
    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _at_keyword(self, keyword: str) -> bool:
        end = self.pos + len(keyword)
        if self.text[self.pos : end] != keyword:
            return False
        return end == len(self.text) or self.text[end].isspace() or self.text[end] in '({"-'

    def _at_or(self) -> bool:
        if self._peek() == "|":
            return True
        return self._at_keyword("OR")

    # grammar
    def _sequence(self, default_field: str, closing: str | None) -> QueryNode:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _fail("too many nested parentheses or braces.", self.pos)
        items: list[QueryNode] = []
        while True:
            self._skip_space()
            char = self._peek()
            if not char:
                if closing is not None:
                    raise _fail(f"missing '{closing}'.", self.pos)
                break
            if closing is not None and char == closing:
                self.pos += 1
                break
            if char in ")}":
                raise _fail(f"unexpected '{char}' at position {self.pos + 1}.", self.pos)
            if self._at_keyword("AND"):
                self.pos += 3
                continue
            if self._at_or():
                raise _fail(f"'OR' at position {self.pos + 1} needs a term before it.", self.pos)
            items.append(self._disjunction(default_field, closing))
        self.depth -= 1
        return items[0] if len(items) == 1 else And(tuple(items))

    def _disjunction(self, default_field: str, closing: str | None) -> QueryNode:
        alternatives = [self._unary(default_field)]
        while True:
            save = self.pos
            self._skip_space()
            if not self._at_or():
                self.pos = save
                break
            self.pos += 1 if self._peek() == "|" else 2
            self._skip_space()
            if not self._peek() or self._peek() == closing or self._peek() in ")}" or self._at_or():
                raise _fail(f"'OR' at position {self.pos} needs a term after it.", self.pos)
            alternatives.append(self._unary(default_field))
        return alternatives[0] if len(alternatives) == 1 else Or(tuple(alternatives))

    def _unary(self, default_field: str) -> QueryNode:
        char = self._peek()
        following = self.text[self.pos + 1 : self.pos + 2]
        if char == "-" and following and not following.isspace():
            self.pos += 1
            return Not(self._unary(default_field))
        if char == "+" and following and not following.isspace():
            self.pos += 1  # Gmail's "exact word" marker; words are matched exactly anyway
        return self._atom(default_field)

    def _atom(self, default_field: str) -> QueryNode:
        char = self._peek()
        if char == "(":
            self.pos += 1
            return self._sequence(default_field, ")")
        if char == "{":
            self.pos += 1
            inner = self._sequence(default_field, "}")
            if isinstance(inner, And):
                return Or(inner.children) if inner.children else inner
            return inner
        if char == '"':
            return _make_term(default_field, self._quoted(), exact=True)
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in _STOP:
            self.pos += 1
        word = self.text[start : self.pos]
        name, colon, value = word.partition(":")
        operator = name.lower()
        if colon and operator in OPERATORS:
            if value:
                return _make_term(operator, value)
            nxt = self._peek()
            if nxt == '"':
                return _make_term(operator, self._quoted(), exact=True)
            if nxt == "(":
                self.pos += 1
                return self._sequence(operator, ")")
            if nxt == "{":
                self.pos += 1
                inner = self._sequence(operator, "}")
                return Or(inner.children) if isinstance(inner, And) and inner.children else inner
            raise _fail(f"'{name}:' needs a value (e.g. {name}:alice).", start)
        return _make_term(default_field, word)

    def _quoted(self) -> str:
        start = self.pos
        self.pos += 1
        end = self.text.find('"', self.pos)
        if end < 0:
            raise _fail(f"the quote at position {start + 1} is not closed.", start)
        self.pos = end + 1
        return self.text[start + 1 : end]


def _make_term(operator: str, value: str, *, exact: bool = False) -> Term:
    lowered = value.strip().lower()
    if operator in ("after", "before", "newer", "older"):
        return Term("after" if operator in ("after", "newer") else "before", value, when=_parse_date(value))
    if operator in ("older_than", "newer_than"):
        match = _AGE_RE.match(lowered)
        if not match:
            raise _fail(f"'{operator}:{value}' needs an age like 7d, 2m or 1y.")
        return Term(operator, lowered, age=timedelta(days=int(match.group(1)) * _AGE_UNITS[match.group(2)]))
    if operator in ("larger", "smaller"):
        size_match = _SIZE_RE.match(lowered)
        if not size_match:
            raise _fail(f"'{operator}:{value}' needs a size like 500k or 10M.")
        return Term(operator, lowered, size=int(size_match.group(1)) * _SIZE_UNITS[size_match.group(2)])
    if operator == "is" and lowered not in IS_VALUES:
        raise _fail(f"'is:{value}' is not supported (use one of: {', '.join(sorted(IS_VALUES))}).")
    if operator == "has" and lowered not in HAS_VALUES:
        raise _fail(f"'has:{value}' is not supported (use one of: {', '.join(sorted(HAS_VALUES))}).")
    if operator == "category" and lowered not in CATEGORY_VALUES:
        raise _fail(f"'category:{value}' is not supported (use one of: {', '.join(sorted(CATEGORY_VALUES))}).")
    if operator in ("is", "has", "category", "in", "label"):
        return Term(operator, lowered, exact=exact)
    return Term(operator, value, exact=exact)


def _parse_date(value: str) -> datetime:
    text = value.strip()
    if text.isdigit():  # Gmail also takes seconds since the epoch
        try:
            return datetime.fromtimestamp(int(text), UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise _fail(f"'{value}' is not a date.") from exc
    match = _DATE_RE.match(text)
    if not match:
        raise _fail(f"'{value}' is not a date (use YYYY/MM/DD or YYYY-MM-DD).")
    try:
        return datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), tzinfo=UTC)
    except ValueError as exc:
        raise _fail(f"'{value}' is not a valid date.") from exc


# ---------------------------------------------------------------- matching


def normalize_label_name(name: str) -> str:
    """How `label:` compares names: case-insensitive, and spaces, '/' and '-' are interchangeable."""
    return re.sub(r"[\s/\-_]+", "-", name.strip().lower())


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def resolve_label(value: str, label_names: Mapping[str, str]) -> frozenset[str]:
    """The label ids `label:value` names: a system label, or user labels by id or by normalized name."""
    system = SYSTEM_LABEL_NAMES.get(value)
    if system is not None:
        return frozenset({system})
    wanted = normalize_label_name(value)
    return frozenset(i for i, name in label_names.items() if i.lower() == value or normalize_label_name(name) == wanted)


def scope_labels(node: QueryNode) -> frozenset[str]:
    """Of TRASH and SPAM, those the query asks for explicitly (in:trash, label:spam, in:anywhere)."""
    found: set[str] = set()

    def visit(n: QueryNode, negated: bool) -> None:
        if isinstance(n, Term):
            if negated or n.field not in ("in", "label"):
                return
            if n.value == "anywhere" and n.field == "in":
                found.update((TRASH, SPAM))
            elif SYSTEM_LABEL_NAMES.get(n.value) in (TRASH, SPAM):
                found.add(SYSTEM_LABEL_NAMES[n.value])
        elif isinstance(n, Not):
            visit(n.child, not negated)
        else:
            for child in n.children:
                visit(child, negated)

    visit(node, False)
    return frozenset(found)


def matches(
    node: QueryNode,
    message: Message,
    now: datetime,
    *,
    label_names: Mapping[str, str] | None = None,
    owner: str | None = None,
    scope_label_ids: Iterable[str] = (),
) -> bool:
    """Whether `message` satisfies `node`, Gmail-style: messages in TRASH/SPAM only match when the query (or
    `scope_label_ids`, e.g. a label filter) asks for them. `label_names` maps user label ids to names;
    `owner` is the account address (`from:me`)."""
    return CompiledQuery(node, now, label_names=label_names, owner=owner, scope_label_ids=scope_label_ids)(message)


class CompiledQuery:
    """`matches` with everything that does not depend on the message worked out once (for scanning many)."""

    def __init__(
        self,
        node: QueryNode,
        now: datetime,
        *,
        label_names: Mapping[str, str] | None = None,
        owner: str | None = None,
        scope_label_ids: Iterable[str] = (),
    ) -> None:
        self.node = node
        self.now = now
        self.label_names = label_names or {}
        self.owner = owner
        scope = scope_labels(node) | (frozenset(scope_label_ids) & {TRASH, SPAM})
        self.hidden = frozenset({TRASH, SPAM} - scope)
        self.match_all = node == MATCH_ALL
        self._labels: dict[str, frozenset[str]] = {}

    def __call__(self, message: Message, tokens: TokenSource | None = None) -> bool:
        """`tokens`, when given, must answer `token_string(message, field)` (a cache of it)."""
        if self.hidden and not self.hidden.isdisjoint(message.label_ids):
            return False
        if self.match_all:
            return True
        return _Matcher(message, self.now, self.label_names, self.owner, tokens, self._label_ids).eval(self.node)

    def _label_ids(self, value: str) -> frozenset[str]:
        """The ids a `label:`/`in:` value names, resolved once per query."""
        if value not in self._labels:
            self._labels[value] = resolve_label(value, self.label_names)
        return self._labels[value]


TEXT_FIELDS = ("text", "from", "to", "cc", "bcc", "subject", "filename")
_SEGMENT_BREAK = " \x1f "


def text_segments(message: Message, field_name: str) -> list[str]:
    """The separately searched parts of a text field: a phrase matches inside one part, never across two.
    `text` (free text) covers subject, people, body and attachment names; `to` covers To, Cc and Bcc."""
    m = message
    if field_name == "from":
        return [f"{m.from_.name} {m.from_.address}"] if m.from_ else []
    if field_name in ("to", "cc", "bcc"):
        group = {"to": m.to + m.cc + m.bcc, "cc": m.cc, "bcc": m.bcc}[field_name]
        return [f"{a.name} {a.address}" for a in group]
    if field_name == "subject":
        return [m.subject]
    if field_name == "filename":
        return [a.filename for a in m.attachments]
    return [
        m.subject,
        *text_segments(m, "from"),
        *text_segments(m, "to"),
        m.text_body or m.snippet,
        *text_segments(m, "filename"),
    ]


def token_string(message: Message, field_name: str) -> str:
    """The field as ` w1 w2 \x1f w3 ... `: a word or phrase matches exactly when `phrase_key(value)` occurs in
    it as a substring (what an index or SQL `instr` can check)."""
    segments = (" ".join(words(segment)) for segment in text_segments(message, field_name))
    return " " + _SEGMENT_BREAK.join(segments) + " "


def phrase_key(value: str) -> str | None:
    """` w1 w2 ` for a query value, or None when it has no words (it then matches everything)."""
    wanted = words(value)
    return " " + " ".join(wanted) + " " if wanted else None


TokenSource = Callable[[str], str]  # field name -> token_string(message, field), e.g. from a cache or an index


class _Matcher:
    def __init__(
        self,
        message: Message,
        now: datetime,
        label_names: Mapping[str, str],
        owner: str | None,
        tokens: TokenSource | None = None,
        resolve: Callable[[str], frozenset[str]] | None = None,
    ) -> None:
        self.resolve = resolve
        self.message = message
        self.now = now
        self.label_names = label_names
        self.owner = owner.lower() if owner else None
        self.tokens = tokens
        self._words: dict[str, list[list[str]]] = {}

    def eval(self, node: QueryNode) -> bool:
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Not):
            return not self.eval(node.child)
        if isinstance(node, And):
            return all(self.eval(child) for child in node.children)
        return any(self.eval(child) for child in node.children)

    def field_words(self, name: str) -> list[list[str]]:
        """The words of each part of a field; a phrase never spans two parts (e.g. two recipients)."""
        cached = self._words.get(name)
        if cached is None:
            cached = [words(segment) for segment in text_segments(self.message, name)]
            self._words[name] = cached
        return cached

    def contains(self, field_name: str, value: str) -> bool:
        if self.tokens is not None:
            key = phrase_key(value)
            return key is None or key in self.tokens(field_name)
        wanted = words(value)
        if not wanted:
            return True
        size = len(wanted)
        for haystack in self.field_words(field_name):
            if size == 1:
                if wanted[0] in haystack:
                    return True
                continue
            if any(haystack[i : i + size] == wanted for i, w in enumerate(haystack) if w == wanted[0]):
                return True
        return False

    def has_label(self, value: str) -> bool:
        if self.resolve is not None:
            return not self.resolve(value).isdisjoint(self.message.label_ids)
        label_ids = self.message.label_ids
        system = SYSTEM_LABEL_NAMES.get(value)
        if system is not None:
            return system in label_ids
        wanted = normalize_label_name(value)
        for label_id in label_ids:
            if label_id.lower() == value or normalize_label_name(self.label_names.get(label_id, "")) == wanted:
                return True
        return False

    def term(self, term: Term) -> bool:
        m = self.message
        op, value = term.field, term.value
        if op in ("from", "to", "cc", "bcc") and value.lower() == "me" and self.owner:
            if op == "from":
                return m.from_ is not None and m.from_.address.lower() == self.owner
            group = {"to": m.to + m.cc + m.bcc, "cc": m.cc, "bcc": m.bcc}[op]
            return any(a.address.lower() == self.owner for a in group)
        if op in ("text", "from", "to", "cc", "bcc", "subject", "filename"):
            return self.contains(op, value)
        if op == "rfc822msgid":
            wanted = value.strip().strip("<>").lower()
            return (m.message_id_header or "").strip().strip("<>").lower() == wanted
        if op == "label":
            return self.has_label(value)
        if op == "in":
            return value == "anywhere" or self.has_label(value)
        if op == "category":
            return CATEGORY_VALUES[value] in m.label_ids
        if op == "is":
            label = IS_VALUES[value]
            return UNREAD not in m.label_ids if label is None else label in m.label_ids
        if op == "has":
            if value == "attachment":
                return m.has_attachments
            has_user = any(label not in SYSTEM_LABEL_IDS for label in m.label_ids)
            return has_user if value == "userlabels" else not has_user
        if op == "after":
            assert term.when is not None
            return m.internal_date >= term.when
        if op == "before":
            assert term.when is not None
            return m.internal_date < term.when
        if op == "newer_than":
            assert term.age is not None
            return m.internal_date > self.now - term.age
        if op == "older_than":
            assert term.age is not None
            return m.internal_date < self.now - term.age
        if op == "larger":
            assert term.size is not None
            return m.size_estimate > term.size
        if op == "smaller":
            assert term.size is not None
            return m.size_estimate < term.size
        raise AssertionError(f"unknown operator {op}")
