"""Every store test runs twice: on a temp SQLite file and on a real PostgreSQL database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.store import Store, open_store
from tests.store.postgres_server import PostgresServer, PostgresUnavailable

_timings: dict[str, float] = {}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A real PostgreSQL started once per session; a missing install FAILS, never skips."""
    try:
        server = PostgresServer()
        server.start()
    except PostgresUnavailable as exc:
        pytest.fail(f"cannot start PostgreSQL for tests/store: {exc}", pytrace=False)
    _timings["postgres fixture start"] = server.start_seconds
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'slo-prep.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def open_(store_url: str) -> Iterator[Callable[[], Store]]:
    """Opens stores on ``store_url``, closing every one of them at teardown."""
    opened: list[Store] = []

    def _open() -> Store:
        store = open_store(store_url)
        opened.append(store)
        return store

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(open_: Callable[[], Store]) -> Store:
    return open_()


@pytest.fixture(scope="session", autouse=True)
def _session_clock() -> Iterator[None]:
    t0 = time.monotonic()
    yield
    _timings["tests/store session"] = time.monotonic() - t0


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _timings:
        terminalreporter.section("store timings")
        for what, seconds in _timings.items():
            terminalreporter.write_line(f"{what}: {seconds:.2f}s")
