"""load_config: the typed result of a valid file, and every issue of an invalid one."""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from daemon.config import (
    AlertmanagerConfig,
    AlertsConfig,
    Config,
    HttpConfig,
    PagerDutyConfig,
    PrometheusConfig,
    ReliabilityConfig,
    ScheduleConfig,
    ServiceConfig,
    SlackConfig,
    Stakeholder,
    StoreConfig,
    load_config,
)
from daemon.core.rules import OPTION_IDS, DecisionRules, OptionSettings, Thresholds
from daemon.core.slo import LatencySli, RatioSli, SloSpec, WindowSpec
from daemon.errors import ConfigError, ConfigIssue

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
ERROR_QUERY = 'sum(rate(http_requests_total{service="checkout",code=~"5.."}[{{.window}}]))'
TOTAL_QUERY = 'sum(rate(http_requests_total{service="checkout"}[{{.window}}]))'
# ${NAME} not preceded by the $ of a $${ escape
PLACEHOLDER = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def base() -> dict[str, Any]:
    """A valid config; slos[1] is the latency SLO, so paths match the documented examples."""
    return {
        "apiVersion": "slo-prep/v1",
        "prometheus": {"url": "http://127.0.0.1:9090"},
        "services": [
            {
                "name": "checkout",
                "stakeholders": [{"role": "product", "name": "Pat"}],
                "slos": [
                    {
                        "name": "availability",
                        "objective": 99.9,
                        "window": "30d",
                        "sli": {"error_query": ERROR_QUERY, "total_query": TOTAL_QUERY},
                    },
                    {
                        "name": "latency",
                        "objective": 99.0,
                        "window": "quarter",
                        "sli": {
                            "latency": {
                                "histogram": "http_request_duration_seconds",
                                "selector": '{service="checkout"}',
                                "threshold_seconds": 0.25,
                            }
                        },
                    },
                ],
            }
        ],
    }


_STEP = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _walk(data: Any, path: str) -> tuple[Any, str | int]:
    steps: list[str | int] = [int(index) if index else key for index, key in _STEP.findall(path)]
    for step in steps[:-1]:
        data = data[step]
    return data, steps[-1]


def put(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    parent, last = _walk(data, path)
    parent[last] = value
    return data


def drop(data: dict[str, Any], path: str) -> dict[str, Any]:
    parent, last = _walk(data, path)
    del parent[last]
    return data


def write(tmp_path: Path, content: str | dict[str, Any], name: str = "config.yaml") -> Path:
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def issues_of(
    tmp_path: Path, content: str | dict[str, Any], environ: dict[str, str] | None = None
) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, content), environ={} if environ is None else environ)
    return list(caught.value.issues)


def single_issue(
    tmp_path: Path, content: str | dict[str, Any], environ: dict[str, str] | None = None
) -> ConfigIssue:
    issues = issues_of(tmp_path, content, environ)
    assert len(issues) == 1, issues
    return issues[0]


def assert_issue(issue: ConfigIssue, path: str, fragment: str) -> None:
    assert issue.path == path, issue
    assert fragment in issue.message, issue


# --- valid files -------------------------------------------------------------------------


def test_example_loads_to_the_expected_typed_values() -> None:
    source = CONFIG_DIR / "example.yaml"
    environ = {
        "PROMETHEUS_TOKEN": "dummy-token",
        "PAGERDUTY_TOKEN": "dummy-pd-token",
    }
    config = load_config(source, environ=environ)

    decision = DecisionRules(
        thresholds=Thresholds(),
        options=OptionSettings(
            titles=(("O1", "Ship on the original timeline and accept the burn"),),
            extension_minutes=30,
            exception_owner="Sam Reliability",
        ),
    )
    expected = Config(
        prometheus=PrometheusConfig(
            url="http://127.0.0.1:9090",
            timeout_seconds=30,
            headers=(("X-Scope-OrgID", "tenant-1"),),
            bearer_token="dummy-token",
            verify_tls=True,
            retries=2,
        ),
        services=(
            ServiceConfig(
                name="checkout",
                stakeholders=(
                    Stakeholder("product", "Pat Product"),
                    Stakeholder("sre", "Sam Reliability"),
                    Stakeholder("qa", "Quinn Quality"),
                ),
                slos=(
                    SloSpec(
                        name="availability",
                        objective_percent=99.9,
                        window=WindowSpec(kind="rolling", days=30),
                        sli=RatioSli(ERROR_QUERY, TOTAL_QUERY),
                        description="Checkout requests that do not fail with a 5xx.",
                        min_events=1000,
                    ),
                    SloSpec(
                        name="latency",
                        objective_percent=99.0,
                        window=WindowSpec(kind="calendar", period="quarter"),
                        sli=LatencySli(
                            "http_request_duration_seconds", '{service="checkout"}', 0.25
                        ),
                        description="Checkout requests served within 250 ms.",
                    ),
                ),
                pagerduty_service_ids=("P123ABC", "PXYZ789"),
                reliability_window_days=30,
                decision=replace(
                    decision,
                    options=replace(decision.options, freeze_days=14, lower_objective=98.5),
                ),
                slack_channel="C0123456789",
                managers=("U012ABC", "S0ABCDE"),
            ),
        ),
        store=StoreConfig("sqlite:///slo-prep.db"),
        slack=SlackConfig("off", sre_channel="C0123456789"),
        pagerduty=PagerDutyConfig(
            token="dummy-pd-token",
            url="https://api.pagerduty.com",
            timeout_seconds=30,
            retries=3,
            max_retry_wait_seconds=60,
            notes="title",
            notes_field=None,
        ),
        reliability=ReliabilityConfig(stable_percent=10, sharp_percent=50, top_incidents=5),
        decision=decision,
        http=HttpConfig("0.0.0.0", 8080),
        alertmanager=None,
        alerts=AlertsConfig(match='{sloth_id!=""}', service_label="service"),
        schedule=ScheduleConfig(60, 300, 86400, 30),
        source=str(source),
        sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
    )
    assert config == expected
    assert isinstance(config.services[0].slos[0].objective_percent, float)
    assert config.pagerduty is not None
    assert isinstance(config.pagerduty.max_retry_wait_seconds, float)
    assert isinstance(config.reliability.sharp_percent, float)
    assert isinstance(config.decision.thresholds.burning_projection, float)
    assert isinstance(config.decision.options.extension_minutes, float)


def dummy(name: str) -> str:
    # a variable holding a whole URL (https: PagerDuty takes nothing else) or a file must still
    # look like one to pass validation
    if name.upper().endswith("URL"):
        return "https://dummy.invalid:9443"
    if name.upper().endswith("_FILE"):
        return __file__
    # Slack tokens are checked for the prefix of their kind
    if "BOT_TOKEN" in name.upper():
        return f"xoxb-dummy-{name}"
    if "APP_TOKEN" in name.upper():
        return f"xapp-dummy-{name}"
    return f"dummy-{name}"


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda path: path.name)
def test_every_shipped_config_loads(path: Path) -> None:
    environ = {name: dummy(name) for name in PLACEHOLDER.findall(path.read_text())}
    config = load_config(path, environ=environ)
    assert config.services


def test_the_shipped_configs_include_the_documented_ones() -> None:
    names = {path.name for path in CONFIG_DIR.glob("*.yaml")}
    assert {"example.yaml", "minimal.yaml"} <= names


def test_defaults_apply_when_optional_keys_are_left_out(tmp_path: Path) -> None:
    data = base()
    del data["services"][0]["stakeholders"]
    drop(data, "services[0].slos[1].sli.latency.selector")
    config = load_config(write(tmp_path, data), environ={})
    assert config.prometheus == PrometheusConfig(url="http://127.0.0.1:9090")
    assert config.store == StoreConfig()
    assert config.slack == SlackConfig(mode="off")
    assert config.pagerduty is None
    assert config.reliability == ReliabilityConfig(
        stable_percent=10.0, sharp_percent=50.0, top_incidents=5
    )
    assert config.services[0].stakeholders == ()
    assert config.services[0].pagerduty_service_ids == ()
    assert config.services[0].reliability_window_days is None
    assert config.decision == DecisionRules()
    assert config.services[0].decision is None
    assert config.rules_for(config.services[0]) == DecisionRules()
    assert config.services[0].slack_channel is None
    assert config.services[0].managers == ()
    assert config.http == HttpConfig(listen_host="0.0.0.0", listen_port=8080)
    assert config.alertmanager is None
    assert config.alerts == AlertsConfig(match=None, service_label="service")
    assert config.schedule == ScheduleConfig(
        collect_interval_seconds=60,
        incidents_interval_seconds=300,
        refresh_seconds=86400,
        misfire_grace_seconds=30,
    )
    assert config.slack == SlackConfig(
        mode="off", api_url="https://slack.com/api/", command="/slo-prep"
    )
    assert config.services[0].slos[0].description is None
    assert config.services[0].slos[0].min_events is None
    sli = config.services[0].slos[1].sli
    assert isinstance(sli, LatencySli)
    assert sli.selector == "{}"


def test_a_service_without_slos_is_allowed(tmp_path: Path) -> None:
    data = drop(base(), "services[0].slos")
    config = load_config(write(tmp_path, data), environ={})
    assert config.services[0].slos == ()


def test_an_empty_key_counts_as_not_given(tmp_path: Path) -> None:
    text = yaml.safe_dump(base(), sort_keys=False).replace(
        "  url: http://127.0.0.1:9090\n", "  url: http://127.0.0.1:9090\n  timeout_seconds:\n"
    )
    assert "timeout_seconds:\n" in text
    config = load_config(write(tmp_path, text), environ={})
    assert config.prometheus.timeout_seconds == 30


def test_all_prometheus_options_are_read(tmp_path: Path) -> None:
    data = put(
        base(),
        "prometheus",
        {
            "url": "https://prom.example.com/prefix/",
            "timeout_seconds": 2.5,
            "retries": 0,
            "verify_tls": False,
            "headers": {"X-Scope-OrgID": "t1", "X-Other": "v"},
            "batch_size": 20,
            "max_concurrency": 8,
        },
    )
    data["store"] = {"url": "postgres://db.example.com/slo"}
    prometheus = load_config(write(tmp_path, data), environ={}).prometheus
    assert prometheus == PrometheusConfig(
        url="https://prom.example.com/prefix/",
        timeout_seconds=2.5,
        headers=(("X-Scope-OrgID", "t1"), ("X-Other", "v")),
        verify_tls=False,
        retries=0,
        batch_size=20,
        max_concurrency=8,
    )


