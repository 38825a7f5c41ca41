"""Load and validate the YAML config into the frozen ``Config`` (see ``config/example.yaml``)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace

from daemon.config.decision import Layer, apply_decision, check_lower_objective, read_decision
from daemon.config.incidents import (
    read_days,
    read_pagerduty,
    read_pagerduty_service_ids,
    read_reliability,
)
from daemon.config.integrations import (
    read_alertmanager,
    read_alerts,
    read_http,
    read_managers,
    read_slack,
    read_slack_channel,
)
from daemon.config.model import (
    API_VERSION,
    AlertsConfig,
    Config,
    HttpConfig,
    PrometheusConfig,
    ReliabilityConfig,
    ScheduleConfig,
    ServiceConfig,
    SlackConfig,
    Stakeholder,
    StoreConfig,
)
from daemon.config.paths import child, item
from daemon.config.reader import Reader, describe, quote
from daemon.config.schedule import read_schedule
from daemon.config.slos import read_name, read_slos
from daemon.config.yaml_source import read_yaml
from daemon.core.rules import DecisionRules
from daemon.errors import ConfigError

_TOP_KEYS = (
    "apiVersion",
    "prometheus",
    "store",
    "http",
    "slack",
    "alertmanager",
    "alerts",
    "schedule",
    "pagerduty",
    "reliability",
    "decision",
    "services",
)
_PROMETHEUS_KEYS = (
    "url",
    "timeout_seconds",
    "retries",
    "verify_tls",
    "bearer_token",
    "headers",
    "batch_size",
    "max_concurrency",
)
_SERVICE_KEYS = (
    "name",
    "stakeholders",
    "slos",
    "pagerduty_service_ids",
    "reliability_window",
    "decision",
    "slack_channel",
    "managers",
)
_STAKEHOLDER_KEYS = ("role", "name")
_ROLE = re.compile(r"^[a-z][a-z0-9_-]*$")
# RFC 9110 token characters
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_STORE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")
_PROMETHEUS_DEFAULTS = PrometheusConfig(url="")


def load_config(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (YAML) into a ``Config``, filling ``${VAR}`` from ``environ`` (default
    ``os.environ``). Raises ConfigError listing every issue found."""
    source = os.fspath(path)
    document = read_yaml(source)
    r = Reader(os.environ if environ is None else environ)
    r.issues.extend(document.issues)
    config = _config(r, document.data)
    if r.issues:
        raise ConfigError(source, r.issues)
    # every read that gave None recorded an issue, so a clean run always built the config
    assert config is not None
    return replace(config, source=source, sha256=document.sha256)


def _config(r: Reader, data: object) -> Config | None:
    if not isinstance(data, dict):
        got = "an empty file" if data is None else describe(data)
        r.add("", f"must be a mapping with apiVersion, prometheus and services (got {got})")
        return None
    f = r.mapping(data, "", _TOP_KEYS)
    assert f is not None
    f.required("apiVersion", lambda v, p: _api_version(r, v, p))
    prometheus = f.required("prometheus", lambda v, p: _prometheus(r, v, p))
    store = f.optional("store", lambda v, p: _store(r, v, p))
    http = f.optional("http", lambda v, p: read_http(r, v, p))
    slack = f.optional("slack", lambda v, p: read_slack(r, v, p))
    alertmanager = f.optional("alertmanager", lambda v, p: read_alertmanager(r, v, p))
    alerts = f.optional("alerts", lambda v, p: read_alerts(r, v, p))
    schedule = f.optional("schedule", lambda v, p: read_schedule(r, v, p))
    pagerduty = f.optional("pagerduty", lambda v, p: read_pagerduty(r, v, p))
    reliability = f.optional("reliability", lambda v, p: read_reliability(r, v, p))
    decision = apply_decision(
        r, Layer(DecisionRules()), f.optional("decision", lambda v, p: read_decision(r, v, p))
    )
    # given but wrong, the section has been reported: no service is told it is missing
    has_pagerduty = f.has("pagerduty")
    services = f.required("services", lambda v, p: _services(r, v, p, has_pagerduty, decision))
    if prometheus is None or services is None:
        return None
    return Config(
        prometheus=prometheus,
        services=services,
        store=store or StoreConfig(),
        slack=slack or SlackConfig(),
        pagerduty=pagerduty,
        reliability=reliability or ReliabilityConfig(),
        decision=decision.rules,
        http=http or HttpConfig(),
        alertmanager=alertmanager,
        alerts=alerts or AlertsConfig(),
        schedule=schedule or ScheduleConfig(),
    )


def _api_version(r: Reader, value: object, path: str) -> None:
    text = r.text(value, path)
    if text is not None and text.value != API_VERSION:
        r.add(path, f"must be {API_VERSION} (got {quote(text.shown)})")


