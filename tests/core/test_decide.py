"""Scoring and posture rules, table-driven from hand-set signals."""

from __future__ import annotations

from dataclasses import replace

import pytest

from daemon.core.options import params, score_options
from daemon.core.posture import recommend
from daemon.core.reliability import Trend
from daemon.core.rules import DecisionRules, OptionSettings, Thresholds
from daemon.core.signals import Signals

ROLES = (("product", "Pat"), ("sre", "Sam"), ("qa", "Quinn"))

# the seed's worked example: 56 % of a quarterly 99.9 % budget in 16 % of the quarter
SEED = Signals(
    focus="availability",
    objective_percent=99.9,
    window_label="quarter",
    budget_minutes=129.6,
    consumed=0.56,
    elapsed=0.16,
    projected=3.5,
    policy_state="burning_slow",
    page_firings=2,
    ticket_firings=0,
    mttr=Trend("degrading", "slightly", 0.22),
    mtbf=Trend("degrading", "sharply", -0.55),
    reliability_reading="MTBF degrading sharply, MTTR degrading slightly — frequency ...",
    top_incidents=3,
    known_cause_incidents=2,
    known_cause_share=0.62,
    third_party_share=0.38,
    days_to_deadline=14.0,
    earlier_measured=2,
    earlier_misses=0,
)
HEALTHY = replace(
    SEED,
    consumed=0.1,
    elapsed=0.5,
    projected=0.2,
    policy_state="healthy",
    page_firings=0,
    known_cause_incidents=0,
    known_cause_share=None,
    third_party_share=0.0,
)


DEFAULT_RULES = DecisionRules()


def _run(s: Signals, rules: DecisionRules = DEFAULT_RULES):
    p = params(s, rules, owner="Sam")
    options = score_options(p, [r for r, _ in ROLES])
    return p, options, recommend(p, options, ROLES)


@pytest.mark.parametrize(
    ("name", "signals", "primary", "fallback", "rejected"),
    [
        ("seed: burning with fixable incidents", SEED, "O3", "O2", {"O4", "O5"}),
        ("healthy budget", HEALTHY, "O1", "O3", {"O4", "O5"}),
        ("third-party burn", replace(SEED, third_party_share=0.7), "O6", "O3", {"O4"}),
        ("chronic misses", replace(SEED, earlier_misses=2), "O5", "O3", {"O4"}),
        (
            "deadline inside the freeze",
            replace(SEED, days_to_deadline=3.0),
            "O2",
            "O3",
            {"O4", "O5"},
        ),
        (
            "alerts firing, projection under 1",
            replace(HEALTHY, policy_state="burning_fast"),
            "O3",
            "O2",
            {"O4", "O5"},
        ),
    ],
)
def test_posture_rules(name, signals, primary, fallback, rejected) -> None:
    _, options, rec = _run(signals)
    assert (rec.primary, rec.fallbacks[0][0]) == (primary, fallback), name
    assert {o for o, _ in rec.rejected} == rejected
    assert 3 <= len(options) <= 5
    placed = [
        rec.primary,
        fallback,
        *(o for o, _ in rec.alternatives),
        *(o for o, _ in rec.rejected),
    ]
    assert sorted(placed) == sorted(o.id for o in options)


def test_seed_matrix_scores() -> None:
    _, options, rec = _run(SEED)
    by_id = {o.id: o for o in options}
    assert list(by_id) == ["O1", "O2", "O3", "O4", "O5"]  # O6 only for a third-party burn
    assert by_id["O1"].impact.level == "high" and by_id["O1"].impact.rule_id == "impact.ship.severe"
    assert "350%" in by_id["O1"].impact.reason
    assert [by_id[o].reversibility.level for o in ("O1", "O2", "O3", "O4", "O5")] == [
        "high",
        "high",
        "high",
        "low",
        "low",
    ]
    cost = {o: dict(by_id[o].stakeholder_cost) for o in by_id}
    assert cost["O1"]["product"].level == "low" and cost["O1"]["sre"].level == "high"
    assert cost["O2"]["product"].level == "high" and cost["O2"]["sre"].level == "low"
    assert cost["O3"]["product"].level == "medium"  # 7-day freeze inside 14 days
    assert by_id["O4"].title == "Extend the budget temporarily by 32 minutes"  # 129.6 / 4
    assert by_id["O5"].title == "Lower the SLO from 99.9 % to 99.5 %"
    assert any("56%" in w and "350%" in w for w in rec.why)
    assert rec.advocate.startswith("Advocate O3 as primary and O2 as the negotiated fallback")
    favours = {p.role: p.favours for p in rec.positions}
    assert favours == {"product": "O1", "sre": "O3", "qa": "O3"}


def test_freeze_longer_than_the_time_to_the_deadline_costs_product_high() -> None:
    _, options, _ = _run(replace(SEED, days_to_deadline=5.0))
    o3 = next(o for o in options if o.id == "O3")
    assert dict(o3.stakeholder_cost)["product"].rule_id == "cost.freeze.product.deadline"


def test_lowering_the_slo_needs_two_earlier_misses() -> None:
    _, _, one = _run(replace(SEED, earlier_misses=1))
    assert "O5" in {o for o, _ in one.rejected}
    _, _, two = _run(replace(SEED, earlier_misses=2))
    assert "O5" not in {o for o, _ in two.rejected}


def test_six_candidates_are_cut_to_five() -> None:
    _, options, _ = _run(replace(SEED, third_party_share=0.9))
    assert [o.id for o in options] == ["O1", "O2", "O3", "O4", "O6"]
    _, options, _ = _run(replace(SEED, third_party_share=0.9, earlier_misses=3))
    assert [o.id for o in options] == ["O1", "O2", "O3", "O5", "O6"]


def test_thresholds_and_titles_come_from_the_rules_data() -> None:
    rules = DecisionRules(
        thresholds=Thresholds(burning_projection=5.0, severe_projection=6.0),
        options=OptionSettings(freeze_days=3, titles=(("O1", "Ship Feature X"),)),
    )
    _, options, rec = _run(replace(SEED, policy_state="healthy"), rules)
    assert rec.primary == "O1"  # 350 % is under a 500 % burning threshold
    assert options[0].title == "Ship Feature X"
    assert next(o for o in options if o.id == "O3").title.startswith(
        "Freeze risky releases for 3 days"
    )


def test_roles_without_rules_are_flagged_not_guessed() -> None:
    p = params(SEED, DecisionRules(), owner="Sam")
    options = score_options(p, ["product", "legal"])
    legal = dict(options[0].stakeholder_cost)["legal"]
    assert (legal.level, legal.rule_id) == ("medium", "cost.unknown_role")
    rec = recommend(p, options, [("product", "Pat"), ("legal", "Lee")])
    assert {pos.role for pos in rec.positions} == {"product", "legal"}


def test_known_cause_threshold_decides_which_argument_is_made() -> None:
    _, _, known = _run(SEED)  # 62 % of the top burn has a recorded root cause
    assert any("a focused fix window addresses them" in w for w in known.why)
    _, _, unknown = _run(replace(SEED, known_cause_incidents=1, known_cause_share=0.2))
    assert any("find the causes before" in w for w in unknown.why)
    assert not any("focused fix window" in w for w in unknown.why)