def test_source_is_the_path_as_given_and_sha256_the_file_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, base())
    monkeypatch.chdir(tmp_path)
    config = load_config("config.yaml", environ={})
    assert config.source == "config.yaml"
    assert config.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_config(path, environ={}).source == str(path)


# --- numbers and types -------------------------------------------------------------------


def test_objective_out_of_range_renders_with_file_and_key_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, put(base(), "services[0].slos[1].objective", 150))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config("config.yaml", environ={})
    assert caught.value.source == "config.yaml"
    assert str(caught.value) == (
        "config.yaml: services[0].slos[1].objective: must be between 0 and 100 (got 150)"
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0, "must be between 0 and 100 (got 0)"),
        (100, "must be between 0 and 100 (got 100)"),
        (-1.5, "must be between 0 and 100 (got -1.5)"),
        (True, "must be a number (got boolean true)"),
        ("abc", "must be a number (got string 'abc')"),
        ("99.9%", "must be a number (got string '99.9%')"),
        (float("nan"), "must be a finite number"),
        (10**400, "must be a finite number"),
        (None, "must be a number (got null)"),
    ],
)
def test_objective_must_be_strictly_between_0_and_100(
    tmp_path: Path, value: object, fragment: str
) -> None:
    issue = single_issue(tmp_path, put(base(), "services[0].slos[0].objective", value))
    assert_issue(issue, "services[0].slos[0].objective", fragment)


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("prometheus.timeout_seconds", "abc", "must be a number (got string 'abc')"),
        ("prometheus.timeout_seconds", 0, "must be greater than 0 (got 0)"),
        ("prometheus.retries", 11, "must be 0 to 10 (got 11)"),
        ("prometheus.retries", -1, "must be 0 to 10 (got -1)"),
        ("prometheus.retries", 1.5, "must be an integer (got number 1.5)"),
        ("prometheus.retries", True, "must be an integer (got boolean true)"),
        ("prometheus.batch_size", 0, "must be 1 to 500 (got 0)"),
        ("prometheus.batch_size", 501, "must be 1 to 500 (got 501)"),
        ("prometheus.max_concurrency", 0, "must be 1 to 32 (got 0)"),
        ("prometheus.max_concurrency", "4", "must be an integer (got string '4')"),
        ("prometheus.verify_tls", "yes", "must be true or false (got string 'yes')"),
        ("prometheus.bearer_token", 123, "must be a string (got integer 123)"),
        ("prometheus.bearer_token", "  ", "must not be empty"),
        ("prometheus.headers", ["a"], "must be a mapping (got a list)"),
        ("prometheus", "http://x", "must be a mapping (got string 'http://x')"),
        ("apiVersion", "slo-prep/v2", "must be slo-prep/v1 (got 'slo-prep/v2')"),
        ("services", {"checkout": {}}, "must be a list (got a mapping)"),
        ("services", [], "must list at least one service"),
        ("services[0]", "checkout", "must be a mapping (got string 'checkout')"),
        ("services[0].name", 123, "must be a string (got integer 123)"),
        (
            "services[0].name",
            "Checkout",
            "must match ^[a-z0-9][a-z0-9._-]{0,62}$ (lowercase letters",
        ),
        ("services[0].name", "a" * 64, "at most 63 characters"),
        ("services[0].stakeholders", {"role": "qa"}, "must be a list (got a mapping)"),
        (
            "services[0].stakeholders[0].role",
            "Product",
            "must match ^[a-z][a-z0-9_-]*$ (a lowercase word",
        ),
        ("services[0].stakeholders[0].name", "", "must not be empty"),
        ("services[0].slos", "availability", "must be a list (got string"),
        ("services[0].slos[0].name", "Avail ability", "must match"),
        ("services[0].slos[0].description", ["x"], "must be a string (got a list)"),
        ("services[0].slos[0].min_events", 0, "must be at least 1 (got 0)"),
        ("services[0].slos[0].min_events", 10.5, "must be an integer (got number 10.5)"),
        ("services[0].slos[0].sli", "ratio", "must be a mapping (got string 'ratio')"),
        ("services[0].slos[0].sli.error_query", "", "must not be empty"),
        ("services[0].slos[0].sli.total_query", 5, "must be a string (got integer 5)"),
        ("services[0].slos[1].sli.latency", "fast", "must be a mapping (got string 'fast')"),
        ("services[0].slos[1].sli.latency.threshold_seconds", 0, "must be greater than 0"),
        ("services[0].slos[1].sli.latency.threshold_seconds", "250ms", "must be a number"),
    ],
)
def test_wrong_values_are_reported_at_their_path(
    tmp_path: Path, path: str, value: object, fragment: str
) -> None:
    assert_issue(single_issue(tmp_path, put(base(), path, value)), path, fragment)


def test_every_issue_is_reported_not_just_the_first(tmp_path: Path) -> None:
    data = base()
    put(data, "prometheus.retries", 99)
    put(data, "services[0].slos[0].window", "30x")
    put(data, "services[0].slos[1].objective", 150)
    drop(data, "services[0].slos[1].sli.latency.histogram")
    data["services"].append({"name": "search", "slos": [{"name": "x"}]})
    issues = issues_of(tmp_path, data)
    assert [issue.path for issue in issues] == [
        "prometheus.retries",
        "services[0].slos[0].window",
        "services[0].slos[1].objective",
        "services[0].slos[1].sli.latency.histogram",
        "services[1].slos[0].objective",
        "services[1].slos[0].window",
        "services[1].slos[0].sli",
    ]


# --- unknown and missing keys ------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent", "known"),
    [
        ("", "apiVersion"),
        ("prometheus", "timeout_seconds"),
        ("services[0]", "stakeholders"),
        ("services[0].stakeholders[0]", "role"),
        ("services[0].slos[0]", "objective"),
        ("services[0].slos[0].sli", "error_query"),
        ("services[0].slos[1].sli.latency", "threshold_seconds"),
    ],
)
def test_unknown_keys_are_errors_at_any_depth(tmp_path: Path, parent: str, known: str) -> None:
    path = f"{parent}.foo" if parent else "foo"
    issue = single_issue(tmp_path, put(base(), path, 1))
    assert_issue(issue, path, "unknown key (expected one of: ")
    assert known in issue.message


def test_unknown_store_and_slack_keys(tmp_path: Path) -> None:
    data = base()
    data["store"] = {"url": "sqlite:///x.db", "path": "x"}
    data["slack"] = {"mode": "off", "token": "x"}
    issues = issues_of(tmp_path, data)
    assert [(i.path, i.message) for i in issues] == [
        ("store.path", "unknown key (expected one of: url)"),
        (
            "slack.token",
            "unknown key (expected one of: mode, api_url, bot_token, app_token, "
            "signing_secret, sre_channel, command, output_dir); did you mean 'bot_token'?",
        ),
    ]


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    data = base()
    data["services"][0]["slos"][0]["objectve"] = data["services"][0]["slos"][0].pop("objective")
    issues = issues_of(tmp_path, data)
    assert [issue.path for issue in issues] == [
        "services[0].slos[0].objectve",
        "services[0].slos[0].objective",
    ]
    assert "did you mean 'objective'?" in issues[0].message
    assert issues[1].message == "missing required key"


@pytest.mark.parametrize(
    "path",
    [
        "apiVersion",
        "prometheus",
        "prometheus.url",
        "services",
        "services[0].name",
        "services[0].stakeholders[0].role",
        "services[0].stakeholders[0].name",
        "services[0].slos[0].name",
        "services[0].slos[0].objective",
        "services[0].slos[0].window",
        "services[0].slos[0].sli",
        "services[0].slos[0].sli.total_query",
        "services[0].slos[0].sli.error_query",
        "services[0].slos[1].sli.latency.histogram",
        "services[0].slos[1].sli.latency.threshold_seconds",
    ],
)
def test_missing_required_keys_are_reported_at_their_path(tmp_path: Path, path: str) -> None:
    assert_issue(single_issue(tmp_path, drop(base(), path)), path, "missing required key")


def test_store_and_slack_sections_need_their_key(tmp_path: Path) -> None:
    data = base()
    data["store"] = {}
    data["slack"] = {}
    issues = issues_of(tmp_path, data)
    assert [(i.path, i.message) for i in issues] == [
        ("store.url", "missing required key"),
        ("slack.mode", "missing required key"),
    ]


def test_an_empty_or_non_mapping_file_is_an_error(tmp_path: Path) -> None:
    assert_issue(single_issue(tmp_path, ""), "", "(got an empty file)")
    assert_issue(single_issue(tmp_path, "- a\n- b\n"), "", "must be a mapping")


# --- windows, queries and SLI forms ------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("30x", "must be a rolling window like 30d, or month, or quarter (got '30x')"),
        ("0d", "(got '0d')"),
        ("400d", "at most 366d"),
        ("Month", "(got 'Month')"),
        (30, "(got integer 30)"),
    ],
)
def test_bad_windows(tmp_path: Path, value: object, fragment: str) -> None:
    issue = single_issue(tmp_path, put(base(), "services[0].slos[0].window", value))
    assert_issue(issue, "services[0].slos[0].window", fragment)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", WindowSpec("rolling", days=7)), ("month", WindowSpec("calendar", period="month"))],
)
def test_good_windows(tmp_path: Path, text: str, expected: WindowSpec) -> None:
    config = load_config(write(tmp_path, put(base(), "services[0].slos[0].window", text)), {})
    assert config.services[0].slos[0].window == expected


@pytest.mark.parametrize("key", ["error_query", "total_query"])
def test_a_query_without_the_window_placeholder_is_an_error(tmp_path: Path, key: str) -> None:
    path = f"services[0].slos[0].sli.{key}"
    issue = single_issue(tmp_path, put(base(), path, "sum(rate(http_requests_total[5m]))"))
    assert_issue(issue, path, "must contain the {{.window}} placeholder")


def test_a_misspelt_placeholder_is_named(tmp_path: Path) -> None:
    path = "services[0].slos[0].sli.error_query"
    issue = single_issue(tmp_path, put(base(), path, "sum(rate(x[{{.Window}}]))"))
    assert_issue(issue, path, "found '{{.Window}}'")


def test_a_spaced_placeholder_is_normalised(tmp_path: Path) -> None:
    data = put(base(), "services[0].slos[0].sli.error_query", "sum(rate(e[{{ .window }}]))")
    put(data, "services[0].slos[0].sli.total_query", "sum(rate(t[{{.window }}])) / 2")
    sli = load_config(write(tmp_path, data), environ={}).services[0].slos[0].sli
    assert sli == RatioSli("sum(rate(e[{{.window}}]))", "sum(rate(t[{{.window}}])) / 2")


