"""The incident side of a pack, from each real backend (Prometheus, VictoriaMetrics) and the
loopback fake PagerDuty, checked against the generator's own incident list and ground truth."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.app import build_pagerduty, build_prometheus
from daemon.config import load_config
from daemon.core.pack import Decision, pack_to_json
from daemon.drafting import draft_pack
from tests.generator import backend_truth, incident_truth
from tests.generator.backend_truth import VICTORIA_METRICS, Backend
from tests.generator.incidents import (
    CHECKOUT_SERVICE_ID,
    OTHER_SERVICE_ID,
    PdIncident,
    pagerduty_incidents,
)
from tests.generator.prometheus_server import PrometheusServer
from tests.generator.synthetic import AT
from tests.packs import LATENCY_SLI, RATIO_SLI, slo, validated, write_config
from tests.support.fake_pagerduty import fake_pagerduty, incident, note
from tests.support.tls import Tls

pytestmark = pytest.mark.prometheus

TOKEN = "test-token"
REL = 1e-6


def as_fake(incidents: list[PdIncident]) -> list[dict[str, Any]]:
    return [
        incident(i.id, i.number, i.title, i.created_at, i.resolved_at, i.service_id, i.urgency)
        for i in incidents
    ]


@pytest.fixture(scope="module")
def pd_incidents(prometheus: PrometheusServer) -> list[PdIncident]:
    return pagerduty_incidents(prometheus.scenario)


def notes_of(incidents: list[PdIncident]) -> dict[str, list[dict[str, Any]]]:
    """Each note as PagerDuty holds it, with an older one before it: the latest must win."""
    return {
        i.id: [
            note(f"N{i.number}a", "first look: investigating", i.created_at),
            note(f"N{i.number}b", i.note, i.created_at + timedelta(minutes=5)),
        ]
        for i in incidents
        if i.note
    }


def _config(tmp_path: Path, prom_url: str, pd_url: str, tls: Tls, slos: list, **pd: Any) -> Path:
    path = write_config(tmp_path, prom_url, {"checkout": slos})
    import json

    document = json.loads(path.read_text())
    document["pagerduty"] = {
        "url": pd_url,
        "token": TOKEN,
        "retries": 1,
        "ca_file": str(tls.cert),
        **pd,
    }
    document["services"][0]["pagerduty_service_ids"] = [CHECKOUT_SERVICE_ID]
    path.write_text(json.dumps(document))
    return path


def _draft(path: Path, at: datetime = AT) -> dict[str, Any]:
    config = load_config(path)
    pack = draft_pack(
        config,
        "checkout",
        at,
        Decision(),
        build_prometheus(config.prometheus),
        "slo-prep test",
        build_pagerduty(config.pagerduty),
    )
    return validated(pack_to_json(pack))


def _close(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, rel_tol=REL, abs_tol=1e-12)


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@pytest.fixture(scope="module")
def packs(
    backend: Backend,
    pd_incidents: list[PdIncident],
    tmp_path_factory: pytest.TempPathFactory,
    tls: Tls,
) -> dict[str, Any]:
    """One pack with a 30d availability SLO (first: sets the reliability window) and a
    quarterly latency SLO, plus the requests the fake saw while it was drafted."""
    with fake_pagerduty(
        as_fake(pd_incidents), token=TOKEN, notes=notes_of(pd_incidents), tls=tls
    ) as fake:
        path = _config(
            tmp_path_factory.mktemp("cfg"),
            backend.url,
            fake.url,
            tls,
            [
                slo("availability", 99.9, "30d", RATIO_SLI),
                slo("latency", 99.0, "quarter", LATENCY_SLI),
            ],
            notes="latest_note",
        )
        document = _draft(path)
        return {
            "pack": document,
            "requests": list(fake.requests),
            "violations": list(fake.violations),
        }


def test_reliability_equals_the_truth(packs: dict, pd_incidents: list[PdIncident]) -> None:
    want = incident_truth.reliability_truth(
        pd_incidents, [CHECKOUT_SERVICE_ID], AT, timedelta(days=30)
    )
    got = packs["pack"]["reliability"]
    assert got["window"] == "30d"
    for name in ("current", "trailing"):
        for key in ("incidents", "open"):
            assert got[name][key] == want[name][key], (name, key)
        for key in ("mttr_minutes", "mtbf_hours"):
            assert _close(got[name][key], want[name][key]), (name, key)
    for metric, lower_is_better in (("mttr", True), ("mtbf", False)):
        key = "mttr_minutes" if metric == "mttr" else "mtbf_hours"
        direction, strength = incident_truth.trend_truth(
            want["current"][key], want["trailing"][key], lower_is_better
        )
        assert got["trend"][metric]["direction"] == direction
        assert (got["trend"][metric]["strength"] or "") == strength
    assert got["trend"]["reading"].startswith("MTBF ")


@pytest.mark.parametrize(
    ("index", "sli", "objective", "window"),
    [(0, "availability", 99.9, "30d"), (1, "latency", 99.0, "quarter")],
)
def test_top_incidents_and_unattributed_burn_equal_the_truth(
    packs: dict,
    backend: Backend,
    pd_incidents: list[PdIncident],
    index: int,
    sli: str,
    objective: float,
    window: str,
) -> None:
    want = incident_truth.attribution_truth(
        backend.scenario,
        pd_incidents,
        [CHECKOUT_SERVICE_ID],
        sli,
        objective,
        window,
        AT,
        backend_truth.history_bad_between(backend, sli),
    )
    got = packs["pack"]["slos"][index]
    top = got["top_incidents"]
    assert len(top) == 5
    assert [i["id"] for i in top] == [i["id"] for i in want["incidents"][:5]]
    for g, w in zip(top, want["incidents"], strict=False):
        assert g["number"] == w["number"] and g["title"] == w["title"]
        assert _time(g["start"]) == w["start"] and _time(g["end"]) == w["end"]
        assert _close(g["bad_events"], w["bad_events"])
        assert _close(g["budget_consumed_fraction"], w["budget_consumed_fraction"])
        assert _close(g["budget_consumed_minutes"], w["budget_consumed_minutes"])
        assert g["url"].endswith(g["id"])
    u, wu = got["unattributed"], want["unattributed"]
    assert _close(u["bad_events"], wu["bad_events"])
    assert _close(u["consumed_fraction"], wu["consumed_fraction"])
    assert _close(u["consumed_minutes"], wu["consumed_minutes"])


def test_notes_come_from_pagerduty_never_invented(
    packs: dict, pd_incidents: list[PdIncident]
) -> None:
    by_id = {i.id: i for i in pd_incidents}
    for entry in packs["pack"]["slos"]:
        for shown in entry["top_incidents"]:
            assert shown["note"] == by_id[shown["id"]].note


def test_other_services_are_filtered_out(packs: dict, pd_incidents: list[PdIncident]) -> None:
    other = {i.id for i in pd_incidents if i.service_id == OTHER_SERVICE_ID}
    assert other
    for entry in packs["pack"]["slos"]:
        assert not other & {i["id"] for i in entry["top_incidents"]}


def test_every_pagerduty_request_is_cited_and_conforms_to_the_spec(packs: dict) -> None:
    assert packs["violations"] == []
    cited = [s for s in packs["pack"]["sources"] if s["kind"] == "pagerduty"]
    assert len(cited) == len(packs["requests"])
    listing = [s for s in cited if s["query"] == "GET /incidents"]
    assert listing and all(s["params"]["service_ids[]"] == [CHECKOUT_SERVICE_ID] for s in listing)
    assert all(s["params"]["time_zone"] == "UTC" for s in listing)
    assert all("token" not in str(s).lower() or TOKEN not in str(s) for s in cited)


def test_attribution_equals_one_query_per_incident_at_its_end(
    packs: dict, backend: Backend
) -> None:
    """The per-minute history stands in for `rate(bad[duration])` evaluated at each incident's
    end; on the grid both are exact on Prometheus, so they agree. On VictoriaMetrics 1.79 each
    minute of the history is the mean of two, so it agrees with the mean of that query at the
    end and a minute before it (docs/backends.md)."""
    from collectors.prometheus import connect

    prom = connect(backend.url, timeout_seconds=10, retries=0, headers={})
    start = AT - timedelta(days=30)
    for shown in packs["pack"]["slos"][0]["top_incidents"]:
        a = max(_time(shown["start"]), start)
        b = min(_time(shown["end"]) or AT, AT)
        seconds = int((b - a).total_seconds())
        query = RATIO_SLI["error_query"].replace("{{.window}}", f"{seconds}s")
        rate = prom.scalar(query, b)
        assert rate is not None
        if backend.name == VICTORIA_METRICS:
            earlier = prom.scalar(query, b - timedelta(minutes=1))
            assert earlier is not None
            assert _close(shown["bad_events"], (rate + earlier) / 2 * seconds)
            assert not _close(shown["bad_events"], rate * seconds)
        else:
            assert _close(shown["bad_events"], rate * seconds)


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("unreachable", "incidents_unavailable"),
        ("401", "incidents_unavailable"),
        ("429", "incidents_unavailable"),
    ],
)
def test_pagerduty_failure_still_drafts_the_prometheus_evidence(
    prometheus: PrometheusServer,
    pd_incidents: list[PdIncident],
    tmp_path: Path,
    tls: Tls,
    fault: str,
    code: str,
) -> None:
    with fake_pagerduty(as_fake(pd_incidents), token=TOKEN, tls=tls) as fake:
        url = fake.url
        if fault == "429":
            fake.fail_next(429, count=10, headers={"Retry-After": "0"})
        token_override = {"token": "wrong"} if fault == "401" else {}
        path = _config(
            tmp_path, prometheus.url, url, tls, [slo("a", 99.9, "30d", RATIO_SLI)], **token_override
        )
        if fault == "unreachable":
            fake.stop()
        document = _draft(path)
    assert document["reliability"] is None
    assert [p["code"] for p in document["problems"]] == [code]
    entry = document["slos"][0]
    assert entry["budget"] is not None and entry["status"] == "ok"
    assert entry["top_incidents"] is None and entry["unattributed"] is None


def test_without_pagerduty_the_pack_says_incidents_are_not_configured(
    prometheus: PrometheusServer, tmp_path: Path
) -> None:
    path = write_config(tmp_path, prometheus.url, {"checkout": [slo("a", 99.9, "30d", RATIO_SLI)]})
    document = _draft(path)
    assert [p["code"] for p in document["problems"]] == ["incidents_not_configured"]
    assert document["reliability"] is None
    assert document["slos"][0]["top_incidents"] is None


def test_the_command_prints_the_incident_side(
    prometheus: PrometheusServer,
    pd_incidents: list[PdIncident],
    tmp_path: Path,
    tls: Tls,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from daemon.cli import main

    with fake_pagerduty(as_fake(pd_incidents), token=TOKEN, tls=tls) as fake:
        path = _config(tmp_path, prometheus.url, fake.url, tls, [slo("a", 99.9, "30d", RATIO_SLI)])
        code = main(["draft", "checkout", "-c", str(path), "--at", "2026-11-16T00:00:00Z",
                     "--format", "json"])  # fmt: skip
    assert code == 0
    document = validated(json.loads(capsys.readouterr().out))
    want = incident_truth.attribution_truth(
        prometheus.scenario, pd_incidents, [CHECKOUT_SERVICE_ID], "availability", 99.9, "30d", AT
    )
    entry = document["slos"][0]
    assert [i["id"] for i in entry["top_incidents"]] == [i["id"] for i in want["incidents"][:5]]
    assert _close(
        entry["unattributed"]["consumed_minutes"], want["unattributed"]["consumed_minutes"]
    )
    current = incident_truth.reliability_truth(
        pd_incidents, [CHECKOUT_SERVICE_ID], AT, timedelta(days=30)
    )["current"]
    assert document["reliability"]["current"]["incidents"] == current["incidents"]
    assert _close(document["reliability"]["current"]["mttr_minutes"], current["mttr_minutes"])
