"""The PagerDuty adapter against the loopback fake, whose every request and answer is checked
against PagerDuty's published OpenAPI spec."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from collectors.pagerduty import PagerDutyCollector, connect
from daemon.errors import PermanentCollectorError, TransientCollectorError
from tests.support.fake_pagerduty import FakePagerDuty, fake_pagerduty, incident, note
from tests.support.tls import Tls

AT = datetime(2026, 11, 16, tzinfo=UTC)
TOKEN = "test-token"


def _incidents(n: int, start: datetime, step: timedelta, service: str = "PSVC1") -> list[dict]:
    return [
        incident(
            f"Q{k:06d}",
            k + 1,
            f"incident {k}",
            start + k * step,
            start + k * step + timedelta(minutes=10) if k % 7 else None,
            service,
        )
        for k in range(n)
    ]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _collector(fake: FakePagerDuty, tls: Tls, sleeps: Sleeps, **kw: object) -> PagerDutyCollector:
    settings = {"timeout_seconds": 5, "retries": 2, "max_wait_seconds": 30.0, **kw}
    pd = connect(fake.url, TOKEN, ca_file=str(tls.cert), **settings)  # type: ignore[arg-type]
    pd.sleep = sleeps
    return pd


@pytest.fixture
def small(tls: Tls) -> Iterator[FakePagerDuty]:
    with fake_pagerduty(_incidents(250, AT - timedelta(days=20), timedelta(hours=1)), tls=tls) as f:
        yield f


def test_pages_are_followed_and_requests_conform(
    small: FakePagerDuty, tls: Tls, sleeps: Sleeps
) -> None:
    pd = _collector(small, tls, sleeps)
    got = pd.incidents(["PSVC1"], AT - timedelta(days=30), AT)
    assert [i.number for i in got] == list(range(1, 251))
    assert len(small.requests) == 3 == len(pd.requests)
    assert [r.query["offset"] for r in small.requests] == [["0"], ["100"], ["200"]]
    assert small.violations == []
    first = got[0]
    assert first.created_at == AT - timedelta(days=20) and first.resolved_at is None
    assert first.status != "resolved" and got[1].resolved_at == got[1].created_at + timedelta(
        minutes=10
    )
    assert first.url.endswith(first.id)


def test_other_services_and_out_of_range_incidents_are_not_returned(
    tls: Tls, sleeps: Sleeps
) -> None:
    mine = _incidents(5, AT - timedelta(days=3), timedelta(hours=1))
    other = [incident("QOTHER1", 99, "x", AT - timedelta(days=2), None, "POTHER")]
    late = [incident("QLATE01", 100, "y", AT, None, "PSVC1")]  # created at `until`: excluded
    with fake_pagerduty(mine + other + late, tls=tls) as fake:
        got = _collector(fake, tls, sleeps).incidents(["PSVC1"], AT - timedelta(days=30), AT)
    assert [i.id for i in got] == [i["id"] for i in mine]


def test_ranges_longer_than_six_months_are_split(tls: Tls, sleeps: Sleeps) -> None:
    data = _incidents(40, AT - timedelta(days=399), timedelta(days=10))
    with fake_pagerduty(data, tls=tls) as fake:
        got = _collector(fake, tls, sleeps).incidents(["PSVC1"], AT - timedelta(days=400), AT)
        assert fake.violations == []
        spans = [
            (
                datetime.fromisoformat(r.query["since"][0]),
                datetime.fromisoformat(r.query["until"][0]),
            )
            for r in fake.requests
        ]
    assert len(got) == 40
    assert len(spans) == 3  # 180 + 180 + 40 days
    assert all(b - a <= timedelta(days=180) for a, b in spans)
    assert spans[0][0] == AT - timedelta(days=400) and spans[-1][1] == AT


def test_a_range_fuller_than_classic_pagination_allows_is_halved(tls: Tls, sleeps: Sleeps) -> None:
    # 10,050 incidents in 10 days: offset + limit would pass 10,000, so the range is split
    data = _incidents(10_050, AT - timedelta(days=10), timedelta(seconds=80))
    with fake_pagerduty(data, tls=tls, validate_sample=3) as fake:
        got = _collector(fake, tls, sleeps).incidents(["PSVC1"], AT - timedelta(days=10), AT)
        assert fake.violations == []
        # the first page's total (10,050) splits the range before any further page is read
        assert fake.requests[0].query["total"] == ["true"]
        assert [r.query["offset"][0] for r in fake.requests[:2]] == ["0", "0"]
        middle = AT - timedelta(days=5)
        first_half = sum(1 for i in data if datetime.fromisoformat(i["created_at"]) < middle)
        pages = -(-first_half // 100) + -(-(len(data) - first_half) // 100)
        assert len(fake.requests) == 1 + pages
    assert len(got) == 10_050 and len({i.id for i in got}) == 10_050


def test_429_waits_as_told_then_succeeds(small: FakePagerDuty, tls: Tls, sleeps: Sleeps) -> None:
    small.fail_next(429, headers={"Retry-After": "7"})
    small.fail_next(429, headers={"ratelimit-reset": "3"})
    got = _collector(small, tls, sleeps).incidents(["PSVC1"], AT - timedelta(days=30), AT)
    assert len(got) == 250
    assert sleeps == [7.0, 3.0]
    assert [r.status for r in small.requests[:3]] == [429, 429, 200]


def test_a_huge_wait_hint_is_capped(small: FakePagerDuty, tls: Tls, sleeps: Sleeps) -> None:
    small.fail_next(429, headers={"Retry-After": "3600"})
    _collector(small, tls, sleeps, max_wait_seconds=12.0).incidents(
        ["PSVC1"], AT - timedelta(days=1), AT
    )
    assert sleeps == [12.0]


def test_429_past_the_retry_cap_gives_up(small: FakePagerDuty, tls: Tls, sleeps: Sleeps) -> None:
    small.fail_next(429, count=10, headers={"Retry-After": "1"})
    pd = _collector(small, tls, sleeps, retries=2)
    with pytest.raises(TransientCollectorError, match="429; gave up after 3 tries"):
        pd.incidents(["PSVC1"], AT - timedelta(days=1), AT)
    assert len(small.requests) == 3 and sleeps == [1.0, 1.0]


def test_500_is_retried_with_backoff(small: FakePagerDuty, tls: Tls, sleeps: Sleeps) -> None:
    small.fail_next(500)
    got = _collector(small, tls, sleeps).incidents(["PSVC1"], AT - timedelta(days=30), AT)
    assert len(got) == 250 and sleeps == [0.5]


def test_401_is_permanent_and_not_retried(tls: Tls, sleeps: Sleeps) -> None:
    with fake_pagerduty([], token="another", tls=tls) as fake:
        pd = _collector(fake, tls, sleeps)
        with pytest.raises(PermanentCollectorError, match="HTTP 401"):
            pd.incidents(["PSVC1"], AT - timedelta(days=1), AT)
        assert len(fake.requests) == 1 and sleeps == []
        assert TOKEN not in str(pd.requests)


def test_unreachable_is_transient_after_the_retries(tls: Tls, sleeps: Sleeps) -> None:
    with fake_pagerduty([], tls=tls) as fake:
        url = fake.url
    pd = connect(
        url, TOKEN, timeout_seconds=2, retries=2, max_wait_seconds=5, ca_file=str(tls.cert)
    )
    pd.sleep = sleeps
    with pytest.raises(TransientCollectorError, match="could not be reached"):
        pd.incidents(["PSVC1"], AT - timedelta(days=1), AT)
    assert sleeps == [0.5, 1.0] and len(pd.requests) == 3


def test_untrusted_certificate_is_refused(tls: Tls, sleeps: Sleeps) -> None:
    with fake_pagerduty([], tls=tls) as fake:
        pd = connect(fake.url, TOKEN, timeout_seconds=2, retries=0, max_wait_seconds=5)
        with pytest.raises(TransientCollectorError):
            pd.incidents(["PSVC1"], AT - timedelta(days=1), AT)
        assert fake.requests == []


def test_latest_note_and_custom_field(tls: Tls, sleeps: Sleeps) -> None:
    data = _incidents(2, AT - timedelta(days=1), timedelta(hours=1))
    notes = {
        "Q000000": [
            note("N1", "later: root cause is X", AT - timedelta(hours=1)),
            note("N0", "first look", AT - timedelta(hours=5)),
        ]
    }
    fields = {"Q000001": {"root_cause": "cache stampede", "team": "core"}}
    with fake_pagerduty(data, notes=notes, custom_fields=fields, tls=tls) as fake:
        pd = _collector(fake, tls, sleeps)
        assert pd.latest_note("Q000000") == "later: root cause is X"
        assert pd.latest_note("Q000001") is None
        assert pd.custom_field("Q000001", "root_cause") == "cache stampede"
        assert pd.custom_field("Q000000", "root_cause") is None
        assert fake.violations == []