def test_both_sli_forms_is_an_error_at_sli(tmp_path: Path) -> None:
    data = put(
        base(), "services[0].slos[0].sli.latency", {"histogram": "h", "threshold_seconds": 1}
    )
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "services[0].slos[0].sli", "not both")


@pytest.mark.parametrize("sli", [{}, {"latency": None}])
def test_neither_sli_form_is_an_error_at_sli(tmp_path: Path, sli: dict[str, Any]) -> None:
    issue = single_issue(tmp_path, put(base(), "services[0].slos[0].sli", sli))
    assert_issue(issue, "services[0].slos[0].sli", "must give either error_query and total_query")


def test_half_a_ratio_reports_the_missing_query(tmp_path: Path) -> None:
    issue = single_issue(
        tmp_path, put(base(), "services[0].slos[0].sli", {"error_query": ERROR_QUERY})
    )
    assert_issue(issue, "services[0].slos[0].sli.total_query", "missing required key")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("histogram", "http_request_duration_seconds_bucket", "without _bucket"),
        ("histogram", "http_request_duration_seconds_count", "without _count"),
        ("histogram", "http_request_duration_seconds_sum", "without _sum"),
        ("histogram", "http-request-duration", "(a Prometheus metric name;"),
        ("histogram", "9lives", "(a Prometheus metric name;"),
        ("selector", 'service="checkout"', "must be a label selector in braces"),
        ("selector", "{service='x'", "must be a label selector in braces"),
    ],
)
def test_bad_latency_sli(tmp_path: Path, key: str, value: str, fragment: str) -> None:
    path = f"services[0].slos[1].sli.latency.{key}"
    assert_issue(single_issue(tmp_path, put(base(), path, value)), path, fragment)


def test_empty_selector_braces_are_allowed(tmp_path: Path) -> None:
    data = put(base(), "services[0].slos[1].sli.latency.selector", "{}")
    sli = load_config(write(tmp_path, data), environ={}).services[0].slos[1].sli
    assert sli == LatencySli("http_request_duration_seconds", "{}", 0.25)


# --- uniqueness --------------------------------------------------------------------------


def test_duplicate_service_names_are_reported_at_the_second(tmp_path: Path) -> None:
    data = base()
    data["services"].append({"name": "search"})
    data["services"].append({"name": "checkout"})
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "services[2].name", "duplicate service name 'checkout'")
    assert "services[0].name" in issue.message


def test_duplicate_slo_names_are_reported_at_the_second(tmp_path: Path) -> None:
    issue = single_issue(tmp_path, put(base(), "services[0].slos[1].name", "availability"))
    assert_issue(issue, "services[0].slos[1].name", "duplicate SLO name 'availability'")


def test_the_same_slo_name_in_two_services_is_fine(tmp_path: Path) -> None:
    data = base()
    data["services"].append(
        {"name": "search", "slos": [copy.deepcopy(data["services"][0]["slos"][0])]}
    )
    config = load_config(write(tmp_path, data), environ={})
    assert [s.slos[0].name for s in config.services] == ["availability", "availability"]


def test_duplicate_yaml_keys_are_errors_at_their_path(tmp_path: Path) -> None:
    text = """\
apiVersion: slo-prep/v1
prometheus:
  url: http://a:9090
  url: http://b:9090
services:
  - name: checkout
    slos:
      - name: availability
        objective: 99.9
        objective: 99.5
        window: 30d
        sli:
          error_query: e[{{.window}}]
          total_query: t[{{.window}}]
services: []
"""
    issues = issues_of(tmp_path, text)
    assert [(i.path, i.message) for i in issues] == [
        ("prometheus.url", "duplicate key (first set at line 3)"),
        ("services[0].slos[0].objective", "duplicate key (first set at line 9)"),
        ("services", "duplicate key (first set at line 5)"),
        # the last of the two `services` wins, as in PyYAML, and is checked as usual
        ("services", "must list at least one service"),
    ]


def test_yaml_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = """\
apiVersion: slo-prep/v1
prometheus: &prom
  url: http://a:9090
  retries: 1
services:
  - name: checkout
    slos:
      - &slo
        name: availability
        objective: 99.9
        window: 30d
        sli:
          error_query: e[{{.window}}]
          total_query: t[{{.window}}]
      - <<: *slo
        name: other
        window: 7d
"""
    config = load_config(write(tmp_path, text), environ={})
    assert [(s.name, s.window.label) for s in config.services[0].slos] == [
        ("availability", "30d"),
        ("other", "7d"),
    ]


# --- ${ENV} substitution -----------------------------------------------------------------


def test_placeholders_are_filled_from_environ(tmp_path: Path) -> None:
    data = put(base(), "prometheus.bearer_token", "${PROM_TOKEN}")
    put(data, "prometheus.url", "https://${PROM_HOST}:${PROM_PORT}/api")
    put(data, "prometheus.headers", {"X-Scope-OrgID": "org-${TENANT}"})
    put(data, "services[0].slos[0].sli.error_query", "sum(rate(${METRIC}[{{.window}}]))")
    environ = {
        "PROM_TOKEN": "s3cret",
        "PROM_HOST": "prom.internal",
        "PROM_PORT": "9443",
        "TENANT": "42",
        "METRIC": "errors_total",
    }
    config = load_config(write(tmp_path, data), environ=environ)
    assert config.prometheus.bearer_token == "s3cret"
    assert config.prometheus.url == "https://prom.internal:9443/api"
    assert config.prometheus.headers == (("X-Scope-OrgID", "org-42"),)
    assert config.services[0].slos[0].sli == RatioSli(
        "sum(rate(errors_total[{{.window}}]))", TOTAL_QUERY
    )


def test_environ_defaults_to_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLO_PREP_TEST_TOKEN", "from-os")
    data = put(base(), "prometheus.bearer_token", "${SLO_PREP_TEST_TOKEN}")
    assert load_config(write(tmp_path, data)).prometheus.bearer_token == "from-os"


def test_every_unset_variable_is_reported_at_once(tmp_path: Path) -> None:
    data = put(base(), "prometheus.bearer_token", "${PROM_TOKEN}")
    put(data, "prometheus.headers", {"X-Scope-OrgID": "${TENANT}-${REGION}"})
    put(data, "services[0].stakeholders[0].name", "${OWNER}")
    issues = issues_of(tmp_path, data, environ={"OWNER": "Pat"})
    assert [(i.path, i.message) for i in issues] == [
        ("prometheus.bearer_token", "environment variable PROM_TOKEN is not set"),
        ("prometheus.headers.X-Scope-OrgID", "environment variable TENANT is not set"),
        ("prometheus.headers.X-Scope-OrgID", "environment variable REGION is not set"),
    ]


def test_values_of_set_variables_never_reach_messages(tmp_path: Path) -> None:
    secrets = {
        "URL": "ftp://hunter2-url",
        "WINDOW": "hunter2-window",
        "NAME": "Hunter2 Name",
        "QUERY": "hunter2-query{{.Window}}",
        "HIST": "hunter2_bucket",
        "SEL": "hunter2-selector",
        "MODE": "hunter2-mode",
        "STORE": "mysql://user:hunter2@db/x",
        "EMPTY": "",
    }
    data = put(base(), "prometheus.url", "${URL}")
    put(data, "prometheus.bearer_token", "${EMPTY}")
    put(data, "services[0].slos[0].window", "${WINDOW}")
    put(data, "services[0].slos[0].name", "${NAME}")
    put(data, "services[0].slos[0].sli.error_query", "sum(${QUERY})")
    put(data, "services[0].slos[1].sli.latency.histogram", "${HIST}")
    put(data, "services[0].slos[1].sli.latency.selector", "${SEL}")
    data["slack"] = {"mode": "${MODE}"}
    data["store"] = {"url": "${STORE}"}
    issues = issues_of(tmp_path, data, environ=secrets)
    assert {issue.path for issue in issues} == {
        "prometheus.url",
        "prometheus.bearer_token",
        "services[0].slos[0].window",
        "services[0].slos[0].name",
        "services[0].slos[0].sli.error_query",
        "services[0].slos[1].sli.latency.histogram",
        "services[0].slos[1].sli.latency.selector",
        "slack.mode",
        "store.url",
    }
    rendered = "\n".join(issue.message for issue in issues)
    assert "hunter2" not in rendered.lower()
    assert "'${URL}'" in rendered
    assert "'${WINDOW}'" in rendered


def test_a_doubled_dollar_is_a_literal_placeholder(tmp_path: Path) -> None:
    data = put(base(), "services[0].stakeholders[0].name", "Pat $${NOT_A_VAR} and ${WHO}")
    config = load_config(write(tmp_path, data), environ={"WHO": "Sam"})
    assert config.services[0].stakeholders[0].name == "Pat ${NOT_A_VAR} and Sam"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("${UNCLOSED", "unterminated ${"), ("${NOT-A-NAME}", "invalid environment variable name")],
)
def test_malformed_placeholders(tmp_path: Path, value: str, fragment: str) -> None:
    issue = single_issue(tmp_path, put(base(), "prometheus.bearer_token", value))
    assert_issue(issue, "prometheus.bearer_token", fragment)


def test_keys_are_not_substituted(tmp_path: Path) -> None:
    data = put(base(), "prometheus.headers", {"${HEADER}": "v"})
    issue = single_issue(tmp_path, data, environ={"HEADER": "X-Scope-OrgID"})
    assert_issue(issue, "prometheus.headers.${HEADER}", "is not a valid HTTP header name")


# --- slack, store and prometheus specifics -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "mode"),
    [("off", "off"), ('"off"', "off"), ("no", "off"), ("socket", "socket"), ("http", "http")],
)
def test_slack_modes(tmp_path: Path, text: str, mode: str) -> None:
    # each mode with the secrets it needs (see test_each_slack_mode_needs_its_secrets)
    secrets = {
        "off": "",
        "socket": "  bot_token: xoxb-1\n  app_token: xapp-1\n",
        "http": "  bot_token: xoxb-1\n  signing_secret: s3\n",
    }[mode]
    content = yaml.safe_dump(base(), sort_keys=False) + f"slack:\n  mode: {text}\n{secrets}"
    assert load_config(write(tmp_path, content), environ={}).slack.mode == mode


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("true", "must be one of off, socket, http (got boolean true); YAML reads a bare"),
        ("on", "(got boolean true)"),
        ("loud", "must be one of off, socket, http (got 'loud')"),
        ("1", "(got integer 1)"),
    ],
)
def test_bad_slack_modes(tmp_path: Path, text: str, fragment: str) -> None:
    content = yaml.safe_dump(base(), sort_keys=False) + f"slack:\n  mode: {text}\n"
    assert_issue(single_issue(tmp_path, content), "slack.mode", fragment)


