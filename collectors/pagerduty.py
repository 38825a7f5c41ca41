"""PagerDuty REST API v2 incidents, through python-pagerduty (pdpyras' maintained successor).

The only module that knows the vendor. The client's own retries are off: it retries 429
forever and ignores ``Retry-After``, so this adapter owns the policy — capped retries, the
server's wait hint obeyed up to a limit, a timeout per request — and a PagerDuty outage ends a
pack's incident section instead of hanging a scheduled job."""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pagerduty
from httpx2 import Response

from daemon import messages
from daemon.core.incidents import Incident
from daemon.errors import PermanentCollectorError, TransientCollectorError

# The API refuses since/until more than 6 months apart; 180 days stays inside any 6 months.
MAX_RANGE = timedelta(days=180)
PAGE_LIMIT = 100
# Classic pagination stops at offset + limit = 10,000: a fuller range is split in two.
MAX_OFFSET_PLUS_LIMIT = 10_000
STATUSES = ("triggered", "acknowledged", "resolved")


@dataclass(frozen=True)
class Request:
    """One HTTP request as sent, for the pack's sources (the token is never part of it)."""

    endpoint: str
    params: tuple[tuple[str, str], ...]
    time: datetime
    status: int | None


class _Retryable(Exception):
    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class _Client(pagerduty.RestApiV2Client):
    """Hands 429 and 5xx back to the adapter instead of retrying inside the library."""

    def postprocess(self, response: Response, suffix: str | None = None) -> None:
        super().postprocess(response, suffix)
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retryable(response)


def _wait_hint(response: Response, now: datetime) -> float | None:
    """Seconds the server asks us to wait: ``Retry-After`` (seconds or an HTTP date) or
    PagerDuty's ``ratelimit-reset`` (seconds until the window resets)."""
    for name in ("retry-after", "ratelimit-reset"):
        value = response.headers.get(name)
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
            except (TypeError, ValueError):
                continue
    return None


