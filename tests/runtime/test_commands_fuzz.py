"""Fuzzing the whole slash-command path (``handle_command`` and the work after the ack) inside a
runtime whose every secret is a marker: any text, from any user id, gets one of our replies with
user text escaped; only a valid command changes the store; an asked question is stored verbatim;
no query carries user text; no log line, post or stored pack carries a secret."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

from daemon import messages as m
from daemon.core.commands import SUBCOMMANDS, Ask, help_text, parse
from daemon.runtime.commands import CommandRequest, handle_command
from daemon.runtime.context import Runtime
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import ASK_CHANNEL, MANAGER, OUTSIDER
from tests.runtime.fuzz_rig import AT, KNOWN_IDS, Rig, injected, rig
from tests.support.fuzz import (
    MARKER,
    any_text,
    command_texts,
    fuzz,
    hostile_fragment,
    marked_text,
    mostly,
    words,
)
from tests.support.tls import Tls

SERVICES = ("checkout", "payments")


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL)


# every reply the command can give starts with one of these sentences
_REPLIES = tuple(
    _pattern(t)
    for t in (
        m.CMD_UNKNOWN_SUBCOMMAND,
        m.CMD_MISSING,
        m.CMD_EXTRA,
        m.CMD_UNKNOWN_SERVICE,
        m.CMD_BAD_QUESTION_ID,
        m.CMD_BAD_OPTION_ID,
        m.CMD_QUESTION_TOO_LONG,
        m.CMD_NOTE_TOO_LONG,
        m.CMD_BAD_DEADLINE,
        m.CMD_BAD_CHARACTER,
        m.CMD_BAD_REQUEST,
        m.CMD_ASK_REGISTERED,
        m.CMD_NOT_MANAGER,
        m.CMD_LIST_EMPTY,
        m.CMD_LIST_HEADER,
        m.CMD_UNKNOWN_QUESTION,
        m.CMD_SHOW,
        m.CMD_NOT_OPEN,
        m.CMD_REFRESH_QUEUED,
        m.CMD_CANCELLED,
        m.CMD_DECIDED,
        m.CMD_BAD_OPTION_FOR_PACK,
        m.CMD_STATUS_WORKING,
    )
) + tuple(re.compile(re.escape(help_text(t))) for t in (None, *SUBCOMMANDS))
_REGISTERED = re.compile(r"Registered \*(Q-[A-Z0-9]{6})\*")


@pytest.fixture(scope="module")
def fuzz_rig(tmp_path_factory: pytest.TempPathFactory, tls: Tls) -> Iterator[Rig]:
    with rig(tmp_path_factory.mktemp("commands-fuzz"), tls, auth="bearer") as found:
        yield found


def _questions(rt: Runtime) -> dict[str, tuple[str, str | None]]:
    return {q.id: (q.status, q.decided_option) for q in rt.store.list_questions()}


users = mostly(
    st.sampled_from([MANAGER, OUTSIDER]), st.one_of(hostile_fragment, words, st.just(""))
)
channels = mostly(st.just(ASK_CHANNEL), st.one_of(hostile_fragment, words))


@st.composite
def asks(draw: st.DrawFn) -> str:
    service = draw(st.sampled_from(SERVICES))
    question = draw(marked_text())
    deadline = draw(st.none() | st.dates().map(lambda d: f" by {d.isoformat()}"))
    return f"ask {service} {question}{deadline or ''}"


# stand-ins for the ids of stored questions, replaced when the example runs
_STORED = ("@Q0", "@Q1", "@Q2")
_STORED_REF = re.compile(r"@[qQ]([0-9])")
texts = st.one_of(command_texts(SERVICES, _STORED), asks(), any_text)


def _resolve(text: str, rt: Runtime) -> str:
    ids = [q.id for q in rt.store.list_questions(limit=len(_STORED))]
    if not ids:
        return text
    return _STORED_REF.sub(lambda found: ids[int(found[1]) % len(ids)], text)


@fuzz(ci=40)
@given(text=texts, user=users, channel=channels)
@example(
    text="ask checkout Ship <!channel> by Friday & <@U0BOSS99>?", user=MANAGER, channel=ASK_CHANNEL
)
@example(text="decide @Q0 O2 fine <!here> & done", user=MANAGER, channel=ASK_CHANNEL)
@example(text="list", user="U1> <!channel", channel=ASK_CHANNEL)
@example(text="ask payments Who asks? <@U0BOSS99>", user="<!here>", channel="C1> <!channel")
@example(text="ask payments Can we ship \x00 today?", user=MANAGER, channel=ASK_CHANNEL)
def test_any_command_gets_a_clear_reply_and_only_a_valid_one_changes_anything(
    fuzz_rig: Rig, text: str, user: str, channel: str
) -> None:
    rt = fuzz_rig.rt
    text = _resolve(text, rt)
    before = _questions(rt)
    request = CommandRequest("/slo-prep", text, user, channel, fuzz_rig.slack.response_url())
    reply = handle_command(rt, request)

    assert injected(reply.text) == [], reply.text
    assert any(p.match(reply.text) for p in _REPLIES), reply.text
    event(reply.text.split(" ", 1)[0])
    after = _questions(rt)
    registered = set(after) - set(before)
    found = _REGISTERED.match(reply.text)
    if found:
        # acknowledged means stored: verbatim, for whoever asked, where they asked
        parsed = parse(text, SERVICES)
        assert registered == {found[1]} and isinstance(parsed, Ask)
        stored = rt.store.get_question(found[1])
        assert stored is not None and stored.question == parsed.question
        assert (stored.asked_by, stored.channel) == (user, channel)
    else:
        assert registered == set(), reply.text
    changed = {qid for qid in before if before[qid] != after[qid]}
    if changed:
        assert reply.text.startswith(("Cancelled", "Recorded")), reply.text
        assert user in KNOWN_IDS
    if reply.follow_up is not None:
        reply.follow_up()
    fuzz_rig.check_queries(fuzz_rig.prometheus.taken())
    fuzz_rig.check_posts()


def test_the_rig_uses_its_secrets(fuzz_rig: Rig) -> None:
    """The leak checks mean something only if the secrets were in use: each went where it
    belongs while the runtime worked."""
    assert fuzz_rig.rt.config.slack.bot_token == fuzz_rig.secrets.slack_bot
    assert any(
        c.headers.get("authorization") == f"Bearer {fuzz_rig.secrets.slack_bot}"
        for c in fuzz_rig.slack.calls
    )
    assert all(
        r.headers.get("authorization") == f"Token token={fuzz_rig.secrets.pagerduty}"
        for r in fuzz_rig.pagerduty.requests
    )
    assert fuzz_rig.logs.lines > 0


@pytest.fixture(scope="module")
def real_rig(
    tmp_path_factory: pytest.TempPathFactory, tls: Tls, prometheus: PrometheusServer
) -> Iterator[Rig]:
    """The same runtime, its queries forwarded to the scenario's real Prometheus."""
    assert prometheus.at == AT
    with rig(tmp_path_factory.mktemp("commands-real"), tls, upstream=prometheus.url) as found:
        yield found


# each example drafts a whole pack from real data (about 2 s): one in CI, 40 at night
@fuzz(ci=1, nightly=40)
@given(text=asks().map(lambda text: text.replace("ask payments", "ask checkout", 1)))
@example(text=f'ask checkout {MARKER} "}} or vector(1) or {{x=" [5m] <!channel>?')
def test_with_a_real_prometheus_no_query_carries_the_question(real_rig: Rig, text: str) -> None:
    reply = handle_command(real_rig.rt, CommandRequest("/slo-prep", text, MANAGER, ASK_CHANNEL))
    found = _REGISTERED.match(reply.text)
    if found is None or reply.follow_up is None:
        assert not real_rig.prometheus.taken()
        return
    reply.follow_up()
    queries = real_rig.prometheus.taken()
    assert queries, "the pack was drafted without asking Prometheus"
    real_rig.check_queries(queries)
    real_rig.check_posts()
    # measured from the real data, so the queries above are the ones a real pack sends
    stored = real_rig.rt.store.packs_for_question(found[1])
    document = json.loads(stored[-1].document)
    assert document["decision"]["question"] == parse(text, SERVICES).question  # type: ignore[union-attr]
    assert all(slo["budget"] is not None for slo in document["slos"]), document["slos"]
