"""The gate classifies adding TRASH or SPAM as a label like the trash tool (external: held for approval), found by
the compromised-model harness: `apply_label` with label "TRASH" trashed mail without asking."""

from __future__ import annotations

import pytest

from application.agent.toolbox import SPECS_BY_NAME, action_class, summarize
from domain.agent import ActionClass


@pytest.mark.parametrize("label", ["TRASH", "trash", "Trash", " trash ", "SPAM", "spam", "Spam", "traſh"])
def test_adding_trash_or_spam_as_a_label_is_external(label: str) -> None:
    args = {"message_ids": ["m1"], "label": label}
    assert action_class("apply_label", args) is ActionClass.EXTERNAL
    assert "trash" in summarize("apply_label", args)


@pytest.mark.parametrize("label", ["Later", "INBOX", "STARRED", "Trash receipts", "spammy"])
def test_other_labels_stay_reversible(label: str) -> None:
    assert action_class("apply_label", {"message_ids": ["m1"], "label": label}) is ActionClass.REVERSIBLE


@pytest.mark.parametrize("tool", ["remove_label", "mark_read"])
def test_removing_a_label_keeps_the_tools_class(tool: str) -> None:
    args = {"message_ids": ["m1"], "label": "TRASH"}
    assert action_class(tool, args) is SPECS_BY_NAME[tool].action


def test_every_other_tool_keeps_its_declared_class() -> None:
    for name, spec in SPECS_BY_NAME.items():
        if name not in ("apply_label", "create_event"):
            assert action_class(name, {}) is spec.action


def test_an_event_is_external_exactly_when_it_invites_someone() -> None:
    """create_event is declared EXTERNAL (its most dangerous form); without attendees it touches only the user's own
    calendar and its Undo deletes it, so that call is reversible."""
    assert SPECS_BY_NAME["create_event"].action is ActionClass.EXTERNAL
    assert action_class("create_event", {"title": "Dentist"}) is ActionClass.REVERSIBLE
    assert action_class("create_event", {"title": "Dentist", "attendees": []}) is ActionClass.REVERSIBLE
    invite = {"title": "Sync", "attendees": ["alice@example.com"]}
    assert action_class("create_event", invite) is ActionClass.EXTERNAL
