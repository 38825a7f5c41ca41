"""The store against real SQLite and PostgreSQL databases (see conftest.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, inspect, select

from daemon.errors import SloPrepError
from daemon.store import (
    LATEST_VERSION,
    InvalidRecordError,
    RecordNotFoundError,
    SchemaVersionError,
    Store,
    StoreError,
    StoreUrlError,
    alert_key,
    dedup_key,
    open_store,
    question_key,
)
from daemon.store import schema as runtime_schema
from daemon.store.migrations import MIGRATIONS, migrate, schema_version
from daemon.store.store import engine_url

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
PAYLOAD = json.dumps({"text": "pack ready", "blocks": []})

HOSTILE = (
    "Can we go to 99.95% — or 99.9%? 🚀👩🏽‍💻 ‮RTL‬ "
    "'; DROP TABLE questions; -- \\ \" `x` %s %(x)s {0} \t\r\n"
    "日本語 עברית Ω≈ç√ \u200b\ufeff e\u0301 \U0001f4a9 \x7f\x01"
)


def _engine(url: str):  # type: ignore[no-untyped-def]
    return create_engine(engine_url(url))


def _version_rows(url: str) -> list[int]:
    engine = _engine(url)
    try:
        with engine.connect() as conn:
            return [r.version for r in conn.execute(select(schema_version.c.version))]
    finally:
        engine.dispose()


# -- migrations ------------------------------------------------------------------------------


def test_migrations_from_empty_then_reopen_is_idempotent(
    store_url: str, open_: Callable[[], Store]
) -> None:
    first = open_()
    first.close()
    assert _version_rows(store_url) == list(range(1, LATEST_VERSION + 1))
    second = open_()  # re-open: nothing applied twice, data kept
    second.add_question(service="checkout", question="q?", asked_by="u", channel="c", now=T0)
    second.close()
    third = open_()
    assert _version_rows(store_url) == list(range(1, LATEST_VERSION + 1))
    assert len(third.list_questions()) == 1


def test_migrated_schema_matches_runtime_tables(store: Store, store_url: str) -> None:
    engine = _engine(store_url)
    try:
        insp = inspect(engine)
        for table in runtime_schema.metadata.sorted_tables:
            columns = {c["name"] for c in insp.get_columns(table.name)}
            assert columns == set(table.c.keys()), table.name
    finally:
        engine.dispose()


def test_upgrade_from_version_1_keeps_data(store_url: str, open_: Callable[[], Store]) -> None:
    engine = _engine(store_url)
    try:
        with engine.begin() as conn:
            assert migrate(conn, target=1) == 1
            conn.execute(
                runtime_schema.outbox.insert().values(
                    idempotency_key="k1",
                    channel="#slo",
                    payload=PAYLOAD,
                    created_at=T0,
                    attempts=0,
                )
            )
        assert not inspect(engine).has_table("alert_dedup")
    finally:
        engine.dispose()
    store = open_()
    assert _version_rows(store_url) == list(range(1, LATEST_VERSION + 1))
    assert [e.idempotency_key for e in store.pending()] == ["k1"]
    # the v2 table with its v3 columns exists and works
    assert store.note_firing("x", source="evaluation", service="s", severity="page", now=T0)[1]


def test_database_newer_than_code_is_refused(store_url: str, open_: Callable[[], Store]) -> None:
    open_().close()
    engine = _engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(schema_version.insert().values(version=LATEST_VERSION + 1, name="future"))
    finally:
        engine.dispose()
    with pytest.raises(SchemaVersionError, match="newer than this slo-prep"):
        open_store(store_url)


def test_concurrent_opens_migrate_once(store_url: str) -> None:
    barrier = threading.Barrier(5)
    errors: list[BaseException] = []
    stores: list[Store] = []

    def worker() -> None:
        try:
            barrier.wait()
            stores.append(open_store(store_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in stores:
        s.close()
    assert errors == []
    assert _version_rows(store_url) == list(range(1, len(MIGRATIONS) + 1))


# -- questions -------------------------------------------------------------------------------


def test_question_round_trip_with_hostile_utf8(store: Store, open_: Callable[[], Store]) -> None:
    text = (HOSTILE * 10)[:500]
    assert len(text) == 500
    q = store.add_question(
        service="checkout-api ✓",
        question=text,
        asked_by="U024BE7LH",
        channel="C0123 #slo-négociation",
        now=T0,
        deadline=date(2026, 3, 31),
        horizon="90d",
    )
    assert q.id.startswith("Q-") and len(q.id) == 8
    store.close()
    got = open_().get_question(q.id)
    assert got == q
    assert got is not None
    assert got.question == text
    assert got.created_at == T0 and got.created_at.tzinfo is not None
    assert got.status == "open" and got.decided_at is None


def test_question_text_limits_are_the_same_on_both_backends(store: Store) -> None:
    common = {"service": "s", "asked_by": "u", "channel": "c", "now": T0}
    with pytest.raises(InvalidRecordError, match="at most 500"):
        store.add_question(question="x" * 501, **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError, match="NUL"):
        store.add_question(question="a\x00b", **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError, match="UTF-8"):
        store.add_question(question="lone \ud800 surrogate", **common)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError, match="naive"):
        store.add_question(
            question="q", service="s", asked_by="u", channel="c", now=T0.replace(tzinfo=None)
        )
    assert store.list_questions() == []
    assert issubclass(InvalidRecordError, SloPrepError)


def test_list_questions_most_recent_first(store: Store) -> None:
    ids = [
        store.add_question(
            service="checkout" if i % 2 else "search",
            question=f"q{i}",
            asked_by="u",
            channel="c",
            now=T0 + timedelta(minutes=i),
        ).id
        for i in (3, 0, 4, 1, 2)  # inserted out of order on purpose
    ]
    by_minute = dict(zip((3, 0, 4, 1, 2), ids, strict=True))
    listed = store.list_questions()
    assert [q.id for q in listed] == [by_minute[i] for i in (4, 3, 2, 1, 0)]
    assert [q.question for q in store.list_questions(service="checkout")] == ["q3", "q1"]
    assert [q.question for q in store.list_questions(limit=2)] == ["q4", "q3"]


def test_decide_and_cancel(store: Store) -> None:
    a = store.add_question(service="s", question="a", asked_by="u", channel="c", now=T0)
    b = store.add_question(service="s", question="b", asked_by="u", channel="c", now=T0)
    later = T0 + timedelta(days=2)
    decided = store.decide_question(a.id, option="99.9", note="agreed in review", now=later)
    assert (decided.status, decided.decided_option, decided.decided_at) == (
        "decided",
        "99.9",
        later,
    )
    with pytest.raises(StoreError, match="already decided"):
        store.decide_question(a.id, option="99.5", now=later)
    assert store.cancel_question(b.id, now=later).status == "cancelled"
    assert [q.id for q in store.list_questions(status="open")] == []
    with pytest.raises(RecordNotFoundError):
        store.decide_question("Q-NOPE00", option="x", now=later)


def test_packs(store: Store) -> None:
    q = store.add_question(service="s", question="a", asked_by="u", channel="c", now=T0)
    doc = json.dumps({"service": "s", "note": HOSTILE.replace("\x00", "")}, ensure_ascii=False)
    reg = store.add_pack(kind="registration", service="s", document=doc, now=T0, question_id=q.id)
    ref = store.add_pack(
        kind="refresh", service="s", document="{}", now=T0 + timedelta(days=1), question_id=q.id
    )
    alert = store.add_pack(kind="alert", service="s", document="{}", now=T0)
    assert alert.question_id is None
    assert store.get_pack(reg.id) == reg
    assert json.loads(reg.document)["note"] == json.loads(doc)["note"]
    assert [p.id for p in store.packs_for_question(q.id)] == [reg.id, ref.id]
    with pytest.raises(InvalidRecordError):
        store.add_pack(kind="draft", service="s", document="{}", now=T0)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError, match="not JSON"):
        store.add_pack(kind="alert", service="s", document="{nope", now=T0)
    with pytest.raises(RecordNotFoundError):
        store.add_pack(kind="refresh", service="s", document="{}", now=T0, question_id="Q-NONE00")


# -- outbox ----------------------------------------------------------------------------------


def test_enqueue_same_key_twice_gives_one_row(store: Store) -> None:
    key = question_key("Q-ABC234", 0)
    first, created = store.enqueue(key, channel="#slo", payload=PAYLOAD, now=T0)
    assert created
    again, created_again = store.enqueue(
        key, channel="#other", payload="{}", now=T0 + timedelta(minutes=5)
    )
    assert not created_again
    assert again == first  # the existing entry, not the second call's values
    assert [e.id for e in store.pending()] == [first.id]


def test_crash_before_posting_leaves_entry_pending(
    store: Store, open_: Callable[[], Store]
) -> None:
    entry, _ = store.enqueue(
        alert_key("fp123", "page", T0), channel="#oncall", payload=PAYLOAD, now=T0
    )
    store.close()  # "crash": never marked
    reopened = open_()
    assert [e.id for e in reopened.pending()] == [entry.id]
    failed = reopened.mark_failed(entry.id, "slack: rate_limited")
    assert (failed.attempts, failed.last_error, failed.posted_at) == (
        1,
        "slack: rate_limited",
        None,
    )
    assert [e.id for e in reopened.pending()] == [entry.id]
    posted_at = T0 + timedelta(seconds=30)
    posted = reopened.mark_posted(entry.id, posted_at)
    assert posted.posted_at == posted_at
    assert reopened.pending() == []
    reopened.close()
    assert open_().pending() == []
    with pytest.raises(RecordNotFoundError):
        open_().mark_posted(entry.id + 1000, posted_at)


def test_pending_is_oldest_first(store: Store) -> None:
    for i in (2, 0, 1):
        store.enqueue(f"k{i}", channel="c", payload="{}", now=T0 + timedelta(seconds=i))
    assert [e.idempotency_key for e in store.pending()] == ["k0", "k1", "k2"]
    assert [e.idempotency_key for e in store.pending(limit=1)] == ["k0"]


def test_concurrent_enqueue_of_one_key_from_10_threads(
    store: Store, store_url: str, open_: Callable[[], Store]
) -> None:
    stores = [open_() for _ in range(10)]  # one store (pool) per thread, like 10 daemons
    barrier = threading.Barrier(10)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []
    key = question_key("Q-RACE22", 3)

    def worker(s: Store, n: int) -> None:
        try:
            barrier.wait()
            entry, created = s.enqueue(key, channel="c", payload=json.dumps({"n": n}), now=T0)
            results.append((entry.id, created))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(s, n)) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) == 10
    assert len({entry_id for entry_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    engine = _engine(store_url)
    try:
        with engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(runtime_schema.outbox))
            assert count.scalar_one() == 1
    finally:
        engine.dispose()


# -- alert dedup -----------------------------------------------------------------------------


def test_an_alert_is_announced_once_then_again_after_resolving_and_an_hour(
    store: Store,
) -> None:
    key = dedup_key(None, "checkout", "page")
    common = {"service": "checkout", "severity": "page"}
    state, announce = store.note_firing(key, source="evaluation", now=T0, **common)
    assert announce and state.state == "firing" and state.source_set == {"evaluation"}
    # a second source, or the same one again, while it fires: no second announcement
    _, announce = store.note_firing(key, source="alertmanager", now=T0, **common)
    assert not announce
    _, announce = store.note_firing(key, source="evaluation", now=T0 + timedelta(hours=3), **common)
    assert not announce
    assert store.get_alert(key).source_set == {"evaluation", "alertmanager"}  # type: ignore[union-attr]
    assert [a.key for a in store.alerts_firing_from("alertmanager")] == [key]
    # resolved only when the last source lets go
    assert store.note_resolved(key, source="evaluation")[1] is False
    state, resolved = store.note_resolved(key, source="alertmanager")
    assert resolved and state is not None and state.state == "resolved"
    assert store.note_resolved(key, source="alertmanager")[1] is False  # once
    assert store.alerts_firing_from("alertmanager") == []
    # firing again within the hour of the announcement: kept quiet; an hour on: announced
    _, announce = store.note_firing(
        key, source="evaluation", now=T0 + timedelta(minutes=59), **common
    )
    assert not announce
    store.note_resolved(key, source="evaluation")
    state, announce = store.note_firing(
        key, source="evaluation", now=T0 + timedelta(hours=1), **common
    )
    assert announce and state.last_posted_at == T0 + timedelta(hours=1)
    _other, announce = store.note_firing(
        dedup_key(None, "checkout", "ticket"), source="evaluation", now=T0, **common
    )
    assert announce  # another severity is another alert
    store.set_alert_thread(key, "alert:checkout:page:2026")
    assert store.get_alert(key).thread_key == "alert:checkout:page:2026"  # type: ignore[union-attr]
    assert store.note_resolved("never-seen", source="evaluation") == (None, False)


def test_one_leader_at_a_time(store: Store, open_: Callable[[], Store]) -> None:
    first, second = store.leader_lock(42), open_().leader_lock(42)
    assert first.try_acquire()
    assert first.try_acquire()  # re-checking keeps it
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()


# -- keys and URLs (backend-independent, run on both for uniformity) -------------------------


def test_keys_are_unambiguous(store_url: str) -> None:
    assert question_key("a:b", 1) != question_key("a", 1)
    assert dedup_key(None, "a:b", "c") != dedup_key(None, "a", "b:c")
    assert dedup_key("fp", "s", "page") == "fp:fp"
    h = datetime(2026, 3, 2, 10, 59, tzinfo=UTC)
    assert alert_key("svc", "page", h) == alert_key("svc", "page", h.replace(minute=0))
    assert alert_key("svc", "page", h) != alert_key("svc", "page", h + timedelta(minutes=1))
    with pytest.raises(ValueError):
        question_key("Q-1", -1)
    with pytest.raises(ValueError):
        alert_key("svc", "page", h.replace(tzinfo=None))


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("sqlite:///slo-prep.db", "sqlite+pysqlite"),
        ("sqlite:////data/slo-prep.db", "sqlite+pysqlite"),
        ("postgresql://u:p@db:5432/slo", "postgresql+psycopg"),
        ("postgres://u:p@db/slo", "postgresql+psycopg"),
    ],
)
def test_store_url_mapping(url: str, driver: str) -> None:
    assert engine_url(url).drivername == driver


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "postgresql+psycopg2://h/db", "x"]
)
def test_bad_store_urls(url: str) -> None:
    with pytest.raises(StoreUrlError):
        engine_url(url)


def test_unreachable_postgres_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unavailable") as info:
        open_store("postgresql://nobody:secret@127.0.0.1:1/nothing")
    assert "secret" not in str(info.value)