@dataclass
class PagerDutyCollector:
    client: _Client
    backend: str
    retries: int
    max_wait_seconds: float
    backoff_seconds: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    requests: list[Request] = field(default_factory=list)

    def incidents(
        self, service_ids: Sequence[str], since: datetime, until: datetime
    ) -> list[Incident]:
        """Incidents of the services created in [since, until), each once, oldest first."""
        found: dict[str, Incident] = {}
        start = since
        while start < until:
            end = min(start + MAX_RANGE, until)
            for item in self._range(service_ids, start, end):
                found[item.id] = item
            start = end
        return sorted(found.values(), key=lambda i: (i.created_at, i.number))

    def _range(
        self, service_ids: Sequence[str], since: datetime, until: datetime
    ) -> Iterator[Incident]:
        params: dict[str, Any] = {
            "service_ids[]": list(service_ids),
            "statuses[]": list(STATUSES),
            "since": _iso(since),
            "until": _iso(until),
            "time_zone": "UTC",
            "sort_by": "created_at:asc",
            "limit": PAGE_LIMIT,
        }
        pages: list[list[Incident]] = []
        offset = 0
        while True:
            # the first page also asks for the total, so an over-full range is split at once
            page_params = {**params, "offset": offset, **({"total": "true"} if not offset else {})}
            body = self._get("/incidents", page_params)
            total = body.get("total")
            too_many = isinstance(total, int) and total > MAX_OFFSET_PLUS_LIMIT
            if not too_many:
                pages.append([_incident(raw) for raw in _list(body, "incidents")])
                if not body.get("more"):
                    break
                offset += PAGE_LIMIT
            if too_many or offset + PAGE_LIMIT > MAX_OFFSET_PLUS_LIMIT:
                middle = since + (until - since) / 2
                yield from self._range(service_ids, since, middle)
                yield from self._range(service_ids, middle, until)
                return
        for page in pages:
            yield from page

    def latest_note(self, incident_id: str) -> str | None:
        notes = _list(self._get(f"/incidents/{incident_id}/notes", {}), "notes")
        dated = [n for n in notes if isinstance(n.get("content"), str)]
        if not dated:
            return None
        return str(max(dated, key=lambda n: str(n.get("created_at", "")))["content"])

    def custom_field(self, incident_id: str, name: str) -> str | None:
        body = self._get(f"/incidents/{incident_id}/custom_fields/values", {})
        for item in _list(body, "custom_fields"):
            if item.get("name") == name and item.get("value") not in (None, ""):
                return str(item["value"])
        return None

    def _get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        for attempt in range(self.retries + 1):
            at = self.clock()
            try:
                response = self.client.get(path, params=dict(params))
            except _Retryable as retry:
                self._cite(path, params, at, retry.response.status_code)
                if attempt == self.retries:
                    raise self._exhausted(retry.response.status_code) from retry
                hint = _wait_hint(retry.response, self.clock())
                wait = self.backoff_seconds * 2**attempt if hint is None else hint
                self.sleep(min(wait, self.max_wait_seconds))
                continue
            except pagerduty.HttpError as exc:
                status = exc.response.status_code if exc.response is not None else None
                self._cite(path, params, at, status)
                raise PermanentCollectorError(
                    messages.PAGERDUTY_REJECTED.format(status=status or "?"), backend=self.backend
                ) from exc
            except pagerduty.Error as exc:
                self._cite(path, params, at, None)
                if attempt == self.retries:
                    raise TransientCollectorError(
                        messages.PAGERDUTY_UNREACHABLE.format(backend=self.backend),
                        backend=self.backend,
                    ) from exc
                self.sleep(self.backoff_seconds * 2**attempt)
                continue
            self._cite(path, params, at, response.status_code)
            if not response.is_success:
                raise PermanentCollectorError(
                    messages.PAGERDUTY_REJECTED.format(status=response.status_code),
                    backend=self.backend,
                )
            try:
                body = response.json()
            except ValueError as exc:
                raise TransientCollectorError(
                    messages.PAGERDUTY_MALFORMED, backend=self.backend
                ) from exc
            if not isinstance(body, dict):
                raise TransientCollectorError(messages.PAGERDUTY_MALFORMED, backend=self.backend)
            return body
        raise AssertionError("unreachable")  # the loop returns or raises

    def _exhausted(self, status: int) -> TransientCollectorError:
        return TransientCollectorError(
            messages.PAGERDUTY_GAVE_UP.format(status=status, tries=self.retries + 1),
            backend=self.backend,
        )

    def _cite(self, path: str, params: Mapping[str, Any], at: datetime, status: int | None) -> None:
        flat = tuple(
            (key, str(item))
            for key, value in params.items()
            for item in (value if isinstance(value, list) else [value])
        )
        self.requests.append(Request(f"GET {path}", flat, at, status))


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _list(body: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise TransientCollectorError(messages.PAGERDUTY_MALFORMED)
    return items


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _incident(raw: Mapping[str, Any]) -> Incident:
    try:
        created = _time(raw["created_at"])
        assert created is not None
        service = raw.get("service") or {}
        return Incident(
            id=str(raw["id"]),
            number=int(raw.get("incident_number") or 0),
            title=str(raw.get("title") or raw.get("summary") or ""),
            url=str(raw.get("html_url") or ""),
            created_at=created,
            resolved_at=_time(raw.get("resolved_at")) if raw.get("status") == "resolved" else None,
            status=str(raw.get("status") or ""),
            service_id=str(service.get("id") or ""),
            urgency=raw.get("urgency"),
        )
    except (KeyError, ValueError, TypeError, AssertionError) as exc:
        raise TransientCollectorError(messages.PAGERDUTY_MALFORMED) from exc


def connect(
    url: str,
    token: str,
    *,
    timeout_seconds: float,
    retries: int,
    max_wait_seconds: float,
    ca_file: str | None = None,
) -> PagerDutyCollector:
    verify: ssl.SSLContext | bool = True
    if ca_file is not None:
        verify = ssl.create_default_context(cafile=ca_file)
    client = _Client(token, base_url=url.rstrip("/"), verify=verify)
    client.timeout = math.ceil(timeout_seconds)  # the library types it as whole seconds
    # every retry decision is the adapter's (see module docstring)
    client.retry = {}
    client.max_network_attempts = 0
    return PagerDutyCollector(
        client=client,
        backend=url.rstrip("/"),
        retries=retries,
        max_wait_seconds=max_wait_seconds,
    )
