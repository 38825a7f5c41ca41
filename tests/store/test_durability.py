"""Group commit: a write returns only once an fsync that started after its commit is done, and
writers that commit while a sync runs share the next one."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from daemon.store import open_store
from daemon.store.durability import WalSync

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


class GatedFsync:
    """An fsync that records every call and waits for the test's go before returning."""

    def __init__(self) -> None:
        self.calls = 0
        self.entered = threading.Semaphore(0)
        self.go = threading.Semaphore(0)

    def __call__(self, fd: int) -> None:
        self.calls += 1
        self.entered.release()
        assert self.go.acquire(timeout=10)
        os.fdatasync(fd)


def test_commits_during_a_sync_share_the_next_one(tmp_path: Path) -> None:
    database = tmp_path / "db"
    database.write_bytes(b"")
    fsync = GatedFsync()
    wal = WalSync(database, fsync)
    returned: list[int] = []

    def writer(ticket: int) -> None:
        wal.sync(ticket)
        returned.append(ticket)

    first = threading.Thread(target=writer, args=(wal.committed(),))
    first.start()
    assert fsync.entered.acquire(timeout=10)  # the first sync is running ...
    later = [wal.committed() for _ in range(5)]  # ... while five more commits land
    others = [threading.Thread(target=writer, args=(t,)) for t in later]
    for thread in others:
        thread.start()
    assert returned == [], "a writer returned before any sync finished"
    fsync.go.release()  # the first sync ends: it covered only the first commit
    assert fsync.entered.acquire(timeout=10)  # one more sync, for all five
    assert sorted(returned) == [1], "a later commit returned on an earlier sync"
    fsync.go.release()
    for thread in [first, *others]:
        thread.join(10)
    assert sorted(returned) == [1, 2, 3, 4, 5, 6]
    assert fsync.calls == 2


def test_a_write_already_covered_syncs_nothing(tmp_path: Path) -> None:
    database = tmp_path / "db"
    database.write_bytes(b"")
    fsync = GatedFsync()
    fsync.go.release()
    wal = WalSync(database, fsync)
    ticket = wal.committed()
    wal.sync(ticket)
    wal.sync(ticket)
    assert fsync.calls == 1


def test_fifty_concurrent_questions_take_fewer_syncs_and_reads_take_none(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert store._wal is not None
        barrier = threading.Barrier(50)
        ids: list[str] = []

        def ask(n: int) -> None:
            barrier.wait(10)
            question = store.add_question(
                service="checkout", question=f"q{n}?", asked_by="U1", channel="C1", now=T0
            )
            ids.append(question.id)

        threads = [threading.Thread(target=ask, args=(n,)) for n in range(50)]
        syncs_before = store._wal.syncs
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        syncs = store._wal.syncs - syncs_before
        assert len(set(ids)) == 50
        assert 1 <= syncs < 50
        store.get_question(ids[0])
        store.list_questions(service="checkout", status="open", limit=100)
        assert store._wal.syncs - syncs_before == syncs, "a read-only transaction synced"
    finally:
        store.close()
    # every acknowledged question is in the database another connection opens
    reopened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        assert len(reopened.list_questions(service="checkout", status="open", limit=100)) == 50
    finally:
        reopened.close()
