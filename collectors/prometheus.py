"""Prometheus-compatible query API (Prometheus, Thanos, Mimir, VictoriaMetrics).

The only module that knows prometheus-api-client. It turns vendor responses into floats and
vendor failures into ``TransientCollectorError`` (retry later) or ``PermanentCollectorError``
(a person must fix the query)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from daemon import messages
from daemon.errors import PermanentCollectorError, TransientCollectorError

# Prometheus refuses a range query of more than 11,000 points per series.
MAX_POINTS_PER_QUERY = 11_000

_STATUS = re.compile(r"HTTP Status Code (\d+) \((.*)\)\Z", re.DOTALL)
T = TypeVar("T")


def redact_url(url: str) -> str:
    """The URL without user:password, safe to show in a pack or a log."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass
class RangeSeries:
    """One series of a range query: value by Unix timestamp (seconds)."""

    values: dict[int, float] = field(default_factory=dict)
    round_trips: int = 0

    def merge(self, other: RangeSeries) -> None:
        self.values.update(other.values)
        self.round_trips += other.round_trips


def chunk_spans(
    start: datetime, end: datetime, step_seconds: int
) -> list[tuple[datetime, datetime]]:
    """[start, end] as consecutive ranges of at most 11,000 points on the step grid."""
    span = timedelta(seconds=step_seconds * (MAX_POINTS_PER_QUERY - 1))
    spans: list[tuple[datetime, datetime]] = []
    chunk_start = start
    while chunk_start <= end:
        chunk_end = min(chunk_start + span, end)
        spans.append((chunk_start, chunk_end))
        chunk_start = chunk_end + timedelta(seconds=step_seconds)
    return spans


Labels = dict[str, str]


def connect(
    url: str,
    *,
    timeout_seconds: float,
    retries: int,
    headers: dict[str, str],
    verify_tls: bool = True,
    backoff_seconds: float = 0.5,
    pool_size: int = 10,
) -> PrometheusCollector:
    """The collector for one backend. Retries cover connection errors and 429/5xx answers;
    ``Retry-After`` is not obeyed because a pack must not hang on a backend's say-so (the
    daemon's next tick is the longer retry)."""
    retry = Retry(
        total=retries,
        backoff_factor=backoff_seconds,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"GET", "POST"}),
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    client = PrometheusConnect(
        url=url.rstrip("/"),
        headers=headers or None,
        disable_ssl=not verify_tls,
        retry=retry,
        timeout=timeout_seconds,
    )
    # batched queries go as a POST form body (the client puts every parameter in the URL, and
    # a batch is longer than proxies accept there), on a session with the same retries
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=max(10, pool_size))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(headers)
    session.verify = verify_tls
    return PrometheusCollector(client, url, session=session, timeout_seconds=timeout_seconds)