@pytest.mark.parametrize(
    "url",
    ["sqlite:///slo-prep.db", "sqlite:////var/lib/x.db", "postgresql://h/db", "postgres://h/db"],
)
def test_store_urls(tmp_path: Path, url: str) -> None:
    data = base()
    data["store"] = {"url": url}
    assert load_config(write(tmp_path, data), environ={}).store == StoreConfig(url)


@pytest.mark.parametrize("url", ["mysql://user:pw@h/db", "sqlite://relative.db", "slo.db"])
def test_bad_store_urls_do_not_echo_credentials(tmp_path: Path, url: str) -> None:
    data = base()
    data["store"] = {"url": url}
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "store.url", "must start with sqlite:///, postgresql:// or postgres://")
    assert "pw" not in issue.message


@pytest.mark.parametrize(
    "url",
    ["ftp://prom:9090", "http://", "127.0.0.1:9090", "http://host:notaport", "https:///path"],
)
def test_bad_prometheus_urls(tmp_path: Path, url: str) -> None:
    issue = single_issue(tmp_path, put(base(), "prometheus.url", url))
    assert_issue(issue, "prometheus.url", "must be an http:// or https:// URL with a host")


def test_a_bad_prometheus_url_hides_its_password(tmp_path: Path) -> None:
    issue = single_issue(tmp_path, put(base(), "prometheus.url", "ftp://me:hunter2@prom"))
    assert "hunter2" not in issue.message
    assert "ftp://***@prom" in issue.message


def test_a_numeric_header_value_is_told_to_be_quoted(tmp_path: Path) -> None:
    issue = single_issue(tmp_path, put(base(), "prometheus.headers", {"X-Scope-OrgID": 42}))
    assert_issue(issue, "prometheus.headers.X-Scope-OrgID", "(got integer 42); quote it")


def test_headers_are_checked(tmp_path: Path) -> None:
    data = put(base(), "prometheus.headers", {"X-Org": "a", "x-org": "b", "Bad Name": "c"})
    put(data, "prometheus.bearer_token", "t")
    data["prometheus"]["headers"]["Authorization"] = "Bearer x"
    issues = issues_of(tmp_path, data)
    assert [(i.path, i.message) for i in issues] == [
        ("prometheus.headers.x-org", "duplicate header (names ignore case: same as X-Org)"),
        ("prometheus.headers.Bad Name", "is not a valid HTTP header name"),
        ("prometheus.headers.Authorization", "conflicts with bearer_token: give only one"),
    ]


# --- pagerduty and reliability -----------------------------------------------------------


def with_incidents() -> dict[str, Any]:
    """``base()`` with every incident key given, so each can be put or dropped by path."""
    data = base()
    data["pagerduty"] = {
        "url": "https://api.eu.pagerduty.com",
        "token": "t",
        "timeout_seconds": 10,
        "retries": 1,
        "max_retry_wait_seconds": 5,
        "notes": "latest_note",
    }
    data["reliability"] = {"stable_percent": 5, "sharp_percent": 40, "top_incidents": 3}
    data["services"][0]["pagerduty_service_ids"] = ["P123ABC", "PXYZ789"]
    data["services"][0]["reliability_window"] = "90d"
    return data


def test_all_incident_options_are_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, with_incidents()), environ={})
    assert config.pagerduty == PagerDutyConfig(
        token="t",
        url="https://api.eu.pagerduty.com",
        timeout_seconds=10.0,
        retries=1,
        max_retry_wait_seconds=5.0,
        notes="latest_note",
    )
    assert config.reliability == ReliabilityConfig(
        stable_percent=5.0, sharp_percent=40.0, top_incidents=3
    )
    assert config.services[0].pagerduty_service_ids == ("P123ABC", "PXYZ789")
    assert config.services[0].reliability_window_days == 90


def test_pagerduty_and_reliability_defaults(tmp_path: Path) -> None:
    data = base()
    data["pagerduty"] = {"token": "t"}
    data["reliability"] = {}
    data["services"][0]["pagerduty_service_ids"] = []
    config = load_config(write(tmp_path, data), environ={})
    assert config.pagerduty == PagerDutyConfig(
        token="t",
        url="https://api.pagerduty.com",
        timeout_seconds=30.0,
        retries=3,
        max_retry_wait_seconds=60.0,
        notes="title",
        notes_field=None,
    )
    assert config.reliability == ReliabilityConfig()
    assert config.services[0].pagerduty_service_ids == ()
    assert config.services[0].reliability_window_days is None


@pytest.mark.parametrize(
    ("text", "notes", "field"),
    [
        ("title", "title", None),
        ("latest_note", "latest_note", None),
        ("custom_field:root_cause", "custom_field", "root_cause"),
        ("custom_field:rc2", "custom_field", "rc2"),
    ],
)
def test_pagerduty_notes_sources(tmp_path: Path, text: str, notes: str, field: str | None) -> None:
    data = put(with_incidents(), "pagerduty.notes", text)
    pagerduty = load_config(write(tmp_path, data), environ={}).pagerduty
    assert pagerduty is not None
    assert (pagerduty.notes, pagerduty.notes_field) == (notes, field)


@pytest.mark.parametrize(("text", "days"), [("1d", 1), ("30d", 30), ("366d", 366)])
def test_reliability_windows(tmp_path: Path, text: str, days: int) -> None:
    data = put(with_incidents(), "services[0].reliability_window", text)
    assert load_config(write(tmp_path, data), environ={}).services[0].reliability_window_days == (
        days
    )


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        ("pagerduty", "https://api.pagerduty.com", "must be a mapping (got string"),
        ("pagerduty.url", "ftp://api.pagerduty.com", "must be an http:// or https:// URL with"),
        ("pagerduty.url", "api.pagerduty.com", "; add the scheme, as in http://api.pagerduty"),
        ("pagerduty.url", "https://", "must be an http:// or https:// URL with a host"),
        ("pagerduty.token", "", "must not be empty"),
        ("pagerduty.token", "   ", "must not be empty"),
        ("pagerduty.token", ["t"], "must be a string (got a list)"),
        ("pagerduty.timeout_seconds", 0, "must be greater than 0 (got 0)"),
        ("pagerduty.timeout_seconds", "30s", "must be a number (got string '30s')"),
        ("pagerduty.retries", 11, "must be 0 to 10 (got 11)"),
        ("pagerduty.retries", -1, "must be 0 to 10 (got -1)"),
        ("pagerduty.retries", 2.5, "must be an integer (got number 2.5)"),
        ("pagerduty.max_retry_wait_seconds", 0, "must be greater than 0 (got 0)"),
        ("pagerduty.max_retry_wait_seconds", True, "must be a number (got boolean true)"),
        (
            "pagerduty.notes",
            "custom_field:",
            "needs the field's name after custom_field:, as in custom_field:root_cause",
        ),
        (
            "pagerduty.notes",
            "custom_field:Bad-Name",
            "custom field name must match ^[a-z0-9_]+$ (lowercase letters, digits or '_'; "
            "got 'custom_field:Bad-Name')",
        ),
        (
            "pagerduty.notes",
            "bogus",
            "must be title, latest_note or custom_field:<name> (got 'bogus')",
        ),
        ("pagerduty.notes", "Title", "(got 'Title')"),
        ("pagerduty.notes", 1, "must be a string (got integer 1)"),
        ("reliability", [10, 50], "must be a mapping (got a list)"),
        ("reliability.stable_percent", 0, "must be greater than 0 (got 0)"),
        ("reliability.stable_percent", "10%", "must be a number (got string '10%')"),
        ("reliability.sharp_percent", -5, "must be greater than 0 (got -5)"),
        ("reliability.top_incidents", 0, "must be 1 to 50 (got 0)"),
        ("reliability.top_incidents", 51, "must be 1 to 50 (got 51)"),
        ("reliability.top_incidents", 2.0, "must be an integer (got number 2.0)"),
        ("services[0].pagerduty_service_ids", "P123ABC", "must be a list (got string 'P123ABC')"),
        (
            "services[0].pagerduty_service_ids[1]",
            "p123abc",
            "must match ^[A-Z0-9]{2,20}$ (a PagerDuty service id: 2 to 20 uppercase letters "
            "or digits; got 'p123abc')",
        ),
        ("services[0].pagerduty_service_ids[1]", "P", "must match ^[A-Z0-9]{2,20}$"),
        ("services[0].pagerduty_service_ids[1]", "P" * 21, "must match ^[A-Z0-9]{2,20}$"),
        ("services[0].pagerduty_service_ids[1]", "P-1", "must match ^[A-Z0-9]{2,20}$"),
        ("services[0].pagerduty_service_ids[1]", "", "must not be empty"),
        ("services[0].pagerduty_service_ids[1]", 1234, "must be a string (got integer 1234)"),
        (
            "services[0].reliability_window",
            "30x",
            "must be a number of days from 1d to 366d, like 30d (got '30x')",
        ),
        ("services[0].reliability_window", "0d", "(got '0d')"),
        ("services[0].reliability_window", "367d", "from 1d to 366d, like 30d (got '367d')"),
        ("services[0].reliability_window", "-1d", "(got '-1d')"),
        ("services[0].reliability_window", "month", "; calendar windows are for SLOs only"),
        ("services[0].reliability_window", 30, "like 30d (got integer 30)"),
    ],
)
def test_wrong_incident_values_are_reported_at_their_path(
    tmp_path: Path, path: str, value: object, fragment: str
) -> None:
    assert_issue(single_issue(tmp_path, put(with_incidents(), path, value)), path, fragment)


def test_the_pagerduty_token_is_required(tmp_path: Path) -> None:
    issue = single_issue(tmp_path, drop(with_incidents(), "pagerduty.token"))
    assert_issue(issue, "pagerduty.token", "missing required key")


def test_unknown_incident_keys(tmp_path: Path) -> None:
    data = with_incidents()
    data["pagerduty"]["api_key"] = "t"
    data["reliability"]["stable"] = 5
    data["services"][0]["pagerduty_ids"] = ["P123ABC"]
    issues = issues_of(tmp_path, data)
    assert [issue.path for issue in issues] == [
        "pagerduty.api_key",
        "reliability.stable",
        "services[0].pagerduty_ids",
    ]
    assert "unknown key (expected one of: url, token, timeout_seconds" in issues[0].message
    assert "did you mean 'stable_percent'?" in issues[1].message
    assert "did you mean 'pagerduty_service_ids'?" in issues[2].message


