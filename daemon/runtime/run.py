"""``slo-prep run``: builds the runtime, serves HTTP, connects to Slack, schedules the jobs,
and stops cleanly on SIGTERM/SIGINT (the post in flight finishes, the scheduler stops, the
work pool drains, the store closes)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from daemon import messages as m
from daemon.app import build_pagerduty, build_prometheus, generator_name, package_version
from daemon.config.model import Config
from daemon.runtime import jobs
from daemon.runtime.context import LEADER_LOCK_ID, Health, Leadership, Runtime, utc_now
from daemon.runtime.drafter import ProcessDrafter
from daemon.runtime.http import App
from daemon.runtime.logs import configure, redacted_config
from daemon.runtime.metrics import Metrics
from daemon.runtime.server import HttpServer
from daemon.runtime.sinks import Sink, TextSink
from daemon.slack.poster import SlackPoster, build_client
from daemon.slack.sink import SlackSink
from daemon.store import open_store

log = logging.getLogger("slo_prep")

LEADERSHIP_SECONDS = 5
DRAIN_SECONDS = 5
REFRESH_CHECK_SECONDS = 60
# after-ack work (drafting packs, answering `status`) runs here, not on the HTTP threads
WORK_THREADS = 8
ALERT_THREADS = 2
# the worker process that drafts packs, alerts' first (with the daemon's own process, which
# serves HTTP and posts, 2 cores; each worker costs ~40 MB of memory)
DRAFTING_PROCESSES = 1
# Slack takes about one message per second per channel (FACTS.md)
POST_INTERVAL = 1.0


def build_sink(
    config: Config, dry_run: bool, out: TextIO, post_interval: float = POST_INTERVAL
) -> Sink:
    slack = config.slack
    if dry_run or slack.mode == "off" or slack.bot_token is None:
        directory = Path(slack.output_dir) if slack.output_dir else None
        return TextSink(out, directory)
    client = build_client(slack.bot_token, slack.api_url)
    return SlackSink(SlackPoster(client, min_interval_seconds=post_interval), slack.api_url)


def build_runtime(
    config: Config,
    *,
    dry_run: bool = False,
    out: TextIO = sys.stdout,
    clock: Callable[[], datetime] = utc_now,
    post_interval: float = POST_INTERVAL,
) -> Runtime:
    metrics = Metrics(package_version())
    store = open_store(config.store.url)
    schedule = config.schedule
    # the leader is unhealthy when no cycle ended for three intervals plus the grace time
    stale = 3 * schedule.collect_interval_seconds + schedule.misfire_grace_seconds + 60
    return Runtime(
        config=config,
        store=store,
        prometheus=build_prometheus(config.prometheus),
        pagerduty=build_pagerduty(config.pagerduty),
        sink=build_sink(config, dry_run, out, post_interval),
        metrics=metrics,
        generator=generator_name(),
        work=ThreadPoolExecutor(WORK_THREADS, thread_name_prefix="work"),
        alert_work=ThreadPoolExecutor(ALERT_THREADS, thread_name_prefix="alerts"),
        leadership=Leadership(store.leader_lock(LEADER_LOCK_ID), metrics),
        health=Health(stale_after_seconds=stale),
        clock=clock,
    )


def run_once(rt: Runtime) -> int:
    """One collection/evaluation cycle, the due refreshes and a drain; 0 unless this replica
    could not become the leader (another daemon runs on the same store)."""
    if not rt.leadership.check():
        log.error("another slo-prep holds the leader lock on %s; not running", rt.store.url)
        return 1
    jobs.collect_cycle(rt)
    jobs.poll_incidents(rt)
    jobs.refresh_questions(rt)
    jobs.drain(rt)
    return 0


def _scheduler(rt: Runtime) -> BackgroundScheduler:
    schedule = rt.config.schedule
    scheduler = BackgroundScheduler(
        timezone="UTC",
        executors={"default": JobExecutor(4)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": schedule.misfire_grace_seconds,
        },
    )
    now = utc_now()

    def every(seconds: int, job: Any, name: str) -> None:
        scheduler.add_job(job, "interval", seconds=seconds, id=name, name=name, next_run_time=now)

    every(LEADERSHIP_SECONDS, rt.leadership.check, "leadership")
    every(
        schedule.collect_interval_seconds,
        jobs.leader_only(rt, jobs.collect_cycle, "collect"),
        "collect",
    )
    every(
        schedule.incidents_interval_seconds,
        jobs.leader_only(rt, jobs.poll_incidents, "incidents"),
        "incidents",
    )
    every(REFRESH_CHECK_SECONDS, jobs.leader_only(rt, jobs.refresh_questions, "refresh"), "refresh")
    every(DRAIN_SECONDS, jobs.leader_only(rt, jobs.drain, "drain"), "drain")
    return scheduler


def run_daemon(
    config: Config, *, once: bool = False, dry_run: bool = False, out: TextIO = sys.stdout
) -> int:
    configure(os.environ.get("LOG_FORMAT"))
    log.info(
        m.LOG_CONFIG + " %s",
        json.dumps(redacted_config(config)),
        extra={"config": redacted_config(config)},
    )
    rt = build_runtime(config, dry_run=dry_run, out=out)
    if once:
        try:
            return run_once(rt)
        finally:
            _close(rt)
    rt.drafter = ProcessDrafter(config, DRAFTING_PROCESSES, "drafting")
    rt.drafter.warm_up()
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server = HttpServer(App(rt), config.http.listen_host, config.http.listen_port)
    server.start()
    socket_client = None
    scheduler = _scheduler(rt)
    try:
        rt.leadership.check()
        scheduler.start()
        rt.health.scheduler_running = True
        if config.slack.mode == "socket" and not dry_run and config.slack.app_token:
            from daemon.runtime.socket_mode import connect

            sink = rt.sink
            assert isinstance(sink, SlackSink)
            socket_client = connect(rt, config.slack.app_token, sink)
        rt.health.ready = True
        log.info(
            m.LOG_STARTED + " on %s:%s (slack %s)",
            server.host,
            server.port,
            "dry-run" if dry_run else config.slack.mode,
            extra={"http_port": server.port},
        )
        stop.wait()
    finally:
        rt.health.stopping = True
        rt.health.ready = False
        if socket_client is not None:
            socket_client.close()
        if rt.drafter is not None:
            rt.drafter.stop()
        # wait=True: a job in flight (a post half done) finishes before the store closes
        scheduler.shutdown(wait=True)
        rt.health.scheduler_running = False
        # work not started yet is dropped: a question stored without its pack gets it from
        # the refresh job at the next start
        rt.work.shutdown(wait=True, cancel_futures=True)
        if rt.alert_work is not None:
            rt.alert_work.shutdown(wait=True, cancel_futures=True)
        server.stop()
        _close(rt)
        log.info("stopped")
    return 0


def _close(rt: Runtime) -> None:
    rt.work.shutdown(wait=True, cancel_futures=True)
    if rt.drafter is not None:
        rt.drafter.close()
    rt.leadership.release()
    rt.store.close()
