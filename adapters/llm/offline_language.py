"""What the offline command model understands: plain requests about mail, parsed into an Intent without any model.

The pipeline: split off what should be written ("... saying I'll be there"), drop polite wrapping ("could you
please ... thanks"), take out a time expression (offline_time), then match the request against a small set of
patterns. When nothing matches, words close to the model's own vocabulary are corrected (rapidfuzz: one edit for
short words, two for long ones; names, addresses and the text to write are never touched) and it tries once more.
British and American spellings are both words of the vocabulary. docs/agent-commands.md lists the language."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rapidfuzz import process
from rapidfuzz.distance import OSA

from adapters.llm.offline_time import Period, extract_period


@dataclass(frozen=True)
class Intent:
    """A parsed request. kind: find | digest | who | summarize | draft_reply | draft_new | send_new | reply | label |
    bulk | send | help | question | unknown."""

    kind: str
    query: str = ""
    who: str | None = None
    body: str = ""
    to: str | None = None
    subject: str = ""
    label: str = ""
    text: str = ""  # the question to ask (kind question)
    everyone: bool = False  # reply / draft_reply: to everyone on the message
    verb: str = ""  # bulk: archive | trash | read | unread | star
    period: str = ""  # the time expression as typed ("last week")
    implicit_unread: bool = False  # digest: "is:unread" only because no time was given ("what's new")
    described: str = ""  # the mail asked about, in words ("unread mail from Alice last week")


# ---- vocabulary and normalisation --------------------------------------------------------------------------------

VOCABULARY = [
    "summarise",
    "summarize",
    "summary",
    "summaries",
    "digest",
    "overview",
    "recap",
    "rundown",
    "catch",
    "archive",
    "archived",
    "newsletters",
    "newsletter",
    "unread",
    "important",
    "urgent",
    "reply",
    "replies",
    "respond",
    "answer",
    "draft",
    "drafts",
    "email",
    "emails",
    "mail",
    "mails",
    "message",
    "messages",
    "search",
    "find",
    "show",
    "list",
    "label",
    "labels",
    "thread",
    "conversation",
    "saying",
    "everything",
    "anything",
    "please",
    "wrote",
    "written",
    "about",
    "from",
    "send",
    "sent",
    "trash",
    "delete",
    "inbox",
    "yesterday",
    "today",
    "week",
    "month",
    "since",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "morning",
    "latest",
    "last",
    "recent",
    "write",
    "could",
    "would",
    "thanks",
    "thank",
    "starred",
    "attachment",
    "attachments",
    "regarding",
    "whats",
    "what",
    "who",
    "which",
    "anyone",
    "somebody",
    "someone",
    "mark",
    "read",
    "promotions",
]
_VOCAB = frozenset(VOCABULARY)
_NOT_TOPICS = frozenset(
    [
        "what",
        "who",
        "how",
        "when",
        "why",
        "where",
        "did",
        "does",
        "do",
        "came",
        "come",
        "got",
        "get",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "it",
        "them",
        "that",
        "this",
        "first",
        "second",
        "third",
        "last",
        "next",
        "previous",
        "other",
        "one",
        "ones",
    ]
)
_MAIL_WORDS = frozenset({"mail", "mails", "email", "emails", "message", "messages"})
_NEAR_MAIL = frozenset(
    {"meal", "meals", "male", "males", "nail", "nails", "mall", "malls", "sail", "tail", "rail", "mai"}
)
# Body markers: what follows is the text to write, kept as typed.
_BODY = re.compile(
    r"\s*(?:,\s*|\s)(?:saying|that says|to say|and say|and tell (?:them|him|her)|telling (?:them|him|her)|with the "
    r"(?:text|message|words))\s*:?\s+(?P<body>.+)$|\s*:\s+(?P<colon>.+)$",
    re.I,
)
# "reply to Bob with sounds good", "tell Bob (that) I'm late": only after a verb of writing
_BODY_AFTER_VERB = re.compile(
    r"^(?P<command>(?:.*?\b)?(?:reply|respond|answer|write back|get back)\b.*?)\s+with\s+(?P<body>.+)$"
    r"|^(?P<tell>(?:.*?\b)?(?:tell|let)\s+(?:[^\s,]+@[^\s,]+|[^\s,]+(?:\s+[A-Z][\w'-]+)?))(?:\s+know)?(?:\s+that|,)?"
    r"\s+(?P<tell_body>.+)$",
    re.I,
)
_POLITE_START = re.compile(
    r"^(?:(?:hey|hi|hello|ok(?:ay)?|so|um+|please|pls|plz|kindly|now|then|and|also|yes|go ahead and|quickly)[\s,]+"
    r"|(?:can|could|would|will) (?:you|u)(?: please| kindly| maybe| just)?\s+"
    r"|(?:would you mind|do you mind)\s+|(?:i'?d like|i would like|i want|i need) (?:you )?to\s+"
    r"|i'?d love (?:it if you could|you to)\s+|(?:help me|let'?s|lets|try to|just)\s+)+",
    re.I,
)
_POLITE_END = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank you|thx|ty|for me|if you can|if possible|cheers|when you can|"
    r"if you don'?t mind|asap|now|quickly|real quick))+$",
    re.I,
)
_SPELLING = (  # American and British spellings, and ways of writing the same word, to one form
    (r"\bsummari[sz]ation\b", "summary"),
    (r"\bsummari[sz](?:e|ing)\b", "summarize"),
    (r"\bsumari[sz]e\b", "summarize"),
    (r"\be-mails?\b", lambda m: m.group(0).replace("-", "")),
    (r"\b(?:labell?ed|tagged)\b", "labeled"),
    (r"\bcancell?(?:ed|ing)\b", "cancel"),
    (r"[\u2018\u2019]", "'"),
    (r"[\u201c\u201d]", '"'),
    (r"\bwhat is\b", "what's"),
    (r"\bwhats\b", "what's"),
    (r"\bu\b", "you"),
    (r"\bmsgs?\b", "messages"),
    (r"\bnews ?letters\b", "newsletters"),
    (r"\bin ?box\b", "inbox"),
)


def _clean(text: str) -> str:
    return " ".join(text.split()).strip().rstrip(".!?").strip()


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        return text[1:-1]
    return text


def _normalise(text: str) -> str:
    for pattern, replacement in _SPELLING:
        text = re.sub(pattern, replacement, text, flags=re.I)
    for _ in range(3):
        text = _POLITE_START.sub("", text).strip()
        text = _POLITE_END.sub("", text).strip().rstrip(".!?,").strip()
    return text


def correct_typos(text: str) -> str:
    """Words within one edit (two for words of 8+ letters; swapping two letters is one edit) of the vocabulary,
    replaced by it. Words with a capital, a digit, '@' or fewer than 4 letters are names, numbers or addresses and
    stay."""

    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        lower = word.lower()
        if len(word) < 4 or lower in _VOCAB or word[0].isupper() or not word.isalpha():
            return word
        limit = 1 if len(word) < 8 else 2
        best = process.extractOne(lower, VOCABULARY, scorer=OSA.distance, score_cutoff=limit)
        return str(best[0]) if best is not None else word

    return re.sub(r"[\w@.'-]+", fix, text)


# ---- what mail is meant ----------------------------------------------------------------------------------------

_STOP = frozenset(
    ["the", "a", "an", "my", "our", "your", "any", "some", "all", "of", "this", "that", "these", "those", "me", "i"]
)
_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>|([^<>\s]+@[^<>\s]+)")
_MAIL_NOUN = r"(?:mails?|emails?|messages?|inbox|things|stuff|everything|anything|ones?|threads?|conversations?)"
_NEWSLETTERS = "{label:newsletters category:promotions newsletter newsletters}"
_SPECIAL_NOUNS = {
    "newsletters": _NEWSLETTERS,
    "newsletter": _NEWSLETTERS,
    "promotions": "category:promotions",
    "promos": "category:promotions",
    "marketing emails": "category:promotions",
    "marketing mails": "category:promotions",
    "notifications": "category:updates",
    "updates": "category:updates",
    "receipts": "{label:receipts receipt receipts}",
    "invoices": "{invoice invoices}",
}
_ADJECTIVES = {
    "unread": "is:unread",
    "new": "is:unread",
    "unopened": "is:unread",
    "important": "is:important",
    "urgent": "is:important",
    "starred": "is:starred",
    "read": "is:read",
}


@dataclass(frozen=True)
class Selection:
    terms: tuple[str, ...] = ()
    who: str | None = None
    described: str = ""

    @property
    def query(self) -> str:
        return " ".join(self.terms)


def who_term(who: str) -> tuple[str, str]:
    """(search term, the name as used for answers and ambiguity checks) for a sender as typed."""
    who = re.sub(r"^(?:the|my)\s+", "", who.strip(), flags=re.I).removesuffix("'s").removesuffix("'").strip()
    if " " in who:
        return f'from:"{who}"', who
    return f"from:{who}", who


def about_terms(about: str | None) -> list[str]:
    if not about:
        return []
    words = [w for w in re.findall(r"[\w@.\-']+", about) if w.lower() not in _STOP]
    words = [w.removesuffix("'s") for w in words]
    while words and re.fullmatch(rf"{_MAIL_NOUN}", words[-1], re.I) and len(words) > 1:
        words.pop()  # "about the offsite thread" searches 'offsite'
    return words


_FILTER = re.compile(
    r"^\s*(?:(?P<from>from|by|sent by|written by)\s+(?P<who>[^\s,]+@[^\s,]+|(?:the\s+)?[\w.'-]+"
    r"(?:\s+(?!about\b|regarding\b|concerning\b|re\b|on\b|in\b|with\b|labeled\b|that\b|which\b|and\b)[A-Z][\w.'-]*)*)"
    r"|(?:about|regarding|concerning|re|on the subject of|mentioning|on|that mention|which mention|with the subject)\s+"
    r"(?P<about>.+?)(?=\s+(?:from|by)\s+|$)"
    r"|(?:in|labeled|with the label|under)\s+(?:the\s+)?(?:label\s+)?(?P<label>[\w/-]+)(?:\s+label)?"
    r"|(?P<attachment>with (?:an? )?attachments?|that have attachments?|with files?))",
    re.I,
)


def select(phrase: str) -> Selection | None:
    """What mail a phrase means ("unread mail from alice about invoices", "all newsletters", "the invoice from
    Alice"), or None when it is not a description of mail."""
    text = " ".join(phrase.split())
    terms: list[str] = []
    described: list[str] = []
    who: str | None = None
    text = re.sub(r"^(?:(?:all|every|any|my|the|of|these|those|each|for)\s+)+", "", text, flags=re.I)
    while m := re.match(r"^(unread|new|unopened|important|urgent|starred|read)\s+", text, re.I):
        terms.append(_ADJECTIVES[m.group(1).lower()])
        described.append(m.group(1).lower())
        text = text[m.end() :]
    text = re.sub(r"^(?:(?:of|my|the|all)\s+)+", "", text, flags=re.I)
    special = next((k for k in _SPECIAL_NOUNS if re.match(rf"^{k}\b", text, re.I)), None)
    if special:
        terms.append(_SPECIAL_NOUNS[special])
        described.append(special)
        text = text[len(special) :]
    elif m := re.match(
        rf"^{_MAIL_NOUN}\b(?:\s+(?:in my inbox|i got|i received|i have|i've got|i've received))?", text, re.I
    ):
        described.append("mail")
        text = text[m.end() :]
    elif m := re.match(r"^(?P<topic>[^\s].*?)(?=\s+(?:from|by|sent by)\s+|$)", text, re.I):
        topic = about_terms(m.group("topic"))
        if not topic or len(topic) > 4 or any(w.lower() in _NOT_TOPICS for w in topic):
            return None
        terms.extend(topic)
        described.append(" ".join(topic))
        text = text[m.end() :]
    while text.strip():
        f = _FILTER.match(text)
        if f is None:
            return None
        if f.group("who"):
            if who is not None:
                return None
            term, who = who_term(f.group("who"))
            terms.append(term)
            described.append(f"from {who}")
        elif f.group("about"):
            words = about_terms(f.group("about"))
            if not words:
                return None
            terms.extend(words)
            described.append("about " + " ".join(words))
        elif f.group("label"):
            terms.append(f"label:{f.group('label')}")
            described.append(f"in {f.group('label')}")
        else:
            terms.append("has:attachment")
            described.append("with attachments")
        text = text[f.end() :]
    return Selection(tuple(terms), who, " ".join(described) or "mail")


# ---- the requests --------------------------------------------------------------------------------------------

_HELP = re.compile(
    r"^(?:help|\?|what can you do|what do you (?:understand|do)|how do (?:i|you) use (?:this|you)|commands|examples?|"
    r"what can i (?:ask|say|type)|show me (?:some )?examples|how does this work)$",
    re.I,
)
_SEND = re.compile(
    r"^(?:send|ship|fire off|mail)\s+(?:it|that|this|the\s+draft|the\s+reply|my\s+draft|the\s+email|the\s+mail)"
    r"(?:\s+(?:now|off|out|away))?$|^(?:looks good|lgtm|perfect|great)[,\s]+send(?: it)?$",
    re.I,
)
_FIND = re.compile(
    r"^(?:find|search(?:\s+(?:for|my\s+(?:mail|email|inbox)\s+for|through\s+my\s+(?:mail|inbox)\s+for))?|look\s+for|"
    r"look\s+up|show(?:\s+me)?|list|get|pull\s+up|where(?:'s|\s+is|\s+are)|locate|dig\s+up|fetch|display|"
    r"give\s+me|do\s+i\s+have(?:\s+any)?|have\s+i\s+got(?:\s+any)?|are\s+there(?:\s+any)?|is\s+there(?:\s+any)?)\s+"
    r"(?P<what>.+)$",
    re.I,
)
_DIGEST_WORDS = r"(?:summary|digest|overview|rundown|recap|round-?up|briefing|run-?down|tl;?dr|gist)"
_DIGEST = (
    re.compile(
        rf"^(?:give\s+me\s+|get\s+me\s+|show\s+me\s+|write\s+(?:me\s+)?|make\s+(?:me\s+)?|i\s+want\s+|send\s+me\s+|"
        rf"i'?d\s+like\s+|i\s+would\s+like\s+|i\s+need\s+|can\s+i\s+(?:get|have)\s+)?"
        rf"(?:a\s+|an\s+|the\s+|my\s+)?(?:quick\s+|short\s+|brief\s+|daily\s+)?{_DIGEST_WORDS}(?:\s+(?:of|on|for)\s+"
        rf"(?P<what>.+))?$",
        re.I,
    ),
    re.compile(r"^(?:summarize|sum\s+up|recap|go\s+through|read\s+me|brief\s+me\s+on)(?:\s+(?P<what>.+))?$", re.I),
)
_WHATS_NEW = re.compile(
    r"^(?:what'?s\s+(?:new|up|happening|going\s+on|in\s+my\s+inbox|waiting(?:\s+for\s+me)?)|what\s+(?:did\s+i\s+miss|have\s+i\s+missed"
    r"|came(?:\s+in)?|arrived|needs\s+my\s+attention|should\s+i\s+(?:look\s+at|read|know))|catch\s+me\s+up|brief\s+me|"
    r"fill\s+me\s+in|anything\s+(?:new|interesting)|any\s+(?:new\s+)?(?:mail|emails|messages)|"
    r"(?:do\s+i\s+have|have\s+i\s+got|did\s+i\s+get|got)\s+(?:any\s+)?(?:new\s+)?(?:mail|emails|messages)|"
    r"check\s+(?:my\s+)?(?:mail|email|inbox|messages)|new\s+mail|"
    r"(?P<important>(?:is\s+there\s+)?anything\s+(?:important|urgent)|what'?s\s+(?:important|urgent)|"
    r"any(?:thing)?\s+(?:important|urgent)\s+(?:mail|emails|messages)|(?:do\s+i\s+have\s+|are\s+there\s+)?any\s+"
    r"(?:important|urgent)\s+(?:mail|emails|messages)))"
    r"(?:\s+(?:in|on)\s+(?:my\s+)?(?:mail|email|inbox|messages))?(?:\s+for\s+me)?(?P<rest>(?:\s+(?:from|by|about|regarding)\s+.+)?)$",
    re.I,
)
_WHO = re.compile(
    r"^who(?:'s|\s+has|\s+have)?\s+(?:been\s+)?(?:wrote|written|writing|write|emailed|emailing|email|mailed|sent|send|"
    r"messaged|contacted|mentioned|talked|talking|asked|asking|replied|reached\s+out)"
    r"(?:\s+(?:to\s+)?me)?(?:\s+(?:mail|emails?|messages?|something|anything|an\s+email|a\s+message))?"
    r"(?:\s+(?:about|regarding|on|re|concerning|with)\s+|\s+(?=the\s+|an?\s+)|\s+)(?P<about>.+)$",
    re.I,
)
_FROM_PERSON = (
    re.compile(
        r"^(?:show\s+me\s+|tell\s+me\s+|list\s+)?what\s+(?:did|has|have)\s+(?P<who>[^\s]+(?:\s+[A-Z][\w'-]+)?)\s+"
        r"(?:sent|send|written|wrote|write|emailed|email|mailed|said|say)(?:\s+(?:to\s+)?me)?(?P<rest>(?:\s+.+)?)$",
        re.I,
    ),
    re.compile(
        r"^(?:did|has|have)\s+(?P<who>[^\s]+(?:\s+[A-Z][\w'-]+)?)\s+(?:sent|send|written|write|emailed|email|mailed|"
        r"replied|reply|answered|answer|gotten\s+back|got\s+back|get\s+back|responded|respond)(?:\s+(?:to\s+)?me)?"
        r"(?:\s+(?:anything|something|back|an?\s+email|mail))?(?P<rest>(?:\s+.+)?)$",
        re.I,
    ),
    re.compile(
        r"^(?:any(?:thing)?|something|news|word)\s+(?:new\s+)?(?:news\s+|word\s+)?(?:mail\s+|emails?\s+|messages?\s+)?"
        r"(?:from|by)\s+"
        r"(?P<who>.+?)(?P<rest>(?:\s+(?:about|regarding)\s+.+)?)$",
        re.I,
    ),
)
_FROM_PERSON = (
    *_FROM_PERSON,
    re.compile(
        r"^(?:show\s+me\s+|tell\s+me\s+|list\s+)?what\s+(?P<who>[^\s]+(?:\s+[A-Z][\w'-]+)?)\s+(?:sent|wrote|emailed|"
        r"mailed|said)(?:\s+(?:to\s+)?me)?(?P<rest>(?:\s+.+)?)$",
        re.I,
    ),
)
_THREAD = re.compile(
    r"^(?:summarize|sum\s+up|recap|tl;?dr(?:\s+of)?|what'?s|give\s+me\s+the\s+gist\s+of|gist\s+of)\s+(?:the\s+)?"
    r"(?:(?:last|latest|most\s+recent)\s+)?(?:(?P<topic>[\w-]+(?:\s+[\w-]+)?)\s+)?"
    r"(?:thread|conversation|discussion|email\s+thread|chain|exchange)"
    r"(?:\s+(?:with|from)\s+(?P<who>[^\s,]+(?:\s+[A-Z][\w'-]+)?)|\s+(?:about|on|regarding)\s+(?P<about>.+?))?(?:\s+about)?$",
    re.I,
)
_TARGET = re.compile(
    r"^(?:(?P<only>only|just)\s+(?:to\s+)?)?(?:"
    r"(?:the\s+)?(?:(?:last|latest|most\s+recent|newest|recent)\s+)?(?:mail|email|message|note|one)\s+(?:from|by)\s+"
    r"(?P<who>[^\s,]+(?:\s+[A-Z][\w'-]+)?)(?:\s+(?:about|regarding)\s+(?P<who_about>.+))?"
    r"|(?:the\s+)?(?:(?:last|latest|most\s+recent|newest)\s+)?(?:mail|email|message|thread|one|conversation)\s+"
    r"(?:about|regarding|on)\s+(?P<about>.+)"
    r"|(?:the\s+)?(?!(?:the|last|latest|newest|recent|most|this|that|his|her|their|my|your|an?)\b)"
    r"(?P<topic>[\w-]+(?:\s+[\w-]+)?)\s+(?:thread|conversation|email|mail|message|discussion)"
    r"|(?P<possessive>[^\s,]+?)'s?\s+(?:(?:last|latest)\s+)?(?:mail|email|message|note)"
    r"(?:\s+(?:about|regarding)\s+(?P<poss_about>.+))?"
    r"|(?:the\s+)?(?:(?:last|latest)\s+)?(?:mail|email|message)\s+i\s+got\s+from\s+(?P<got>[^\s,]+)"
    r"|(?P<person>[^\s,]+(?:\s+[A-Z][\w'-]+)?))$",
    re.I,
)
_REPLY = re.compile(
    r"^(?:(?P<draft>draft|write|prepare|compose|make|create)(?:\s+me)?\s+(?:an?\s+)?(?P<d_all>reply[\s-]all|"
    r"reply\s+to\s+all)?(?:reply|response|answer|replies)?(?:\s+(?:to|for))?|"
    r"(?P<verb>reply|respond|answer|write\s+back|get\s+back|reply\s+back))"
    r"(?P<all>\s+(?:to\s+)?(?:all|everyone|everybody)(?:\s+(?:on|in|of|to))?|\s+all)?(?:\s+(?:to|on))?\s+(?P<target>.+)$",
    re.I,
)
_TELL = re.compile(r"^(?:tell|let)\s+(?P<who>[^\s,]+)(?:\s+know)?(?:\s+that)?$", re.I)
_DRAFT_NEW = re.compile(
    r"^(?:(?P<send>send|shoot|fire\s+off)|draft|write|compose|prepare|start)\s+(?:me\s+)?(?:an?\s+)?(?:new\s+|quick\s+|"
    r"short\s+)?(?:mail|email|message|note|draft)(?:\s+to\s+(?P<to>[^\s,]+))?(?:\s+(?:about|re|regarding|with\s+the\s+"
    r"subject)\s+(?P<subject>.+?))?$|^(?:(?P<send2>email|mail|send)|write\s+to|draft\s+to|message)\s+(?P<to2>[^\s,]+@[^\s,]+)"
    r"(?:\s+(?:about|re|regarding)\s+(?P<subject2>.+?))?$",
    re.I,
)
_LABEL = re.compile(
    r"^(?:label|tag)\s+(?P<what>.+?)\s+(?:as|with)\s+(?P<label>.+)$|^(?:add|apply|put)\s+(?:the\s+)?(?:label|tag)\s+"
    r"(?P<label2>.+?)\s+(?:to|on)\s+(?P<what2>.+)$|^(?:file|put)\s+(?P<what3>.+?)\s+(?:under|in|into)\s+(?:the\s+)?"
    r"(?P<label3>[\w/-]+)(?:\s+label|\s+folder)?$",
    re.I,
)
_BULK = re.compile(
    r"^(?P<verb>archive|trash|delete|bin|remove|star|mark\s+(?:as\s+)?read|mark\s+(?:as\s+)?unread|"
    r"move\s+to\s+(?:the\s+)?(?:trash|bin|archive))\s+(?P<what>.+?)(?:\s+(?P<tail>as\s+(?:un)?read|(?:as\s+)?(?:un)?read|"
    r"to\s+(?:the\s+)?(?:trash|bin|archive)))?$"
    r"|^mark\s+(?P<what2>.+?)\s+(?:as\s+)?(?P<verb2>read|unread|done|seen|starred|important)$"
    r"|^move\s+(?P<what3>.+?)\s+(?:to|into)\s+(?:the\s+)?(?P<verb3>trash|bin|archive)$",
    re.I,
)
_BULK_VERBS = {
    "archive": "archive",
    "trash": "trash",
    "delete": "trash",
    "bin": "trash",
    "remove": "trash",
    "star": "star",
    "starred": "star",
    "important": "important",
    "read": "read",
    "done": "read",
    "seen": "read",
    "unread": "unread",
}


def _reply_intent(draft: bool, target: str, body: str, everyone: bool | None) -> Intent | None:
    t = _TARGET.match(target)
    if t is None:
        return None
    who = t.group("who") or t.group("possessive") or t.group("got") or t.group("person")
    about = t.group("about") or t.group("topic") or t.group("who_about") or t.group("poss_about")
    if who and who.lower() in ("it", "that", "this", "them", "him", "her", "everyone", "all", "everybody"):
        return None
    terms: list[str] = []
    name = None
    if who:
        term, name = who_term(who)
        terms.append(term)
    topic = about_terms(about)
    if about and not topic:
        return None
    terms.extend(topic)
    if everyone is None:  # a person: to them; a topic or thread: to everyone on it (the card lists them all)
        everyone = not who and bool(topic)
    if t.group("only"):
        everyone = False
    return Intent("draft_reply" if draft else "reply", query=" ".join(terms), who=name, body=body, everyone=everyone)


def _with_period(intent: Intent, period: Period | None) -> Intent:
    if intent.kind == "bulk" and not intent.query and period is None:
        return Intent("unknown")  # "archive everything" acts on nothing it can name: a sender, a topic or a time
    if period is None or intent.kind not in ("find", "digest", "who", "bulk", "label"):
        return intent if period is None else replace(intent, kind="unknown")
    query = " ".join([intent.query, *period.terms]).strip()
    described = f"{intent.described} {period.words}".strip()
    if intent.implicit_unread:  # "what's new since Monday": everything since Monday, read or not
        query = " ".join(t for t in query.split() if t != "is:unread")
        described = described.replace("unread mail", "mail", 1)
    return replace(intent, query=query, period=period.words, described=described)


def _digest(what: str | None) -> Intent | None:
    what = (what or "").strip()
    if re.fullmatch(
        r"(?:it|everything|all|(?:my\s+|the\s+)?(?:mail|email|emails|inbox|messages)(?:\s+(?:in|from)\s+my\s+inbox)?|"
        r"what(?:'s|\s+is)?\s+(?:new|came(?:\s+in)?|arrived|i\s+(?:got|received|missed|have))|(?:my\s+)?new\s+(?:mail|emails?))?",
        what,
        re.I,
    ):
        return Intent("digest", query="is:unread", described="unread mail", implicit_unread=True)
    sel = select(what)
    if sel is None:
        return None
    if not sel.terms:  # "summarise my mail": what is unread
        return Intent("digest", query="is:unread", described="unread mail", implicit_unread=True)
    return Intent("digest", query=sel.query, who=sel.who, described=sel.described)


def _parse_command(text: str, body: str | None, now: datetime) -> Intent:
    text, period = extract_period(text, now)
    intent = _parse_plain(text, body)
    return _with_period(intent, period)


def _parse_plain(text: str, body: str | None) -> Intent:
    if body is None:
        if _HELP.match(text):
            return Intent("help")
        if _SEND.match(text):
            return Intent("send")
        if m := _THREAD.match(text):
            if m.group("topic") and m.group("topic").lower() in ("my", "this", "that", "the"):
                pass
            else:
                who = m.group("who")
                terms = [who_term(who)[0]] if who else []
                terms += about_terms(m.group("about")) + about_terms(m.group("topic"))
                if terms:
                    return Intent("summarize", query=" ".join(terms), who=who_term(who)[1] if who else None)
        if m := _WHATS_NEW.match(text):
            rest = (m.group("rest") or "").strip()
            sel = select(f"mail {rest}") if rest else Selection()
            if sel is not None:
                terms = ["is:important"] if m.group("important") else []
                terms += ["is:unread"] if not rest else []
                terms += list(sel.terms)
                described = ("important " if m.group("important") else "") + (
                    "unread mail" if not rest else sel.described
                )
                return Intent(
                    "digest",
                    query=" ".join(terms),
                    who=sel.who,
                    described=described,
                    implicit_unread="is:unread" in terms,
                )
        for pattern in _DIGEST:
            if (m := pattern.match(text)) and (intent := _digest(m.group("what"))) is not None:
                return intent
        if m := _WHO.match(text):
            words = about_terms(m.group("about"))
            if words:
                return Intent("who", query=" ".join(words), described="about " + " ".join(words))
        for pattern in _FROM_PERSON:
            if m := pattern.match(text):
                rest = (m.group("rest") or "").strip()
                sel = select(f"mail from {m.group('who')} {rest}".strip())
                if sel is not None and sel.who:
                    return Intent("find", query=sel.query, who=sel.who, described=sel.described)
        if m := _FIND.match(text):
            sel = select(m.group("what"))
            if sel is not None and sel.terms:
                return Intent("find", query=sel.query, who=sel.who, described=sel.described)
            if sel is not None:
                return Intent("find", query="", described="mail")
        if m := _BULK.match(text):
            raw_verb = (m.group("verb") or m.group("verb2") or m.group("verb3") or "").lower()
            tail = (m.group("tail") or "").lower()
            what = m.group("what") or m.group("what2") or m.group("what3")
            if raw_verb.startswith("mark"):
                verb = "unread" if "unread" in raw_verb else "read"
            elif raw_verb.startswith("move"):
                verb = "archive" if "archive" in raw_verb else "trash"
            else:
                verb = _BULK_VERBS.get(raw_verb, "")
            if tail:
                verb = (
                    "unread"
                    if "unread" in tail
                    else "read"
                    if "read" in tail
                    else "archive"
                    if "archive" in tail
                    else "trash"
                )
            sel = select(what)
            if verb in ("archive", "trash", "read", "unread", "star") and sel is not None:  # no terms: needs a time
                return Intent("bulk", query=sel.query, who=sel.who, verb=verb, described=sel.described)
        if m := _LABEL.match(text):
            what = m.group("what") or m.group("what2") or m.group("what3")
            label = _unquote((m.group("label") or m.group("label2") or m.group("label3")).strip())
            sel = select(what)
            if sel is not None and sel.terms:
                return Intent("label", query=sel.query, who=sel.who, label=label, described=sel.described)
        if m := _DRAFT_NEW.match(text):
            return _new_mail(m, "")
        return Intent("unknown")
    # something to write
    if m := _REPLY.match(text):
        everyone: bool | None = True if (m.group("all") or m.group("d_all")) else None
        intent = _reply_intent(bool(m.group("draft")), m.group("target"), body, everyone)
        if intent is not None:
            return intent
    if m := _TELL.match(text):  # "tell Bob (that) ...": a reply to Bob's last mail
        term, name = who_term(m.group("who"))
        return Intent("reply", query=term, who=name, body=body, everyone=False)
    if m := _DRAFT_NEW.match(text):
        return _new_mail(m, body)
    return Intent("unknown")


def _new_mail(m: re.Match[str], body: str) -> Intent:
    to = m.group("to") or m.group("to2")
    subject = (m.group("subject") or m.group("subject2") or "").strip()
    send = bool(m.group("send") or m.group("send2"))  # "email bob@… saying …": a send, held for approval
    if not to:
        return Intent(
            "question",
            text="Who should the e-mail go to? Tell me their e-mail address, e.g. "
            "'draft an email to bob@example.com about lunch saying see you at noon'.",
        )
    if "@" not in to:
        return Intent("question", text=f"What is {to}'s e-mail address? I need the full address to write to them.")
    if not body:
        return Intent("question", text="What should the e-mail say? Add 'saying ...' with the text.")
    return Intent("send_new" if send else "draft_new", to=to, subject=subject, body=body)


_COMPOUND = re.compile(
    r"^(?P<find>.+?)\s+and\s+(?:then\s+)?(?P<draft>draft|write|send)\s+(?:a\s+|an\s+)?(?P<all>reply[\s-]all|"
    r"reply\s+to\s+(?:all|everyone))?(?:reply|response|answer)?$",
    re.I,
)


def parse(message: str, now: datetime | None = None) -> Intent:
    """The request in `message`, read as of `now` (for "yesterday", "last week"; default: the current time)."""
    now = now or datetime.now(UTC)
    raw = " ".join(message.split())
    if not _clean(raw):
        return Intent("unknown")
    command, body = _clean(raw), None
    if b := _BODY.search(raw):  # the text to write keeps its punctuation ("saying Thanks!")
        command, body = _clean(raw[: b.start()]), _unquote((b.group("body") or b.group("colon") or "").strip())
    elif v := _BODY_AFTER_VERB.match(raw):
        command = _clean(v.group("command") or v.group("tell"))
        body = _unquote(v.group("body") or v.group("tell_body"))
    if body is not None and not body.strip(" .!?"):
        return Intent("unknown")
    intent = _understand(command, body, now)
    fixed = correct_typos(command)
    if fixed != command:
        # a correction wins when the request was not understood, or when a word it corrected became a search term
        # ("unred mail" searched 'unred'); never when a real word became a noun for mail ("the meal" is not mail)
        corrected = _understand(fixed, body, now)
        pairs = [(a.lower(), b.lower()) for a, b in zip(command.split(), fixed.split(), strict=False) if a != b]
        searched = set(intent.query.lower().split())
        if corrected.kind != "unknown" and (
            intent.kind == "unknown"
            or (any(a in searched for a, _ in pairs) and not any(a in _NEAR_MAIL for a, _ in pairs))
        ):
            intent = corrected
    if intent.kind == "unknown" and body is None:  # "saying" itself mistyped ("sayng")
        words = raw.split(" ")
        for i, word in enumerate(words[1:-1], 1):
            if word.lower() != "saying" and correct_typos(word.lower()) == "saying":
                return _understand(_clean(" ".join(words[:i])), _unquote(" ".join(words[i + 1 :])), now)
    return intent


def _understand(command: str, body: str | None, now: datetime) -> Intent:
    command = _normalise(command)
    if body is not None and (c := _COMPOUND.match(command)):  # "find ... and draft a reply saying ..."
        found = _parse_command(_normalise(c.group("find")), None, now)
        if found.kind in ("find", "digest", "who"):
            everyone = bool(c.group("all")) or (not found.who)
            kind = "reply" if c.group("draft").lower() == "send" else "draft_reply"
            return replace(found, kind=kind, body=body, everyone=everyone)
        return Intent("unknown")
    return _parse_command(command, body, now)
