"""The scheduled jobs, as plain functions of the runtime (the scheduler only calls them).

- ``collect_cycle``: evaluate every SLO's burn-rate conditions and the matching ``ALERTS``
  series, hand the alerts to ``alerts.ingest``, resolve what stopped firing, drain the outbox.
- ``poll_incidents``: read each service's recent PagerDuty incidents (health of the collector,
  the count shown by ``status``).
- ``refresh_questions``: queue every open question's due pack: the registration pack if it was
  never queued (a crash right after the ack), the daily refresh, the refresh an hour before the
  deadline.
- ``drain``: post what the outbox holds.

Each runs only on the leader and never raises: a failure is logged and counted, and the next
run tries again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from collectors.alertmanager import alerts_from_series
from daemon import messages as m
from daemon.core.alerts import BurnAlert, sorted_labels
from daemon.core.burn import ConditionState
from daemon.drafting import evaluate_cycle
from daemon.errors import CollectorError
from daemon.runtime import alerts, outbox, packs
from daemon.runtime.context import Runtime
from daemon.store import StoreError, question_key

log = logging.getLogger("slo_prep.jobs")

EVALUATION_ALERTNAME = "SloPrepBurnRate"


def leader_only(rt: Runtime, job: Callable[[Runtime], None], name: str) -> Callable[[], None]:
    """``job`` as the scheduler calls it: only on the leader, never raising."""

    def run() -> None:
        if rt.health.stopping or not rt.leadership.is_leader:
            return
        try:
            job(rt)
        except Exception:
            log.exception("job %s failed", name)

    return run


def _evaluation_alert(service: str, slo: str, state: ConditionState, rt: Runtime) -> BurnAlert:
    c = state.condition
    return BurnAlert(
        source="evaluation",
        fingerprint=None,
        service=service,
        severity=c.severity,
        status="firing",
        starts_at=rt.now(),
        ends_at=None,
        labels=sorted_labels(
            {"service": service, "slo": slo, "window": f"{c.long_window}/{c.short_window}"}
        ),
        alertname=EVALUATION_ALERTNAME,
    )


def evaluate(rt: Runtime) -> tuple[list[BurnAlert], list[str], bool]:
    """(firing alerts, services measured completely, every SLO measured)."""
    at = rt.now()
    firing: list[BurnAlert] = []
    measured: list[str] = []
    complete = True
    settings = rt.config.prometheus
    cycle = evaluate_cycle(
        rt.config.services,
        at,
        rt.prometheus,
        batch_size=settings.batch_size,
        max_concurrency=settings.max_concurrency,
    )
    for service in rt.config.services:
        if not service.slos:
            continue
        evidence = cycle.evidence[service.name]
        failed = any(p.severity == "error" for e in evidence for p in e.problems)
        rt.metrics.collector("prometheus", not failed, time.time())
        if failed:
            complete = False
            continue
        measured.append(service.name)
        for slo in evidence:
            for state in slo.conditions:
                if state.firing:
                    firing.append(_evaluation_alert(service.name, slo.spec.name, state, rt))
    return firing, measured, complete


def alerts_series(rt: Runtime) -> list[BurnAlert] | None:
    """Firing ``ALERTS`` matching ``alerts.match``; None when not configured or unreachable.
    The query is built from config only: the matcher set as written in ``alerts.match``."""
    match = rt.config.alerts.match
    if match is None:
        return None
    inner = match.strip()[1:-1].strip()
    query = 'ALERTS{alertstate="firing"' + (", " + inner if inner else "") + "}"
    try:
        rows = rt.prometheus.vector(query, rt.now())
    except CollectorError as exc:
        rt.metrics.collector("alerts_series", False, time.time())
        log.warning("ALERTS query failed: %s", exc)
        return None
    rt.metrics.collector("alerts_series", True, time.time())
    result = [
        {"metric": dict(labels), "value": [rt.now().timestamp(), str(value)]}
        for labels, value in rows
    ]
    try:
        return alerts_from_series(result, rt.config.alerts.service_label)
    except ValueError as exc:  # an answer that is not what ALERTS looks like
        rt.metrics.collector("alerts_series", False, time.time())
        log.warning("ALERTS answer not understood: %s", exc)
        return None


def collect_cycle(rt: Runtime) -> None:
    started = time.monotonic()
    outcome = "degraded"
    try:
        firing, measured, complete = evaluate(rt)
        alerts.ingest(rt, firing)
        alerts.resolve_unseen(rt, "evaluation", measured, alerts.firing_keys(firing))
        series = alerts_series(rt)
        if series is not None:
            alerts.ingest(rt, series)
            alerts.resolve_unseen(
                rt,
                "alerts_series",
                [s.name for s in rt.config.services],
                alerts.firing_keys(series),
            )
        elif rt.config.alerts.match is not None:
            complete = False
        outcome = "ok" if complete else "degraded"
    finally:
        duration = time.monotonic() - started
        rt.metrics.cycle_duration.observe(duration)
        rt.metrics.cycles.labels(outcome=outcome).inc()
        rt.metrics.cycle_last_run.set(time.time())
        if outcome == "ok":
            rt.metrics.cycle_last_success.set(time.time())
        rt.health.cycle_done(outcome)
    outbox.drain(rt)


def poll_incidents(rt: Runtime) -> None:
    if rt.pagerduty is None:
        return
    now = rt.now()
    for service in rt.config.services:
        if not service.pagerduty_service_ids:
            continue
        days = service.reliability_window_days or 30
        try:
            found = rt.pagerduty.incidents(
                service.pagerduty_service_ids, now - timedelta(days=days), now
            )
        except CollectorError as exc:
            rt.metrics.collector("pagerduty", False, time.time())
            log.warning("PagerDuty poll for %s failed: %s", service.name, exc)
            continue
        rt.metrics.collector("pagerduty", True, time.time())
        rt.incident_counts[service.name] = len(found)


def refresh_questions(rt: Runtime) -> None:
    now = rt.now()
    every = timedelta(seconds=rt.config.schedule.refresh_seconds)
    for question in rt.store.list_questions(status="open"):
        try:
            if rt.store.get_entry_by_key(question_key(question.id, 0)) is None:
                packs.enqueue_question_pack(rt, question, 0)
                continue
            stored = rt.store.packs_for_question(question.id)
            last = stored[-1].created_at if stored else question.created_at
            if packs.deadline_refresh_due(question, last, now):
                deadline = question.deadline.isoformat() if question.deadline else ""
                packs.enqueue_question_pack(
                    rt,
                    question,
                    packs.next_refresh_no(rt, question),
                    note=m.POST_REFRESH_DEADLINE.format(deadline=deadline),
                )
            elif now - last >= every:
                packs.enqueue_question_pack(rt, question, packs.next_refresh_no(rt, question))
        except StoreError:
            log.exception("refreshing %s failed", question.id)
    outbox.drain(rt)


def drain(rt: Runtime) -> None:
    outbox.drain(rt)
