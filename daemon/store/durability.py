"""Group commit for the SQLite store: many transactions, one fsync.

With ``synchronous=FULL`` SQLite syncs the write-ahead log at every commit, so 50 Slack
commands acknowledged at once cost 50 fsyncs in a row (7 ms each on a busy disk: the 50th ack
waited 350 ms). The store runs SQLite with ``synchronous=NORMAL`` (a commit reaches the WAL
without a sync; checkpoints still sync) and makes each write durable itself before it returns:
after its commit, a writer asks for an fsync of the WAL that covers it. One fsync covers every
commit made before it started, so writers that committed while a sync was running share the
next one. A writer returns only once its commit is on stable storage, as with ``FULL``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path


class WalSync:
    def __init__(self, database: Path, fsync: Callable[[int], None] = os.fdatasync) -> None:
        self._wal = database.with_name(database.name + "-wal")
        self._database = database
        self._fsync = fsync
        self._counter = threading.Lock()
        self._syncing = threading.Lock()
        self._committed = 0
        self._synced = 0
        self.syncs = 0

    def committed(self) -> int:
        """Record a commit (call it while still holding the database's write lock, so the
        ticket order is the commit order); the ticket to pass to ``sync``."""
        with self._counter:
            self._committed += 1
            return self._committed

    def sync(self, ticket: int) -> None:
        """Return once the commit of ``ticket`` is on stable storage."""
        with self._syncing:
            if self._synced >= ticket:
                return  # a sync that started after our commit covered it
            with self._counter:
                covered = self._committed
            self._sync_file()
            self._synced = covered
            self.syncs += 1

    def _sync_file(self) -> None:
        try:
            fd = os.open(self._wal, os.O_RDONLY)
        except FileNotFoundError:
            # no WAL: a checkpoint moved every commit into the database file, and synced it
            fd = os.open(self._database, os.O_RDONLY)
        try:
            self._fsync(fd)
        finally:
            os.close(fd)
