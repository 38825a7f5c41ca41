"""The adapter's contract: vendor answers become floats, vendor failures become our errors."""

import itertools
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from collectors.prometheus import MAX_POINTS_PER_QUERY, PrometheusCollector, connect, redact_url
from daemon.errors import PermanentCollectorError, TransientCollectorError

URL = "http://prom.test:9090"
AT = datetime(2026, 11, 16, tzinfo=UTC)


@pytest.fixture
def prom() -> PrometheusCollector:
    return connect(URL, timeout_seconds=2, retries=0, headers={})


def _vector(*values: str) -> dict[str, object]:
    result = [{"metric": {"i": str(n)}, "value": [AT.timestamp(), v]} for n, v in enumerate(values)]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def _params(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlsplit(call.request.url).query)


@responses.activate
def test_scalar_reads_the_value_and_pins_the_time(prom: PrometheusCollector) -> None:
    responses.get(f"{URL}/api/v1/query", json=_vector("0.25"))
    assert prom.scalar("sum(rate(x[5m]))", AT) == 0.25
    params = _params(responses.calls[0])
    assert params["query"] == ["sum(rate(x[5m]))"]
    assert float(params["time"][0]) == AT.timestamp()


@responses.activate
def test_empty_result_is_none_not_zero(prom: PrometheusCollector) -> None:
    responses.get(f"{URL}/api/v1/query", json=_vector())
    assert prom.scalar("x", AT) is None


@responses.activate
def test_several_series_are_refused(prom: PrometheusCollector) -> None:
    responses.get(f"{URL}/api/v1/query", json=_vector("1", "2"))
    with pytest.raises(PermanentCollectorError, match="2 series"):
        prom.scalar("x", AT)


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_are_transient(prom: PrometheusCollector, status: int) -> None:
    responses.get(f"{URL}/api/v1/query", status=status, body="upstream down")
    with pytest.raises(TransientCollectorError, match=f"HTTP {status}"):
        prom.scalar("x", AT)


@responses.activate
def test_bad_query_is_permanent_with_prometheus_own_reason(prom: PrometheusCollector) -> None:
    body = {"status": "error", "errorType": "bad_data", "error": "parse error: unexpected }"}
    responses.get(f"{URL}/api/v1/query", status=400, json=body)
    with pytest.raises(PermanentCollectorError, match="parse error: unexpected }"):
        prom.scalar("sum(", AT)


@responses.activate
def test_timeout_is_transient(prom: PrometheusCollector) -> None:
    responses.get(f"{URL}/api/v1/query", body=requests.Timeout("slow"))
    with pytest.raises(TransientCollectorError, match="could not be reached"):
        prom.scalar("x", AT)


@responses.activate
def test_connection_refused_is_transient_and_hides_credentials() -> None:
    prom = connect("http://user:s3cret@prom.test:9090", timeout_seconds=1, retries=0, headers={})
    responses.get(f"{URL}/api/v1/query", body=requests.ConnectionError("refused"))
    with pytest.raises(TransientCollectorError) as caught:
        prom.scalar("x", AT)
    assert "s3cret" not in str(caught.value)
    assert prom.backend == "http://prom.test:9090"


@responses.activate
@pytest.mark.parametrize(
    "body",
    [
        "<html>502 Bad Gateway</html>",
        '{"status": "success"}',
        '{"status": "success", "data": {"result": "nope"}}',
        '{"status": "success", "data": {"result": [{"metric": {}, "value": [1]}]}}',
    ],
)
def test_malformed_answers_are_transient(prom: PrometheusCollector, body: str) -> None:
    responses.get(f"{URL}/api/v1/query", body=body, status=200)
    with pytest.raises(TransientCollectorError, match="not a Prometheus response"):
        prom.scalar("x", AT)


@responses.activate
def test_nan_is_refused(prom: PrometheusCollector) -> None:
    responses.get(f"{URL}/api/v1/query", json=_vector("NaN"))
    with pytest.raises(PermanentCollectorError, match="non-finite"):
        prom.scalar("x", AT)


@responses.activate
def test_range_queries_are_chunked_under_the_point_limit(prom: PrometheusCollector) -> None:
    start = AT - timedelta(minutes=25_000)

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        q = parse_qs(urlsplit(request.url or "").query)
        lo, hi, step = int(q["start"][0]), int(q["end"][0]), int(q["step"][0])
        points = ",".join(f'[{t}, "{t % 7}"]' for t in range(lo, hi + 1, step))
        return (
            200,
            {},
            (
                '{"status":"success","data":{"resultType":"matrix","result":'
                f'[{{"metric":{{}},"values":[{points}]}}]}}}}'
            ),
        )

    responses.add_callback(responses.GET, f"{URL}/api/v1/query_range", callback=answer)
    series = prom.series("x", start, AT, 60)
    assert series.round_trips == 3 == len(responses.calls)
    spans = []
    for call in responses.calls:
        q = _params(call)
        lo, hi = int(q["start"][0]), int(q["end"][0])
        assert (hi - lo) // 60 + 1 <= MAX_POINTS_PER_QUERY
        spans.append((lo, hi))
    # contiguous, no overlap, no gap, exactly [start, at]
    assert spans[0][0] == int(start.timestamp()) and spans[-1][1] == int(AT.timestamp())
    assert all(b[0] == a[1] + 60 for a, b in itertools.pairwise(spans))
    assert len(series.values) == 25_001
    t = int(start.timestamp()) + 60 * 123
    assert series.values[t] == float(t % 7)


@responses.activate
def test_empty_range_is_empty(prom: PrometheusCollector) -> None:
    responses.get(
        f"{URL}/api/v1/query_range",
        json={"status": "success", "data": {"resultType": "matrix", "result": []}},
    )
    series = prom.series("x", AT - timedelta(hours=1), AT, 60)
    assert series.values == {} and series.round_trips == 1


@responses.activate
def test_bearer_token_and_headers_are_sent() -> None:
    prom = connect(URL, timeout_seconds=1, retries=0, headers={"Authorization": "Bearer t0k"})
    responses.get(f"{URL}/api/v1/query", json=_vector("1"))
    prom.scalar("x", AT)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer t0k"


def test_redact_url() -> None:
    assert (
        redact_url("https://a:b@host.example:8443/prom/?x=1") == "https://host.example:8443/prom/"
    )


def test_a_backend_slower_than_the_timeout_is_said_to_time_out() -> None:
    import socket
    import threading

    # a server that accepts and never answers: the read times out, on every retry
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        prom = connect(url, timeout_seconds=0.3, retries=1, headers={}, backoff_seconds=0)
        with pytest.raises(TransientCollectorError, match=r"could not be reached \(Timeout\)"):
            prom.scalar("x", AT)
        assert len(accepted) == 2, "one try and one retry"
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()
