"""The slash command end to end inside the daemon: parse, authorize, store, reply, then the
pack drafted from the real Prometheus and posted to the fake Slack by the real WebClient."""

from __future__ import annotations

import json

from daemon.runtime.commands import CommandRequest, handle_command
from daemon.runtime.packs import ACTION_DECIDE, ACTION_REFRESH
from tests.generator import truth
from tests.runtime.conftest import (
    ASK_CHANNEL,
    MANAGER,
    OUTSIDER,
    SERVICE_CHANNEL,
    RuntimeFactory,
    settle,
)
from tests.support.fake_slack import FakeSlack

HOSTILE = "Ship <!channel> *one-click* by Friday & ping <@U999|boss>?"


def ask(text: str, user: str = MANAGER) -> CommandRequest:
    return CommandRequest("/slo-prep", text, user, ASK_CHANNEL)


def counted(rt: object, subcommand: str, outcome: str) -> float:
    value = rt.metrics.registry.get_sample_value(  # type: ignore[attr-defined]
        "slo_prep_commands_total", {"subcommand": subcommand, "outcome": outcome}
    )
    return value or 0.0


def test_ask_stores_before_the_reply_then_posts_the_pack(
    make_runtime: RuntimeFactory, slack: FakeSlack, prometheus: object
) -> None:
    rt = make_runtime()
    reply = handle_command(rt, ask(f"ask checkout {HOSTILE} by 2026-11-27"))
    stored = rt.store.list_questions()
    # acknowledged means kept: the question is in the store before any follow-up ran
    assert len(stored) == 1 and stored[0].id in reply.text
    question = stored[0]
    assert question.question == HOSTILE
    assert question.deadline is not None and question.deadline.isoformat() == "2026-11-27"
    assert question.asked_by == MANAGER and question.channel == ASK_CHANNEL
    assert "<!channel>" not in reply.text and "&lt;!channel&gt;" in reply.text
    assert slack.messages == []
    assert reply.follow_up is not None
    reply.follow_up()

    posted = [msg for msg in slack.messages if msg.channel == SERVICE_CHANNEL]
    parent, replies = posted[0], posted[1:]
    assert parent.thread_ts is None and replies
    assert all(r.thread_ts == parent.ts for r in replies)
    # the question escaped in the notification text and in the blocks, with its deadline
    assert "&lt;!channel&gt;" in parent.text and "<!channel>" not in parent.text
    body = json.dumps(parent.blocks)
    assert "&lt;!channel&gt;" in body and "<!channel>" not in body
    assert "&lt;@U999|boss&gt;" in body and "2026-11-27" in body
    actions = [b for b in parent.blocks if b.get("type") == "actions"]
    assert [e["action_id"] for e in actions[0]["elements"]] == [ACTION_REFRESH, ACTION_DECIDE]
    assert {e["value"] for e in actions[0]["elements"]} == {question.id}
    assert [f.channel_id for f in slack.files] == [SERVICE_CHANNEL]
    assert slack.files[0].thread_ts == parent.ts
    # the headline figure equals the generator's own truth (not the code under test)
    want = truth.budget_truth(
        prometheus.scenario,  # type: ignore[attr-defined]
        "availability",
        99.9,
        "30d",
        prometheus.at,  # type: ignore[attr-defined]
    )
    consumed = f"{want['consumed_fraction'] * 100:.1f} %"
    assert consumed in body
    entry = rt.store.get_entry_by_key(f"question:{question.id}:refresh:0")
    assert entry is not None and entry.posted_at is not None
    assert counted(rt, "ask", "ok") == 1


def test_errors_are_specific_and_register_nothing(make_runtime: RuntimeFactory) -> None:
    rt = make_runtime()
    unknown = handle_command(rt, ask("ask billing Can we ship?"))
    assert "Unknown service" in unknown.text and "checkout, payments" in unknown.text
    missing = handle_command(rt, ask("ask checkout"))
    assert "Missing question" in missing.text and "Usage:" in missing.text
    long = handle_command(rt, ask("ask checkout " + "x" * 501))
    assert "501 characters" in long.text and "limit is 500" in long.text
    bad_date = handle_command(rt, ask("ask checkout Ship it? by 2026-02-30"))
    assert "not a valid deadline" in bad_date.text
    assert all(r.follow_up is None for r in (unknown, missing, long, bad_date))
    assert rt.store.list_questions() == []
    assert counted(rt, "ask", "refused") == 4


def test_only_managers_may_register_and_change(
    make_runtime: RuntimeFactory, slack: FakeSlack
) -> None:
    rt = make_runtime(managers=[MANAGER])
    refused = handle_command(rt, ask("ask checkout Can we ship?", user=OUTSIDER))
    assert "Only the managers of *checkout*" in refused.text and f"<@{MANAGER}>" in refused.text
    assert rt.store.list_questions() == []
    accepted = handle_command(rt, ask("ask checkout Can we ship?"))
    question = rt.store.list_questions()[0]
    assert question.id in accepted.text
    cancel = handle_command(rt, ask(f"cancel {question.id}", user=OUTSIDER))
    assert "Only the managers" in cancel.text
    assert rt.store.get_question(question.id).status == "open"  # type: ignore[union-attr]
    # anyone may read
    listed = handle_command(rt, ask("list", user=OUTSIDER))
    assert listed.text.splitlines()[1].startswith("• “Can we ship?”")


