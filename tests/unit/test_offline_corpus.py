"""The offline model's phrase corpus (tests/data/offline_phrases.jsonl): every phrasing marked supported gives exactly
its expected tool calls and arguments; every honest miss does nothing and answers with examples. The share
understood is printed (`pytest -s`, or `python -m tests.support.offline_corpus`)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.llm.offline import EXAMPLES, HELP, NOT_UNDERSTOOD, OfflineCommandModel
from adapters.llm.offline_language import correct_typos, parse
from adapters.llm.offline_time import extract_period
from tests.support.offline_corpus import NOW, entries, report, run

ENTRIES = entries()
SUPPORTED = [e for e in ENTRIES if e.get("supported", True)]
MISSES = [e for e in ENTRIES if not e.get("supported", True)]


def test_the_corpus_is_large_and_varied() -> None:
    assert len(ENTRIES) >= 150
    says = [e["say"] for e in ENTRIES]
    assert len(set(says)) >= len(says) - 2  # "send it" appears with and without a draft
    tools = {tool for e in SUPPORTED for tool, _ in e["calls"]}
    assert {"search_emails", "reply", "create_draft", "remove_label", "mark_read", "trash", "apply_label"} <= tools
    assert any("summarise" in s for s in says) and any("summarize" in s for s in says)
    assert MISSES, "the hard ones it does not understand are in the corpus too"


@pytest.mark.parametrize("entry", SUPPORTED, ids=[e["say"][:60] for e in SUPPORTED])
def test_each_supported_phrasing_gives_its_expected_tool_calls(entry: dict[str, Any]) -> None:
    outcome = run(entry["say"], context=entry.get("context", ""))
    assert outcome.calls == [(tool, args) for tool, args in entry["calls"]]
    assert str(entry.get("answer", "")) in outcome.answer


@pytest.mark.parametrize("entry", MISSES, ids=[e["say"][:60] for e in MISSES])
def test_a_request_it_does_not_understand_does_nothing_and_gets_examples(entry: dict[str, Any]) -> None:
    outcome = run(entry["say"])
    assert outcome.calls == [] and outcome.answer == NOT_UNDERSTOOD


def test_the_share_understood_is_reported() -> None:
    total, supported, understood = report()
    print(
        f"\noffline model: {understood}/{total} phrasings understood ({understood / total:.0%}); "
        f"{supported} marked supported"
    )
    assert understood == supported  # every phrasing marked supported, no cherry-picking of the ones that pass


def test_the_not_understood_answer_gives_3_to_5_examples_in_plain_words() -> None:
    examples = re.findall(r"^- (.+)$", NOT_UNDERSTOOD, re.M)
    assert 3 <= len(examples) <= 5 and examples == list(EXAMPLES)
    for text in (NOT_UNDERSTOOD, HELP):
        assert "MAILAGENT" not in text and "_" not in text.replace("use a hosted model", "")
        assert "[use a hosted model](" in text  # configuration help is behind the link, not in the chat
    for example in EXAMPLES:  # and each example is understood
        assert parse(example, NOW).kind not in ("unknown", "question", "help")
    answer = OfflineCommandModel().step([__import__("langchain_core.messages").messages.HumanMessage("bake me a cake")])
    assert answer.content == NOT_UNDERSTOOD and answer.tool_calls == []


def test_time_expressions_are_calendar_periods_relative_to_the_request() -> None:
    cases = {
        "mail from today": ("after:2026/12/09",),
        "mail from yesterday": ("after:2026/12/08", "before:2026/12/09"),
        "mail this week": ("after:2026/12/07",),
        "mail last week": ("after:2026/11/30", "before:2026/12/07"),
        "mail since Monday": ("after:2026/12/07",),
        "mail since Wednesday": ("after:2026/12/02",),  # today is a Wednesday: the one before
        "mail on Friday": ("after:2026/12/04", "before:2026/12/05"),
        "mail this month": ("after:2026/12/01",),
        "mail last month": ("after:2026/11/01", "before:2026/12/01"),
        "mail in the past 2 weeks": ("newer_than:14d",),
        "mail in the last week": ("newer_than:7d",),
        "mail over the weekend": ("after:2026/12/05", "before:2026/12/07"),
        "mail since 3 December": ("after:2026/12/03",),
        "mail since Dec 1st": ("after:2026/12/01",),
        "mail in March": ("after:2026/03/01", "before:2026/04/01"),
        "mail before 20 November": ("before:2026/11/20",),
    }
    for text, terms in cases.items():
        rest, period = extract_period(text, NOW)
        assert period is not None and period.terms == terms, text
        assert rest == "mail", text


def test_typos_are_corrected_only_towards_its_own_words() -> None:
    assert correct_typos("sumarise my unred emials") == "summarise my unread emails"
    assert correct_typos("archve all newsleters") == "archive all newsletters"
    # names, addresses, capitalised words and short words stay
    assert correct_typos("from Reply bob@exmple.com dana") == "from Reply bob@exmple.com dana"
    # a real word near a mail noun is not made into one
    assert parse("who wrote about the meal", NOW).query == "meal"


def test_conversation_titles_are_the_first_words_of_the_first_request() -> None:
    from application.agent.titles import short_title

    assert short_title("Summarise my unread mail, please") == "Summarise my unread mail"
    assert short_title("find unread mail about the offsite and draft a reply saying I am in") == (
        "Find unread mail about the offsite…"
    )
    assert short_title("what's new?  Also, anything important?") == "What's new"
    assert short_title("   ") == "New conversation"
    assert len(short_title("x" * 500)) <= 49


def test_who_wrote_lists_each_sender_once_and_not_the_person_asking() -> None:
    import json

    from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

    def mail(i: str, sender: str, labels: list[str]) -> dict[str, Any]:
        return {"id": i, "from": sender, "subject": "Offsite", "date": "2026-12-0" + i, "labels": labels}

    found = [
        mail("3", "Me <me@example.com>", ["SENT"]),
        mail("2", "Carol <carol@example.com>", ["INBOX"]),
        mail("1", "Carol <carol@example.com>", ["INBOX"]),
    ]
    call = {"name": "search_emails", "args": {}, "id": "c1", "type": "tool_call"}
    result = ToolMessage(json.dumps({"untrusted_mail_content": {"messages": found}}), tool_call_id="c1", name="x")
    answer = OfflineCommandModel().step(
        [HumanMessage("who wrote about the offsite?"), AIMessage("", tool_calls=[call]), result]
    )
    assert "1 person wrote about offsite" in str(answer.content) and "and 1 more" in str(answer.content)
    assert "me@example.com" not in str(answer.content)
