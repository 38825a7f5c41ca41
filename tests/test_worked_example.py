"""The SLO negotiation workflow's worked example, reproduced from generated data: 56 % of a
quarterly 99.9 % budget gone in 16 % of the quarter, MTBF degrading sharply, fixes in flight
-> O3 (freeze, then ship) primary, O2 (defer) fallback, O4 and O5 rejected.

The Markdown golden file is ``tests/render/golden/worked_example.md``; regenerate it with
``UPDATE_GOLDEN=1 pytest tests/test_worked_example.py`` after an intended change."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.app import build_pagerduty, build_prometheus
from daemon.config import load_config
from daemon.core.pack import Decision, pack_to_json
from daemon.drafting import draft_pack
from daemon.render.markdown import render_markdown
from tests.generator import incident_truth, truth
from tests.generator.prometheus_server import PrometheusServer
from tests.generator.worked_example import (
    DEADLINE,
    QUESTION,
    SERVICE_ID,
    TOP_TITLES,
    WORKED_AT,
    start_worked_example_server,
    worked_incidents,
)
from tests.packs import RATIO_SLI, slo, validated, write_config
from tests.support.fake_pagerduty import fake_pagerduty, incident, note
from tests.support.tls import Tls

pytestmark = pytest.mark.prometheus
GOLDEN = Path(__file__).parent / "render" / "golden" / "worked_example.md"


@pytest.fixture(scope="module")
def server() -> Iterator[PrometheusServer]:
    started = start_worked_example_server()
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def pack(server: PrometheusServer, tls: Tls, tmp_path_factory: pytest.TempPathFactory) -> dict:
    incidents = worked_incidents()
    served = [
        incident(i.id, i.number, i.title, i.created_at, i.resolved_at, i.service_id, i.urgency)
        for i in incidents
    ]
    notes = {i.id: [note(f"N{i.number}", i.note, i.created_at)] for i in incidents if i.note}
    with fake_pagerduty(served, notes=notes, tls=tls) as fake:
        path = write_config(
            tmp_path_factory.mktemp("cfg"), server.url,
            {"checkout": [slo("availability", 99.9, "quarter", RATIO_SLI)]},
        )  # fmt: skip
        document = json.loads(path.read_text())
        document["pagerduty"] = {
            "url": fake.url, "token": "test-token", "ca_file": str(tls.cert), "notes": "latest_note"
        }  # fmt: skip
        service = document["services"][0]
        service["pagerduty_service_ids"] = [SERVICE_ID]
        service["stakeholders"] = [
            {"role": "product", "name": "Pat"},
            {"role": "sre", "name": "Sam"},
            {"role": "qa", "name": "Quinn"},
        ]
        path.write_text(json.dumps(document))
        config = load_config(path)
        drafted = draft_pack(
            config, "checkout", WORKED_AT, Decision(QUESTION, DEADLINE, "quarter"),
            build_prometheus(config.prometheus), "slo-prep test", build_pagerduty(config.pagerduty),
        )  # fmt: skip
        return validated(pack_to_json(drafted))


def test_the_evidence_is_the_seeds(pack: dict, server: PrometheusServer) -> None:
    want = truth.budget_truth(server.scenario, "availability", 99.9, "quarter", WORKED_AT)
    budget = pack["slos"][0]["budget"]
    assert math.isclose(budget["consumed_fraction"], want["consumed_fraction"], rel_tol=1e-9)
    assert round(budget["consumed_fraction"], 2) == 0.56
    assert round(pack["slos"][0]["window"]["elapsed_fraction"], 2) == 0.16
    assert round(budget["projected_fraction_at_window_end"], 1) == 3.5
    trend = pack["reliability"]["trend"]
    assert (trend["mtbf"]["direction"], trend["mtbf"]["strength"]) == ("degrading", "sharply")
    assert (trend["mttr"]["direction"], trend["mttr"]["strength"]) == ("degrading", "slightly")
    assert [i["title"] for i in pack["slos"][0]["top_incidents"][:3]] == list(TOP_TITLES)
    attribution = incident_truth.attribution_truth(
        server.scenario, worked_incidents(), [SERVICE_ID], "availability", 99.9, "quarter",
        WORKED_AT,
    )  # fmt: skip
    for got, expected in zip(
        pack["slos"][0]["top_incidents"], attribution["incidents"], strict=False
    ):
        assert math.isclose(
            got["budget_consumed_minutes"], expected["budget_consumed_minutes"], rel_tol=1e-6
        )


def test_the_recommendation_is_the_seeds(pack: dict) -> None:
    rec = pack["recommendation"]
    assert [o["id"] for o in pack["options"]] == ["O1", "O2", "O3", "O4", "O5"]
    assert rec["primary"] == "O3" and rec["rule_id"] == "posture.burning"
    assert [f["option"] for f in rec["fallbacks"]] == ["O2"]
    assert {r["option"] for r in rec["rejected"]} == {"O4", "O5"}
    assert any("56%" in w and "350%" in w for w in rec["why"])
    assert {p["role"]: p["favours"] for p in rec["stakeholder_positions"]} == {
        "product": "O1", "sre": "O3", "qa": "O3"
    }  # fmt: skip
    assert rec["advocate"].startswith("Advocate O3 as primary and O2 as the negotiated fallback")


def test_every_number_is_audited_back_to_a_source(pack: dict) -> None:
    by_path = {a["path"]: a for a in pack["audit"]}
    consumed = by_path["slos[0].budget.consumed_fraction"]
    assert (
        consumed["source"]["kind"] == "formula" and "/ 0.001 x 0.16" in consumed["source"]["detail"]
    )
    ratio = by_path["slos[0].budget.error_ratio"]
    assert ratio["source"]["kind"] == "promql" and "sum(rate(" in ratio["source"]["detail"]
    projection = by_path["slos[0].budget.projected_fraction_at_window_end"]
    assert "projection = consumed / elapsed = 0.5597 / 0.16" in projection["source"]["detail"]
    top = by_path["slos[0].top_incidents[0]"]
    assert (
        top["source"]["kind"] == "pagerduty"
        and "https://fake.pagerduty.test/" in top["source"]["detail"]
    )
    assert by_path["options[2]"]["source"]["kind"] == "rule"
    assert by_path["recommendation"]["source"]["detail"].startswith(
        "first matching posture rule posture.burning"
    )


def _stable(markdown: str) -> str:
    """Wall-clock times of PagerDuty requests, loopback ports and the temporary config file
    (which holds the port, hence its digest) vary between runs."""
    markdown = re.sub(r"sent \d{4}-\d\d-\d\dT[\d:.]+Z", "sent <time>", markdown)
    markdown = re.sub(r"\S+slo-prep\.yaml", "<config>", markdown)
    markdown = re.sub(r"sha256 [0-9a-f]{12,64}", "sha256 <digest>", markdown)
    return re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:<port>", markdown)


def test_markdown_matches_the_golden_file(pack: dict) -> None:
    text = _stable(render_markdown(pack))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text()
    for section in (
        "## Current state",
        "## The decision",
        "## Option matrix",
        "## Recommended posture",
        "## Audit appendix",
    ):
        assert section in text
    assert (
        text.index("## Current state")
        < text.index("## Option matrix")
        < text.index("## Audit appendix")
    )
