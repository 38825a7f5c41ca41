"""Packs drafted in worker processes: the same pack as on the caller's thread, workers that
die are replaced, and workers never outlive a daemon killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from daemon.core.pack import Decision
from daemon.runtime.drafter import ProcessDrafter
from tests.runtime.conftest import RuntimeFactory

ROOT = Path(__file__).resolve().parents[2]
DECISION = Decision(question="Can we ship one-click checkout by Friday?")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead too (it only waits for its parent to reap it)
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_a_worker_drafts_the_pack_the_caller_would(make_runtime: RuntimeFactory) -> None:
    rt = make_runtime()
    at = rt.now()
    drafter = ProcessDrafter(rt.config, 1, "test")
    try:
        (worker,) = [f.result(timeout=60) for f in drafter.warm_up()]
        assert worker != os.getpid()
        remote = drafter("checkout", at, DECISION)
    finally:
        drafter.close()
    local = rt.draft("checkout", at, DECISION)
    assert remote.document == local.document
    assert remote.messages == local.messages
    assert remote.chart is not None
    assert remote.chart == local.chart
    assert remote.document["slos"], "the pack measured nothing"


def test_a_dead_worker_is_replaced(make_runtime: RuntimeFactory) -> None:
    rt = make_runtime()
    drafter = ProcessDrafter(rt.config, 1, "test")
    try:
        (worker,) = [f.result(timeout=60) for f in drafter.warm_up()]
        os.kill(worker, signal.SIGKILL)
        assert _gone_within(worker, 10)
        drafted = drafter("checkout", rt.now(), DECISION, rendered=False)
        assert drafted.document["service"] == "checkout"
        assert drafted.messages == []
    finally:
        drafter.close()


def test_a_worker_failure_comes_back_as_draft_failed(make_runtime: RuntimeFactory) -> None:
    from daemon.runtime.drafter import DraftFailed

    rt = make_runtime()
    drafter = ProcessDrafter(rt.config, 1, "test")
    try:
        # an evaluation time without a timezone cannot be queried: the worker raises
        with pytest.raises(DraftFailed, match="ValueError"):
            drafter("checkout", rt.now().replace(tzinfo=None), DECISION)
        assert drafter("checkout", rt.now(), DECISION, rendered=False).document["slos"]
    finally:
        drafter.close()


_PARENT = """
import sys
from daemon.config.load import load_config
from daemon.runtime.drafter import ProcessDrafter

drafter = ProcessDrafter(load_config(sys.argv[1]), 2, "test")
print(" ".join(str(f.result(timeout=60)) for f in drafter.warm_up()), flush=True)
sys.stdin.read()
"""


def test_workers_exit_when_the_daemon_is_killed(
    make_runtime: RuntimeFactory, tmp_path: Path
) -> None:
    rt = make_runtime()
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, rt.config.source],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
        parent.kill()
        parent.wait(10)
        assert all(_gone_within(pid, 10) for pid in workers), "orphaned drafting workers"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_an_urgent_draft_goes_before_every_waiting_one() -> None:
    import threading

    from daemon.runtime.drafter import _Gate

    gate = _Gate(1)
    order: list[str] = []
    holder = gate.slot(urgent=False)
    holder.__enter__()  # the worker is busy with a question's pack

    def wait(name: str, urgent: bool) -> None:
        with gate.slot(urgent):
            order.append(name)

    waiting = [threading.Thread(target=wait, args=(f"question {n}", False)) for n in range(3)]
    for thread in waiting:
        thread.start()
    time.sleep(0.2)  # the questions queue first
    alert = threading.Thread(target=wait, args=("alert", True))
    alert.start()
    time.sleep(0.2)
    assert order == []
    holder.__exit__(None, None, None)
    for thread in [*waiting, alert]:
        thread.join(10)
    assert order[0] == "alert"
    assert sorted(order[1:]) == ["question 0", "question 1", "question 2"]


def test_stopping_lets_every_waiter_through_to_fail() -> None:
    import threading

    from daemon.runtime.drafter import _Gate

    gate = _Gate(1)
    holder = gate.slot(urgent=False)
    holder.__enter__()
    through = threading.Event()

    def wait() -> None:
        with gate.slot(urgent=False):
            through.set()

    thread = threading.Thread(target=wait)
    thread.start()
    assert not through.wait(0.2)
    gate.open()
    assert through.wait(5)
    thread.join(5)
