"""ExtractiveSummarizer: the offline default. No model, no key, deterministic: the same mail gives the same summary.

It only copies and shortens what the messages say (sender, subject, the first sentence of the snippet) and counts;
it cannot follow an instruction written in a mail because it follows none, and URLs are replaced by "[link]" so a
summary never carries a link a person might click thinking mailagent vouched for it."""

from __future__ import annotations

import re

from application.ports.summarizer import MailItem, Summarizer, Summary, SummaryRequest, SummarySection

_URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
MAX_LINE = 160


def strip_links(text: str) -> str:
    return _URL.sub("[link]", text)


def first_sentence(text: str, limit: int = 110) -> str:
    text = " ".join(strip_links(text).split())
    parts = _SENTENCE_END.split(text, maxsplit=1)
    sentence = parts[0] if parts else ""
    return sentence if len(sentence) <= limit else sentence[: limit - 1].rstrip() + "…"


def sender_name(sender: str) -> str:
    name = sender.split("<", 1)[0].strip().strip('"')
    return name or sender.strip("<> ")


def mail_line(item: MailItem) -> str:
    subject = " ".join(strip_links(item.subject).split()) or "(no subject)"
    gist = first_sentence(item.snippet)
    line = f"{sender_name(item.sender)} — {subject}" + (f": {gist}" if gist and gist != subject else "")
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"


def _order(item: MailItem) -> tuple[bool, bool, float, str]:
    return (not item.needs_reply, not item.important, -item.received_at.timestamp(), item.id)


class ExtractiveSummarizer(Summarizer):
    def summarize(self, request: SummaryRequest) -> Summary:
        mails = sorted(request.mails, key=_order)
        reply = [m for m in mails if m.needs_reply]
        important = [m for m in mails if m.important and not m.needs_reply]
        rest = [m for m in mails if not m.needs_reply and not m.important]
        limit = max(1, request.max_items)
        sections: list[SummarySection] = []
        if reply:
            sections.append(SummarySection("Needs a reply", tuple(mail_line(m) for m in reply[:limit])))
        if important:
            sections.append(SummarySection("Important", tuple(mail_line(m) for m in important[:limit])))
        if rest:
            lines = [mail_line(m) for m in rest[:limit]]
            if len(rest) > limit:
                senders: dict[str, int] = {}
                for m in rest[limit:]:
                    senders[sender_name(m.sender)] = senders.get(sender_name(m.sender), 0) + 1
                top = sorted(senders.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
                lines.append(f"…and {len(rest) - limit} more, mostly from " + ", ".join(f"{n} ({c})" for n, c in top))
            sections.append(SummarySection("Also arrived", tuple(lines)))
        if request.agent_activity:
            sections.append(SummarySection("The agent did", tuple(request.agent_activity[:limit])))
        if request.awaiting_approval:
            sections.append(SummarySection("Waiting for your approval", tuple(request.awaiting_approval[:limit])))
        unread = sum(1 for m in mails if m.unread)
        marked = len(important) + sum(1 for m in reply if m.important)
        if mails:
            headline = (
                f"{len(mails)} new message{'s' if len(mails) != 1 else ''} {request.period} ({unread} unread): "
                f"{len(reply)} may need a reply, {marked} marked important."
            )
        else:
            headline = f"No new mail {request.period}."
        if request.awaiting_approval:
            headline += f" {len(request.awaiting_approval)} agent action(s) wait for your approval."
        return Summary(
            headline=headline,
            sections=tuple(sections),
            model="extractive",
            counts={
                "messages": len(mails),
                "unread": unread,
                "needs_reply": len(reply),
                "agent_activity": len(request.agent_activity),
                "awaiting_approval": len(request.awaiting_approval),
            },
        )
