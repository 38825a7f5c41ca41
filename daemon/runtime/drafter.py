"""Where packs are drafted: in this process, or in worker processes of their own.

Drafting a pack is CPU-bound Python: decoding tens of thousands of points, prefix sums,
rendering Block Kit and a PNG. Run on threads of the daemon's own process, it holds the
interpreter lock that the HTTP threads need to acknowledge Slack within its 3 s, so with a
backlog of drafts a slash-command ack waited up to a second (bench/daemon_latency.py). The
daemon therefore drafts in worker processes: the process that serves HTTP and posts only
waits on them. ``--once`` and the tests that build a runtime in-process draft inline.

A worker builds its own clients from the config, through ``daemon.app`` like every client.
"""

from __future__ import annotations

import base64
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from collectors.pagerduty import PagerDutyCollector
from collectors.prometheus import PrometheusCollector
from daemon.app import build_pagerduty, build_prometheus, generator_name
from daemon.config.model import Config
from daemon.core.pack import Decision, pack_to_json
from daemon.drafting import draft_pack
from daemon.errors import SloPrepError
from daemon.render.chart import render_chart
from daemon.render.slack import render_slack

log = logging.getLogger("slo_prep.drafter")

_PARENT_CHECK_SECONDS = 0.5
WORKER_NICENESS = 10


class DraftFailed(SloPrepError):
    """A worker could not draft the pack; the worker logged the traceback."""


@dataclass(frozen=True)
class Drafted:
    """A pack as the daemon stores and posts it: the JSON document (the contract), its Slack
    messages and its burn-down chart (base64 PNG, None without an SLO)."""

    document: dict[str, Any]
    messages: list[dict[str, Any]]
    chart: str | None


def chart_of(document: Mapping[str, Any]) -> str | None:
    """The focus SLO's burn-down chart, else the first SLO's."""
    slos = document.get("slos") or []
    if not slos:
        return None
    focus = (document.get("decision") or {}).get("focus_slo")
    slo = next((s for s in slos if s.get("name") == focus), slos[0])
    return base64.b64encode(render_chart(slo)).decode("ascii")


def draft(
    config: Config,
    prometheus: PrometheusCollector,
    pagerduty: PagerDutyCollector | None,
    generator: str,
    service: str,
    at: datetime,
    decision: Decision,
    *,
    rendered: bool,
) -> Drafted:
    pack = draft_pack(config, service, at, decision, prometheus, generator, pagerduty)
    document = pack_to_json(pack)
    if not rendered:
        return Drafted(document, [], None)
    return Drafted(document, render_slack(document), chart_of(document))


class Drafter(Protocol):
    def __call__(
        self,
        service: str,
        at: datetime,
        decision: Decision,
        *,
        rendered: bool = True,
        urgent: bool = False,
    ) -> Drafted: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class InlineDrafter:
    """Drafts on the caller's thread with the runtime's own clients."""

    config: Config
    prometheus: PrometheusCollector
    pagerduty: PagerDutyCollector | None
    generator: str

    def __call__(
        self,
        service: str,
        at: datetime,
        decision: Decision,
        *,
        rendered: bool = True,
        urgent: bool = False,
    ) -> Drafted:
        return draft(
            self.config,
            self.prometheus,
            self.pagerduty,
            self.generator,
            service,
            at,
            decision,
            rendered=rendered,
        )

    def stop(self) -> None:
        return None

    def close(self) -> None:
        return None


# -- the worker side: module state, one set per worker process ---------------------------------

_worker: InlineDrafter | None = None


def _exit_with(parent: int) -> None:
    # a daemon killed with SIGKILL cannot stop its workers: they notice and go too
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_SECONDS)
    os._exit(0)


def _start_worker(config: Config, log_format: str | None, parent: int) -> None:
    global _worker
    from daemon.runtime.logs import configure

    # Ctrl-C reaches the whole process group: the daemon stops its workers itself
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # drafting is background work: when cores are short, the daemon's own process (acks to
    # Slack within 3 s, posts) goes first
    os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    configure(log_format)
    _worker = InlineDrafter(
        config,
        build_prometheus(config.prometheus),
        build_pagerduty(config.pagerduty),
        generator_name(),
    )


def _draft_in_worker(service: str, at: datetime, decision: Decision, rendered: bool) -> Drafted:
    if _worker is None:
        raise DraftFailed("drafting worker not initialised")
    try:
        return _worker(service, at, decision, rendered=rendered)
    except Exception as exc:
        # only a message crosses the process boundary: not every exception pickles
        log.exception("drafting %s failed in worker %s", service, os.getpid())
        raise DraftFailed(f"{type(exc).__name__}: {exc}") from None


def _warm_up() -> int:
    return os.getpid()


class _Gate:
    """At most ``slots`` drafts handed to the workers at a time, urgent ones (alerts) first:
    the workers' own queue is first come, first served, so a backlog of question packs would
    otherwise hold an alert's pack back."""

    def __init__(self, slots: int) -> None:
        self._cond = threading.Condition()
        self._free = slots
        self._urgent_waiting = 0
        self._opened = False

    @contextmanager
    def slot(self, urgent: bool) -> Iterator[None]:
        with self._cond:
            self._urgent_waiting += urgent
            try:
                self._cond.wait_for(
                    lambda: (
                        self._opened or (self._free > 0 and (urgent or self._urgent_waiting == 0))
                    )
                )
            finally:
                self._urgent_waiting -= urgent
            self._free -= 1
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                self._free += 1
                self._cond.notify_all()

    def open(self) -> None:
        """Let every waiter through (to find the drafter stopping)."""
        with self._cond:
            self._opened = True
            self._cond.notify_all()


class ProcessDrafter:
    """Drafts in ``processes`` worker processes (spawned, never forked: the daemon's threads
    may hold locks at fork time), urgent drafts first. A worker that dies is replaced at the
    next draft."""

    def __init__(self, config: Config, processes: int, name: str) -> None:
        self._config = config
        self._processes = processes
        self._name = name
        self._lock = threading.Lock()
        self._stopping = False
        self._gate = _Gate(processes)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._config, os.environ.get("LOG_FORMAT"), os.getpid()),
        )

    def warm_up(self) -> list[Future[int]]:
        """Start the workers now, so the first pack does not wait for an interpreter start;
        each future gives a worker's pid."""
        return [self._pool.submit(_warm_up) for _ in range(self._processes)]

    def __call__(
        self,
        service: str,
        at: datetime,
        decision: Decision,
        *,
        rendered: bool = True,
        urgent: bool = False,
    ) -> Drafted:
        if self._stopping:
            raise DraftFailed("the daemon is stopping")
        with self._gate.slot(urgent):
            if self._stopping:
                raise DraftFailed("the daemon is stopping: draft cancelled")
            pool = self._pool
            try:
                return pool.submit(_draft_in_worker, service, at, decision, rendered).result()
            except CancelledError:
                raise DraftFailed("the daemon is stopping: draft cancelled") from None
            except BrokenProcessPool:
                log.error("a %s drafting worker died; starting a new one", self._name)
                with self._lock:
                    if self._pool is pool:
                        self._pool = self._new_pool()
                    pool = self._pool
                return pool.submit(_draft_in_worker, service, at, decision, rendered).result()

    def stop(self) -> None:
        """Drop the drafts not started yet (their questions get a pack from the refresh job at
        the next start); the one in progress finishes."""
        self._stopping = True
        self._gate.open()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self._stopping = True
        self._pool.shutdown(wait=True, cancel_futures=True)
