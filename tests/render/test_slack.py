"""Slack rendering of packs: golden files, Slack's limits on every payload, hostile user text.

Golden files (``tests/render/golden/``): ``pack.json`` is the pack ``make demo`` drafts
(``python -m tests.generator.demo --format json``, schema 1.1), frozen with its run-dependent
parts normalised: PagerDuty request times set to ``evaluated_at``, the loopback backends and the
config path replaced by fixed names. ``slack.json`` is its rendering; ``slack_decision.json`` is
the rendering of the same pack with the 1.2 decision half of ``_with_decision_half`` added.
After an intended change to the rendering, regenerate both and review the diff:

    UPDATE_GOLDEN=1 .venv/bin/pytest tests/render/test_slack.py
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon import messages
from daemon.render import slack
from daemon.render.slack import (
    FIRINGS_SHOWN,
    HEADER_TEXT_LIMIT,
    HEADLINE_QUESTION_LIMIT,
    MAX_BLOCKS,
    MESSAGE_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    render_slack,
)

GOLDEN = Path(__file__).parent / "golden"
HOSTILE = "<!channel> <@U123> <https://evil.example|click> & *bold* `code`"
HOSTILE_ESCAPED = (
    "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt; &amp; *bold* `code`"
)
# the test's own idea of a link the renderer may build: <http(s)://...|label>
BUILT_LINK = re.compile(r"<(https?://[^\s|<>]+)\|[^<>]*>", re.IGNORECASE)
ENTITY = re.compile(r"&(amp|lt|gt);")


# --- helpers ----------------------------------------------------------------------------------


def _length(text: str) -> int:
    """UTF-16 code units: never fewer than Slack counts."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _texts(payload: dict[str, Any]) -> Iterator[str]:
    """Every text field of one message, the fallback first."""
    yield payload["text"]
    for block in payload["blocks"]:
        if block["type"] in ("header", "section") and "text" in block:
            yield block["text"]["text"]
        for field in block.get("fields", []):
            yield field["text"]
        if block["type"] == "context":
            for element in block["elements"]:
                yield element["text"]


