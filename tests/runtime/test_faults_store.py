"""Store faults: the real PostgreSQL restarted while the daemon runs (also in the instant after
Slack took a message and before the store recorded it), and the SQLite file locked by another
connection while commands, drains and cycles arrive.

For each: the daemon keeps working once the database does, nothing acknowledged is lost,
nothing is posted twice, and the failures are counted where the alerts read them."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon import messages as m
from daemon.runtime import jobs, outbox
from daemon.runtime.commands import handle_command
from daemon.store import StoreError, question_key
from tests.generator.prometheus_server import PrometheusServer
from tests.runtime.conftest import SERVICE_CHANNEL, Clock
from tests.runtime.faults import (  # noqa: F401  (fixtures)
    LightRuntime,
    assert_posted_exactly_once,
    light_runtime_fixture,
    parents,
    sample,
)
from tests.runtime.test_commands import ask
from tests.runtime.test_jobs import firing_then_quiet
from tests.store.conftest import postgres_server  # noqa: F401  (fixture)
from tests.store.postgres_server import PostgresServer
from tests.support.fake_slack import FakeSlack, Message

# how long the SQLite tests hold the lock: well inside the store's busy timeout (30 s), and
# long enough that every request below arrives while it is held
LOCK_SECONDS = 1.5


@pytest.fixture(autouse=True)
def _fresh_backoff() -> Iterator[None]:
    """The drain's in-memory state is per process: nothing of it may leak into other tests."""
    yield
    outbox._backoff.until.clear()
    outbox._backoff.delay.clear()
    outbox._backoff.unsaved.clear()


def _quiet(prometheus: PrometheusServer) -> Clock:
    """A minute when nothing fires: the only posts are the questions' packs."""
    return Clock(firing_then_quiet(prometheus)[1])


def test_postgresql_restarted_between_slack_ok_and_the_commit_posts_nothing_twice(
    light_runtime: LightRuntime,
    slack: FakeSlack,
    prometheus: PrometheusServer,
    postgres_server: PostgresServer,  # noqa: F811
) -> None:
    store_url = postgres_server.url(postgres_server.create_database())
    rt = light_runtime(clock=_quiet(prometheus), store_url=store_url)
    first = handle_command(rt, ask("ask checkout Stored before the restart?"))
    assert first.follow_up is not None
    question_id = rt.store.list_questions()[0].id

    # PostgreSQL goes down the moment Slack has taken the pack's parent message
    def stop_once(message: Message) -> None:
        if message.channel == SERVICE_CHANNEL and message.thread_ts is None:
            slack.after_post = None
            postgres_server.stop_server()

    slack.after_post = stop_once
    try:
        with pytest.raises(StoreError):
            first.follow_up()  # in the daemon the work pool logs it
        assert len(slack.messages) == 1
        # while it is down: commands say nothing was registered, cycles are degraded, the
        # replica lets go of the leadership (its lock was the session's)
        refused = handle_command(rt, ask("ask checkout Asked while the database is down?"))
        assert refused.follow_up is None
        assert refused.text.startswith(m.CMD_INTERNAL_ERROR.split(";")[0])
        assert sample(rt, "slo_prep_commands_total", subcommand="ask", outcome="error") == 1
        with pytest.raises(StoreError):
            jobs.collect_cycle(rt)  # the scheduler's wrapper logs it
        assert sample(rt, "slo_prep_cycles_total", outcome="degraded") == 1
        assert rt.leadership.check() is False
        assert sample(rt, "slo_prep_scheduler_running") == 0
    finally:
        slack.after_post = None
        if not (postgres_server.data / "postmaster.pid").exists():
            postgres_server.start_server()

    # back: the same replica leads again, the thread is finished where it stopped
    assert rt.leadership.check() is True
    outbox.drain(rt)
    entry = rt.store.get_entry_by_key(question_key(question_id, 0))
    assert entry is not None and entry.posted_at is not None
    assert len(parents(slack)) == 1
    assert_posted_exactly_once(store_url, slack)
    # nothing acknowledged was lost, nothing refused was half-registered
    assert [q.question for q in rt.store.list_questions()] == ["Stored before the restart?"]
    again = handle_command(rt, ask("ask checkout Asked after the restart?"))
    assert again.follow_up is not None
    again.follow_up()
    jobs.collect_cycle(rt)
    assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 1
    assert len(parents(slack)) == 2
    assert_posted_exactly_once(store_url, slack)


class _Lock:
    """Another connection holding SQLite's write lock (``BEGIN EXCLUSIVE``) on the file, as a
    backup or a person with the ``sqlite3`` shell would; released after ``seconds``."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._timer: threading.Timer | None = None

    def hold(self, seconds: float) -> None:
        self._conn.execute("BEGIN EXCLUSIVE")
        self._timer = threading.Timer(seconds, self.release)
        self._timer.start()

    def release(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self.release()
        self._conn.close()


def test_sqlite_locked_by_another_connection(
    light_runtime: LightRuntime,
    slack: FakeSlack,
    prometheus: PrometheusServer,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    rt = light_runtime(clock=_quiet(prometheus))
    lock = _Lock(tmp_path / "slo-prep.db")
    try:
        # a command while the file is locked: acknowledged within Slack's 3 s, and stored
        lock.hold(LOCK_SECONDS)
        started = time.monotonic()
        listed = handle_command(rt, ask("list"))  # a read goes through at once (WAL)
        read_seconds = time.monotonic() - started
        reply = handle_command(rt, ask("ask checkout Asked while the file is locked?"))
        ack_seconds = time.monotonic() - started
        assert read_seconds < LOCK_SECONDS and listed.text
        assert LOCK_SECONDS * 0.9 <= ack_seconds < 3, ack_seconds
        assert reply.follow_up is not None
        question_id = rt.store.list_questions()[0].id
        assert question_id in reply.text

        # locked again the moment Slack took the parent: the progress waits for the lock,
        # then the thread goes on from there
        def lock_once(message: Message) -> None:
            if message.thread_ts is None:
                slack.after_post = None
                lock.hold(LOCK_SECONDS)

        slack.after_post = lock_once
        reply.follow_up()
        entry = rt.store.get_entry_by_key(question_key(question_id, 0))
        assert entry is not None and entry.posted_at is not None
        assert_posted_exactly_once(sqlite_url, slack)

        # a cycle and a drain while it is locked: they wait, then finish
        lock.hold(LOCK_SECONDS)
        jobs.collect_cycle(rt)
        assert sample(rt, "slo_prep_cycles_total", outcome="ok") == 1
        assert outbox.drain(rt) == 0
    finally:
        slack.after_post = None
        lock.close()
    assert sample(rt, "slo_prep_commands_total", subcommand="ask", outcome="ok") == 1
    assert sample(rt, "slo_prep_commands_total", subcommand="ask", outcome="error") == 0
    assert len(parents(slack)) == 1
    assert_posted_exactly_once(sqlite_url, slack)
