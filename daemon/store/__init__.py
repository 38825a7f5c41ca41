"""The daemon's persistence layer: one SQLAlchemy Core code path for SQLite and PostgreSQL."""

from __future__ import annotations

from daemon.store.errors import (
    InvalidRecordError,
    RecordNotFoundError,
    SchemaVersionError,
    StoreError,
    StoreUnavailableError,
    StoreUrlError,
)
from daemon.store.keys import alert_key, dedup_key, question_key
from daemon.store.migrations import LATEST_VERSION
from daemon.store.store import (
    AlertState,
    LeaderLock,
    OutboxEntry,
    Pack,
    PackKind,
    Question,
    QuestionStatus,
    Store,
    open_store,
)

__all__ = [
    "LATEST_VERSION",
    "AlertState",
    "InvalidRecordError",
    "LeaderLock",
    "OutboxEntry",
    "Pack",
    "PackKind",
    "Question",
    "QuestionStatus",
    "RecordNotFoundError",
    "SchemaVersionError",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "StoreUrlError",
    "alert_key",
    "dedup_key",
    "open_store",
    "question_key",
]
