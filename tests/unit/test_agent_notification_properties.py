"""Property 17 (agent task completion notification) as a state machine over two users chatting with a scripted
agent on in-memory adapters: read-only requests, requests that wait for approval, approvals and rejections, in any
order. Each finished turn — at once when nothing waits, or when its owner decides what waited — reaches exactly its
owner's event stream as one `agent.task_completed`, after that turn's other events; a turn still waiting has none;
nobody ever gets another user's."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from domain.events import EventType
from tests.support.agent_world import Person
from tests.support.properties import for_profile
from tests.unit.test_agent_decisions import Setup

COMPLETED = EventType.AGENT_TASK_COMPLETED.value


class AgentTurns(RuleBasedStateMachine):
    waiting = Bundle("waiting")  # (person index, pending action id)

    def __init__(self) -> None:
        super().__init__()
        self.s = Setup(sends_per_hour=10_000)
        self.people: list[Person] = [self.s.w.alice, self.s.w.bob]
        self.finished = [0, 0]  # turns finished per person

    @rule(who=st.integers(0, 1), message=st.sampled_from(["find the offsite mail", "hello there"]))
    def read_only_turn(self, who: int, message: str) -> None:
        before = len(self.s.w.published)
        turn = self.s.chat(self.people[who], message)
        assert turn.pending_action_ids == ()
        self.finished[who] += 1
        mine = [e for e in self.s.w.published[before:] if e.event.user_id == self.people[who].user.id]
        assert mine and mine[-1].event.type.value == COMPLETED  # the turn's last event says it is done

    @rule(target=waiting, who=st.integers(0, 1))
    def turn_that_waits(self, who: int) -> tuple[int, str]:
        turn = self.s.chat(self.people[who], "send it")
        [pending] = turn.pending_action_ids
        return who, pending

    @rule(held=consumes(waiting), approve=st.booleans())
    def decide(self, held: tuple[int, str], approve: bool) -> None:
        who, pending = held
        before = len(self.s.w.published)
        self.s.decide(self.people[who].principal, pending, approve)
        self.finished[who] += 1
        new = self.s.w.published[before:]
        assert [e.event.user_id for e in new if e.event.type.value == COMPLETED] == [self.people[who].user.id]
        assert new[-1].event.type.value == COMPLETED

    @invariant()
    def each_finished_turn_is_announced_once_to_its_owner_only(self) -> None:
        for who, person in enumerate(self.people):
            announced = [e for e in self.s.w.published if e.event.type.value == COMPLETED]
            assert sum(1 for e in announced if e.event.user_id == person.user.id) == self.finished[who]
        assert {e.event.user_id for e in self.s.w.published} <= {p.user.id for p in self.people}


@pytest.mark.property(17)
def test_property_17_every_finished_agent_turn_is_announced_once_to_its_owner() -> None:
    run_state_machine_as_test(
        AgentTurns, settings=for_profile(settings(max_examples=100, stateful_step_count=15, deadline=None))
    )
