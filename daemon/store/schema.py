"""The tables at the latest schema version, for queries (DDL lives in ``migrations.py``)."""

from __future__ import annotations

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text

from daemon.store.types import UtcDateTime

metadata = MetaData()

QUESTION_TEXT_MAX = 500

questions = Table(
    "questions",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("service", Text, nullable=False),
    Column("question", String(QUESTION_TEXT_MAX), nullable=False),
    Column("deadline", Date, nullable=True),
    Column("horizon", Text, nullable=True),
    Column("asked_by", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_option", Text, nullable=True),
    Column("decision_note", Text, nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("decided_by", Text, nullable=True),
)

packs = Table(
    "packs",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("question_id", String(16), nullable=True),
    Column("service", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("document", Text, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(500), nullable=False, unique=True),
    Column("pack_id", String(16), nullable=True),
    Column("channel", Text, nullable=False),
    Column("thread_of", Text, nullable=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("posted_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    # JSON: what of a multi-message post already went out (parent ts, replies, chart), so a
    # retry after a crash or a Slack failure continues the thread instead of starting anew
    Column("progress", Text, nullable=True),
)

alert_dedup = Table(
    "alert_dedup",
    metadata,
    Column("key", String(500), primary_key=True),
    Column("last_posted_at", UtcDateTime, nullable=False),
    Column("thread_ts", Text, nullable=True),
    # "firing" or "resolved"; None for rows written before schema v3
    Column("state", String(16), nullable=True),
    # the sources currently reporting the alert firing, comma-separated and sorted
    Column("sources", Text, nullable=True),
    # the idempotency key of the announcement, whose thread a resolution replies in
    Column("thread_key", String(500), nullable=True),
    Column("service", Text, nullable=True),
    Column("severity", Text, nullable=True),
)