class PrometheusCollector:
    def __init__(
        self,
        client: PrometheusConnect,
        url: str,
        *,
        session: requests.Session | None = None,
        timeout_seconds: float = 30.0,
    ) -> None:
        self._client = client
        self._url = url.rstrip("/")
        self._session = session if session is not None else requests.Session()
        self._timeout = timeout_seconds
        self.backend = redact_url(url)

    def vector(self, query: str, at: datetime) -> list[tuple[Labels, float]]:
        """An instant query evaluated at ``at`` (always explicit: the client's defaults are
        fixed at import time)."""
        result = self._call(lambda: self._client.custom_query(query, params={"time": _ts(at)}))
        with self._parsing():
            return [(_labels(item), _number(item.get("value"))) for item in _items(result)]

    def scalar(self, query: str, at: datetime) -> float | None:
        """The value of a query that aggregates to one series; None when it returns nothing."""
        return self.single(self.vector(query, at))

    def single(self, rows: list[tuple[Labels, float]]) -> float | None:
        """The one value of an answer; None when empty; an error for several series or a value
        that is not a finite number (what ``scalar`` raises for the same answer)."""
        if len(rows) > 1:
            raise PermanentCollectorError(
                messages.QUERY_NOT_SINGLE.format(count=len(rows)), backend=self.backend
            )
        if rows and not math.isfinite(rows[0][1]):
            raise PermanentCollectorError(
                messages.QUERY_NOT_FINITE.format(value=rows[0][1]), backend=self.backend
            )
        return rows[0][1] if rows else None

    def tagged(self, query: str, at: datetime, label: str) -> dict[str, list[tuple[Labels, float]]]:
        """A batched instant query at ``at``, sent as a POST form: its series grouped by the
        value of ``label``. Values may be NaN or infinite here: each group is judged on its
        own (``single``), so one odd branch does not fail the others."""
        form = {"query": query, "time": _ts(at)}
        response = self._call(
            lambda: self._session.post(
                self._url + "/api/v1/query", data=form, timeout=self._timeout
            )
        )
        if response.status_code != 200:
            raise self._status_error(response.status_code, response.text)
        with self._parsing():
            body = response.json()
            if not isinstance(body, dict) or body.get("status") != "success":
                raise ValueError("not a success answer")
            data = body["data"]
            if data.get("resultType") != "vector":
                raise ValueError("not a vector")
            groups: dict[str, list[tuple[Labels, float]]] = {}
            for item in _items(data["result"]):
                labels = _labels(item)
                point = item.get("value")
                _point_time(point)
                assert isinstance(point, list)
                groups.setdefault(labels.get(label, ""), []).append((labels, float(point[1])))
            return groups

    def series(self, query: str, start: datetime, end: datetime, step_seconds: int) -> RangeSeries:
        """A range query over [start, end] split into chunks of at most 11,000 points."""
        out = RangeSeries()
        for chunk_start, chunk_end in chunk_spans(start, end, step_seconds):
            out.merge(self.chunk(query, chunk_start, chunk_end, step_seconds))
        return out

    def chunk(self, query: str, start: datetime, end: datetime, step_seconds: int) -> RangeSeries:
        """One request of a range query: [start, end] must hold at most 11,000 points."""
        result = self._call(
            partial(
                self._client.custom_query_range,
                query,
                start_time=start,
                end_time=end,
                step=str(step_seconds),
            )
        )
        out = RangeSeries(round_trips=1)
        with self._parsing():
            items = _items(result)
            if len(items) > 1:
                raise PermanentCollectorError(
                    messages.QUERY_NOT_SINGLE.format(count=len(items)), backend=self.backend
                )
            for item in items:
                out.values.update(_points(item["values"]))
        return out

    @contextmanager
    def _parsing(self) -> Iterator[None]:
        try:
            yield
        except (ValueError, KeyError, TypeError) as exc:
            # an HTML error page from a proxy, a truncated body: worth another try later
            raise TransientCollectorError(
                messages.MALFORMED_RESPONSE, backend=self.backend
            ) from exc

    def _call(self, request: Callable[[], T]) -> T:
        try:
            return request()
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.RetryError) as exc:
            raise TransientCollectorError(
                messages.BACKEND_UNREACHABLE.format(
                    backend=self.backend, reason=_failure_reason(exc)
                ),
                backend=self.backend,
            ) from exc
        except PrometheusApiClientException as exc:
            raise self._http_error(str(exc)) from exc
        except (ValueError, KeyError, TypeError) as exc:
            # an HTML error page from a proxy, a truncated body: worth another try later
            raise TransientCollectorError(
                messages.MALFORMED_RESPONSE, backend=self.backend
            ) from exc

    def _http_error(self, text: str) -> TransientCollectorError | PermanentCollectorError:
        match = _STATUS.match(text)
        status = int(match.group(1)) if match else 0
        return self._status_error(status, match.group(2) if match else "")

    def _status_error(
        self, status: int, body: str
    ) -> TransientCollectorError | PermanentCollectorError:
        detail = _error_detail(body) if body else ""
        if status == 429 or status >= 500 or status == 0:
            return TransientCollectorError(
                messages.BACKEND_STATUS.format(backend=self.backend, status=status or "?"),
                backend=self.backend,
            )
        return PermanentCollectorError(
            messages.QUERY_REJECTED.format(status=status, detail=detail), backend=self.backend
        )


def _failure_reason(exc: requests.RequestException) -> str:
    """What went wrong, in a word: requests reports a read timeout that exhausted the retries
    as a ConnectionError wrapping urllib3's error, which would hide that the backend was slow."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, requests.Timeout | urllib3.exceptions.TimeoutError):
            return "Timeout"
        reason = getattr(cause, "reason", None)
        if isinstance(reason, BaseException) and reason is not cause:
            cause = reason
            continue
        args = getattr(cause, "args", ())
        cause = args[0] if args and isinstance(args[0], BaseException) else None
    return type(exc).__name__


def _ts(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("query times must be timezone-aware")
    return f"{at.timestamp():.3f}"


def _items(result: Any) -> list[dict[str, Any]]:
    if not isinstance(result, list) or not all(isinstance(i, dict) for i in result):
        raise ValueError("result is not a list of series")
    return result


def _labels(item: dict[str, Any]) -> Labels:
    metric = item.get("metric", {})
    return {str(k): str(v) for k, v in metric.items()} if isinstance(metric, dict) else {}


def _point_time(point: Any) -> float:
    if not isinstance(point, list) or len(point) != 2:
        raise ValueError("sample is not [time, value]")
    return float(point[0])


def _points(raw: Any) -> dict[int, float]:
    """``[[time, "value"], ...]`` as value by whole second: one pass, since a range chunk
    holds up to 11,000 points and a quarter's history ~130,000."""
    try:
        found = {int(float(t)): float(v) for t, v in raw}
    except (TypeError, ValueError) as exc:
        raise ValueError("samples are not [time, value] pairs") from exc
    if not all(math.isfinite(v) for v in found.values()):
        bad = next(v for v in found.values() if not math.isfinite(v))
        raise PermanentCollectorError(messages.QUERY_NOT_FINITE.format(value=bad))
    return found


def _number(point: Any) -> float:
    _point_time(point)
    value = float(point[1])
    if not math.isfinite(value):
        raise PermanentCollectorError(messages.QUERY_NOT_FINITE.format(value=point[1]))
    return value


def _error_detail(raw: str) -> str:
    """Prometheus' own ``error`` text from the body the client put in its exception."""
    body = raw
    if body[:2] in ("b'", 'b"'):
        body = body[2:-1].encode().decode("unicode_escape")
    try:
        parsed = json.loads(body)
    except ValueError:
        return body[:200]
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, str):
        return error[:500]
    return body[:200]
