"""The command line as users run it: exit codes, stdout/stderr, and what they say."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from daemon.cli import main
from tests.generator.prometheus_server import PrometheusServer
from tests.generator.synthetic import AT
from tests.packs import RATIO_SLI, slo, validated, write_config

AT_TEXT = "2026-11-16T00:00:00Z"


def _dead_url() -> str:
    # a port that was free a moment ago: nothing listens there
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_validate_config_accepts_the_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_TOKEN", "t")
    monkeypatch.setenv("PAGERDUTY_TOKEN", "t")
    assert main(["validate-config", "-c", "config/example.yaml"]) == 0
    assert "config/example.yaml: OK (1 services, 2 SLOs)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["services"][0]["slos"][0].update(objective=150),
            "services[0].slos[0].objective: must be between 0 and 100 (got 150)",
        ),
        (
            lambda d: d["services"][0]["slos"][0].update(objective="high"),
            "services[0].slos[0].objective: must be a number",
        ),
        (
            lambda d: d["services"][0]["slos"][0].update(burn=1),
            "services[0].slos[0].burn: unknown key",
        ),
        (
            lambda d: d["services"][0]["slos"][0]["sli"].update(total_query="sum(rate(x[5m]))"),
            "services[0].slos[0].sli.total_query:",
        ),
        (
            lambda d: d["prometheus"].update(bearer_token="${SLO_PREP_TEST_UNSET}"),
            "prometheus.bearer_token: environment variable SLO_PREP_TEST_UNSET is not set",
        ),
        (lambda d: d["services"][0]["slos"][0].update(window="30x"), "services[0].slos[0].window:"),
    ],
)
def test_invalid_config_exits_2_with_the_key_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mutate, expected: str
) -> None:
    path = write_config(
        tmp_path, "http://127.0.0.1:9", {"checkout": [slo("a", 99.9, "30d", RATIO_SLI)]}
    )
    document = json.loads(path.read_text())
    mutate(document)
    path.write_text(json.dumps(document))
    for command in (["validate-config", "-c", str(path)], ["draft", "checkout", "-c", str(path)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"{path}: {expected}" in err


def test_missing_config_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate-config", "-c", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--at", "2026-11-16 00:00", "timezone"),
        ("--at", "yesterday", "RFC 3339"),
        ("--deadline", "29/11/2026", "YYYY-MM-DD"),
    ],
)
def test_bad_arguments_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    path = write_config(
        tmp_path, "http://127.0.0.1:9", {"checkout": [slo("a", 99.9, "30d", RATIO_SLI)]}
    )
    assert main(["draft", "checkout", "-c", str(path), flag, value]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("service", "slos"), [("payments", None), ("empty", [])])
def test_missing_slo_exits_3_with_a_json_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], service: str, slos: list | None
) -> None:
    services = {"checkout": [slo("a", 99.9, "30d", RATIO_SLI)]}
    if slos is not None:
        services[service] = slos
    path = write_config(tmp_path, "http://127.0.0.1:9", services)
    assert main(["draft", service, "-c", str(path), "--format", "json"]) == 3
    out, err = capsys.readouterr()
    document = validated(json.loads(out))
    assert document["status"] == "MISSING_SLO" and document["service"] == service
    assert document["slos"] == [] and document["sources"] == []
    assert "MISSING_SLO" in err


def test_unreachable_prometheus_prints_the_pack_saying_so_and_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(
        tmp_path,
        _dead_url(),
        {"checkout": [slo("a", 99.9, "30d", RATIO_SLI), slo("b", 99.0, "quarter", RATIO_SLI)]},
    )
    assert main(["draft", "checkout", "-c", str(path), "--format", "json", "--at", AT_TEXT]) == 4
    out, err = capsys.readouterr()
    document = validated(json.loads(out))
    for entry in document["slos"]:
        assert entry["status"] == "unavailable"
        assert entry["budget"] is None and entry["firings"] is None
        assert all(rate is None for rate in entry["burn_rates"].values())
        assert entry["problems"][0]["code"] == "unreachable"
        assert "could not be reached" in entry["problems"][0]["message"]
    # after the first connection failure the pack stops asking instead of timing out per query
    assert len(document["sources"]) == 1
    assert "could be measured" in err


def test_question_and_deadline_are_kept_verbatim(
    prometheus: PrometheusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, prometheus.url, {"checkout": [slo("a", 99.9, "30d", RATIO_SLI)]})
    question = "Ship <Feature X> by *Friday*? <!channel>"
    args = ["draft", "checkout", "-c", str(path), "--at", AT_TEXT, "--format", "json"]
    framed = [*args, "--question", question, "--deadline", "2026-11-29", "--horizon", "quarter"]
    assert main(framed) == 0
    document = validated(json.loads(capsys.readouterr().out))
    assert document["status"] == "DRAFT"
    assert document["decision"] == {
        "question": question,
        "deadline": "2026-11-29",
        "horizon": "quarter",
        "stakeholders": [],
        "focus_slo": "a",
    }
    assert 3 <= len(document["options"]) <= 5 and document["recommendation"] is not None
    assert main(args) == 0
    document = validated(json.loads(capsys.readouterr().out))
    assert document["status"] == "NO_DECISION_FRAMED"
    assert document["decision"]["question"] is None and document["decision"]["deadline"] is None
    assert document["options"] == [] and document["recommendation"] is None


def test_installed_command_prints_markdown(prometheus: PrometheusServer, tmp_path: Path) -> None:
    path = write_config(tmp_path, prometheus.url, {"checkout": [slo("a", 99.9, "30d", RATIO_SLI)]})
    done = subprocess.run(
        [sys.executable, "-m", "daemon", "draft", "checkout", "-c", str(path), "--at", AT_TEXT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# SLO prep pack — checkout")
    assert "**43.2 min** of unreliability allowed" in done.stdout
    assert AT.strftime("%Y-%m-%d %H:%M UTC") in done.stdout


def test_slack_payloads_and_chart_from_the_command(
    prometheus: PrometheusServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.render.test_slack import assert_within_limits

    path = write_config(tmp_path, prometheus.url, {"checkout": [slo("a", 99.9, "30d", RATIO_SLI)]})
    chart = tmp_path / "burn-down.png"
    args = ["draft", "checkout", "-c", str(path), "--at", AT_TEXT, "--question", "<!channel> ship?"]
    assert main([*args, "--format", "slack", "--chart", str(chart)]) == 0
    payloads = json.loads(capsys.readouterr().out)
    assert_within_limits(payloads)
    assert "<!channel>" not in json.dumps(payloads)
    parent = json.dumps(payloads[0])
    assert "checkout" in parent and "&lt;!channel&gt; ship?" in parent
    assert len(payloads) > 1  # the sections go to thread replies
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main([*args, "--chart", str(tmp_path / "missing" / "x.png")]) == 2
    assert "--chart" in capsys.readouterr().err
