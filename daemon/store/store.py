"""The daemon's store: questions, packs, the outbox and alert dedup, on SQLite or PostgreSQL.

One code path for both backends (SQLAlchemy Core); the only dialect switch is which
``INSERT ... ON CONFLICT`` construct to build. Each public method is one transaction.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol, get_args

from sqlalchemy import (
    Connection,
    Engine,
    RowMapping,
    Table,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import URL, make_url

from daemon.store import schema
from daemon.store.durability import WalSync
from daemon.store.errors import (
    InvalidRecordError,
    RecordNotFoundError,
    StoreError,
    StoreUnavailableError,
    StoreUrlError,
)
from daemon.store.migrations import migrate

QuestionStatus = Literal["open", "decided", "cancelled"]
PackKind = Literal["registration", "refresh", "alert"]
PACK_KINDS: tuple[str, ...] = get_args(PackKind)

_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: ids are typed by people
_SQLITE_BUSY_TIMEOUT_S = 30.0
_READ_ONLY = "slo_prep_read_only"
# the daemon's HTTP threads (32) and work threads (8) read at once in a burst of commands
_SQLITE_POOL = 40
_LAST_ERROR_MAX = 2000

# both dialects' INSERT has on_conflict_do_nothing/_do_update and .excluded
_UpsertInsert = pg_dialect.Insert | sqlite_dialect.Insert


@dataclass(frozen=True)
class Question:
    id: str
    service: str
    question: str
    deadline: date | None
    horizon: str | None
    asked_by: str
    channel: str
    created_at: datetime
    status: QuestionStatus
    decided_option: str | None
    decision_note: str | None
    decided_at: datetime | None
    decided_by: str | None = None


@dataclass(frozen=True)
class Pack:
    id: str
    question_id: str | None
    service: str
    kind: PackKind
    created_at: datetime
    document: str


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    idempotency_key: str
    pack_id: str | None
    channel: str
    thread_of: str | None
    payload: str
    created_at: datetime
    posted_at: datetime | None
    attempts: int
    last_error: str | None
    progress: str | None = None


@dataclass(frozen=True)
class AlertState:
    """One alert (by dedup key) as the daemon remembers it across cycles and restarts."""

    key: str
    last_posted_at: datetime
    thread_ts: str | None
    state: str | None
    sources: str | None
    thread_key: str | None
    service: str | None
    severity: str | None

    @property
    def source_set(self) -> frozenset[str]:
        return frozenset(s for s in (self.sources or "").split(",") if s)


def _new_id(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _check_text(field: str, value: str, *, max_len: int | None = None) -> None:
    if "\x00" in value:
        # PostgreSQL text cannot hold NUL; refused on both backends so they behave alike
        raise InvalidRecordError(f"{field}: NUL character (U+0000) cannot be stored")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRecordError(f"{field}: not valid UTF-8 ({exc.reason})") from exc
    if max_len is not None and len(value) > max_len:
        raise InvalidRecordError(f"{field}: {len(value)} characters, at most {max_len}")


def _check_time(field: str, value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecordError(f"{field}: naive datetime {value!r}, pass an aware one")
    return value.astimezone(UTC)


def _check_json(field: str, value: str) -> None:
    _check_text(field, value)
    try:
        json.loads(value)
    except ValueError as exc:
        raise InvalidRecordError(f"{field}: not JSON ({exc})") from exc


def engine_url(url: str) -> URL:
    """``store.url`` to the SQLAlchemy URL actually used (``postgresql://`` -> psycopg 3)."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError as exc:
        raise StoreUrlError(f"store.url {url!r} is not a database URL") from exc
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if not parsed.database or parsed.database == ":memory:":
            raise StoreUrlError(
                "store.url: an in-memory SQLite database would lose everything at exit; "
                "give a file, e.g. sqlite:///slo-prep.db"
            )
        return parsed.set(drivername="sqlite+pysqlite")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        if not parsed.database:
            raise StoreUrlError("store.url: a PostgreSQL URL must name the database")
        return parsed.set(drivername="postgresql+psycopg")
    raise StoreUrlError(
        f"store.url scheme {parsed.drivername!r} is not supported: "
        "use sqlite:///path or postgresql://user:pass@host:port/db"
    )


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(str(url.database)).expanduser().resolve()


def _make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        parent = Path(url.database).expanduser().resolve().parent
        if not parent.is_dir():
            raise StoreUnavailableError(
                f"store.url: directory {parent} does not exist (the database file is created, "
                "its directory is not)"
            )
        # connections are kept, not opened per burst: each new one costs a file open and its
        # PRAGMAs, and a burst of slash commands reads on many threads at once
        engine = create_engine(
            url,
            connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S},
            pool_size=_SQLITE_POOL,
            max_overflow=_SQLITE_POOL,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
            # let SQLAlchemy own transactions (pysqlite's implicit BEGIN skips DDL)
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # commits are made durable by the store's group commit (durability.py)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            if conn.get_execution_options().get(_READ_ONLY):
                # a snapshot: in WAL mode readers neither wait for the writer nor block it
                conn.exec_driver_sql("BEGIN DEFERRED")
                return
            # take the write lock up front: two writers never deadlock upgrading read locks
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _wrap(exc: sa_exc.SQLAlchemyError, what: str) -> StoreError:
    if isinstance(exc, sa_exc.StatementError) and isinstance(exc.orig, ValueError):
        return InvalidRecordError(f"{what}: {exc.orig}")
    if isinstance(exc, sa_exc.DataError):
        return InvalidRecordError(f"{what}: {exc.orig}")
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return StoreUnavailableError(f"{what}: database unavailable: {exc.orig}")
    if isinstance(exc, sa_exc.TimeoutError):
        return StoreUnavailableError(f"{what}: no free database connection: {exc}")
    if isinstance(exc, sa_exc.IntegrityError):
        return StoreError(f"{what}: constraint violated: {exc.orig}")
    return StoreError(f"{what}: {exc}")


def _changes(conn: Connection) -> int:
    """Rows changed so far on this SQLite connection (0 elsewhere: only SQLite needs it)."""
    raw = conn.connection.dbapi_connection
    return int(getattr(raw, "total_changes", 0))


class Store:
    """Open with ``open_store(url)``; thread-safe (one pooled connection per transaction)."""

    def __init__(self, engine: Engine, display_url: str) -> None:
        self._engine = engine
        self.url = display_url  # password hidden
        dialect = engine.dialect.name
        database = _sqlite_file(engine.url)
        self._wal = WalSync(database) if database is not None else None
        # SQLite has one writer at a time, and a connection that finds the file locked sleeps
        # in steps of up to 100 ms before it tries again: threads of this process queue here
        # instead, and are served as soon as the lock is free (other processes still meet the
        # busy timeout)
        self._serial: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if dialect == "sqlite" else contextlib.nullcontext()
        )
        self._insert: Callable[[Table], _UpsertInsert]
        if dialect == "postgresql":
            self._insert = pg_dialect.insert
        else:
            self._insert = sqlite_dialect.insert

    @contextmanager
    def _tx(self, what: str) -> Iterator[Connection]:
        ticket: int | None = None
        try:
            with self._serial:
                with self._engine.begin() as conn:
                    before = _changes(conn)
                    yield conn
                    wrote = _changes(conn) != before
                if wrote and self._wal is not None:
                    ticket = self._wal.committed()
        except sa_exc.SQLAlchemyError as exc:
            raise _wrap(exc, what) from exc
        if ticket is not None and self._wal is not None:
            try:
                self._wal.sync(ticket)
            except OSError as exc:
                raise StoreUnavailableError(f"{what}: could not sync the database: {exc}") from exc

    @contextmanager
    def _read(self, what: str) -> Iterator[Connection]:
        """A read-only transaction: on a SQLite file it does not queue behind the writers."""
        if self._wal is None:
            with self._tx(what) as conn:
                yield conn
            return
        try:
            with (
                self._engine.connect().execution_options(**{_READ_ONLY: True}) as conn,
                conn.begin(),
            ):
                yield conn
        except sa_exc.SQLAlchemyError as exc:
            raise _wrap(exc, what) from exc

    def close(self) -> None:
        """Release every pooled connection; committed work is already durable."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- questions ---------------------------------------------------------------------------

    def add_question(
        self,
        *,
        service: str,
        question: str,
        asked_by: str,
        channel: str,
        now: datetime,
        deadline: date | None = None,
        horizon: str | None = None,
    ) -> Question:
        """Record a new open question under a fresh ``Q-XXXXXX`` id."""
        _check_text("question", question, max_len=schema.QUESTION_TEXT_MAX)
        if not question.strip():
            raise InvalidRecordError("question: empty")
        for field, value in (("service", service), ("asked_by", asked_by), ("channel", channel)):
            _check_text(field, value)
        if horizon is not None:
            _check_text("horizon", horizon)
        now = _check_time("now", now)
        with self._tx("add_question") as conn:
            for _ in range(8):
                row = {
                    "id": _new_id("Q-", 6),
                    "service": service,
                    "question": question,
                    "deadline": deadline,
                    "horizon": horizon,
                    "asked_by": asked_by,
                    "channel": channel,
                    "created_at": now,
                    "status": "open",
                }
                stmt = (
                    self._insert(schema.questions)
                    .values(row)
                    .on_conflict_do_nothing()
                    .returning(schema.questions.c.id)
                )
                # RETURNING, not rowcount: psycopg may report -1 for ON CONFLICT inserts
                if conn.execute(stmt).first() is not None:
                    return self._question(conn, str(row["id"]))
        raise StoreError("add_question: no free question id after 8 tries")

    def get_question(self, question_id: str) -> Question | None:
        with self._read("get_question") as conn:
            row = conn.execute(
                select(schema.questions).where(schema.questions.c.id == question_id)
            ).first()
            return None if row is None else _question_of(row._mapping)

    def list_questions(
        self,
        *,
        service: str | None = None,
        status: QuestionStatus | None = None,
        limit: int | None = None,
    ) -> list[Question]:
        """Most recent first (ties broken by id, so the order is stable)."""
        q = schema.questions
        stmt = select(q).order_by(q.c.created_at.desc(), q.c.id.desc())
        if service is not None:
            stmt = stmt.where(q.c.service == service)
        if status is not None:
            stmt = stmt.where(q.c.status == status)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read("list_questions") as conn:
            return [_question_of(row._mapping) for row in conn.execute(stmt)]

    def decide_question(
        self,
        question_id: str,
        *,
        option: str,
        now: datetime,
        note: str | None = None,
        by: str | None = None,
    ) -> Question:
        """Close an open question with the option chosen; deciding twice is refused."""
        _check_text("decided_option", option)
        if note is not None:
            _check_text("decision_note", note)
        if by is not None:
            _check_text("decided_by", by)
        return self._close_question(question_id, "decided", option, note, now, by)

    def cancel_question(
        self, question_id: str, *, now: datetime, note: str | None = None
    ) -> Question:
        if note is not None:
            _check_text("decision_note", note)
        return self._close_question(question_id, "cancelled", None, note, now, None)

    def _close_question(
        self,
        question_id: str,
        status: QuestionStatus,
        option: str | None,
        note: str | None,
        now: datetime,
        by: str | None,
    ) -> Question:
        now = _check_time("now", now)
        q = schema.questions
        with self._tx(f"{status} question") as conn:
            result = conn.execute(
                update(q)
                .where(q.c.id == question_id, q.c.status == "open")
                .values(
                    status=status,
                    decided_option=option,
                    decision_note=note,
                    decided_at=now,
                    decided_by=by,
                )
                .returning(q.c.id)
            )
            if result.first() is not None:
                return self._question(conn, question_id)
            current = conn.execute(select(q.c.status).where(q.c.id == question_id)).first()
        if current is None:
            raise RecordNotFoundError(f"question {question_id} does not exist")
        raise StoreError(f"question {question_id} is already {current.status}")

    def _question(self, conn: Connection, question_id: str) -> Question:
        row = conn.execute(
            select(schema.questions).where(schema.questions.c.id == question_id)
        ).one()
        return _question_of(row._mapping)

    # -- packs -------------------------------------------------------------------------------

    def add_pack(
        self,
        *,
        kind: PackKind,
        service: str,
        document: str,
        now: datetime,
        question_id: str | None = None,
    ) -> Pack:
        """Store a drafted pack (``document`` is the pack JSON); alert packs have no question."""
        if kind not in PACK_KINDS:
            raise InvalidRecordError(f"kind: {kind!r} is not one of {', '.join(PACK_KINDS)}")
        _check_text("service", service)
        _check_json("document", document)
        now = _check_time("now", now)
        with self._tx("add_pack") as conn:
            if question_id is not None:
                exists = conn.execute(
                    select(schema.questions.c.id).where(schema.questions.c.id == question_id)
                ).first()
                if exists is None:
                    raise RecordNotFoundError(f"question {question_id} does not exist")
            for _ in range(8):
                row = {
                    "id": _new_id("P-", 8),
                    "question_id": question_id,
                    "service": service,
                    "kind": kind,
                    "created_at": now,
                    "document": document,
                }
                stmt = (
                    self._insert(schema.packs)
                    .values(row)
                    .on_conflict_do_nothing()
                    .returning(schema.packs.c.id)
                )
                if conn.execute(stmt).first() is not None:
                    return Pack(**row)  # type: ignore[arg-type]
        raise StoreError("add_pack: no free pack id after 8 tries")

    def get_pack(self, pack_id: str) -> Pack | None:
        with self._read("get_pack") as conn:
            row = conn.execute(select(schema.packs).where(schema.packs.c.id == pack_id)).first()
            return None if row is None else _pack_of(row._mapping)

    def packs_for_question(self, question_id: str) -> list[Pack]:
        """Oldest first: the registration pack, then its refreshes."""
        p = schema.packs
        stmt = select(p).where(p.c.question_id == question_id).order_by(p.c.created_at, p.c.id)
        with self._read("packs_for_question") as conn:
            return [_pack_of(row._mapping) for row in conn.execute(stmt)]

    # -- outbox ------------------------------------------------------------------------------

    def enqueue(
        self,
        key: str,
        *,
        channel: str,
        payload: str,
        now: datetime,
        pack_id: str | None = None,
        thread_of: str | None = None,
    ) -> tuple[OutboxEntry, bool]:
        """Queue a message once per ``key``: ``(entry, created)``; a repeat returns the first.

        Safe under concurrency: the insert is ``ON CONFLICT DO NOTHING`` on the UNIQUE key,
        so racing callers get one row and all of them see it.
        """
        _check_text("idempotency_key", key, max_len=500)
        _check_text("channel", channel)
        if thread_of is not None:
            _check_text("thread_of", thread_of)
        _check_json("payload", payload)
        now = _check_time("now", now)
        o = schema.outbox
        stmt = (
            self._insert(o)
            .values(
                idempotency_key=key,
                pack_id=pack_id,
                channel=channel,
                thread_of=thread_of,
                payload=payload,
                created_at=now,
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=[o.c.idempotency_key])
            .returning(o.c.id)
        )
        with self._tx("enqueue") as conn:
            created = conn.execute(stmt).first() is not None
            row = conn.execute(select(o).where(o.c.idempotency_key == key)).one()
            return _entry_of(row._mapping), created

    def pending(self, *, limit: int | None = None, channel: str | None = None) -> list[OutboxEntry]:
        """Entries not posted yet (to ``channel``, or anywhere), oldest first."""
        o = schema.outbox
        stmt = select(o).where(o.c.posted_at.is_(None)).order_by(o.c.created_at, o.c.id)
        if channel is not None:
            stmt = stmt.where(o.c.channel == channel)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._read("pending") as conn:
            return [_entry_of(row._mapping) for row in conn.execute(stmt)]

    def get_entry(self, entry_id: int) -> OutboxEntry | None:
        o = schema.outbox
        with self._read("get_entry") as conn:
            row = conn.execute(select(o).where(o.c.id == entry_id)).first()
            return None if row is None else _entry_of(row._mapping)

    def mark_posted(self, entry_id: int, ts: datetime) -> OutboxEntry:
        """Record the post; marking an already posted entry keeps its first ``posted_at``."""
        ts = _check_time("ts", ts)
        o = schema.outbox
        with self._tx("mark_posted") as conn:
            conn.execute(
                update(o).where(o.c.id == entry_id, o.c.posted_at.is_(None)).values(posted_at=ts)
            )
            return self._entry(conn, entry_id)

    def mark_failed(self, entry_id: int, error: str) -> OutboxEntry:
        """Count a failed attempt; the entry stays pending."""
        error = error.replace("\x00", "\\0")[:_LAST_ERROR_MAX]
        _check_text("error", error)
        o = schema.outbox
        with self._tx("mark_failed") as conn:
            conn.execute(
                update(o)
                .where(o.c.id == entry_id)
                .values(attempts=o.c.attempts + 1, last_error=error)
            )
            return self._entry(conn, entry_id)

    def save_progress(self, entry_id: int, progress: str) -> None:
        """Remember what of a multi-message post already went out (JSON)."""
        _check_json("progress", progress)
        o = schema.outbox
        with self._tx("save_progress") as conn:
            conn.execute(update(o).where(o.c.id == entry_id).values(progress=progress))

    def get_entry_by_key(self, key: str) -> OutboxEntry | None:
        o = schema.outbox
        with self._read("get_entry_by_key") as conn:
            row = conn.execute(select(o).where(o.c.idempotency_key == key)).first()
            return None if row is None else _entry_of(row._mapping)

    def pending_channels(self) -> list[str]:
        """The channels with entries not posted yet."""
        o = schema.outbox
        stmt = select(o.c.channel).where(o.c.posted_at.is_(None)).distinct()
        with self._read("pending_channels") as conn:
            return [str(row[0]) for row in conn.execute(stmt)]

    def outbox_depth(self) -> tuple[int, datetime | None]:
        """How many entries wait to be posted, and when the oldest of them was stored."""
        o = schema.outbox
        stmt = select(func.count(), func.min(o.c.created_at)).where(o.c.posted_at.is_(None))
        with self._read("outbox_depth") as conn:
            count, oldest = conn.execute(stmt).one()
        return int(count), oldest

    def _entry(self, conn: Connection, entry_id: int) -> OutboxEntry:
        row = conn.execute(select(schema.outbox).where(schema.outbox.c.id == entry_id)).first()
        if row is None:
            raise RecordNotFoundError(f"outbox entry {entry_id} does not exist")
        return _entry_of(row._mapping)

    # -- alert state ----------------------------------------------------------------------------

    def get_alert(self, key: str) -> AlertState | None:
        d = schema.alert_dedup
        with self._read("get_alert") as conn:
            row = conn.execute(select(d).where(d.c.key == key)).first()
            return None if row is None else _alert_of(row._mapping)

    def alerts_firing_from(self, source: str) -> list[AlertState]:
        """Alerts ``source`` reported firing and has not reported resolved since."""
        d = schema.alert_dedup
        with self._read("alerts_firing_from") as conn:
            rows = conn.execute(select(d).where(d.c.state == "firing")).all()
        alerts = [_alert_of(row._mapping) for row in rows]
        return [a for a in alerts if source in a.source_set]

    def note_firing(
        self,
        key: str,
        *,
        source: str,
        service: str,
        severity: str,
        now: datetime,
        within: timedelta = timedelta(hours=1),
    ) -> tuple[AlertState, bool]:
        """Record that ``source`` sees the alert firing: ``(state, announce)``.

        ``announce`` is True for an alert never seen, and for one that had resolved and fires
        again at least ``within`` after the last announcement; then ``last_posted_at`` becomes
        ``now``. One transaction, under a row lock on PostgreSQL and the write lock on SQLite,
        so two sources reporting the same alert at once announce it once."""
        _check_text("key", key, max_len=500)
        _check_text("source", source)
        now = _check_time("now", now)
        d = schema.alert_dedup
        with self._tx("note_firing") as conn:
            row = conn.execute(select(d).where(d.c.key == key).with_for_update()).first()
            if row is None:
                inserted = conn.execute(
                    self._insert(d)
                    .values(
                        key=key,
                        last_posted_at=now,
                        state="firing",
                        sources=source,
                        service=service,
                        severity=severity,
                    )
                    .on_conflict_do_nothing()
                    .returning(d.c.key)
                ).first()
                if inserted is not None:
                    return self._alert(conn, key), True
                row = conn.execute(select(d).where(d.c.key == key).with_for_update()).one()
            current = _alert_of(row._mapping)
            announce = current.state != "firing" and now - current.last_posted_at >= within
            values: dict[str, Any] = {
                "state": "firing",
                "sources": ",".join(sorted(current.source_set | {source})),
            }
            if announce:
                values["last_posted_at"] = now
            conn.execute(update(d).where(d.c.key == key).values(**values))
            return self._alert(conn, key), announce

    def note_resolved(self, key: str, *, source: str) -> tuple[AlertState | None, bool]:
        """Record that ``source`` no longer sees the alert: ``(state, resolved)``; ``resolved``
        is True when that was the last source seeing it firing (post the resolution then)."""
        d = schema.alert_dedup
        with self._tx("note_resolved") as conn:
            row = conn.execute(select(d).where(d.c.key == key).with_for_update()).first()
            if row is None:
                return None, False
            current = _alert_of(row._mapping)
            left = current.source_set - {source}
            resolved = current.state == "firing" and not left
            values: dict[str, Any] = {"sources": ",".join(sorted(left))}
            if resolved:
                values["state"] = "resolved"
            conn.execute(update(d).where(d.c.key == key).values(**values))
            return self._alert(conn, key), resolved

    def set_alert_thread(self, key: str, thread_key: str) -> None:
        """The outbox key of the alert's announcement (its resolution replies in that thread)."""
        _check_text("thread_key", thread_key, max_len=500)
        d = schema.alert_dedup
        with self._tx("set_alert_thread") as conn:
            conn.execute(update(d).where(d.c.key == key).values(thread_key=thread_key))

    def _alert(self, conn: Connection, key: str) -> AlertState:
        d = schema.alert_dedup
        return _alert_of(conn.execute(select(d).where(d.c.key == key)).one()._mapping)

    # -- leadership ----------------------------------------------------------------------------

    def leader_lock(self, name: int) -> LeaderLock:
        """A lock only one process holds at a time, released when the process dies (even by
        ``kill -9``): a PostgreSQL session advisory lock on a connection of its own, or on
        SQLite an ``flock`` on a file next to the database."""
        if self._engine.dialect.name == "postgresql":
            return _AdvisoryLock(self._engine, name)
        database = self._engine.url.database
        assert database is not None
        return _FileLock(Path(database).expanduser().resolve().with_suffix(".leader"))


class LeaderLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if free; True while this process holds it (and it is still valid)."""

    def release(self) -> None: ...


class _AdvisoryLock:
    def __init__(self, engine: Engine, name: int) -> None:
        self._engine = engine
        self._name = name
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            try:  # still ours while the session lives
                self._conn.execute(select(1)).scalar()
                self._conn.commit()
                return True
            except sa_exc.SQLAlchemyError:
                self._drop()
                return False
        try:
            conn = self._engine.connect()
        except sa_exc.SQLAlchemyError:
            return False
        try:
            got = bool(conn.execute(select(func.pg_try_advisory_lock(self._name))).scalar())
            conn.commit()
        except sa_exc.SQLAlchemyError:
            got = False
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(select(func.pg_advisory_unlock(self._name)))
            self._conn.commit()
        except sa_exc.SQLAlchemyError:
            pass  # the session is gone, and the lock with it
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sa_exc.SQLAlchemyError):
                conn.close()


class _FileLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing drops the flock


def _alert_of(row: RowMapping) -> AlertState:
    return AlertState(**{str(k): v for k, v in row.items()})


def _question_of(row: RowMapping) -> Question:
    return Question(**{str(k): v for k, v in row.items()})


def _pack_of(row: RowMapping) -> Pack:
    return Pack(**{str(k): v for k, v in row.items()})


def _entry_of(row: RowMapping) -> OutboxEntry:
    return OutboxEntry(**{str(k): v for k, v in row.items()})


def open_store(url: str) -> Store:
    """Connect to ``store.url``, create the database file or tables, run pending migrations."""
    sa_url = engine_url(url)
    display = sa_url.render_as_string(hide_password=True)
    engine = _make_engine(sa_url)
    store = Store(engine, display)
    try:
        with store._tx(f"migrating {display}") as conn:
            migrate(conn)
    except BaseException:
        engine.dispose()
        raise
    return store