@pytest.mark.parametrize(
    ("reliability", "fragment"),
    [
        ({"stable_percent": 50, "sharp_percent": 50}, "stable_percent 50 (got 50)"),
        ({"stable_percent": 60, "sharp_percent": 40.5}, "stable_percent 60 (got 40.5)"),
        ({"sharp_percent": 10}, "must be greater than stable_percent 10 (got 10)"),
        ({"sharp_percent": 5}, "must be greater than stable_percent 10 (got 5)"),
        (
            {"stable_percent": 50},
            "must be given, greater than stable_percent 50 (the default 50 is not)",
        ),
    ],
)
def test_sharp_percent_must_exceed_stable_percent(
    tmp_path: Path, reliability: dict[str, Any], fragment: str
) -> None:
    data = base()
    data["reliability"] = reliability
    assert_issue(single_issue(tmp_path, data), "reliability.sharp_percent", fragment)


def test_a_wrong_stable_percent_is_not_also_compared(tmp_path: Path) -> None:
    data = put(with_incidents(), "reliability.stable_percent", "lots")
    assert_issue(single_issue(tmp_path, data), "reliability.stable_percent", "must be a number")


def test_duplicate_pagerduty_service_ids_are_reported_at_the_second(tmp_path: Path) -> None:
    data = put(with_incidents(), "services[0].pagerduty_service_ids", ["PA1", "PB2", "PA1"])
    issue = single_issue(tmp_path, data)
    assert_issue(
        issue,
        "services[0].pagerduty_service_ids[2]",
        "duplicate PagerDuty service id 'PA1' (first at services[0].pagerduty_service_ids[0])",
    )


def test_two_services_may_share_a_pagerduty_service(tmp_path: Path) -> None:
    data = with_incidents()
    data["services"].append({"name": "search", "pagerduty_service_ids": ["P123ABC"]})
    config = load_config(write(tmp_path, data), environ={})
    assert config.services[1].pagerduty_service_ids == ("P123ABC",)


def test_pagerduty_service_ids_need_the_pagerduty_section(tmp_path: Path) -> None:
    data = drop(with_incidents(), "pagerduty")
    data["services"].append({"name": "search", "pagerduty_service_ids": []})
    data["services"].append({"name": "cart", "pagerduty_service_ids": ["PCART1"]})
    issues = issues_of(tmp_path, data)
    assert [(i.path, i.message) for i in issues] == [
        (
            "services[0].pagerduty_service_ids",
            "needs the top-level pagerduty section (url, token)",
        ),
        ("services[2].pagerduty_service_ids", "needs the top-level pagerduty section (url, token)"),
    ]


def test_an_empty_pagerduty_key_counts_as_no_section(tmp_path: Path) -> None:
    content = yaml.safe_dump(drop(with_incidents(), "pagerduty"), sort_keys=False)
    issue = single_issue(tmp_path, content + "pagerduty:\n")
    assert_issue(issue, "services[0].pagerduty_service_ids", "needs the top-level pagerduty")


def test_a_broken_pagerduty_section_is_reported_once(tmp_path: Path) -> None:
    # the section is there, only wrong: the services are not told it is missing
    data = drop(with_incidents(), "pagerduty.token")
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "pagerduty.token", "missing required key")


def test_the_pagerduty_token_is_filled_from_environ(tmp_path: Path) -> None:
    data = put(with_incidents(), "pagerduty.token", "${PAGERDUTY_TOKEN}")
    config = load_config(write(tmp_path, data), environ={"PAGERDUTY_TOKEN": "u+abc-123"})
    assert config.pagerduty is not None
    assert config.pagerduty.token == "u+abc-123"
    assert "u+abc-123" not in repr(config)


def test_an_unset_pagerduty_token_is_reported_at_its_path(tmp_path: Path) -> None:
    data = put(with_incidents(), "pagerduty.token", "${PAGERDUTY_TOKEN}")
    issue = single_issue(tmp_path, data, environ={})
    assert (issue.path, issue.message) == (
        "pagerduty.token",
        "environment variable PAGERDUTY_TOKEN is not set",
    )


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (12345678, "must be a string (got an integer); quote it to keep it as text"),
        (1.5e10, "must be a string (got a number); quote it"),
        (True, "must be a string (got a boolean)"),
        ({"key": "hunter2"}, "must be a string (got a mapping)"),
        ("hunter2\nX-Evil: 1", "must not contain line breaks"),
    ],
)
def test_a_wrong_literal_token_is_not_echoed(tmp_path: Path, value: object, fragment: str) -> None:
    issue = single_issue(tmp_path, put(with_incidents(), "pagerduty.token", value))
    assert_issue(issue, "pagerduty.token", fragment)
    for secret in ("hunter2", "12345678", "1.5", "15000000000"):
        assert secret not in issue.message


@pytest.mark.parametrize(
    ("token", "token_issue"),
    [
        # a valid token: every other issue of the file is reported, none shows it
        ("${PD_TOKEN}", None),
        ("${PD_BLANK}", "must not be empty (got '${PD_BLANK}')"),
        ("${PD_BROKEN}", "must not contain line breaks"),
    ],
)
def test_the_value_of_a_set_pagerduty_token_never_reaches_messages(
    tmp_path: Path, token: str, token_issue: str | None
) -> None:
    secrets = {
        "PD_TOKEN": "hunter2-token",
        "PD_BLANK": "   ",
        "PD_BROKEN": "hunter2\r\nX-Evil: 1",
        "PD_URL": "ftp://hunter2:hunter2@pd",
        "PD_NOTES": "custom_field:Hunter2",
        "PD_ID": "hunter2",
        "PD_DAYS": "hunter2d",
    }
    data = put(with_incidents(), "pagerduty.token", token)
    put(data, "pagerduty.url", "${PD_URL}")
    put(data, "pagerduty.notes", "${PD_NOTES}")
    put(data, "pagerduty.retries", 11)
    put(data, "services[0].pagerduty_service_ids[1]", "${PD_ID}")
    put(data, "services[0].reliability_window", "${PD_DAYS}")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, data), environ=secrets)
    issues = {issue.path: issue.message for issue in caught.value.issues}
    assert list(issues) == [
        "pagerduty.url",
        *(["pagerduty.token"] if token_issue is not None else []),
        "pagerduty.retries",
        "pagerduty.notes",
        "services[0].pagerduty_service_ids[1]",
        "services[0].reliability_window",
    ]
    assert issues.get("pagerduty.token") == token_issue
    rendered = str(caught.value)
    assert "hunter2" not in rendered.lower()
    assert "X-Evil" not in rendered
    assert "'${PD_URL}'" in issues["pagerduty.url"]
    assert "'custom_field:Hunter2'" not in issues["pagerduty.notes"]
    assert "'${PD_NOTES}'" in issues["pagerduty.notes"]


# --- unreadable and unparsable files -----------------------------------------------------


def test_a_yaml_syntax_error_names_line_and_column_and_hints_at_flow_style(
    tmp_path: Path,
) -> None:
    text = (
        "apiVersion: slo-prep/v1\n"
        "prometheus: {url: http://127.0.0.1:9090, bearer_token: ${PROM_TOKEN}}\n"
        "services: []\n"
    )
    issue = single_issue(tmp_path, text)
    assert issue.path == ""
    assert "invalid YAML at 2:57 (line:column)" in issue.message
    assert "${...} inside a flow mapping {...} does not parse" in issue.message
    assert "use block style" in issue.message


def test_the_flow_hint_also_covers_a_flow_mapping_over_several_lines(tmp_path: Path) -> None:
    text = "prometheus: {\n  url: http://x,\n  bearer_token: ${PROM_TOKEN}\n}\n"
    issue = single_issue(tmp_path, text)
    assert "invalid YAML at 3:18 (line:column)" in issue.message
    assert "${...} inside a flow mapping {...} does not parse" in issue.message


def test_other_yaml_syntax_errors_get_no_flow_hint(tmp_path: Path) -> None:
    issue = single_issue(tmp_path, "apiVersion: slo-prep/v1\nprometheus: {url: [}\n")
    assert "invalid YAML at 2:" in issue.message
    assert "hint" not in issue.message


def test_quoting_the_placeholder_in_flow_style_works(tmp_path: Path) -> None:
    content = yaml.safe_dump(drop(base(), "prometheus"), sort_keys=False)
    content += 'prometheus: {url: "http://${HOST}:9090", bearer_token: "${PROM_TOKEN}"}\n'
    config = load_config(write(tmp_path, content), environ={"HOST": "h", "PROM_TOKEN": "t"})
    assert config.prometheus.url == "http://h:9090"
    assert config.prometheus.bearer_token == "t"


def test_unsafe_yaml_tags_are_rejected(tmp_path: Path) -> None:
    issue = single_issue(tmp_path, "apiVersion: !!python/object/apply:os.getcwd []\n")
    assert "invalid YAML at 1:13" in issue.message


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml", environ={})
    assert [issue.path for issue in caught.value.issues] == [""]
    assert "cannot read the file: No such file or directory" in str(caught.value)


def test_a_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path, environ={})


def test_a_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"apiVersion: \xff\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        load_config(path, environ={})


# --- decision rules ----------------------------------------------------------------------


def with_decision() -> dict[str, Any]:
    """``base()`` with every top-level decision key given, so each can be put or dropped."""
    data = base()
    data["decision"] = {
        "thresholds": {
            "burning_projection": 1.5,
            "severe_projection": 3,
            "third_party_share": 0.4,
            "known_cause_share": 1,
            "chronic_misses": 3,
        },
        "options": {
            "enabled": ["O3", "O1", "O2", "O6"],
            "titles": {
                "O3": "Freeze for a sprint",
                "O1": "Ship Feature X on the original timeline",
            },
            "freeze_days": 10,
            "extension_minutes": 45,
            "lower_objective": 98.5,
            "exception_owner": "Sam",
            "third_party_keywords": ["vendor", "CDN"],
        },
    }
    return data


FULL_RULES = DecisionRules(
    thresholds=Thresholds(
        burning_projection=1.5,
        severe_projection=3.0,
        third_party_share=0.4,
        known_cause_share=1.0,
        chronic_misses=3,
    ),
    options=OptionSettings(
        enabled=("O1", "O2", "O3", "O6"),
        titles=(("O1", "Ship Feature X on the original timeline"), ("O3", "Freeze for a sprint")),
        freeze_days=10,
        extension_minutes=45.0,
        lower_objective=98.5,
        exception_owner="Sam",
        third_party_keywords=("vendor", "CDN"),
    ),
)


