"""Benchmark: the agent's turn overhead against a bare LangGraph ReAct graph, same scripted model, same mail work.

    .venv/bin/python bench/agent_turn.py [--turns 200] [--rounds 3] [--messages 500]

Both run a turn of 3 tool calls (search_emails, read_email, get_thread on an in-memory mailbox of --messages mails)
and a final answer, from the same scripted tool-calling model (no LLM, no network):
  (a) bare:   langgraph.prebuilt.create_react_agent(model, tools), no checkpointer; the tools call the same use
              cases directly (UseCaseToolbox._run: no gate, no audit, no events);
  (b) agent:  LangGraphEmailAgent.chat as the app runs it: conversation record (SQL unit of work), the action gate
              with its audit and event writes per tool call, a SQLite checkpoint file in the data dir;
  (c) agent with an in-memory checkpointer (diagnostic: how much of (b) is the checkpoint file).
Each turn is a new conversation. Interleaved rounds after a warm-up; prints p50/p99 per turn and (b)/(a), (c)/(a).
Not a timed test: it never fails on a figure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import load_average, machine, percentile


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200, help="turns per variant per round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--messages", type=int, default=500, help="mails in the mailbox (default 500)")
    args = parser.parse_args(argv)

    import warnings

    from dependency_injector import providers
    from langchain_core.messages import HumanMessage
    from langchain_core.tools import StructuredTool

    with warnings.catch_warnings():  # deprecated in favour of langchain.agents.create_agent (langchain not installed)
        warnings.simplefilter("ignore")
        from langgraph.prebuilt import create_react_agent

    from adapters.in_memory.mailbox import InMemoryMailbox
    from adapters.langgraph_agent.agent import LangGraphEmailAgent
    from adapters.langgraph_agent.checkpoints import memory_checkpointer, sqlite_checkpointer
    from adapters.sqlalchemy.migrate import upgrade
    from application.agent.toolbox import SPECS_BY_NAME, validate_args
    from application.ports.mailbox import Mailbox
    from application.ports.mailbox_provider import MailboxProvider
    from domain.identity import USER_SCOPES, Principal, Role, User, UserStatus, new_id
    from domain.mail import EmailAddress
    from domain.mail_account import AccountStatus, MailAccount, MailProvider
    from entrypoints.container import build_container
    from entrypoints.logging_setup import configure_logging
    from entrypoints.settings import Settings
    from tests.support.agent_fakes import ScriptedChatModel, call, say
    from tests.support.mailbox_seed import incoming_raw

    class OneMailbox(MailboxProvider):
        def __init__(self, mailbox: Mailbox) -> None:
            self.mailbox = mailbox

        def supports(self, provider: MailProvider) -> bool:
            return True

        def open(self, account: MailAccount) -> Mailbox:
            return self.mailbox

        def provision(self, account: MailAccount) -> None:
            return None

    configure_logging(json_logs=False, level="WARNING")
    print(f"== Agent turn overhead: 3 tool calls per turn, {args.messages} mails, {args.rounds} rounds ==")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="mailagent-bench-") as tmp:
        settings = Settings(_env_file=None, profile="local", data_dir=Path(tmp) / "var", log_level="WARNING")  # type: ignore[call-arg]
        settings.data_dir.mkdir(parents=True)
        upgrade(settings.resolved_database_url)
        container = build_container(settings)
        mailbox = InMemoryMailbox("me@example.com")
        container.mailboxes.override(providers.Object(OneMailbox(mailbox)))
        now = container.clock().now()
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for n in range(args.messages):
            topic = "offsite" if n % 50 == 0 else f"topic{n % 17}"
            raw = incoming_raw(
                sender=EmailAddress(address=f"p{n % 23}@example.com", name=f"Person {n % 23}"),
                subject=f"About the {topic} {n}",
                text=f"Hello, this is mail {n} about {topic}.",
                date=start + timedelta(minutes=n),
            )
            mailbox.deliver(raw)
        user = User(new_id(), "me@example.com", Role.USER, UserStatus.ACTIVE, now, password_hash="x")
        account = MailAccount(new_id(), user.id, MailProvider.DEMO, "me@example.com", AccountStatus.ACTIVE, now, now)
        with container.uow() as uow:
            uow.users.add(user)
            uow.mail_accounts.add(account)
            uow.commit()
        principal = Principal(user, USER_SCOPES)
        toolbox = container.agent_toolbox()
        target = mailbox.search("offsite", limit=1).messages[0].id
        script = [
            call("search_emails", "c1", query="offsite", limit=5),
            call("read_email", "c2", message_id=target),
            call("get_thread", "c3", message_id=target),
            say("Found it."),
        ]

        def bare_tool(name: str) -> Any:
            spec = SPECS_BY_NAME[name]

            def run(**kw: Any) -> dict[str, Any]:
                return toolbox._run(principal, name, validate_args(name, kw))

            return StructuredTool.from_function(
                func=run, name=name, description=spec.description, args_schema=dict(spec.parameters)
            )

        tools = [bare_tool(n) for n in ("search_emails", "read_email", "get_thread")]
        warnings.simplefilter("ignore", DeprecationWarning)
        bare = create_react_agent(ScriptedChatModel(responses=script, cycle=True, record=False), tools)
        sqlite_agent = LangGraphEmailAgent(
            ScriptedChatModel(responses=script, cycle=True, record=False),
            toolbox,
            container.uow,
            container.clock(),
            sqlite_checkpointer(settings.data_dir / "bench-cp.db"),
        )
        memory_agent = LangGraphEmailAgent(
            ScriptedChatModel(responses=script, cycle=True, record=False),
            toolbox,
            container.uow,
            container.clock(),
            memory_checkpointer(),
        )

        def run_bare() -> None:
            out = bare.invoke({"messages": [HumanMessage("find the offsite mail")]})
            assert out["messages"][-1].content == "Found it."

        def run_agent(agent: LangGraphEmailAgent) -> None:
            turn = agent.chat(principal, "find the offsite mail", conversation_id=None)
            assert turn.reply == "Found it." and [a.status for a in turn.activity] == ["ok", "ok", "ok"], turn

        variants = {
            "bare": run_bare,
            "agent": lambda: run_agent(sqlite_agent),
            "agent-mem": lambda: run_agent(memory_agent),
        }
        for fn in variants.values():  # warm-up
            for _ in range(10):
                fn()
        times: dict[str, list[float]] = {k: [] for k in variants}
        cpu: dict[str, list[float]] = {k: [] for k in variants}
        for _ in range(args.rounds):
            for name, fn in variants.items():
                for _ in range(args.turns):
                    t, c = time.perf_counter(), time.process_time()
                    fn()
                    times[name].append(time.perf_counter() - t)
                    cpu[name].append(time.process_time() - c)
        p50, cpu50 = {}, {}
        for name, values in times.items():
            values.sort()
            cpu[name].sort()
            p50[name], cpu50[name] = percentile(values, 50), percentile(cpu[name], 50)
            print(
                f"{name:>10}: p50 {p50[name] * 1000:7.2f} ms  p99 {percentile(values, 99) * 1000:7.2f} ms  "
                f"CPU p50 {cpu50[name] * 1000:7.2f} ms  ({len(values)} turns)"
            )
        print(
            f"ratio agent/bare p50: {p50['agent'] / p50['bare']:.2f}x; agent-mem/bare: "
            f"{p50['agent-mem'] / p50['bare']:.2f}x; overhead per turn {(p50['agent'] - p50['bare']) * 1000:.2f} ms"
        )
        # CPU time of the process (every thread) per turn: steadier than wall time on a shared machine, and the
        # checkpoint file's fsyncs (wall, not CPU) show only in the wall ratio.
        print(
            f"CPU ratio agent/bare p50: {cpu50['agent'] / cpu50['bare']:.2f}x; agent-mem/bare: "
            f"{cpu50['agent-mem'] / cpu50['bare']:.2f}x; load average {load_average()}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
