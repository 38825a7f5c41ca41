"""Ordered schema migrations, applied by ``open_store`` under a lock, idempotently.

Each migration is frozen: it declares the tables as they were at its version (never the
runtime tables of ``schema.py``), so replaying it on an empty database always gives the same
result. Add new ones at the end of ``MIGRATIONS``; never edit or reorder a released one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import (
    Column,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
)

from daemon.store.errors import SchemaVersionError
from daemon.store.types import UtcDateTime

Migration = Callable[[Connection], None]

# any constant: two daemons starting against one PostgreSQL database migrate one at a time
_PG_MIGRATION_LOCK = 0x510_9E9

schema_version_metadata = MetaData()
schema_version = Table(
    "schema_version",
    schema_version_metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", Text, nullable=False),
)


def _v1_questions_packs_outbox(conn: Connection) -> None:
    md = MetaData()
    Table(
        "questions",
        md,
        Column("id", String(16), primary_key=True),
        Column("service", Text, nullable=False),
        Column("question", String(500), nullable=False),
        Column("deadline", Date, nullable=True),
        Column("horizon", Text, nullable=True),
        Column("asked_by", Text, nullable=False),
        Column("channel", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("status", String(16), nullable=False),
        Column("decided_option", Text, nullable=True),
        Column("decision_note", Text, nullable=True),
        Column("decided_at", UtcDateTime, nullable=True),
    )
    Table(
        "packs",
        md,
        Column("id", String(16), primary_key=True),
        Column("question_id", String(16), ForeignKey("questions.id"), nullable=True),
        Column("service", Text, nullable=False),
        Column("kind", String(16), nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("document", Text, nullable=False),
    )
    Table(
        "outbox",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("idempotency_key", String(500), nullable=False),
        Column("pack_id", String(16), ForeignKey("packs.id"), nullable=True),
        Column("channel", Text, nullable=False),
        Column("thread_of", Text, nullable=True),
        Column("payload", Text, nullable=False),
        Column("created_at", UtcDateTime, nullable=False),
        Column("posted_at", UtcDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        UniqueConstraint("idempotency_key", name="uq_outbox_idempotency_key"),
    )
    md.create_all(conn, checkfirst=False)


def _v2_alert_dedup_and_indexes(conn: Connection) -> None:
    md = MetaData()
    Table(
        "alert_dedup",
        md,
        Column("key", String(500), primary_key=True),
        Column("last_posted_at", UtcDateTime, nullable=False),
        Column("thread_ts", Text, nullable=True),
    )
    md.create_all(conn, checkfirst=False)
    # reflect-free index DDL: the columns exist since v1
    questions = Table("questions", MetaData(), Column("created_at", UtcDateTime))
    outbox = Table(
        "outbox",
        MetaData(),
        Column("posted_at", UtcDateTime),
        Column("created_at", UtcDateTime),
    )
    Index("ix_questions_created_at", questions.c.created_at).create(conn)
    Index("ix_outbox_pending", outbox.c.posted_at, outbox.c.created_at).create(conn)


def _v3_post_progress_alert_state(conn: Connection) -> None:
    # ALTER TABLE ADD COLUMN of nullable columns: the one DDL both backends run alike
    for table, column, kind in (
        ("outbox", "progress", "TEXT"),
        ("questions", "decided_by", "TEXT"),
        ("alert_dedup", "state", "VARCHAR(16)"),
        ("alert_dedup", "sources", "TEXT"),
        ("alert_dedup", "thread_key", "VARCHAR(500)"),
        ("alert_dedup", "service", "TEXT"),
        ("alert_dedup", "severity", "TEXT"),
    ):
        conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


MIGRATIONS: Sequence[Migration] = (
    _v1_questions_packs_outbox,
    _v2_alert_dedup_and_indexes,
    _v3_post_progress_alert_state,
)
LATEST_VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """The version the database is at (0 when it has no ``schema_version`` table)."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    return int(
        conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one()
    )


def migrate(conn: Connection, *, target: int = LATEST_VERSION) -> int:
    """Bring the database to ``target`` inside the caller's transaction; returns the version.

    Safe to run concurrently: PostgreSQL takes a transaction-scoped advisory lock, SQLite's
    transactions here start with ``BEGIN IMMEDIATE`` (one writer at a time), and the version is
    re-read under the lock, so a migration is never applied twice.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_PG_MIGRATION_LOCK)))
    schema_version_metadata.create_all(conn, checkfirst=True)
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise SchemaVersionError(
            f"database schema is at version {version}, newer than this slo-prep "
            f"(knows up to {LATEST_VERSION}): upgrade slo-prep"
        )
    for number in range(version + 1, target + 1):
        migration = MIGRATIONS[number - 1]
        migration(conn)
        conn.execute(
            insert(schema_version).values(version=number, name=migration.__name__.lstrip("_"))
        )
    return max(version, target)