def test_all_decision_keys_are_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, with_decision()), environ={})
    assert config.decision == FULL_RULES
    assert isinstance(config.decision.thresholds.severe_projection, float)
    assert isinstance(config.decision.options.extension_minutes, float)
    assert config.services[0].decision is None
    assert config.rules_for(config.services[0]) == FULL_RULES


def test_empty_decision_sections_are_the_defaults(tmp_path: Path) -> None:
    data = base()
    data["decision"] = {"thresholds": {}, "options": {}}
    data["services"][0]["decision"] = {}
    config = load_config(write(tmp_path, data), environ={})
    assert config.decision == DecisionRules()
    assert config.services[0].decision == DecisionRules()


def test_an_empty_decision_key_counts_as_no_section(tmp_path: Path) -> None:
    content = yaml.safe_dump(base(), sort_keys=False)
    content = content.replace("  - name: checkout\n", "  - name: checkout\n    decision:\n")
    config = load_config(write(tmp_path, content + "decision:\n"), environ={})
    assert config.decision == DecisionRules()
    assert config.services[0].decision is None


def test_a_service_decision_overrides_the_top_level_key_by_key(tmp_path: Path) -> None:
    data = with_decision()
    data["services"][0]["decision"] = {"options": {"freeze_days": 14}}
    data["services"].append({"name": "search"})
    config = load_config(write(tmp_path, data), environ={})
    checkout, search = config.services
    expected = replace(FULL_RULES, options=replace(FULL_RULES.options, freeze_days=14))
    assert checkout.decision == expected
    assert config.rules_for(checkout) == expected
    assert search.decision is None
    assert config.rules_for(search) == FULL_RULES
    assert config.decision == FULL_RULES


def test_a_service_decision_over_the_defaults(tmp_path: Path) -> None:
    data = base()
    data["services"][0]["decision"] = {
        "thresholds": {"chronic_misses": 1},
        "options": {"enabled": ["O1", "O2", "O3"], "lower_objective": 98},
    }
    config = load_config(write(tmp_path, data), environ={})
    assert config.decision == DecisionRules()
    assert config.services[0].decision == DecisionRules(
        thresholds=Thresholds(chronic_misses=1),
        options=OptionSettings(enabled=("O1", "O2", "O3"), lower_objective=98.0),
    )


def test_a_service_list_or_titles_replace_the_top_level_ones_whole(tmp_path: Path) -> None:
    data = with_decision()
    data["services"][0]["decision"] = {
        "thresholds": {"severe_projection": 4},
        "options": {"titles": {"O2": "Defer"}, "third_party_keywords": ["saas"]},
    }
    rules = load_config(write(tmp_path, data), environ={}).services[0].decision
    assert rules == DecisionRules(
        thresholds=replace(FULL_RULES.thresholds, severe_projection=4.0),
        options=replace(
            FULL_RULES.options, titles=(("O2", "Defer"),), third_party_keywords=("saas",)
        ),
    )


def test_enabled_options_are_kept_in_the_pack_order(tmp_path: Path) -> None:
    data = put(with_decision(), "decision.options.enabled", list(reversed(OPTION_IDS)))
    assert load_config(write(tmp_path, data), environ={}).decision.options.enabled == OPTION_IDS


def test_decision_texts_are_filled_from_environ(tmp_path: Path) -> None:
    data = put(with_decision(), "decision.options.exception_owner", "${OWNER}")
    put(data, "decision.options.titles", {"O1": "Ship ${FEATURE} now"})
    config = load_config(write(tmp_path, data), environ={"OWNER": "Sam", "FEATURE": "X"})
    assert config.decision.options.exception_owner == "Sam"
    assert config.decision.options.titles == (("O1", "Ship X now"),)


_OPTION_LIST = "O1, O2, O3, O4, O5, O6"
_WRONG_DECISION_VALUES = [
    ("decision", "strict", "must be a mapping (got string 'strict')"),
    ("decision.thresholds", [1, 2], "must be a mapping (got a list)"),
    ("decision.options", "all", "must be a mapping (got string 'all')"),
    ("decision.thresholds.burning_projection", 0, "must be greater than 0 (got 0)"),
    ("decision.thresholds.burning_projection", "1x", "must be a number (got string '1x')"),
    ("decision.thresholds.severe_projection", True, "must be a number (got boolean true)"),
    ("decision.thresholds.third_party_share", 0, "must be greater than 0 and at most 1 (got 0)"),
    ("decision.thresholds.third_party_share", -0.5, "at most 1 (got -0.5)"),
    (
        "decision.thresholds.known_cause_share",
        1.5,
        "must be greater than 0 and at most 1 (got 1.5); a share of 1, as in 0.5 for half",
    ),
    ("decision.thresholds.chronic_misses", 0, "must be 1 to 12 (got 0)"),
    ("decision.thresholds.chronic_misses", 13, "must be 1 to 12 (got 13)"),
    ("decision.thresholds.chronic_misses", 2.5, "must be an integer (got number 2.5)"),
    ("decision.options.enabled", "O1", "must be a list (got string 'O1')"),
    (
        "decision.options.enabled",
        ["O1", "O2", "O4"],
        "must include O1, O2 and O3 (the pack needs at least 3 options; missing O3)",
    ),
    ("decision.options.enabled", [], "missing O1, O2, O3)"),
    ("decision.options.enabled[2]", "O7", f"must be one of {_OPTION_LIST} (got 'O7')"),
    ("decision.options.enabled[2]", "o1", "(got 'o1'); did you mean 'O1'?"),
    ("decision.options.enabled[2]", 1, "must be a string (got integer 1)"),
    (
        "decision.options.enabled[2]",
        "O3",
        "duplicate option id 'O3' (first at decision.options.enabled[0])",
    ),
    ("decision.options.titles", ["x"], "must be a mapping (got a list)"),
    ("decision.options.titles.O7", "x", f"unknown option id (expected one of: {_OPTION_LIST})"),
    ("decision.options.titles.o2", "x", "unknown option id (expected one of: O1, "),
    ("decision.options.titles.O1", "", "must not be empty"),
    ("decision.options.titles.O1", 5, "must be a string (got integer 5)"),
    ("decision.options.titles.O1", "x" * 121, "must be at most 120 characters (got 121)"),
    ("decision.options.freeze_days", 0, "must be 1 to 90 (got 0)"),
    ("decision.options.freeze_days", 91, "must be 1 to 90 (got 91)"),
    ("decision.options.freeze_days", "7d", "must be an integer (got string '7d')"),
    ("decision.options.extension_minutes", 0, "must be greater than 0 (got 0)"),
    ("decision.options.extension_minutes", "30m", "must be a number (got string '30m')"),
    ("decision.options.lower_objective", 100, "must be between 0 and 100 (got 100)"),
    ("decision.options.lower_objective", 0, "must be between 0 and 100 (got 0)"),
    ("decision.options.lower_objective", "99.5%", "must be a number (got string '99.5%')"),
    ("decision.options.exception_owner", "  ", "must not be empty"),
    ("decision.options.exception_owner", 7, "must be a string (got integer 7)"),
    ("decision.options.third_party_keywords", [], "must list at least one keyword"),
    ("decision.options.third_party_keywords", "vendor", "must be a list (got string 'vendor')"),
    ("decision.options.third_party_keywords[1]", "", "must not be empty"),
]


@pytest.mark.parametrize(("path", "value", "fragment"), _WRONG_DECISION_VALUES)
def test_wrong_decision_values_are_reported_at_their_path(
    tmp_path: Path, path: str, value: object, fragment: str
) -> None:
    assert_issue(single_issue(tmp_path, put(with_decision(), path, value)), path, fragment)


@pytest.mark.parametrize(("path", "value", "fragment"), _WRONG_DECISION_VALUES)
def test_wrong_service_decision_values_are_reported_at_their_path(
    tmp_path: Path, path: str, value: object, fragment: str
) -> None:
    data = with_decision()
    data["services"][0]["decision"] = data.pop("decision")
    service_path = f"services[0].{path}"
    fragment = fragment.replace("first at decision.", "first at services[0].decision.")
    assert_issue(single_issue(tmp_path, put(data, service_path, value)), service_path, fragment)


def test_unknown_decision_keys_get_a_suggestion(tmp_path: Path) -> None:
    data = with_decision()
    data["decision"]["thresholds"]["burning_projecton"] = 1
    data["decision"]["option"] = {}
    data["services"][0]["decision"] = {"options": {"freeze": 3}}
    issues = issues_of(tmp_path, data)
    assert [issue.path for issue in issues] == [
        "decision.option",
        "decision.thresholds.burning_projecton",
        "services[0].decision.options.freeze",
    ]
    assert issues[0].message == (
        "unknown key (expected one of: thresholds, options); did you mean 'options'?"
    )
    assert issues[1].message.startswith(
        "unknown key (expected one of: burning_projection, severe_projection, third_party_share"
    )
    assert issues[1].message.endswith("; did you mean 'burning_projection'?")
    assert "did you mean 'freeze_days'?" in issues[2].message


@pytest.mark.parametrize(
    ("thresholds", "fragment"),
    [
        (
            {"burning_projection": 2, "severe_projection": 2},
            "must be greater than burning_projection 2 (got 2)",
        ),
        (
            {"burning_projection": 2.5, "severe_projection": 1.5},
            "must be greater than burning_projection 2.5 (got 1.5)",
        ),
        (
            {"severe_projection": 0.5},
            "must be greater than burning_projection 1 (the default) (got 0.5)",
        ),
        (
            {"burning_projection": 3},
            "must be given, greater than burning_projection 3 (the default 2 is not)",
        ),
    ],
)
def test_severe_projection_must_exceed_burning_projection(
    tmp_path: Path, thresholds: dict[str, Any], fragment: str
) -> None:
    data = base()
    data["decision"] = {"thresholds": thresholds}
    assert_issue(single_issue(tmp_path, data), "decision.thresholds.severe_projection", fragment)


@pytest.mark.parametrize(
    ("thresholds", "fragment"),
    [
        (
            {"severe_projection": 1.2},
            "must be greater than burning_projection 1.5 "
            "(from decision.thresholds.burning_projection) (got 1.2)",
        ),
        (
            {"burning_projection": 3.5},
            "must be given, greater than burning_projection 3.5 "
            "(3 from decision.thresholds.severe_projection is not)",
        ),
        (
            {"burning_projection": 4, "severe_projection": 4},
            "must be greater than burning_projection 4 (got 4)",
        ),
    ],
)
def test_a_service_severe_projection_must_exceed_the_burning_projection_in_effect(
    tmp_path: Path, thresholds: dict[str, Any], fragment: str
) -> None:
    data = with_decision()
    data["services"][0]["decision"] = {"thresholds": thresholds}
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "services[0].decision.thresholds.severe_projection", fragment)