def _mrkdwn_objects(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for block in payload["blocks"]:
        if block["type"] == "section":
            yield block["text"]
        if block["type"] == "context":
            yield from block["elements"]


def assert_within_limits(payloads: list[dict[str, Any]]) -> None:
    """Slack's Block Kit limits (FACTS.md) on every payload, checked independently."""
    assert payloads, "at least the parent message"
    for n, payload in enumerate(payloads):
        where = f"payload {n} ({payload.get('text')!r})"
        assert set(payload) == {"text", "blocks"}, where
        assert isinstance(payload["text"], str) and payload["text"].strip(), where
        assert 1 <= len(payload["blocks"]) <= MAX_BLOCKS == 50, where
        for block in payload["blocks"]:
            assert block["type"] in {"header", "section", "context", "divider"}, where
            if block["type"] == "header":
                assert block["text"]["type"] == "plain_text", where
                assert 0 < _length(block["text"]["text"]) <= HEADER_TEXT_LIMIT == 150, where
            if block["type"] == "section":
                assert block["text"]["type"] == "mrkdwn", where
                assert 0 < _length(block["text"]["text"]) <= SECTION_TEXT_LIMIT == 3000, where
            if block["type"] == "context":
                assert 1 <= len(block["elements"]) <= 10, where
                for element in block["elements"]:
                    assert 0 < _length(element["text"]) <= 3000, where
        total = sum(_length(t) for t in _texts(payload))
        assert total <= MESSAGE_TEXT_LIMIT == 10_000, f"{where}: {total} characters"
        # mrkdwn text is verbatim: no automatic links, channel names or bare @here mentions
        assert all(o.get("verbatim") is True for o in _mrkdwn_objects(payload)), where


def _incident_urls(pack: dict[str, Any]) -> set[str]:
    return {
        str(i.get("url")) for slo in pack.get("slos") or [] for i in slo.get("top_incidents") or []
    }


def assert_escaped(payloads: list[dict[str, Any]], pack: dict[str, Any]) -> None:
    """No raw ``<``/``>`` except links built from the pack's incident URLs, and every ``&`` is
    one of the three entities."""
    urls = _incident_urls(pack)
    for payload in payloads:
        for text in _texts(payload):

            def unlink(match: re.Match[str]) -> str:
                url = match.group(1).replace("&amp;", "&")
                assert url in urls, f"a link not built from an incident URL: {match.group(0)!r}"
                assert "&" not in match.group(1).replace("&amp;", ""), match.group(0)
                return ""

            rest = BUILT_LINK.sub(unlink, text)
            assert "<" not in rest and ">" not in rest, text
            assert "&" not in ENTITY.sub("", rest), text


def _all_text(payloads: list[dict[str, Any]]) -> str:
    return "\n".join(t for p in payloads for t in _texts(p))


def _headers(payloads: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for p in payloads for b in p["blocks"] if b["type"] == "header"]


def _render(pack: dict[str, Any]) -> list[dict[str, Any]]:
    payloads = render_slack(pack)
    assert_within_limits(payloads)
    assert_escaped(payloads, pack)
    return payloads


def _demo_pack() -> dict[str, Any]:
    pack: dict[str, Any] = json.loads((GOLDEN / "pack.json").read_text())
    return pack


def _with_decision_half(pack: dict[str, Any]) -> dict[str, Any]:
    """The pack with the 1.2 additions of docs/pack-decision.md, by hand."""
    pack = copy.deepcopy(pack)
    pack["schema_version"] = "1.2"
    pack["decision"].update(
        horizon="quarter",
        stakeholders=[
            {"role": "product", "name": "Pat"},
            {"role": "sre", "name": "Sam"},
            {"role": "qa", "name": "Quinn"},
        ],
        focus_slo="availability",
    )

    def score(level: str, reason: str, rule: str) -> dict[str, str]:
        return {"level": level, "reason": reason, "rule_id": rule}

    titles = {
        "O1": "Ship on the original timeline and accept the burn",
        "O2": "Defer the change; spend the time on reliability fixes first",
        "O3": "Freeze risky releases for 7 days, then ship",
        "O4": "Extend the budget temporarily by 5 minutes",
        "O5": "Lower the SLO from 99.9 % to 99.8 %",
    }
    pack["options"] = [
        {
            "id": oid,
            "title": title,
            "impact": score("high" if oid == "O1" else "low", f"impact of {oid}", "impact." + oid),
            "reversibility": score("medium", f"reversibility of {oid}", "reversibility." + oid),
            "stakeholder_cost": {
                role: score("medium", f"cost of {oid} to {role}", f"cost.{oid}.{role}")
                for role in ("product", "sre", "qa")
            },
            "rule_ids": [f"impact.{oid}", f"reversibility.{oid}", f"cost.{oid}.product"],
        }
        for oid, title in titles.items()
    ]
    pack["recommendation"] = {
        "primary": "O3",
        "rule_id": "posture.burning",
        "why": [
            "Consumed 110 % of the 30d budget in 100 % of the window.",
            "Error-budget policy state: exhausted, with 13 page-level and 4 ticket-level "
            "burn-rate firings in the window.",
        ],
        "fallbacks": [{"option": "O2", "when": "If Product cannot absorb a 7-day freeze."}],
        "alternatives": [{"option": "O1", "reason": "Ships on time, at a projected 110 % burn."}],
        "rejected": [
            {"option": "O4", "reason": "Budget extensions are sticky."},
            {"option": "O5", "reason": "Not justified: 0 of the earlier windows missed."},
        ],
        "stakeholder_positions": [
            {"role": "product", "name": "Pat", "favours": "O1", "position": "Keeps the date."},
            {"role": "sre", "name": "Sam", "favours": "O3", "position": "A focused fix window."},
        ],
        "advocate": "Advocate O3 as primary and O2 as the negotiated fallback.",
    }
    pack["audit"] = [
        {
            "path": "slos[0].budget.consumed_fraction",
            "claim": "Budget consumed, availability",
            "value": 1.0998825022212957,
            "source": {"kind": "promql", "detail": "bad over total events", "refs": ["q38", "q39"]},
        },
        {
            "path": "slos[0].events.total",
            "claim": "Total events, availability",
            "value": 73266917.0,
            "source": {"kind": "promql", "detail": "rate x seconds", "refs": ["q39"]},
        },
        {
            "path": "slos[0].firings",
            "claim": "Firings, availability",
            "value": 17,
            "source": {"kind": "promql", "detail": "minute history", "refs": ["q17", "q18"]},
        },
        {
            "path": "recommendation.primary",
            "claim": "Primary option",
            "value": "O3",
            "source": {"kind": "rule", "detail": "posture.burning", "refs": []},
        },
        {
            "path": "slos[0].top_incidents[2].note",
            "claim": "Root cause recorded",
            "value": True,
            "source": {"kind": "pagerduty", "detail": "incident notes", "refs": ["pd3"]},
        },
    ]
    for slo in pack["slos"]:
        slo["earlier_windows"] = [
            {
                "start": "2026-09-16T00:00:00Z",
                "end": "2026-10-16T00:00:00Z",
                "error_ratio": 0.0004,
                "missed": False,
                "source_ids": ["q40"],
            }
        ]
        slo["burn_down"] = [{"t": slo["window"]["start"], "consumed_fraction": 0.0}]
    return pack


def _golden(name: str, payloads: list[dict[str, Any]]) -> None:
    path = GOLDEN / name
    rendered = json.dumps(payloads, indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(rendered)
    assert path.exists(), f"{path} is missing: run with UPDATE_GOLDEN=1 to create it"
    assert payloads == json.loads(path.read_text())


def _missing_slo_pack() -> dict[str, Any]:
    return {
        "schema_version": "1.1",
        "status": "MISSING_SLO",
        "service": "payments",
        "evaluated_at": "2026-11-16T00:00:00Z",
        "generated_by": "slo-prep test",
        "config": {"source": "c.yaml", "sha256": "0" * 64},
        "decision": {"question": None, "deadline": None},
        "reliability": None,
        "slos": [],
        "sources": [],
        "problems": [
            {
                "code": "missing_slo",
                "severity": "error",
                "message": messages.MISSING_SLO_UNKNOWN_SERVICE.format(
                    service="payments", known="checkout"
                ),
                "source_id": None,
            }
        ],
    }


# --- golden files -----------------------------------------------------------------------------


def test_golden_demo_pack() -> None:
    _golden("slack.json", _render(_demo_pack()))


def test_golden_demo_pack_with_decision_half() -> None:
    _golden("slack_decision.json", _render(_with_decision_half(_demo_pack())))


# --- content and order ------------------------------------------------------------------------


def test_parent_is_a_compact_headline() -> None:
    pack = _with_decision_half(_demo_pack())
    parent = _render(pack)[0]
    text = "\n".join(_texts(parent))
    assert parent["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "SLO prep pack — checkout"},
    }
    assert "Status *DRAFT*" in text
    assert pack["decision"]["question"] in text and "2026-11-27" in text
    assert (
        "• *availability*: budget consumed 110.0 % in 100.0 % of the window "
        "(projected 110.0 %), policy state *exhausted*"
    ) in text
    assert "policy state *burning_fast*" in text and "• *latency*" in text
    assert "*Recommended:* O3 — Freeze risky releases for 7 days, then ship" in text
    assert "*Fallback:* O2 — Defer the change" in text
    assert "Evaluated 2026-11-16 00:00 UTC" in text
    # the headline only: the thread carries the rest
    assert "Burn rates now" not in text and "q17" not in text


def test_replies_follow_the_pack_order() -> None:
    headers = _headers(_render(_with_decision_half(_demo_pack())))
    assert headers == [
        "SLO prep pack — checkout",
        "Current state — availability",
        "Current state — availability-quarter",
        "Current state — latency",
        "Reliability",
        "The decision",
        "Options",
        "Recommended posture",
        "Audit appendix",
        "Sources",
    ]


def test_current_state_reply_carries_the_evidence() -> None:
    payloads = _render(_demo_pack())
    state = "\n".join(_texts(payloads[1]))
    assert "Consumed to date: *47.5 min (110.0 % of the budget)*" in state
    assert "• page 1h / 5m ≥ 14.40: long 78.43, short 208.34 — *FIRING*" in state
    assert f"*Firings in the window:* 17, the most recent {FIRINGS_SHOWN}:" in state
    assert "<https://fake.pagerduty.test/incidents/QTI2KX5|#10 checkout 5xx surge>" in state
    assert "*Unattributed burn:* 10.5 min (24.4 % of the budget)" in state
    assert '`sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))`' in state


def test_absent_or_null_decision_half_renders_without_those_replies() -> None:
    pack = _demo_pack()
    for key in ("horizon", "stakeholders", "focus_slo"):
        assert key not in pack["decision"]
    headers = _headers(_render(pack))
    assert "Options" not in headers and "Recommended posture" not in headers
    pack.update(options=None, recommendation=None, audit=None)
    pack["decision"].update(horizon=None, stakeholders=None, focus_slo=None)
    for slo in pack["slos"]:
        slo.update(earlier_windows=None, burn_down=None)
    assert _headers(_render(pack)) == headers


def test_decision_reply_shows_horizon_and_stakeholders() -> None:
    text = _all_text(_render(_with_decision_half(_demo_pack())))
    assert "*Horizon:* quarter" in text
    assert "*Options scored on:* availability" in text
    assert "• product: Pat" in text
    assert "• Cost to sre: *medium* — cost of O3 to sre" in text
    assert (
        "• O4 — Extend the budget temporarily by 5 minutes — Budget extensions are sticky." in text
    )
    assert "• product (Pat) favours O1 — Ship on the original timeline" in text
    assert "• Budget consumed, availability → *1.09988* → promql: bad over total events" in text
    assert "• Total events, availability → *73,266,917* → promql: rate x seconds [q39]" in text
    assert "• Root cause recorded → *true* → pagerduty: incident notes [pd3]" in text


# --- MISSING_SLO and NO_DECISION_FRAMED ---------------------------------------------------------


def test_missing_slo_parent_says_why_and_nothing_else_is_posted() -> None:
    payloads = _render(_missing_slo_pack())
    assert len(payloads) == 1
    text = "\n".join(_texts(payloads[0]))
    assert "*MISSING_SLO* — Service 'payments' is not configured (configured: checkout)." in text
    assert "Status *MISSING_SLO*" in text
    assert "NO_DECISION_FRAMED" not in text


def test_no_decision_framed_parent_says_how_to_register_a_question() -> None:
    pack = _demo_pack()
    pack["status"] = "NO_DECISION_FRAMED"
    pack["decision"] = {"question": None, "deadline": None}
    payloads = _render(pack)
    parent = "\n".join(_texts(payloads[0]))
    assert "*NO_DECISION_FRAMED* — No decision question is framed" in parent
    assert '`--question "Can we ship X by Friday?"`' in parent and "--deadline" in parent
    assert "*Question:*" not in parent
    assert "budget consumed 110.0 %" in parent


# --- hostile input ----------------------------------------------------------------------------


def test_hostile_text_is_escaped_everywhere_but_still_shown() -> None:
    pack = _with_decision_half(_demo_pack())
    pack["decision"]["question"] = HOSTILE
    pack["service"] = "svc <!here>"
    slo = pack["slos"][0]
    slo["name"] = HOSTILE
    slo["description"] = HOSTILE
    slo["sli"]["error_query"] = 'sum(rate(x{a="<!channel>"}[5m])) ` <@U1> `'
    slo["problems"] = [
        {"code": "query_error", "severity": "error", "message": HOSTILE, "source_id": "q1"}
    ]
    for incident in slo["top_incidents"]:
        incident["title"] = HOSTILE
        incident["note"] = HOSTILE
    pack["recommendation"]["why"] = [HOSTILE]
    pack["options"][0]["title"] = HOSTILE
    pack["audit"][0]["claim"] = HOSTILE
    pack["decision"]["stakeholders"][0]["name"] = HOSTILE
    payloads = _render(pack)
    text = _all_text(payloads)
    for raw in ("<!", "<@", "<https://evil"):
        assert raw not in text
    # the text is all there, escaped: in the parent, the question, SLO name and service
    parent = _all_text(payloads[:1])
    assert f"*Question:* {HOSTILE_ESCAPED}" in parent
    assert f"• *{HOSTILE_ESCAPED}*: budget consumed" in parent
    assert "SLO prep pack — svc &lt;!here&gt;" in parent
    assert f"|#10 {HOSTILE_ESCAPED}> — *8.5 min*" in text
    assert f"resolved 2026-10-20 13:45 UTC — {HOSTILE_ESCAPED}" in text
    assert f"⛔ {HOSTILE_ESCAPED} [q1]" in text
    assert f"• {HOSTILE_ESCAPED}\n" in text or text.endswith(f"• {HOSTILE_ESCAPED}")
    assert f"*O1 — {HOSTILE_ESCAPED}*" in text
    assert f"• {HOSTILE_ESCAPED} → *1.09988*" in text
    assert f"• product: {HOSTILE_ESCAPED}" in text
    # PromQL stays inline code: the backticks inside cannot close it early
    stand_in = "\u02cb"  # a look-alike of the backtick
    assert f'`sum(rate(x{{a="&lt;!channel&gt;"}}[5m])) {stand_in} &lt;@U1&gt; {stand_in}`' in text


def test_only_plain_http_incident_urls_become_links() -> None:
    pack = _demo_pack()
    urls = [
        "javascript:alert(1)",
        "https://e.vil/x|<!channel>",
        "https://e.vil/a>b",
        "https://pd.example/i?a=1&b=2",
        "https://pd.example/with space",
    ]
    for incident, url in zip(pack["slos"][0]["top_incidents"], urls, strict=True):
        incident["url"] = url
    text = _all_text(_render(pack))
    assert "<https://pd.example/i?a=1&amp;b=2|#16 checkout elevated 5xx rate>" in text
    assert "#10 checkout 5xx surge (javascript:alert(1))" in text
    assert "#12 checkout 5xx surge (https://e.vil/x|&lt;!channel&gt;)" in text
    assert "<javascript" not in text and "<https://e.vil" not in text
    assert "<https://pd.example/with" not in text


def test_ten_thousand_character_question_is_cut_not_over_the_limits() -> None:
    pack = _demo_pack()
    pack["decision"]["question"] = "Can we ship <X> & " + "y" * 10_000
    payloads = _render(pack)
    parent = _all_text(payloads[:1])
    assert "*Question:* Can we ship &lt;X&gt; &amp; yyy" in parent and "y…\n" in parent
    decision = next(p for p in payloads if p["blocks"][0]["text"]["text"] == "The decision")
    question = decision["blocks"][1]["text"]["text"].splitlines()[0]
    assert question.startswith("*Question:* Can we ship &lt;X&gt; &amp; yyy")
    assert question.endswith("y…") and 1_900 < len(question) < 2_100


def test_entities_are_never_cut_in_half() -> None:
    pack = _demo_pack()
    pack["decision"]["question"] = "&" * 3_000
    payloads = _render(pack)
    parent = _all_text(payloads[:1])
    line = next(li for li in parent.splitlines() if li.startswith("*Question:*"))
    assert line.endswith("&amp;…") and ENTITY.sub("", line.removesuffix("…")).count("&") == 0
    question = line.removeprefix("*Question:* ")
    assert HEADLINE_QUESTION_LIMIT - 5 <= len(question) <= HEADLINE_QUESTION_LIMIT


def test_lines_longer_than_a_block_are_cut_outside_links_entities_and_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The field budgets keep every line under a block; should they ever not, the last-resort
    cut still holds every limit and never leaves half a link, entity or code span."""
    for name in ("NAME_LIMIT", "TITLE_LIMIT", "TEXT_LIMIT", "QUESTION_LIMIT", "URL_LIMIT"):
        monkeypatch.setattr(slack, name, 10**6)
    monkeypatch.setattr(slack, "HEADLINE_QUESTION_LIMIT", 10**6)
    pack = _demo_pack()
    pack["service"] = HOSTILE * 10
    pack["decision"]["question"] = "x" + "&" * 4_000  # "x": the cut lands inside an entity
    slo = pack["slos"][0]
    slo["name"] = "n" * 200
    for incident in slo["top_incidents"]:
        incident["title"] = HOSTILE * 60
    slo["top_incidents"][1]["url"] = "https://pd.example/" + "u" * 5_000
    payloads = _render(pack)
    question = next(li for li in _all_text(payloads[:1]).splitlines() if "*Question:*" in li)
    assert question.startswith("*Question:* x&amp;&amp;") and question.endswith("&amp;…")
    title = next(h for h in _headers(payloads) if h.startswith("Current state — nnn"))
    assert title.endswith("n…")
    state = next(p for p in payloads if title in _headers([p]))
    incident = next(
        li for li in _all_text([state]).splitlines() if li.startswith("• 2026-10-20 13:05 UTC")
    )
    assert incident.startswith("• 2026-10-20 13:05 UTC — <https://fake.pagerduty.test/incidents/")
    assert "|#10 &lt;!channel&gt;" in incident and incident.endswith("…>")
    # cut inside the URL: the link goes, not the line
    assert "• 2026-10-27 08:00 UTC — …" in _all_text([state]).splitlines()
    assert len(incident) <= SECTION_TEXT_LIMIT


def test_500_audit_entries_continue_across_replies_in_order() -> None:
    pack = _with_decision_half(_demo_pack())
    pack["audit"] = [
        {
            "path": f"x[{i}]",
            "claim": f"claim {i} <!channel>",
            "value": i,
            "source": {"kind": "formula", "detail": "d" * 200, "refs": [f"q{i}"]},
        }
        for i in range(500)
    ]
    payloads = _render(pack)
    audit = [p for p in payloads if p["text"].startswith("SLO prep pack — checkout: Audit")]
    assert len(audit) > 5
    assert audit[0]["blocks"][0]["type"] == "header"
    for reply in audit[1:]:
        assert reply["text"] == "SLO prep pack — checkout: Audit appendix (continued)"
        assert reply["blocks"][0]["elements"][0]["text"] == "Audit appendix (continued)"
    claims = re.findall(r"^• claim (\d+) &lt;!channel&gt; → ", _all_text(audit), re.MULTILINE)
    assert claims == [str(i) for i in range(500)]
    # the sources still come last, after the whole appendix
    assert _headers(payloads)[-1] == "Sources"
    assert payloads.index(audit[-1]) == len(payloads) - 2


def test_300_firings_show_the_count_and_the_most_recent() -> None:
    pack = _demo_pack()
    firing = pack["slos"][0]["firings"][0]
    pack["slos"][0]["firings"] = [
        dict(firing, start=f"2026-10-{1 + i // 24:02d}T{i % 24:02d}:00:00Z") for i in range(300)
    ]
    state = _all_text(_render(pack)[1:2])
    assert f"*Firings in the window:* 300, the most recent {FIRINGS_SHOWN}:" in state
    assert "2026-10-13 11:00 UTC →" in state  # i = 299, the latest
    assert "2026-10-13 06:00 UTC →" not in state  # i = 294, sixth latest


def test_60_long_sources_are_all_listed_across_replies() -> None:
    pack = _demo_pack()
    template = pack["sources"][0]
    pack["sources"] = [
        dict(template, id=f"q{i}", query=f'sum(rate(x{{i="{i}"}}[5m])) <!channel> ' + "z" * 400)
        for i in range(60)
    ]
    payloads = _render(pack)
    sources = [p for p in payloads if "Sources" in p["text"]]
    assert len(sources) > 1
    text = _all_text(sources)
    assert re.findall(r"^• q(\d+) `", text, re.MULTILINE) == [str(i) for i in range(60)]
    assert "&lt;!channel&gt;" in text


def test_everything_at_once_stays_within_limits() -> None:
    pack = _with_decision_half(_demo_pack())
    pack["decision"]["question"] = HOSTILE * 200
    slo = pack["slos"][0]
    slo["firings"] = slo["firings"] * 18
    slo["top_incidents"] = [
        dict(i, title=HOSTILE * 20, note=HOSTILE * 50) for i in slo["top_incidents"]
    ]
    slo["problems"] = [
        {"code": "x", "severity": "warning", "message": HOSTILE * 30, "source_id": None}
    ] * 40
    pack["audit"] = pack["audit"] * 125
    pack["sources"] = (pack["sources"] * 2)[:60]
    payloads = _render(pack)
    assert len(payloads) > 10


# --- property ---------------------------------------------------------------------------------

_SPECIAL = st.sampled_from([*"<>&`|*_~@!#:\n\t ", "<!channel>", "&amp;", "<@U1>", "\U0001f600"])
_PIECE = st.one_of(_SPECIAL, st.characters(codec="utf-8"))  # utf-8: no lone surrogates
_SHORT = st.lists(_PIECE, max_size=40).map("".join)
_TEXT = st.one_of(
    _SHORT,
    st.builds(
        lambda s, n: s * n,
        st.lists(_PIECE, min_size=1, max_size=20).map("".join),
        st.integers(1, 400),
    ),
)
_URL = st.one_of(
    _TEXT,
    st.sampled_from(
        ["https://pd.example/i/1", "https://pd.example/i?a=1&b=2", "javascript:x", "https://a|b"]
    ),
)


def _cycle(draw: st.DrawFn, n: int, make: Any) -> list[Any]:
    """n items built from a few drawn variants (drawing hundreds would be slow)."""
    variants = [make() for _ in range(draw(st.integers(1, 3)))] if n else []
    return [copy.deepcopy(variants[i % len(variants)]) for i in range(n)]


@st.composite
def _packs(draw: st.DrawFn) -> dict[str, Any]:
    pack = _with_decision_half(_demo_pack())

    def text() -> str:
        return draw(_TEXT)

    pack["status"] = draw(st.sampled_from(["DRAFT", "NO_DECISION_FRAMED", "MISSING_SLO"]))
    pack["service"] = text()
    pack["generated_by"] = text()
    pack["config"]["source"] = text()
    pack["decision"] = {
        "question": draw(st.one_of(st.none(), _TEXT)),
        "deadline": draw(st.one_of(st.none(), _TEXT)),
        "horizon": draw(st.one_of(st.none(), _TEXT)),
        "focus_slo": draw(st.one_of(st.none(), _TEXT)),
        "stakeholders": _cycle(
            draw, draw(st.integers(0, 12)), lambda: {"role": text(), "name": text()}
        ),
    }
    pack["problems"] = _cycle(
        draw,
        draw(st.integers(0, 30)),
        lambda: {"code": "x", "severity": "error", "message": text(), "source_id": text()},
    )
    base = pack["slos"][0]
    slos = []
    for _ in range(draw(st.integers(0, 3))):
        slo = copy.deepcopy(base)
        slo.update(name=text(), description=draw(st.one_of(st.none(), _TEXT)))
        slo["sli"] = {"kind": "ratio", "error_query": text(), "total_query": text()}
        slo["window"]["label"] = text()
        slo["burn_rates"] = {text(): 1.5 for _ in range(draw(st.integers(0, 8)))}
        slo["firings"] = _cycle(draw, draw(st.integers(0, 400)), lambda: dict(base["firings"][0]))
        slo["top_incidents"] = _cycle(
            draw,
            draw(st.integers(0, 30)),
            lambda: dict(
                base["top_incidents"][0],
                title=text(),
                note=draw(st.one_of(st.none(), _TEXT)),
                url=draw(_URL),
            ),
        )
        slo["problems"] = _cycle(
            draw,
            draw(st.integers(0, 20)),
            lambda: {"code": "x", "severity": "warning", "message": text(), "source_id": None},
        )
        slos.append(slo)
    pack["slos"] = slos
    pack["reliability"]["trend"]["reading"] = text()
    option = pack["options"][0]
    pack["options"] = _cycle(
        draw,
        draw(st.integers(0, 6)),
        lambda: dict(
            option,
            id=text(),
            title=text(),
            impact={"level": text(), "reason": text(), "rule_id": text()},
            stakeholder_cost={text(): {"level": text(), "reason": text()} for _ in range(3)},
            rule_ids=[text(), text()],
        ),
    )
    rec = pack["recommendation"]
    rec.update(
        primary=text(), advocate=text(), why=[text() for _ in range(draw(st.integers(0, 8)))]
    )
    for key, field in (("fallbacks", "when"), ("alternatives", "reason"), ("rejected", "reason")):
        rec[key] = _cycle(
            draw, draw(st.integers(0, 6)), lambda f=field: {"option": text(), f: text()}
        )
    rec["stakeholder_positions"] = _cycle(
        draw,
        draw(st.integers(0, 8)),
        lambda: {"role": text(), "name": text(), "favours": text(), "position": text()},
    )
    if draw(st.booleans()):
        pack["recommendation"] = None
    pack["audit"] = _cycle(
        draw,
        draw(st.integers(0, 600)),
        lambda: {
            "path": text(),
            "claim": text(),
            "value": draw(st.one_of(st.none(), st.floats(), st.integers(), st.booleans(), _TEXT)),
            "source": {"kind": text(), "detail": text(), "refs": [text()]},
        },
    )
    source = pack["sources"][0]
    pack["sources"] = _cycle(
        draw,
        draw(st.integers(0, 80)),
        lambda: dict(source, id=text(), query=text(), backend=text(), time=text()),
    )
    return pack


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(_packs())
def test_any_pack_renders_within_limits_and_escaped(pack: dict[str, Any]) -> None:
    _render(pack)


@pytest.mark.parametrize("count", [1, 49, 50, 51, 200])
def test_many_tiny_sections_never_pass_the_block_limit(count: int) -> None:
    """One section block per option: 200 tiny ones fit the character budget of four
    messages, so the block limit is what splits them."""
    pack = _with_decision_half(_demo_pack())
    pack["options"] = [{"id": f"O{i}"} for i in range(count)]
    payloads = _render(pack)
    options = [p for p in payloads if "Options" in p["text"]]
    blocks = sum(len(p["blocks"]) for p in options)
    assert blocks == count + len(options)  # one header or "(continued)" line each
    assert len(options) == 1 + count // MAX_BLOCKS
