"""The config as typed, frozen values. Built only by ``daemon.config.load``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from daemon.core.rules import DecisionRules
from daemon.core.slo import SloSpec

API_VERSION = "slo-prep/v1"


@dataclass(frozen=True)
class PrometheusConfig:
    url: str
    timeout_seconds: float = 30.0
    # extra HTTP headers, e.g. X-Scope-OrgID for Mimir; values may come from ${ENV}
    headers: tuple[tuple[str, str], ...] = ()
    bearer_token: str | None = None
    verify_tls: bool = True
    # retries of transient failures (connection errors, 5xx, 429) per request
    retries: int = 2
    # burn-rate queries carried by one request in the collect cycle (1: each sent alone)
    batch_size: int = 50
    # requests in flight at once in the collect cycle
    max_concurrency: int = 4


@dataclass(frozen=True)
class PagerDutyConfig:
    # a secret (from ${ENV}): never shown in messages, nor in the repr
    token: str = field(repr=False)
    url: str = "https://api.pagerduty.com"
    timeout_seconds: float = 30.0
    # retries of 429 / 5xx / network errors per request
    retries: int = 3
    # the longest a Retry-After / ratelimit-reset hint is obeyed per wait
    max_retry_wait_seconds: float = 60.0
    # where the pack's "root cause / notes" line comes from
    notes: str = "title"  # "title" | "latest_note" | "custom_field"
    # the custom field name when notes == "custom_field"
    notes_field: str | None = None
    # extra CA bundle for a TLS-intercepting proxy (or a test server); system CAs otherwise
    ca_file: str | None = None


@dataclass(frozen=True)
class ReliabilityConfig:
    # MTTR/MTBF changes within +-stable_percent vs the trailing window read "stable"
    stable_percent: float = 10.0
    # changes at least this large read "sharply"; always greater than stable_percent
    sharp_percent: float = 50.0
    top_incidents: int = 5


@dataclass(frozen=True)
class StoreConfig:
    url: str = "sqlite:///slo-prep.db"


@dataclass(frozen=True)
class SlackConfig:
    mode: Literal["off", "socket", "http"] = "off"
    # the Web API base, ending in "/": method names are appended to it
    api_url: str = "https://slack.com/api/"
    # secrets (from ${ENV}): never shown in messages, nor in the repr
    # xoxb-...; required when mode is socket or http
    bot_token: str | None = field(default=None, repr=False)
    # xapp-...; required when mode is socket
    app_token: str | None = field(default=None, repr=False)
    # required when mode is http: verifies the requests Slack sends
    signing_secret: str | None = field(default=None, repr=False)
    # the channel id (C..., G... or D...) the SRE digest goes to; None: no digest
    sre_channel: str | None = None
    # the slash command, as registered in the Slack app
    command: str = "/slo-prep"
    # with mode off: each pack is also written there as <pack id>.md (else stdout only)
    output_dir: str | None = None


@dataclass(frozen=True)
class HttpConfig:
    # what the daemon's HTTP server binds; an IPv6 literal without its brackets
    listen_host: str = "0.0.0.0"
    # 0 picks a free port (tests)
    listen_port: int = 8080


@dataclass(frozen=True)
class AlertmanagerConfig:
    # the webhook requires `Authorization: Bearer <token>`; a secret, as PagerDutyConfig.token
    token: str = field(repr=False)


@dataclass(frozen=True)
class AlertsConfig:
    # a PromQL label-matcher set in braces selecting the firing ALERTS series; None: all of them
    match: str | None = None
    # the label naming an alert's service (the daemon also tries sloth_service)
    service_label: str = "service"


@dataclass(frozen=True)
class ScheduleConfig:
    collect_interval_seconds: int = 60
    incidents_interval_seconds: int = 300
    refresh_seconds: int = 86400
    # how late a scheduled run may still start
    misfire_grace_seconds: int = 30


@dataclass(frozen=True)
class Stakeholder:
    role: str
    name: str


@dataclass(frozen=True)
class ServiceConfig:
    name: str
    stakeholders: tuple[Stakeholder, ...] = ()
    slos: tuple[SloSpec, ...] = ()
    # incidents of these PagerDuty services count against this one; needs Config.pagerduty
    pagerduty_service_ids: tuple[str, ...] = ()
    # the MTTR/MTBF window in days; None: the length of the service's first SLO window
    reliability_window_days: int | None = None
    # the decision rules in effect for this service when it has a `decision` section (the
    # top-level rules with the section's keys over them); None: the top-level rules hold
    decision: DecisionRules | None = None
    # the channel id this service's packs go to; None: no channel of its own
    slack_channel: str | None = None
    # Slack user (U/W...) or user-group (S...) ids who may act on the service; empty: anyone
    managers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    prometheus: PrometheusConfig
    services: tuple[ServiceConfig, ...]
    store: StoreConfig = field(default_factory=StoreConfig)
    slack: SlackConfig = field(default_factory=SlackConfig)
    pagerduty: PagerDutyConfig | None = None
    reliability: ReliabilityConfig = field(default_factory=ReliabilityConfig)
    # the top-level decision rules, defaults filled in
    decision: DecisionRules = field(default_factory=DecisionRules)
    http: HttpConfig = field(default_factory=HttpConfig)
    # None: no Alertmanager webhook
    alertmanager: AlertmanagerConfig | None = None
    alerts: AlertsConfig = field(default_factory=AlertsConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    # where it came from, for the pack's audit trail
    source: str = ""
    sha256: str = ""

    def service(self, name: str) -> ServiceConfig | None:
        return next((s for s in self.services if s.name == name), None)

    def rules_for(self, service: ServiceConfig) -> DecisionRules:
        """The decision rules in effect for ``service``: its own, else the top-level ones."""
        return service.decision or self.decision
