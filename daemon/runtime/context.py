"""What every part of the running daemon shares: config, store, clients, metrics, the clock,
the pool that does the work after a Slack ack, leadership and health."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from collectors.pagerduty import PagerDutyCollector
from collectors.prometheus import PrometheusCollector
from daemon.config.model import Config
from daemon.core.pack import Decision
from daemon.runtime.drafter import Drafted, Drafter, InlineDrafter
from daemon.runtime.metrics import Metrics
from daemon.runtime.sinks import Sink
from daemon.store import LeaderLock, Store

# any constant: the PostgreSQL advisory lock of the replica that runs the scheduler
LEADER_LOCK_ID = 0x510_9E10

log = logging.getLogger("slo_prep")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Leadership:
    """Whether this replica is the one that runs the scheduled jobs and posts."""

    def __init__(self, lock: LeaderLock, metrics: Metrics) -> None:
        self._lock = lock
        self._metrics = metrics
        self.is_leader = False

    def check(self) -> bool:
        was = self.is_leader
        self.is_leader = self._lock.try_acquire()
        self._metrics.up.set(1 if self.is_leader else 0)
        if self.is_leader != was:
            log.info("leadership %s", "acquired" if self.is_leader else "lost (standby)")
        return self.is_leader

    def release(self) -> None:
        self._lock.release()
        self.is_leader = False
        self._metrics.up.set(0)


@dataclass
class Health:
    """``/healthz`` and ``/readyz`` read this; the scheduler's jobs write it."""

    stale_after_seconds: float
    started: float = field(default_factory=time.monotonic)
    ready: bool = False
    stopping: bool = False
    scheduler_running: bool = False
    last_cycle_end: float | None = None
    last_cycle_outcome: str | None = None

    def cycle_done(self, outcome: str) -> None:
        self.last_cycle_end = time.monotonic()
        self.last_cycle_outcome = outcome

    def report(self, leader: bool) -> tuple[bool, dict[str, Any]]:
        """(healthy, details). A standby is healthy while it runs; the leader while its
        scheduler runs and a cycle ended recently (a cycle that could not reach Prometheus
        still ended: an outage of a data source is not a reason to restart the daemon)."""
        now = time.monotonic()
        reference = self.last_cycle_end if self.last_cycle_end is not None else self.started
        age = now - reference
        fresh = age <= self.stale_after_seconds
        healthy = not self.stopping and (not leader or (self.scheduler_running and fresh))
        return healthy, {
            "status": "ok" if healthy else "unhealthy",
            "leader": leader,
            "scheduler_running": self.scheduler_running,
            "seconds_since_last_cycle": None if self.last_cycle_end is None else round(age, 1),
            "last_cycle_outcome": self.last_cycle_outcome,
            "stopping": self.stopping,
        }


@dataclass
class Runtime:
    config: Config
    store: Store
    prometheus: PrometheusCollector
    pagerduty: PagerDutyCollector | None
    sink: Sink
    metrics: Metrics
    generator: str
    work: Executor
    leadership: Leadership
    health: Health
    clock: Callable[[], datetime] = utc_now
    # one drainer per channel in this process (the leader lock covers the other processes)
    channel_locks: dict[str, threading.Lock] = field(default_factory=dict)
    # alerts are drafted here, never queued behind a burst of slash-command drafts
    alert_work: Executor | None = None
    # the incident count each service had at its last PagerDuty poll (for `status`)
    incident_counts: dict[str, int] = field(default_factory=dict)
    # where packs are drafted (worker processes in the daemon); None: on the caller's thread
    drafter: Drafter | None = None

    def draft(
        self,
        service: str,
        at: datetime,
        decision: Decision,
        *,
        alert: bool = False,
        rendered: bool = True,
    ) -> Drafted:
        """``service``'s pack at ``at`` (with its Slack messages and chart when ``rendered``);
        an alert's goes before every question pack still waiting for the drafter."""
        drafter = self.drafter
        if drafter is None:
            drafter = InlineDrafter(self.config, self.prometheus, self.pagerduty, self.generator)
        return drafter(service, at, decision, rendered=rendered, urgent=alert)

    def now(self) -> datetime:
        """The clock, truncated to whole seconds (the query APIs take seconds)."""
        return self.clock().astimezone(UTC).replace(microsecond=0)

    def submit(self, job: Callable[[], None], what: str, *, alert: bool = False) -> None:
        """Run ``job`` in the work pool (the alert pool for ``alert``); a failure is logged,
        never lost silently."""

        def _run() -> None:
            try:
                job()
            except Exception:
                log.exception("background work failed: %s", what)

        pool = self.alert_work if alert and self.alert_work is not None else self.work
        pool.submit(_run)