def test_list_show_cancel_and_help(make_runtime: RuntimeFactory, prometheus: object) -> None:
    from tests.runtime.conftest import Clock

    clock = Clock(prometheus.at)  # type: ignore[attr-defined]
    rt = make_runtime(clock=clock)
    ids = []
    for n in range(12):
        clock.advance(minutes=1)
        handle_command(rt, ask(f"ask checkout Question number {n}?"))
        ids.append(rt.store.list_questions(limit=1)[0].id)
    listed = handle_command(rt, ask("list checkout")).text.splitlines()
    assert listed[0] == "Questions for *checkout*, most recent first:"
    # the 10 most recent, newest first, each line starting with the question text
    assert [line.split("”")[0] for line in listed[1:]] == [
        f"• “Question number {n}?" for n in range(11, 1, -1)
    ]
    assert (
        handle_command(rt, ask("list payments")).text == "No questions registered for *payments*."
    )
    shown = handle_command(rt, ask(f"show {ids[0].lower()}")).text
    assert shown.startswith(f"*{ids[0]}* — “Question number 0?”") and "Packs drafted: 0" in shown
    assert "There is no question *Q-ZZZZZZ*" in handle_command(rt, ask("show Q-ZZZZZZ")).text
    assert "Cancelled" in handle_command(rt, ask(f"cancel {ids[0]}")).text
    again = handle_command(rt, ask(f"cancel {ids[0]}")).text
    assert "already cancelled" in again
    assert "`/slo-prep ask <service> <question> [by YYYY-MM-DD]`" in (
        handle_command(rt, ask("help")).text.replace("&lt;", "<").replace("&gt;", ">")
    )


def test_decide_records_and_posts_in_the_thread(
    make_runtime: RuntimeFactory, slack: FakeSlack
) -> None:
    rt = make_runtime()
    reply = handle_command(rt, ask("ask checkout Can we ship on Monday?"))
    assert reply.follow_up is not None
    reply.follow_up()
    question = rt.store.list_questions()[0]
    document = json.loads(rt.store.packs_for_question(question.id)[-1].document)
    options = [o["id"] for o in document["options"]]
    wrong = next(f"O{n}" for n in range(1, 7) if f"O{n}" not in options)
    refused = handle_command(rt, ask(f"decide {question.id} {wrong}"))
    assert "is not an option" in refused.text
    decided = handle_command(rt, ask(f"decide {question.id} {options[0]} go, <!here> agreed"))
    assert decided.follow_up is not None
    decided.follow_up()
    stored = rt.store.get_question(question.id)
    assert stored is not None and stored.status == "decided"
    assert stored.decided_option == options[0] and stored.decided_by == MANAGER
    assert stored.decision_note == "go, <!here> agreed"
    parent = next(msg for msg in slack.messages if msg.channel == SERVICE_CHANNEL)
    last = slack.messages[-1]
    assert last.thread_ts == parent.ts and "Decision recorded" in last.text
    assert "&lt;!here&gt;" in last.text and "<!here>" not in last.text
    shown = handle_command(rt, ask(f"show {question.id}")).text
    assert f"Decided *{options[0]}* by <@{MANAGER}>" in shown


def test_refresh_posts_what_changed_in_the_thread_and_updates_the_parent(
    make_runtime: RuntimeFactory, slack: FakeSlack, prometheus: object
) -> None:
    from tests.runtime.conftest import Clock

    clock = Clock(prometheus.at)  # type: ignore[attr-defined]
    rt = make_runtime(clock=clock)
    first = handle_command(rt, ask("ask checkout Can we ship?"))
    assert first.follow_up is not None
    first.follow_up()
    question = rt.store.list_questions()[0]
    before = len(slack.messages)
    clock.advance(hours=6)
    refreshed = handle_command(rt, ask(f"refresh {question.id}"))
    assert refreshed.follow_up is not None
    refreshed.follow_up()
    parent = next(msg for msg in slack.messages if msg.channel == SERVICE_CHANNEL)
    new = slack.messages[before:]
    assert new and all(msg.thread_ts == parent.ts for msg in new)
    assert new[0].text.startswith("*What changed since the last pack*")
    # the budget delta is the generator's truth at both times
    at0 = prometheus.at  # type: ignore[attr-defined]
    scenario = prometheus.scenario  # type: ignore[attr-defined]
    then = truth.budget_truth(scenario, "availability", 99.9, "30d", at0)
    now = truth.budget_truth(scenario, "availability", 99.9, "30d", clock.now)
    delta = (now["consumed_fraction"] - then["consumed_fraction"]) * 100
    assert abs(delta) >= 0.05  # the scenario moves in those six hours: the line must be there
    assert f"{delta:+.1f} pp" in new[0].text
    assert len(slack.calls_to("chat.update")) == 1
    assert len(rt.store.packs_for_question(question.id)) == 2
    settle(rt)