def test_a_service_may_fix_the_projections_it_inherits(tmp_path: Path) -> None:
    data = base()
    data["decision"] = {"thresholds": {"burning_projection": 2.5}}
    data["services"][0]["decision"] = {"thresholds": {"severe_projection": 3}}
    issue = single_issue(tmp_path, data)
    # only the top level is wrong: the service's rules in effect are fine
    assert_issue(issue, "decision.thresholds.severe_projection", "must be given, greater than")


def test_wrong_top_level_projections_are_reported_once(tmp_path: Path) -> None:
    data = put(with_decision(), "decision.thresholds.severe_projection", 1)
    data["services"][0]["decision"] = {"options": {"freeze_days": 3}}
    data["services"].append({"name": "search"})
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "decision.thresholds.severe_projection", "(got 1)")


@pytest.mark.parametrize("path", ["burning_projection", "severe_projection"])
def test_a_wrong_projection_is_not_also_compared(tmp_path: Path, path: str) -> None:
    data = put(
        base(), "decision", {"thresholds": {"burning_projection": 5, "severe_projection": 1}}
    )
    path = f"decision.thresholds.{path}"
    assert_issue(single_issue(tmp_path, put(data, path, "x")), path, "must be a number")


def test_a_service_lower_objective_must_be_below_its_slo_objectives(tmp_path: Path) -> None:
    data = drop(base(), "services[0].slos[1]")
    data["services"][0]["decision"] = {"options": {"lower_objective": 99.9}}
    issue = single_issue(tmp_path, data)
    assert_issue(
        issue,
        "services[0].decision.options.lower_objective",
        "must be below the SLO objective 99.9 of 'availability' (got 99.9)",
    )


def test_the_lowest_slo_objective_is_the_one_named(tmp_path: Path) -> None:
    data = base()
    data["services"][0]["decision"] = {"options": {"lower_objective": 99.95}}
    issue = single_issue(tmp_path, data)
    assert_issue(
        issue,
        "services[0].decision.options.lower_objective",
        "must be below the SLO objective 99 of 'latency' (got 99.95)",
    )


def test_an_inherited_lower_objective_is_reported_at_the_top_level(tmp_path: Path) -> None:
    data = put(with_decision(), "decision.options.lower_objective", 99.5)
    data["services"].append({"name": "search", "decision": {"options": {"freeze_days": 3}}})
    data["services"].append({"name": "cart", "decision": {"options": {"lower_objective": 98}}})
    data["services"].append({"name": "empty"})
    data["services"][1]["slos"] = copy.deepcopy(data["services"][0]["slos"][:1])
    issues = issues_of(tmp_path, data)
    assert [(i.path, i.message) for i in issues] == [
        (
            "decision.options.lower_objective",
            "must be below the SLO objective 99 of 'latency' in services[0] 'checkout' "
            "(got 99.5); give that service its own decision.options.lower_objective",
        ),
    ]


def test_a_wrong_lower_objective_is_not_also_compared(tmp_path: Path) -> None:
    data = base()
    data["services"][0]["decision"] = {"options": {"lower_objective": 100}}
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "services[0].decision.options.lower_objective", "between 0 and 100")


def test_a_wrong_service_options_section_is_not_also_compared(tmp_path: Path) -> None:
    data = put(with_decision(), "decision.options.lower_objective", 99.5)
    data["services"][0]["decision"] = {"options": "none"}
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "services[0].decision.options", "must be a mapping (got string 'none')")


def test_every_decision_issue_is_reported_at_once(tmp_path: Path) -> None:
    data = with_decision()
    put(data, "decision.thresholds.third_party_share", 0)
    put(data, "decision.options.enabled", ["O1", "O2"])
    put(data, "decision.options.third_party_keywords", [])
    data["services"][0]["decision"] = {
        "thresholds": {"chronic_misses": 0},
        "options": {"freeze_days": 91, "lower_objective": 99.9},
    }
    assert [issue.path for issue in issues_of(tmp_path, data)] == [
        "decision.thresholds.third_party_share",
        "decision.options.enabled",
        "decision.options.third_party_keywords",
        "services[0].decision.thresholds.chronic_misses",
        "services[0].decision.options.freeze_days",
        "services[0].decision.options.lower_objective",
    ]


# --- http, slack, alertmanager, alerts and schedule --------------------------------------


def with_integrations() -> dict[str, Any]:
    """A valid config with every key of the daemon's outside ends given."""
    data = base()
    data["http"] = {"listen": "127.0.0.1:9000"}
    data["slack"] = {
        "mode": "socket",
        "api_url": "http://127.0.0.1:8999/api/",
        "bot_token": "${SLACK_BOT_TOKEN}",
        "app_token": "${SLACK_APP_TOKEN}",
        "signing_secret": "${SLACK_SIGNING_SECRET}",
        "sre_channel": "C0123456789",
        "command": "/slo_prep-2",
    }
    data["alertmanager"] = {"token": "${ALERTMANAGER_TOKEN}"}
    data["alerts"] = {"match": ' {sloth_id!=""} ', "service_label": "sloth_service"}
    data["schedule"] = {
        "collect_interval": "30s",
        "incidents_interval": "2m",
        "refresh": "12h",
        "misfire_grace_seconds": 120,
    }
    data["services"][0]["slack_channel"] = "G0CHECKOUT"
    data["services"][0]["managers"] = ["U012ABC", "W0ENTERPRISE", "S0ABCDE"]
    return data


SLACK_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-hunter2-bot",
    "SLACK_APP_TOKEN": "xapp-hunter2-app",
    "SLACK_SIGNING_SECRET": "hunter2-signing",
    "ALERTMANAGER_TOKEN": "hunter2-am",
}


def test_all_integration_keys_are_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, with_integrations()), environ=SLACK_ENV)
    assert config.http == HttpConfig(listen_host="127.0.0.1", listen_port=9000)
    assert config.slack == SlackConfig(
        mode="socket",
        api_url="http://127.0.0.1:8999/api/",
        bot_token="xoxb-hunter2-bot",
        app_token="xapp-hunter2-app",
        signing_secret="hunter2-signing",
        sre_channel="C0123456789",
        command="/slo_prep-2",
    )
    assert config.alertmanager == AlertmanagerConfig(token="hunter2-am")
    assert config.alerts == AlertsConfig(match='{sloth_id!=""}', service_label="sloth_service")
    assert config.schedule == ScheduleConfig(
        collect_interval_seconds=30,
        incidents_interval_seconds=120,
        refresh_seconds=43200,
        misfire_grace_seconds=120,
    )
    assert config.services[0].slack_channel == "G0CHECKOUT"
    assert config.services[0].managers == ("U012ABC", "W0ENTERPRISE", "S0ABCDE")
    # the secrets stay out of the repr, as the PagerDuty token does
    assert "hunter2" not in repr(config)


def test_empty_integration_keys_count_as_not_given(tmp_path: Path) -> None:
    data = base()
    data.update(http=None, slack=None, alertmanager=None, alerts=None, schedule=None)
    data["services"][0].update(slack_channel=None, managers=None)
    config = load_config(write(tmp_path, data), environ={})
    assert (config.http, config.slack, config.alertmanager) == (HttpConfig(), SlackConfig(), None)
    assert (config.alerts, config.schedule) == (AlertsConfig(), ScheduleConfig())
    assert (config.services[0].slack_channel, config.services[0].managers) == (None, ())


def test_a_partial_schedule_keeps_the_other_defaults(tmp_path: Path) -> None:
    data = put(base(), "schedule", {"refresh": "2h"})
    assert load_config(write(tmp_path, data), environ={}).schedule == ScheduleConfig(
        refresh_seconds=7200
    )


@pytest.mark.parametrize(
    ("listen", "host", "port"),
    [
        ("0.0.0.0:8080", "0.0.0.0", 8080),
        ("127.0.0.1:1", "127.0.0.1", 1),
        ("[::]:0", "::", 0),
        ("[::1]:65535", "::1", 65535),
        ("localhost:9000", "localhost", 9000),
        ("slo-prep.internal.:80", "slo-prep.internal.", 80),
    ],
)
def test_http_listen_addresses(tmp_path: Path, listen: str, host: str, port: int) -> None:
    data = put(base(), "http", {"listen": listen})
    assert load_config(write(tmp_path, data), environ={}).http == HttpConfig(host, port)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("8080", "must be host:port, as in 0.0.0.0:8080 or [::]:8080 (got '8080'); add the port"),
        (":8080", "must be host:port"),
        (8080, "must be a string (got integer 8080); quote it"),
        ("::1:8080", "put an IPv6 address in brackets, as in [::1]:8080"),
        ("[example]:80", "must have an IPv6 address in the brackets (got '[example]:80')"),
        ("[127.0.0.1]:80", "must have an IPv6 address in the brackets"),
        ("999.1.1.1:80", "must have an IPv4 address, an [IPv6] address or a host name"),
        ("bad_host!:80", "must have an IPv4 address, an [IPv6] address or a host name"),
        ("0.0.0.0:70000", "must have a port from 0 to 65535 after the colon"),
        ("0.0.0.0:http", "must have a port from 0 to 65535"),
        ("0.0.0.0:-1", "must have a port from 0 to 65535"),
    ],
)
def test_bad_http_listen_addresses(tmp_path: Path, value: object, fragment: str) -> None:
    issue = single_issue(tmp_path, put(base(), "http", {"listen": value}))
    assert_issue(issue, "http.listen", fragment)


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (
            "slack.api_url",
            "https://slack.com/api",
            "must end with '/' (got 'https://slack.com/api')",
        ),
        ("slack.api_url", "slack.com/api/", "must be an http:// or https:// URL with a host"),
        ("slack.sre_channel", "#sre", "(a Slack channel id, as in C0123456789, not the #name"),
        ("slack.sre_channel", "c0123456789", "must match ^[CGD][A-Z0-9]{6,}$"),
        ("slack.sre_channel", "C01", "must match ^[CGD][A-Z0-9]{6,}$"),
        ("slack.command", "slo-prep", "(a slash command, as in /slo-prep; got 'slo-prep')"),
        ("slack.command", "slo-prep", "; start it with '/'"),
        ("slack.command", "/SLO", "must match ^/[a-z0-9_-]{1,31}$"),
        ("slack.command", "/" + "a" * 32, "must match ^/[a-z0-9_-]{1,31}$"),
        ("slack.mode", "sockets", "must be one of off, socket, http (got 'sockets')"),
        ("slack.signing_secret", "", "must not be empty"),
        ("alerts.match", 'sloth_id!=""', "must be a label-matcher set in braces"),
        ("alerts.match", "", "must not be empty"),
        ("alerts.service_label", "service-name", "must match ^[a-zA-Z_][a-zA-Z0-9_]*$"),
        ("alerts.service_label", "1service", "(a Prometheus label name, as in service"),
        ("schedule.collect_interval", "5s", "must be at least 10s (got '5s')"),
        ("schedule.collect_interval", 60, "(got integer 60); add the unit, as in 60s"),
        ("schedule.collect_interval", True, "must be a duration in s, m or h, like 90s"),
        (
            "schedule.collect_interval",
            "1d",
            "must be a duration in s, m or h, like 90s, 5m or 24h (got '1d')",
        ),
        ("schedule.collect_interval", "1.5m", "(got '1.5m')"),
        ("schedule.collect_interval", "9" * 20 + "s", "must be a duration"),
        ("schedule.incidents_interval", "59s", "must be at least 1m (got '59s')"),
        ("schedule.incidents_interval", "0m", "must be at least 1m"),
        ("schedule.refresh", "59m", "must be at least 1h (got '59m')"),
        ("schedule.misfire_grace_seconds", 0, "must be 1 to 3600 (got 0)"),
        ("schedule.misfire_grace_seconds", 3601, "must be 1 to 3600 (got 3601)"),
        ("schedule.misfire_grace_seconds", "30", "must be an integer (got string '30')"),
        ("services[0].slack_channel", "#checkout", "must match ^[CGD][A-Z0-9]{6,}$"),
        ("services[0].managers", "U012ABC", "must be a list (got string 'U012ABC')"),
        ("services[0].managers[1]", "@pat", "(a Slack user id (U... or W...) or user-group id"),
        ("services[0].managers[1]", "u012abc", "must match ^[UWS][A-Z0-9]{6,}$"),
        ("services[0].managers[1]", 12345678, "must be a string (got integer 12345678)"),
    ],
)
def test_wrong_integration_values_are_reported_at_their_path(
    tmp_path: Path, path: str, value: object, fragment: str
) -> None:
    issue = single_issue(tmp_path, put(with_integrations(), path, value), environ=SLACK_ENV)
    assert_issue(issue, path, fragment)


