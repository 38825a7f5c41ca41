"""``slo-prep evaluate``: every SLO's burn rates per alert window and the conditions they fire,
checked against the scenario's ground truth (never against product code)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from daemon.cli import main
from tests.generator.prometheus_server import PrometheusServer
from tests.generator.synthetic import AT
from tests.generator.truth import (
    ALERT_CONDITIONS,
    BURN_WINDOWS,
    budget_truth,
    firings_truth,
    window_bounds,
)
from tests.packs import LATENCY_SLI, QUIET_SLI, RATIO_SLI, slo, write_config

# (service, slo name, truth SLI, objective, window) of the config every test here writes
SLOS = (
    ("checkout", "availability", "availability", 99.9, "30d"),
    ("checkout", "latency", "latency", 99.0, "quarter"),
    ("quiet", "availability", "quiet_availability", 99.5, "30d"),
)
SLI_OF = {"availability": RATIO_SLI, "latency": LATENCY_SLI, "quiet_availability": QUIET_SLI}


def _config(directory: Path, url: str) -> Path:
    services: dict[str, list[dict[str, Any]]] = {}
    for service, name, sli, objective, window in SLOS:
        services.setdefault(service, []).append(slo(name, objective, window, SLI_OF[sli]))
    return write_config(directory, url, services)


def _rfc3339(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _expected_conditions(
    burns: dict[str, float | None], window: str, at: datetime
) -> list[dict[str, Any]]:
    _kind, start, end = window_bounds(window, at)
    out = []
    for severity, long_w, short_w, spent in ALERT_CONDITIONS:
        threshold = spent * ((end - start) / BURN_WINDOWS[long_w])
        long_rate, short_rate = burns[long_w], burns[short_w]
        firing = (
            long_rate is not None
            and short_rate is not None
            and long_rate > threshold
            and short_rate > threshold
        )
        out.append((severity, long_w, short_w, threshold, firing))
    return [
        {
            "severity": s,
            "long_window": lw,
            "short_window": sw,
            "burn_rate_threshold": pytest.approx(t, rel=1e-12),
            "firing": f,
        }
        for s, lw, sw, t, f in out
    ]


def _check_against_truth(document: dict[str, Any], prometheus: PrometheusServer, at: datetime):
    assert document["evaluated_at"] == _rfc3339(at)
    assert (document["services"], document["slo_count"], document["unmeasured"]) == (2, 3, 0)
    firing = []
    measured = 0
    for entry, (service, name, sli, objective, window) in zip(document["slos"], SLOS, strict=True):
        truth = budget_truth(prometheus.scenario, sli, objective, window, at)
        assert (entry["service"], entry["slo"], entry["objective_percent"], entry["window"]) == (
            service,
            name,
            objective,
            window,
        )
        assert list(entry["burn_rates"]) == list(BURN_WINDOWS)
        budget = 1 - objective / 100
        for label, expected in truth["burn_rates"].items():
            if expected is None:  # no traffic in that window: no number, never a zero
                assert entry["burn_rates"][label] is None and entry["error_ratios"][label] is None
                continue
            measured += 1
            assert entry["burn_rates"][label] == pytest.approx(expected, rel=1e-9), label
            assert entry["error_ratios"][label] == pytest.approx(expected * budget, rel=1e-9)
        expected_conditions = _expected_conditions(truth["burn_rates"], window, at)
        assert entry["alert_conditions"] == expected_conditions
        # the same conditions as the truth's minute-by-minute firing history says at ``at``
        open_now = {
            (f["severity"], f["long_window"], f["short_window"])
            for f in firings_truth(prometheus.scenario, sli, objective, window, at)
            if f["end"] is None
        }
        assert {
            (c["severity"], c["long_window"], c["short_window"])
            for c in entry["alert_conditions"]
            if c["firing"]
        } == open_now
        assert entry["measured"] is True and entry["problems"] == []
        firing += [
            {
                "service": service,
                "slo": name,
                "severity": c["severity"],
                "windows": f"{c['long_window']}/{c['short_window']}",
            }
            for c in entry["alert_conditions"]
            if c["firing"]
        ]
    assert document["firing"] == firing
    assert measured >= 2 * len(BURN_WINDOWS)  # checkout's SLIs have traffic in every window
    return firing


def test_json_burn_rates_and_conditions_match_the_truth(
    prometheus: PrometheusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _config(tmp_path, prometheus.url)
    assert main(["evaluate", "-c", str(path), "--at", _rfc3339(AT), "--format", "json"]) == 0
    _check_against_truth(json.loads(capsys.readouterr().out), prometheus, AT)


def test_a_firing_condition_is_reported(
    prometheus: PrometheusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Evaluated ten minutes into a page-level firing of the truth's history, the command
    must report that condition firing (and only what the truth says holds then)."""
    fired = [
        f
        for f in firings_truth(prometheus.scenario, "availability", 99.9, "30d", AT)
        if f["severity"] == "page"
        and (f["end"] is None or f["end"] - f["start"] > timedelta(minutes=15))
    ]
    assert fired, "the scenario has a page-level firing of at least 15 minutes"
    at = fired[-1]["start"] + timedelta(minutes=10)
    path = _config(tmp_path, prometheus.url)
    assert main(["evaluate", "-c", str(path), "--at", _rfc3339(at), "--format", "json"]) == 0
    firing = _check_against_truth(json.loads(capsys.readouterr().out), prometheus, at)
    windows = f"{fired[-1]['long_window']}/{fired[-1]['short_window']}"
    assert {
        "service": "checkout",
        "slo": "availability",
        "severity": "page",
        "windows": windows,
    } in firing


def test_text_table_from_the_installed_command(
    prometheus: PrometheusServer, tmp_path: Path
) -> None:
    path = _config(tmp_path, prometheus.url)
    done = subprocess.run(
        [sys.executable, "-m", "daemon", "evaluate", "-c", str(path), "--at", _rfc3339(AT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"Burn rates at {_rfc3339(AT)}: 3 SLOs of 2 services")
    assert lines[1].split() == ["service", "slo", "objective", "window", *BURN_WINDOWS, "firing"]
    assert len(lines) == 2 + len(SLOS)
    for line, (service, name, sli, objective, window) in zip(lines[2:], SLOS, strict=True):
        cells = line.split()
        assert cells[:4] == [service, name, f"{objective:g}%", window]
        truth = budget_truth(prometheus.scenario, sli, objective, window, AT)["burn_rates"]
        assert cells[4:11] == ["-" if v is None else f"{v:.2f}" for v in truth.values()]


def test_unreachable_prometheus_prints_the_report_and_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    path = _config(tmp_path, dead)
    assert main(["evaluate", "-c", str(path), "--at", _rfc3339(AT), "--format", "json"]) == 4
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert document["unmeasured"] == 3 and document["firing"] == []
    for entry in document["slos"]:
        assert entry["measured"] is False
        assert all(v is None for v in entry["burn_rates"].values())
        assert entry["problems"][0]["code"] == "unreachable"
        assert "could not be reached" in entry["problems"][0]["message"]
    assert "3 of 3 SLOs could not be measured" in err


def test_bad_at_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, "http://127.0.0.1:9")
    assert main(["evaluate", "-c", str(path), "--at", "2026-11-16 00:00"]) == 2
    assert "--at must be an RFC 3339 time" in capsys.readouterr().err
