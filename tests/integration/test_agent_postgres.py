"""The agent's production storage: conversations owned through the SQL unit of work, messages in LangGraph's
PostgresSaver. Context carries across a new agent (another process / replica) on the same database; a paused turn
resumes there; another user sees nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from adapters.langgraph_agent.agent import LangGraphEmailAgent
from adapters.langgraph_agent.checkpoints import postgres_checkpointer
from adapters.sqlalchemy.engine import make_engine, make_session_factory
from adapters.sqlalchemy.migrate import upgrade
from adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from application.ports.email_agent import Decision
from domain.errors import NotFound
from tests.support.agent_fakes import ScriptedChatModel, ScriptedToolbox, StepClock, call, say
from tests.unit.test_agent_graph import ALICE, BOB


class Db:
    def __init__(self, url: str) -> None:
        upgrade(url)
        self.url = url
        self.engine = make_engine(url)
        self.factory = make_session_factory(self.engine)
        self.savers: list[Any] = []
        self.users: set[str] = set()

    def agent(self, script: list[Any], toolbox: ScriptedToolbox | None = None) -> tuple[LangGraphEmailAgent, Any]:
        saver = postgres_checkpointer(self.url, max_size=2)
        self.savers.append(saver)
        model = ScriptedChatModel(responses=script)
        agent = LangGraphEmailAgent(
            model, toolbox or ScriptedToolbox(), lambda: SqlAlchemyUnitOfWork(self.factory), StepClock(), saver
        )
        return agent, model

    def close(self) -> None:
        for saver in self.savers:
            saver.conn.close()
        self.engine.dispose()


@pytest.fixture
def db(postgres_url: str) -> Iterator[Db]:
    d = Db(postgres_url)
    yield d
    d.close()


def _ensure_users(db: Db) -> None:
    from sqlalchemy import text

    with db.engine.begin() as conn:  # conversations reference users
        for p in (ALICE, BOB):
            conn.execute(
                text(
                    "INSERT INTO users (id, email, role, status, created_at) VALUES (:i, :e, 'user', 'active', now()) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"i": p.user_id, "e": p.user.email},
            )


@pytest.mark.property(81)
def test_context_and_a_pause_survive_a_new_agent_on_the_same_database(db: Db) -> None:
    _ensure_users(db)
    first, _ = db.agent([say("Noted.")])
    turn = first.chat(ALICE, "the project is Falcon", conversation_id=None)
    second, model = db.agent([call("send_email", "s1", draft_id="d1"), say("Sent the Falcon update.")])
    paused = second.chat(ALICE, "send it", conversation_id=turn.conversation_id)
    assert paused.pending_action_ids == ("pa1",)
    shown = [m.content for m in model.seen[0] if isinstance(m, HumanMessage)]
    assert shown == ["the project is Falcon", "send it"]
    third, _ = db.agent([say("Sent the Falcon update.")])
    done = third.resume(ALICE, turn.conversation_id, [Decision("pa1", True, {"sent": True})])
    assert done.reply == "Sent the Falcon update."
    assert [c.messages for c in third.conversations(ALICE)] == [6]
    with pytest.raises(NotFound):
        third.history(BOB, turn.conversation_id)
    assert third.conversations(BOB) == []
