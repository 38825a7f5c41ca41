"""Markdown rendering of packs assembled from known inputs (no backend needed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from daemon.core.burn import BURN_WINDOWS
from daemon.core.evidence import Measurement, Problem, SloInputs, assess_slo
from daemon.core.pack import Decision, Pack, Source, pack_to_json
from daemon.core.slo import RatioSli, SloSpec
from daemon.core.windows import parse_window, resolve_window
from daemon.render.markdown import render_markdown
from tests.packs import validated

AT = datetime(2026, 11, 16, tzinfo=UTC)
SLI = RatioSli(
    error_query='sum(rate(http_requests_total{code=~"5..|429"}[{{.window}}]))',
    total_query="sum(rate(http_requests_total[{{.window}}]))",
)


def _pack(question: str | None, inputs: SloInputs) -> dict:
    spec = SloSpec("availability", 99.9, parse_window("30d"), SLI)
    evidence = assess_slo(spec, resolve_window(spec.window, AT), inputs)
    source = Source(
        "q1", "instant", SLI.error_query.replace("{{.window}}", "30d"), "http://p:9090", AT
    )
    pack = Pack(
        status="DRAFT" if question else "NO_DECISION_FRAMED",
        service="checkout",
        evaluated_at=AT,
        slos=(evidence,),
        decision=Decision(question=question),
        sources=(source,),
        config_source="c.yaml",
        config_sha256="0" * 64,
        generator="slo-prep test",
    )
    return validated(pack_to_json(pack))


def _measured() -> SloInputs:
    # 2 bad per second of 1000: error ratio 0.2 %, twice the 0.1 % budget
    m = Measurement(bad_rate=2.0, total_rate=1000.0, source_ids=("q1", "q1"))
    return SloInputs(budget=m, burns={s: m for s in BURN_WINDOWS})


def test_user_text_cannot_ping_link_or_format() -> None:
    text = render_markdown(
        _pack("Ship <Feature X> by *Fri*? <!channel> [x](http://e.vil) | a", _measured())
    )
    line = next(li for li in text.splitlines() if li.startswith("**Question:**"))
    # every Markdown-active character arrives backslash-escaped, so it renders literally
    assert not re.search(r"(?<!\\)[<>*\[\]|]", line.removeprefix("**Question:**"))
    assert r"\<!channel\>" in line and r"\*Fri\*" in line and r"\[x\](http://e.vil)" in line
    assert r"\|" in line


def test_numbers_are_shown_from_the_pack() -> None:
    text = render_markdown(_pack("q?", _measured()))
    # consumed = 0.002 / 0.001 = 200 % of 43.2 minutes = 86.4 minutes
    assert "**43.2 min** of unreliability allowed" in text
    assert "**86.4 min (200.0 % of the budget)**" in text
    assert "Remaining: -100.0 %" in text
    assert "Policy state: **exhausted**" in text
    assert "| page | 1h / 5m | 14.40 | 2.00 | 2.00 | ok |" in text


def test_pipes_in_queries_do_not_break_the_sources_table() -> None:
    text = render_markdown(_pack("q?", _measured()))
    row = next(li for li in text.splitlines() if li.startswith("| q1 |"))
    assert r"5..\|429" in row
    assert row.count(" | ") == 3


def test_no_question_says_how_to_register_one() -> None:
    text = render_markdown(_pack(None, _measured()))
    assert "NO_DECISION_FRAMED" in text and "--question" in text


def test_missing_numbers_are_said_not_zeroed() -> None:
    failure = Problem(
        "unreachable",
        "error",
        "Prometheus at http://p:9090 could not be reached (ConnectionError).",
    )
    inputs = SloInputs(budget=Measurement(failure=failure), minutes=failure)
    text = render_markdown(_pack("q?", inputs))
    assert "Budget: **not measured**" in text
    assert "Firings in the window: **not measured**" in text
    assert "could not be reached" in text
    assert "0.0 min" not in text


def test_escaping_keeps_plain_text_plain_and_blocks_inert() -> None:
    from daemon.render.environment import md_escape

    assert md_escape("one-click checkout on 2026-11-30.") == "one-click checkout on 2026-11-30."
    assert md_escape("# not a heading") == r"\# not a heading"
    assert md_escape("1. not a list") == r"1\. not a list"
    assert md_escape("a &amp; b\n\nnew paragraph") == r"a \&amp; b new paragraph"


def test_incident_side_renders_with_links_and_pagerduty_sources() -> None:
    from dataclasses import replace
    from datetime import timedelta

    from daemon.core.firings import MinuteSeries
    from daemon.core.incidents import Incident
    from daemon.core.reliability import assess_reliability

    start = AT - timedelta(days=33)
    minutes = 33 * 1440 + 1
    # 1 bad per minute, and 100 more per minute during the incident below
    outage = range(minutes - 600, minutes - 540)
    series = MinuteSeries(
        first=start,
        bad=[1.0 + (100.0 if i in outage else 0.0) for i in range(minutes)],
        total=[1000.0] * minutes,
    )
    created = start + timedelta(minutes=outage.start - 1)
    hit = Incident(
        "PABC123",
        42,
        "checkout <5xx> surge",
        "https://pd.example/incidents/PABC123",
        created,
        created + timedelta(minutes=60),
        "resolved",
        "S1",
    )
    spec = SloSpec("availability", 99.9, parse_window("30d"), SLI)
    window = resolve_window(spec.window, AT)
    inputs = SloInputs(
        budget=Measurement(bad_rate=(30 * 1440 + 6000) / (30 * 86400), total_rate=1000 / 60),
        minutes=series,
        incidents=(hit,),
    )
    evidence = assess_slo(spec, window, inputs)
    source = Source(
        "pd1",
        "pagerduty",
        "GET /incidents",
        "https://pd.example",
        AT,
        params=(("service_ids[]", "S1"), ("offset", "0"), ("since", "a"), ("until", "b")),
        status=200,
    )
    pack = Pack(
        status="DRAFT",
        service="checkout",
        evaluated_at=AT,
        slos=(evidence,),
        decision=Decision(question="q?"),
        sources=(source,),
        config_source="c.yaml",
        config_sha256="0" * 64,
        generator="slo-prep test",
        reliability=assess_reliability((hit,), AT, 30 * 86400, stable=0.1, sharp=0.5),
        notes={"PABC123": "Root cause: pool size 0"},
    )
    text = render_markdown(validated(pack_to_json(replace(pack))))
    assert "- MTTR (mean time to recover): **60 min** (vs n/a in the trailing window)" in text
    line = next(li for li in text.splitlines() if "#42" in li)
    assert "[#42 checkout \\<5xx\\> surge](https://pd.example/incidents/PABC123)" in line
    # 60 minutes x 101 bad events = 6,060 over a budget of 43,200,000 x 0.001 = 43,200 events:
    # 14.03 % of 43.2 minutes = 6.06 minutes
    assert "— **6.1 min** (14.0 % of the budget), resolved" in line
    assert "Root cause: pool size 0" in line
    assert "Unattributed burn:" in text
    row = next(li for li in text.splitlines() if li.startswith("| pd1 |"))
    assert "`GET /incidents?offset=0`" in row and "HTTP 200" in row
