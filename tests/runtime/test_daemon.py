"""``slo-prep run`` as a process: HTTP mode end to end with signed requests, refusals of forged,
replayed and unsigned ones, 50 commands at once, SIGTERM, and kill -9 between storing and
posting on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest

from daemon.runtime.packs import ACTION_REFRESH
from daemon.store import open_store
from tests.runtime.conftest import SERVICE_CHANNEL, DaemonFactory
from tests.runtime.daemon_process import (
    DaemonProcess,
    command_body,
    signed_headers,
)
from tests.runtime.daemon_process import request as http_request
from tests.store.conftest import postgres_server  # noqa: F401  (fixture)
from tests.store.postgres_server import PostgresServer
from tests.support.fake_slack import FakeSlack

SECRETS = ("xoxb-test", "8f742231b10e8888abcd99yyyzzz85a5", "am-webhook-token")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


def parents_with(slack: FakeSlack, text: str) -> list[object]:
    return [
        m
        for m in slack.messages
        if m.channel == SERVICE_CHANNEL and m.thread_ts is None and text in (m.text or "")
    ]


def test_http_mode_end_to_end(daemon: DaemonFactory, slack: FakeSlack, tmp_path: Path) -> None:
    proc: DaemonProcess = daemon()
    ready = proc.wait_ready()
    assert ready < 60
    health = http_request(proc.url + "/healthz")
    assert health.status == 200 and health.json()["scheduler_running"] is True
    metrics = http_request(proc.url + "/metrics").body.decode()
    assert "slo_prep_build_info" in metrics and "slo_prep_outbox_pending" in metrics

    answer = proc.command("ask checkout Can we ship the one-click checkout? by 2026-12-04")
    assert answer.status == 200 and answer.seconds < 3
    reply = answer.json()
    assert reply["response_type"] == "ephemeral" and "Registered *Q-" in reply["text"]
    question_id = reply["text"].split("*")[1]
    waited = wait_for(
        lambda: bool(parents_with(slack, "Can we ship the one-click checkout?")),
        30,
        "the pack in the service channel",
    )
    assert waited < 30
    listed = proc.command("list").json()["text"]
    assert listed.splitlines()[1].startswith("• “Can we ship the one-click checkout?”")
    assert question_id in listed

    # the Refresh button, as Slack posts it: a signed form with a JSON payload
    click = {
        "type": "block_actions",
        "user": {"id": "U0MANAGER1"},
        "channel": {"id": SERVICE_CHANNEL},
        "response_url": slack.response_url("refresh"),
        "trigger_id": "1.2.3",
        "actions": [{"action_id": ACTION_REFRESH, "value": question_id, "type": "button"}],
    }
    form = urlencode({"payload": json.dumps(click)}).encode()
    clicked = http_request(proc.url + "/slack/interactions", form, signed_headers(form))
    assert clicked.status == 200 and clicked.seconds < 3
    wait_for(
        lambda: any((m.text or "").startswith("*What changed") for m in slack.messages),
        30,
        "the refresh in the thread",
    )
    wait_for(lambda: bool(slack.responses), 10, "the ephemeral reply to the click")
    assert question_id in slack.responses[0]["text"]

    # refused: forged signature, a replay (validly signed 6 minutes ago), no signature
    body = command_body("ask checkout Forged question?")
    forged = signed_headers(body, secret="not-the-secret")
    replayed = signed_headers(body, timestamp=int(time.time()) - 360)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    for headers in (forged, replayed, unsigned):
        refused = http_request(proc.url + "/slack/commands", body, headers)
        assert refused.status == 401
    assert "Forged question" not in proc.command("list").json()["text"]
    interaction = http_request(proc.url + "/slack/interactions", b"payload=%7B%7D", unsigned)
    assert interaction.status == 401

    assert proc.terminate() == 0
    log = proc.log.read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(line["message"].startswith("effective config") for line in lines)
    assert lines[-1]["message"] == "stopped"
    for secret in SECRETS:
        assert secret not in log


def test_fifty_commands_at_once_are_all_acknowledged_within_3s(
    daemon: DaemonFactory, slack: FakeSlack
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    proc: DaemonProcess = daemon()
    proc.wait_ready()
    # Slack is slow to take posts meanwhile: the acks must not wait for it
    texts = [f"ask checkout Concurrent question {n}?" for n in range(50)]
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(proc.command, texts))
    assert all(a.status == 200 for a in answers)
    latencies = sorted(a.seconds for a in answers)
    assert latencies[-1] < 3, latencies
    p50 = statistics.median(latencies)
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"\n50 concurrent commands: ack p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    store = open_store(f"sqlite:///{proc.config.parent / 'slo-prep.db'}")
    try:
        assert len(store.list_questions()) == 50
    finally:
        store.close()
    started = time.monotonic()
    assert proc.terminate() == 0
    assert time.monotonic() - started < 20  # queued drafts are dropped, not waited for


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_between_storing_and_posting_posts_exactly_once(
    backend: str,
    daemon: DaemonFactory,
    slack: FakeSlack,
    request: pytest.FixtureRequest,
    sqlite_url: str,
) -> None:
    store_url = sqlite_url
    if backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        store_url = server.url(server.create_database())
    # Slack refuses every post: the pack is stored in the outbox but cannot be posted
    slack.fail_next("chat.postMessage", status=500, count=10_000)
    first: DaemonProcess = daemon(store_url=store_url)
    first.wait_ready()
    answer = first.command("ask checkout Survives a crash?")
    assert answer.status == 200
    store = open_store(store_url)
    try:
        wait_for(lambda: bool(store.pending()), 30, "the pack stored in the outbox")
        first.kill()
        # a second question acknowledged, then killed at once: stored, never drafted
        second: DaemonProcess = daemon(store_url=store_url, port=first.port)
        second.wait_ready()
        assert second.command("ask checkout Acked then killed?").status == 200
        second.kill()
        slack.clear_faults()
        third: DaemonProcess = daemon(store_url=store_url, port=first.port)
        healthy_after = third.wait_ready()
        assert healthy_after < 60
        assert request_json(third.url + "/healthz")["status"] == "ok"
        listed = third.command("list").json()["text"]
        assert "Survives a crash?" in listed and "Acked then killed?" in listed
        for question in ("Survives a crash?", "Acked then killed?"):
            wait_for(lambda q=question: bool(parents_with(slack, q)), 30, f"pack of {question}")
        time.sleep(6)  # a drain or two later: still exactly once
        assert len(parents_with(slack, "Survives a crash?")) == 1
        assert len(parents_with(slack, "Acked then killed?")) == 1
        wait_for(
            lambda: not [e for e in store.pending() if e.idempotency_key.startswith("question:")],
            30,
            "both packs marked posted",
        )
        assert third.terminate() == 0
    finally:
        store.close()


def request_json(url: str) -> dict[str, object]:
    answer = http_request(url)
    assert answer.status == 200, answer.body
    result: dict[str, object] = answer.json()
    return result


def test_once_dry_run_prints_what_would_be_posted(
    live_prometheus: object, slack: FakeSlack, tmp_path: Path, sqlite_url: str
) -> None:
    import subprocess
    import sys

    from tests.runtime.conftest import daemon_config
    from tests.runtime.daemon_process import ROOT

    document = daemon_config(live_prometheus.url, slack.api_url, sqlite_url)  # type: ignore[attr-defined]
    config = tmp_path / "once.yaml"
    config.write_text(json.dumps(document))
    store = open_store(sqlite_url)
    try:
        store.add_question(
            service="checkout",
            question="Dry <!here> run?",
            asked_by="U0MANAGER1",
            channel="C0ASKEDHERE",
            now=datetime.now(UTC),
        )
    finally:
        store.close()
    done = subprocess.run(
        [sys.executable, "-m", "daemon", "run", "-c", str(config), "--once", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    parents = [r for r in records if r.get("channel") == SERVICE_CHANNEL and r["thread_ts"] is None]
    assert len(parents) == 1 and "Dry &lt;!here&gt; run?" in parents[0]["text"]
    assert slack.messages == []  # dry run: nothing reached Slack


def test_two_replicas_on_postgresql_one_leader_failover_no_duplicates(
    daemon: DaemonFactory,
    slack: FakeSlack,
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    store_url = postgres_server.url(postgres_server.create_database())
    first: DaemonProcess = daemon(store_url=store_url)
    second: DaemonProcess = daemon(store_url=store_url)
    first.wait_ready()
    second.wait_ready()

    def leaders() -> list[DaemonProcess]:
        return [p for p in (first, second) if request_json(p.url + "/healthz")["leader"] is True]

    wait_for(lambda: len(leaders()) == 1, 15, "exactly one leader")
    leader = leaders()[0]
    standby = second if leader is first else first
    # a question taken by the standby is posted by the leader
    assert standby.command("ask checkout Asked on the standby?").status == 200
    wait_for(lambda: bool(parents_with(slack, "Asked on the standby?")), 30, "its pack")
    leader.kill()
    took_over = wait_for(
        lambda: request_json(standby.url + "/healthz")["leader"] is True, 20, "failover"
    )
    print(f"\nfailover after kill -9 of the leader: {took_over:.1f} s")
    assert standby.command("ask checkout Asked after the failover?").status == 200
    wait_for(lambda: bool(parents_with(slack, "Asked after the failover?")), 30, "its pack")
    time.sleep(6)
    assert len(parents_with(slack, "Asked on the standby?")) == 1
    assert len(parents_with(slack, "Asked after the failover?")) == 1
    assert standby.terminate() == 0
