"""Burn alerts to SRE: one dedup over three sources.

Sources: the daemon's own multi-window multi-burn-rate evaluation (each cycle), the firing
``ALERTS`` series that match ``alerts.match`` (each cycle) and Alertmanager's webhook. An alert
is one (service, severity): whichever source reports it first announces it, the others join it;
it is announced again only after it resolved and at least an hour after the last announcement.
It resolves when no source reports it any more (a polled source lets go when a cycle that did
measure the service no longer sees it; Alertmanager when it says ``resolved``), and the
resolution is a reply in the announcement's thread.

An announcement is idempotent by (service, severity, hour of the announcement): if the daemon
dies between deciding to announce and queueing the pack, the next report of the same alert
(the next cycle, Alertmanager's repeat) queues it, and only once.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence

from daemon import messages as m
from daemon.core.alerts import BurnAlert
from daemon.core.mrkdwn import escape_mrkdwn
from daemon.render.environment import when
from daemon.runtime import packs
from daemon.runtime.context import Runtime
from daemon.store import AlertState, dedup_key

log = logging.getLogger("slo_prep.alerts")

UNKNOWN_SEVERITY = "unknown"


def _key(service: str, severity: str) -> str:
    return dedup_key(None, service, severity)


def ingest(rt: Runtime, alerts: Sequence[BurnAlert]) -> list[str]:
    """Record ``alerts`` (from one source report) and queue what they call for; the keys of the
    announcements queued."""
    now = rt.now()
    firing: dict[tuple[str, str], list[BurnAlert]] = defaultdict(list)
    resolved: dict[tuple[str, str], list[BurnAlert]] = defaultdict(list)
    for alert in alerts:
        rt.metrics.alerts_received.labels(source=alert.source).inc()
        if alert.service is None or rt.config.service(alert.service) is None:
            log.info(
                "burn alert %r ignored: service %r is not configured",
                alert.alertname,
                alert.service,
            )
            continue
        group = (alert.service, alert.severity or UNKNOWN_SEVERITY)
        (firing if alert.status == "firing" else resolved)[group].append(alert)
    queued: list[str] = []
    for (service, severity), fired in firing.items():
        state, announce = rt.store.note_firing(
            _key(service, severity),
            source=fired[0].source,
            service=service,
            severity=severity,
            now=now,
        )
        if announce or state.thread_key is None:
            key = _announce(rt, state, fired)
            if key is not None:
                queued.append(key)
    for (service, severity), ended in resolved.items():
        if (service, severity) in firing:
            continue  # another alert of the same group still fires
        resolve(rt, _key(service, severity), ended[0].source)
    return queued


def _announce(rt: Runtime, state: AlertState, group: Sequence[BurnAlert]) -> str | None:
    service = rt.config.service(state.service or "")
    if service is None:
        return None
    # the hour of the announcement, not of now: a retry after a crash finds the same key
    key = packs.enqueue_alert_pack(
        rt, service, state.severity or UNKNOWN_SEVERITY, group, state.last_posted_at
    )
    if key is not None and state.thread_key != key:
        rt.store.set_alert_thread(state.key, key)
        rt.metrics.alerts_announced.inc()
        log.info("burn alert announced: %s %s", service.name, state.severity)
    return key


def resolve(rt: Runtime, key: str, source: str) -> None:
    state, resolved = rt.store.note_resolved(key, source=source)
    if not resolved or state is None or state.thread_key is None:
        return
    channel = rt.config.slack.sre_channel
    if channel is None:
        return
    now = rt.now()
    line = m.POST_RESOLVED.format(
        severity=escape_mrkdwn(state.severity or UNKNOWN_SEVERITY),
        service=escape_mrkdwn(state.service or ""),
        when=when(now.isoformat()),
    )
    reply_key = f"resolved:{key}:{now.isoformat()}"
    packs.enqueue_reply(rt, reply_key, state.thread_key, channel, [line])


def resolve_unseen(rt: Runtime, source: str, services: Iterable[str], seen: set[str]) -> None:
    """A polled ``source`` measured ``services`` this cycle and saw the keys ``seen`` firing:
    its other alerts of those services resolved."""
    measured = set(services)
    for state in rt.store.alerts_firing_from(source):
        if state.service in measured and state.key not in seen:
            resolve(rt, state.key, source)


def firing_keys(alerts: Iterable[BurnAlert]) -> set[str]:
    return {
        _key(a.service, a.severity or UNKNOWN_SEVERITY)
        for a in alerts
        if a.service is not None and a.status == "firing"
    }
