"""The daemon's own metrics, on a registry of its own (not the process-global one), so two
daemons in one test process never share a counter and ``/metrics`` shows only ours.

The names are a contract: the chart's alerting rules (``helm/slo-prep/files/rules.yaml``) and
their runbooks read them. Rename one and the rules tests fail.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from daemon.core.commands import SUBCOMMANDS

COLLECTORS = ("prometheus", "pagerduty", "alerts_series")
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self, version: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.build_info = Gauge(
            "slo_prep_build_info", "Always 1; the version in a label.", ["version"], registry=r
        )
        self.build_info.labels(version=version).set(1)
        self.up = Gauge(
            "slo_prep_scheduler_running",
            "1 while this replica runs the scheduler (the leader), else 0.",
            registry=r,
        )
        self.cycle_duration = Histogram(
            "slo_prep_cycle_duration_seconds",
            "Wall time of one collection/evaluation cycle.",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=r,
        )
        self.cycles = Counter(
            "slo_prep_cycles_total",
            "Collection cycles by outcome (ok: every SLO evaluated; degraded: some could not be).",
            ["outcome"],
            registry=r,
        )
        self.cycle_last_success = Gauge(
            "slo_prep_cycle_last_success_timestamp_seconds",
            "When the last cycle that evaluated every SLO ended (Unix time).",
            registry=r,
        )
        self.cycle_last_run = Gauge(
            "slo_prep_cycle_last_run_timestamp_seconds",
            "When the last cycle ended, whatever its outcome (Unix time).",
            registry=r,
        )
        self.collector_requests = Counter(
            "slo_prep_collector_requests_total",
            "Collector calls by collector and outcome (ok or error).",
            ["collector", "outcome"],
            registry=r,
        )
        self.collector_last_success = Gauge(
            "slo_prep_collector_last_success_timestamp_seconds",
            "When each collector last answered (Unix time).",
            ["collector"],
            registry=r,
        )
        self.packs_drafted = Counter(
            "slo_prep_packs_drafted_total",
            "Packs drafted by kind (registration, refresh, alert).",
            ["kind"],
            registry=r,
        )
        self.slack_posts = Counter(
            "slo_prep_slack_posts_total",
            "Outbox entries sent to Slack by outcome (ok, transient_error, permanent_error).",
            ["outcome"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "slo_prep_outbox_pending",
            "Outbox entries stored but not posted yet.",
            registry=r,
        )
        self.outbox_oldest_age = Gauge(
            "slo_prep_outbox_oldest_pending_age_seconds",
            "Age of the oldest entry not posted yet (0 when none).",
            registry=r,
        )
        self.commands = Counter(
            "slo_prep_commands_total",
            "Slash commands by subcommand and outcome (ok, refused, error).",
            ["subcommand", "outcome"],
            registry=r,
        )
        self.alerts_received = Counter(
            "slo_prep_alerts_received_total",
            "Burn alerts seen by source (evaluation, alerts_series, alertmanager).",
            ["source"],
            registry=r,
        )
        self.alerts_announced = Counter(
            "slo_prep_alerts_announced_total",
            "Burn alerts announced to the SRE channel (after dedup).",
            registry=r,
        )
        for collector in COLLECTORS:
            for outcome in ("ok", "error"):
                self.collector_requests.labels(collector=collector, outcome=outcome)
        for outcome in ("ok", "transient_error", "permanent_error"):
            self.slack_posts.labels(outcome=outcome)
        for outcome in ("ok", "degraded"):
            self.cycles.labels(outcome=outcome)
        # every series exists from the start, so increase() sees the first error after a restart
        for subcommand in SUBCOMMANDS:
            for outcome in ("ok", "refused", "error"):
                self.commands.labels(subcommand=subcommand, outcome=outcome)

    def collector(self, name: str, ok: bool, now_unix: float) -> None:
        self.collector_requests.labels(collector=name, outcome="ok" if ok else "error").inc()
        if ok:
            self.collector_last_success.labels(collector=name).set(now_unix)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