def _prometheus(r: Reader, value: object, path: str) -> PrometheusConfig | None:
    f = r.mapping(value, path, _PROMETHEUS_KEYS)
    if f is None:
        return None
    defaults = _PROMETHEUS_DEFAULTS
    url = f.required("url", r.http_url)
    timeout = f.optional("timeout_seconds", r.positive)
    retries = f.optional("retries", lambda v, p: r.integer(v, p, minimum=0, maximum=10))
    verify_tls = f.optional("verify_tls", r.boolean)
    token = f.optional("bearer_token", r.text)
    headers = f.optional("headers", lambda v, p: _headers(r, v, p))
    batch_size = f.optional("batch_size", lambda v, p: r.integer(v, p, minimum=1, maximum=500))
    concurrency = f.optional("max_concurrency", lambda v, p: r.integer(v, p, minimum=1, maximum=32))
    if token is not None and headers is not None:
        for name, _ in headers:
            if name.lower() == "authorization":
                r.add(child(f.at("headers"), name), "conflicts with bearer_token: give only one")
    if url is None:
        return None
    return PrometheusConfig(
        url=url,
        timeout_seconds=timeout if timeout is not None else defaults.timeout_seconds,
        headers=headers or (),
        bearer_token=token.value if token is not None else None,
        verify_tls=verify_tls if verify_tls is not None else defaults.verify_tls,
        retries=retries if retries is not None else defaults.retries,
        batch_size=batch_size if batch_size is not None else defaults.batch_size,
        max_concurrency=concurrency if concurrency is not None else defaults.max_concurrency,
    )


def _headers(r: Reader, value: object, path: str) -> tuple[tuple[str, str], ...] | None:
    data = r.plain_mapping(value, path)
    if data is None:
        return None
    headers: list[tuple[str, str]] = []
    first: dict[str, str] = {}
    for name, raw in data.items():
        key_path = child(path, name)
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            r.add(key_path, "is not a valid HTTP header name")
            continue
        if name.lower() in first:
            same = first[name.lower()]
            r.add(key_path, f"duplicate header (names ignore case: same as {same})")
            continue
        first[name.lower()] = name
        text = r.text(raw, key_path)
        if text is None:
            continue
        if "\r" in text.value or "\n" in text.value:
            r.add(key_path, "must not contain line breaks")
            continue
        headers.append((name, text.value))
    return tuple(headers)


def _store(r: Reader, value: object, path: str) -> StoreConfig | None:
    f = r.mapping(value, path, ("url",))
    if f is None:
        return None
    url = f.required("url", lambda v, p: _store_url(r, v, p))
    return StoreConfig(url=url) if url is not None else None


def _store_url(r: Reader, value: object, path: str) -> str | None:
    text = r.text(value, path)
    if text is None:
        return None
    if not text.value.startswith(_STORE_SCHEMES):
        # only the scheme is shown: a database URL usually holds a password
        scheme, sep, _ = text.shown.partition("://")
        got = quote(f"{scheme}://...") if sep else quote(text.shown)
        hint = (
            "; sqlite needs three slashes, as in sqlite:///slo-prep.db"
            if scheme == "sqlite"
            else ""
        )
        expected = "sqlite:///, postgresql:// or postgres://"
        r.add(path, f"must start with {expected} (got {got}){hint}")
        return None
    return text.value


def _services(
    r: Reader, value: object, path: str, has_pagerduty: bool, decision: Layer
) -> tuple[ServiceConfig, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    if not items:
        r.add(path, "must list at least one service")
        return None
    first_at: dict[str, str] = {}
    services = (
        _service(r, raw, item(path, index), first_at, has_pagerduty, decision)
        for index, raw in enumerate(items)
    )
    return tuple(service for service in services if service is not None)


def _service(
    r: Reader,
    value: object,
    path: str,
    first_at: dict[str, str],
    has_pagerduty: bool,
    top: Layer,
) -> ServiceConfig | None:
    f = r.mapping(value, path, _SERVICE_KEYS)
    if f is None:
        return None
    name = f.required("name", lambda v, p: read_name(r, v, p))
    if name is not None:
        r.unique(name, f.at("name"), first_at, "service name")
    stakeholders = f.optional("stakeholders", lambda v, p: _stakeholders(r, v, p))
    slos = f.optional("slos", lambda v, p: read_slos(r, v, p))
    pagerduty_ids = f.optional(
        "pagerduty_service_ids",
        lambda v, p: read_pagerduty_service_ids(r, v, p, has_pagerduty),
    )
    reliability_window = f.optional("reliability_window", lambda v, p: read_days(r, v, p))
    own = f.optional("decision", lambda v, p: read_decision(r, v, p))
    decision = apply_decision(r, top, own)
    check_lower_objective(r, decision, own, slos or (), path, name.shown if name else None)
    slack_channel = f.optional("slack_channel", lambda v, p: read_slack_channel(r, v, p))
    managers = f.optional("managers", lambda v, p: read_managers(r, v, p))
    if name is None:
        return None
    return ServiceConfig(
        name=name.value,
        stakeholders=stakeholders or (),
        slos=slos or (),
        pagerduty_service_ids=pagerduty_ids or (),
        reliability_window_days=reliability_window,
        decision=decision.rules if own is not None else None,
        slack_channel=slack_channel,
        managers=managers or (),
    )


def _stakeholders(r: Reader, value: object, path: str) -> tuple[Stakeholder, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    stakeholders: list[Stakeholder] = []
    for index, raw in enumerate(items):
        f = r.mapping(raw, item(path, index), _STAKEHOLDER_KEYS)
        if f is None:
            continue
        role = f.required("role", lambda v, p: r.matching(v, p, _ROLE, "a lowercase word"))
        name = f.required("name", r.text)
        if role is not None and name is not None:
            stakeholders.append(Stakeholder(role=role.value, name=name.value))
    return tuple(stakeholders)