def test_duplicate_managers_are_reported_at_the_second(tmp_path: Path) -> None:
    data = put(with_integrations(), "services[0].managers", ["U012ABC", "S0ABCDE", "U012ABC"])
    issue = single_issue(tmp_path, data, environ=SLACK_ENV)
    assert_issue(
        issue,
        "services[0].managers[2]",
        "duplicate manager id 'U012ABC' (first at services[0].managers[0])",
    )


def test_an_empty_managers_list_means_anyone(tmp_path: Path) -> None:
    data = put(with_integrations(), "services[0].managers", [])
    assert load_config(write(tmp_path, data), environ=SLACK_ENV).services[0].managers == ()


def test_unknown_integration_keys_get_a_suggestion(tmp_path: Path) -> None:
    data = with_integrations()
    data["http"]["listn"] = data["http"].pop("listen")
    data["slack"]["sre_chanel"] = data["slack"].pop("sre_channel")
    data["alertmanager"]["bearer_token"] = "x"
    data["alerts"]["matcher"] = data["alerts"].pop("match")
    data["schedule"]["collect"] = data["schedule"].pop("collect_interval")
    data["services"][0]["channel"] = data["services"][0].pop("slack_channel")
    data["htp"] = data.pop("http")
    issues = issues_of(tmp_path, data, environ=SLACK_ENV)
    # the top level's keys are checked before its sections are read
    assert [(issue.path, issue.message.rpartition("; ")[2]) for issue in issues] == [
        ("htp", "did you mean 'http'?"),
        ("slack.sre_chanel", "did you mean 'sre_channel'?"),
        ("alertmanager.bearer_token", "unknown key (expected one of: token)"),
        ("alerts.matcher", "did you mean 'match'?"),
        ("schedule.collect", "did you mean 'collect_interval'?"),
        ("services[0].channel", "did you mean 'slack_channel'?"),
    ]
    data["http"] = {"listn": "0.0.0.0:80"}
    issues = issues_of(tmp_path, data, environ=SLACK_ENV)
    assert ("http.listn", "did you mean 'listen'?") in [
        (issue.path, issue.message.rpartition("; ")[2]) for issue in issues
    ]


@pytest.mark.parametrize(
    ("section", "path"),
    [("http", "http.listen"), ("slack", "slack.mode"), ("alertmanager", "alertmanager.token")],
)
def test_integration_sections_need_their_key(tmp_path: Path, section: str, path: str) -> None:
    assert_issue(single_issue(tmp_path, put(base(), section, {})), path, "missing required key")


@pytest.mark.parametrize(
    ("mode", "missing"),
    [
        ("socket", ["bot_token", "app_token"]),
        ("http", ["bot_token", "signing_secret"]),
    ],
)
def test_each_slack_mode_needs_its_secrets(tmp_path: Path, mode: str, missing: list[str]) -> None:
    data = put(base(), "slack", {"mode": mode})
    issues = issues_of(tmp_path, data)
    assert [(issue.path, issue.message) for issue in issues] == [
        (f"slack.{key}", f"required when slack.mode is {mode}") for key in missing
    ]


def test_slack_off_needs_no_secrets_but_checks_given_ones(tmp_path: Path) -> None:
    data = put(base(), "slack", {"mode": False})
    assert load_config(write(tmp_path, data), environ={}).slack == SlackConfig()
    put(data, "slack.bot_token", "xapp-hunter2")
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "slack.bot_token", "must start with xoxb-")


def test_a_wrong_slack_secret_is_not_also_missing(tmp_path: Path) -> None:
    data = put(base(), "slack", {"mode": "http", "bot_token": 12345, "signing_secret": "s"})
    issue = single_issue(tmp_path, data)
    assert_issue(issue, "slack.bot_token", "must be a string (got an integer)")


def test_a_wrong_slack_mode_is_not_compared(tmp_path: Path) -> None:
    # `on` is YAML's true: only the mode is reported, no secret is said to be missing
    issue = single_issue(tmp_path, put(base(), "slack", {"mode": True}))
    assert_issue(issue, "slack.mode", "must be one of off, socket, http (got boolean true)")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "bot_token",
            "xapp-hunter2",
            "must start with xoxb- (a bot token; got an app-level token: it goes in app_token)",
        ),
        ("bot_token", "xoxp-hunter2", "must start with xoxb- (a bot token; got a user token)"),
        ("bot_token", "hunter2", "must start with xoxb- (a bot token)"),
        (
            "app_token",
            "xoxb-hunter2",
            "must start with xapp- (an app-level token; got a bot token: it goes in bot_token)",
        ),
        ("app_token", "hunter2", "must start with xapp- (an app-level token)"),
        ("app_token", "xapp-hunter2\nX-Evil: 1", "must not contain line breaks"),
        (
            "signing_secret",
            12345678,
            "must be a string (got an integer); quote it to keep it as text",
        ),
        ("signing_secret", {"key": "hunter2"}, "must be a string (got a mapping)"),
    ],
)
def test_wrong_slack_secrets_are_not_echoed(
    tmp_path: Path, key: str, value: object, message: str
) -> None:
    # written in the file, and (a string) through ${ENV}: the same message, the value unseen
    ways = [(value, SLACK_ENV)]
    if isinstance(value, str):
        ways.append(("${SECRET}", {**SLACK_ENV, "SECRET": value}))
    for written, environ in ways:
        data = put(with_integrations(), f"slack.{key}", written)
        issue = single_issue(tmp_path, data, environ=environ)
        assert (issue.path, issue.message) == (f"slack.{key}", message)
        for secret in ("hunter2", "12345678", "X-Evil"):
            assert secret not in issue.message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (12345678, "must be a string (got an integer); quote it to keep it as text"),
        ("hunter2\nX-Evil: 1", "must not contain line breaks"),
        ("", "must not be empty"),
    ],
)
def test_a_wrong_alertmanager_token_is_not_echoed(
    tmp_path: Path, value: object, fragment: str
) -> None:
    issue = single_issue(tmp_path, put(base(), "alertmanager", {"token": value}))
    assert_issue(issue, "alertmanager.token", fragment)
    for secret in ("hunter2", "12345678", "X-Evil"):
        assert secret not in issue.message


def test_an_unset_alertmanager_token_is_reported_at_its_path(tmp_path: Path) -> None:
    data = put(base(), "alertmanager", {"token": "${ALERTMANAGER_TOKEN}"})
    assert_issue(
        single_issue(tmp_path, data),
        "alertmanager.token",
        "environment variable ALERTMANAGER_TOKEN is not set",
    )


def test_the_values_of_set_integration_secrets_never_reach_messages(tmp_path: Path) -> None:
    secrets = {
        "SLACK_BOT_TOKEN": "hunter2-bot",
        "SLACK_APP_TOKEN": "xoxb-hunter2-app",
        "SLACK_SIGNING_SECRET": "hunter2\r\nX-Evil: 1",
        "ALERTMANAGER_TOKEN": "   ",
        "SLACK_URL": "https://hunter2:hunter2@slack.example.com/api",
        "LISTEN": "hunter2",
        "CHANNEL": "#hunter2",
        "INTERVAL": "hunter2",
    }
    data = with_integrations()
    put(data, "slack.api_url", "${SLACK_URL}")
    put(data, "http.listen", "${LISTEN}")
    put(data, "slack.sre_channel", "${CHANNEL}")
    put(data, "schedule.refresh", "${INTERVAL}")
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, data), environ=secrets)
    issues = {issue.path: issue.message for issue in caught.value.issues}
    assert list(issues) == [
        "http.listen",
        "slack.api_url",
        "slack.bot_token",
        "slack.app_token",
        "slack.signing_secret",
        "slack.sre_channel",
        "alertmanager.token",
        "schedule.refresh",
    ]
    rendered = str(caught.value)
    assert "hunter2" not in rendered.lower()
    assert "X-Evil" not in rendered
    assert "'${SLACK_URL}'" in issues["slack.api_url"]
    assert issues["alertmanager.token"] == "must not be empty (got '${ALERTMANAGER_TOKEN}')"
