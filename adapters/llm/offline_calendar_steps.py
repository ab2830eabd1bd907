"""The offline model's calendar steps: from a parsed calendar request and this turn's tool results, the next tool call
or the answer. Booking with someone is find_free_time (after search_contacts when only a name was given), then
create_event at the first slot — which the gate holds for approval because it invites someone."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from langchain_core.messages import AIMessage

from adapters.llm.offline_calendar import CalendarIntent

Call = Callable[[str, Mapping[str, Any]], AIMessage]


def _time(iso: str) -> str:
    try:
        return f"{datetime.fromisoformat(iso):%a %d %b %H:%M}"
    except ValueError:
        return iso


def _free_answer(data: Mapping[str, Any]) -> AIMessage:
    free = list(data.get("free") or [])
    zone = data.get("timezone", "")
    if not free:
        return AIMessage(content=f"You have no free time then inside your working hours ({zone}).")
    lines = "\n".join(f"- {span}" for span in free[:12])
    more = f"\n(and {len(free) - 12} more)" if len(free) > 12 else ""
    return AIMessage(content=f"You are free (times in {zone}):\n{lines}{more}")


def _unwrapped(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read tool's result without the untrusted-data wrapper (the model reads only structured fields)."""
    inner = data.get("untrusted_mail_content", data)
    return inner if isinstance(inner, Mapping) else {}


def _agenda_answer(data: Mapping[str, Any]) -> AIMessage:
    data = _unwrapped(data)
    events = list(data.get("events") or [])
    zone = data.get("timezone", "")
    if not events:
        return AIMessage(content=f"Nothing on your calendar then ({zone}).")
    lines = []
    for e in events[:25]:
        when = "all day" if e.get("all_day") else f"{_time(str(e.get('start')))}–{str(e.get('end'))[11:16]}"
        lines.append(f"- {when}: {e.get('title')}")
    return AIMessage(content=f"On your calendar (times in {zone}):\n" + "\n".join(lines))


def _pending(data: Mapping[str, Any], done: str, rejected: str) -> AIMessage:
    match data.get("status"):
        case "executed" | "ok" | "created":
            return AIMessage(content=done)
        case "rejected":
            return AIMessage(content=rejected)
        case "failed":
            return AIMessage(content=f"You approved it, but it failed: {data.get('error')}")
        case "pending_approval":
            people = ", ".join(data.get("recipients") or [])
            to = f" It will invite {people}." if people else ""
            return AIMessage(content=f"{data.get('summary') or 'It'} — waiting for your approval.{to}")
        case _:
            return AIMessage(content=done)


def calendar_step(intent: CalendarIntent, results: Sequence[tuple[str, dict[str, Any]]], call: Call) -> AIMessage:
    last_tool, last = results[-1] if results else ("", {})
    if "error" in last and last.get("status") not in ("rejected", "failed"):
        return AIMessage(content=f"That did not work ({last_tool.replace('_', ' ')}): {last['error']}")
    match intent.kind:
        case "free":
            if not results:
                return call("find_free_time", {"start": intent.start, "end": intent.end, "duration_minutes": 30})
            return _free_answer(last)
        case "agenda":
            if not results:
                return call("list_events", {"start": intent.start, "end": intent.end})
            return _agenda_answer(last)
        case "book":
            return _book(intent, results, call)
        case _:
            return _answer(intent, results, call)


def _book(intent: CalendarIntent, results: Sequence[tuple[str, dict[str, Any]]], call: Call) -> AIMessage:
    if not intent.who:  # only on the user's own calendar: nobody is invited (reversible, undoable)
        if not results:
            return call("create_event", {"title": intent.title, "start": intent.start, "end": intent.end})
        return _pending(results[-1][1], f"Added '{intent.title}' to your calendar.", "OK, I did not add it.")
    address = intent.who if "@" in intent.who else ""
    for tool, data in results:
        if tool == "search_contacts":
            people = list(_unwrapped(data).get("contacts") or [])
            if not people:
                return AIMessage(content=f"I found nobody called {intent.who} in your contacts; give me their address.")
            if len(people) > 1:
                names = "; ".join(f"{p.get('name')} <{(p.get('emails') or [''])[0]}>" for p in people[:5])
                return AIMessage(content=f"Which {intent.who}? {names}. Ask again with their address.")
            address = (people[0].get("emails") or [""])[0]
    if not address:
        return call("search_contacts", {"query": intent.who, "limit": 5})
    done = {tool for tool, _ in results}
    if "create_event" in done:
        return _pending(results[-1][1], "It is on your calendar.", "OK, I did not book it.")
    if intent.exact:
        args = {"title": intent.title, "start": intent.start, "end": intent.end, "attendees": [address]}
        return call("create_event", args)
    if "find_free_time" not in done:
        args = {"start": intent.start, "end": intent.end, "attendees": [address], "duration_minutes": intent.minutes}
        return call("find_free_time", args)
    free = next(data for tool, data in results if tool == "find_free_time")
    slots = list(free.get("suggestions") or [])
    if not slots:
        return AIMessage(content=f"I found no free {intent.minutes} minutes then inside your working hours.")
    slot = slots[0]
    args = {"title": intent.title, "start": slot["start"], "end": slot["end"], "attendees": [address]}
    return call("create_event", args)


def _answer(intent: CalendarIntent, results: Sequence[tuple[str, dict[str, Any]]], call: Call) -> AIMessage:
    if not results:
        terms = ["filename:ics"]
        if intent.sender:
            terms.append(f"from:{intent.sender}")
        if intent.about:
            terms.append(intent.about)
        return call("search_emails", {"query": " ".join(terms), "limit": 5})
    tool, data = results[-1]
    if tool == "search_emails":
        found = list(_unwrapped(data).get("messages") or [])
        if not found:
            return AIMessage(content="I found no invitation like that in your mail.")
        return call("respond_to_invitation", {"message_id": str(found[0].get("id")), "response": intent.response})
    return _pending(data, f"Done: {intent.response}.", "OK, I did not answer it.")
