"""Every emitted pack keeps the invariants; random evidence never breaks one, and the checker
catches each kind of break."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daemon.core.burn import BURN_WINDOWS
from daemon.core.decide import decide
from daemon.core.evidence import Measurement, SloInputs, assess_slo
from daemon.core.firings import MinuteSeries
from daemon.core.incidents import Incident
from daemon.core.invariants import violations
from daemon.core.pack import Decision, Pack, pack_to_json
from daemon.core.reliability import assess_reliability
from daemon.core.slo import RatioSli, SloSpec
from daemon.core.windows import parse_window, resolve_window
from daemon.errors import PackInvariantError
from tests.packs import validated

AT = datetime(2026, 11, 16, tzinfo=UTC)
SLI = RatioSli("sum(rate(e[{{.window}}]))", "sum(rate(t[{{.window}}]))")
ROLES = st.lists(
    st.sampled_from(["product", "sre", "qa", "eng", "legal", "finance"]), max_size=5, unique=True
)


def build(
    objective: float,
    window: str,
    ratio: float,
    burn: float,
    incidents: list[tuple[int, int, bool]],
    roles: list[str],
    deadline_days: int | None,
    question: str | None,
) -> dict[str, Any]:
    spec = SloSpec("s", objective, parse_window(window), SLI)
    w = resolve_window(spec.window, AT)
    minutes = int((AT - w.start).total_seconds() // 60) + 1
    total_rate = 1000.0
    series = MinuteSeries(
        w.start, [ratio * total_rate * 60] * minutes, [total_rate * 60.0] * minutes
    )
    budget = Measurement(ratio * total_rate, total_rate, ("q1", "q2"))
    burns = {s: Measurement(burn * total_rate, total_rate, ("q3", "q4")) for s in BURN_WINDOWS}
    found = tuple(
        Incident(
            f"P{n}",
            n,
            "provider outage" if third else f"incident {n}",
            f"https://pd/P{n}",
            AT - timedelta(minutes=start),
            AT - timedelta(minutes=max(0, start - length)),
            "resolved",
            "S",
        )
        for n, (start, length, third) in enumerate(incidents)
    )
    evidence = assess_slo(
        spec, w, SloInputs(budget=budget, burns=burns, minutes=series, incidents=found)
    )
    reliability = assess_reliability(found, AT, 30 * 86400, stable=0.1, sharp=0.5)
    stakeholders = tuple((r, r.title()) for r in roles)
    deadline = (AT + timedelta(days=deadline_days)).date() if deadline_days is not None else None
    from daemon.core.rules import DecisionRules

    half = decide((evidence,), reliability, {}, DecisionRules(), AT, deadline, stakeholders, 5)
    framed = question is not None
    pack = Pack(
        status="DRAFT" if framed else "NO_DECISION_FRAMED",
        service="svc",
        evaluated_at=AT,
        slos=(evidence,),
        decision=Decision(question, deadline, None, stakeholders),
        sources=(),
        config_source="c.yaml",
        config_sha256="0" * 64,
        generator="t",
        reliability=reliability,
        focus_slo=half.focus_slo if framed else None,
        options=half.options if framed else (),
        recommendation=half.recommendation if framed else None,
    )
    return validated(pack_to_json(pack))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    objective=st.sampled_from([90.0, 99.0, 99.5, 99.9, 99.99]),
    window=st.sampled_from(["7d", "30d", "month", "quarter"]),
    ratio=st.floats(0, 0.2),
    burn=st.floats(0, 0.5),
    incidents=st.lists(
        st.tuples(st.integers(1, 5000), st.integers(1, 600), st.booleans()), max_size=8
    ),
    roles=ROLES,
    deadline_days=st.none() | st.integers(-3, 120),
    question=st.none() | st.text(min_size=1, max_size=200),
)
def test_random_evidence_never_breaks_an_invariant(**kw: Any) -> None:
    document = build(**kw)  # pack_to_json raises PackInvariantError on any break
    assert violations(document) == []
    if document["recommendation"] is not None:
        assert 3 <= len(document["options"]) <= 5


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    return build(
        99.9,
        "quarter",
        0.0035,
        0.02,
        [(300, 30, False), (900, 60, True)],
        ["product", "sre", "qa"],
        14,
        "Ship X?",
    )


def _broken(doc: dict[str, Any], change) -> list[str]:
    copied = copy.deepcopy(doc)
    change(copied)
    return violations(copied)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["options"].pop(), "every option must be"),
        (
            lambda d: d["options"].extend(copy.deepcopy(d["options"][:3])),
            "options; a pack holds 3 to 5",
        ),
        (
            lambda d: d["recommendation"]["fallbacks"][0].update(
                option=d["recommendation"]["primary"]
            ),
            "must differ from the primary",
        ),
        (lambda d: d["recommendation"]["rejected"][0].update(reason=""), "has no reason"),
        (lambda d: d["recommendation"]["stakeholder_positions"].pop(), "without a position"),
        (lambda d: d["audit"].pop(0), "no audit entry for slos[0].objective"),
        (lambda d: d["slos"][0].update(extra=1.5), "no audit entry for slos[0].extra"),
    ],
)
def test_each_break_is_caught(good: dict[str, Any], change, expected: str) -> None:
    assert violations(good) == []
    assert any(expected in v for v in _broken(good, change))


def test_the_builder_refuses_to_emit_a_broken_pack() -> None:
    from daemon.core import pack as pack_module

    original = pack_module.build_audit
    pack_module.build_audit = lambda doc, rules: []  # an audit that forgets everything
    try:
        with pytest.raises(PackInvariantError, match="no audit entry"):
            build(99.9, "30d", 0.001, 0.001, [], ["product"], 5, "q?")
    finally:
        pack_module.build_audit = original
