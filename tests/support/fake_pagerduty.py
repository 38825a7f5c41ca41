"""A loopback fake of the PagerDuty REST API v2 that answers what the real API answers.

Every request it receives is checked with ``check_request`` and every response it sends with
``check_response`` (``tests/support/pagerduty_contract.py``, against PagerDuty's vendored OpenAPI
spec); the findings accumulate in ``FakePagerDuty.violations``, which tests assert stays empty.
Things the fake cannot emulate faithfully (``include[]`` expansion, non-UTC ``time_zone``, other
endpoints, writes) are recorded there too, prefixed ``fake limitation:``, so a test never passes
on an answer the real API would not give.

    with fake_pagerduty([incident("PABC001", 1, "db down", t0, t1, "PSVC001")]) as pd:
        requests.get(f"{pd.url}/incidents", params=..., headers=...)
        assert pd.violations == []
"""

from __future__ import annotations

import json
import re
import ssl
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.support.pagerduty_contract import (
    CLASSIC_PAGINATION_LIMIT,
    DEFAULT_LIMIT,
    MAX_RANGE,
    check_request,
    check_response,
    find_operation,
    parse_iso8601,
)
from tests.support.tls import Tls

API_BASE = "https://api.fake.pagerduty.test"  # `self` links: a .test host never resolves
WEB_BASE = "https://fake.pagerduty.test"
MAX_LIMIT = 100
STATUSES = ("triggered", "acknowledged", "resolved")
URGENCIES = ("high", "low")
SORT_FIELDS = ("incident_number", "created_at", "resolved_at", "urgency")

# Error bodies follow the spec's generic error schema ({"error": {"message", "code", "errors"}}).
# 2001 "Invalid Input Provided" is what the real API sends for a bad statuses[] value; 2100
# "Not Found" is the spec's own example; 2006 "Authentication failed" is from PagerDuty's error
# code list. The spec requires none of the fields; codes for 429/5xx are left out.
_ERRORS: dict[int, dict[str, Any]] = {
    400: {"message": "Invalid Input Provided", "code": 2001},
    401: {"message": "Authentication failed", "code": 2006},
    403: {"message": "Access Denied", "code": 2010},
    404: {"message": "Not Found", "code": 2100},
    429: {"message": "Rate Limit Exceeded"},
}


def _iso(t: datetime) -> str:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {t!r}")
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ref(kind: str, id_: str, summary: str, api: str, web: str) -> dict[str, Any]:
    return {
        "id": id_,
        "type": f"{kind}_reference",
        "summary": summary,
        "self": f"{API_BASE}/{api}/{id_}",
        "html_url": f"{WEB_BASE}/{web}/{id_}",
    }


def _user(user_id: str, name: str) -> dict[str, Any]:
    return _ref("user", user_id, name, "users", "users")


def incident(
    id: str,
    number: int,
    title: str,
    created_at: datetime,
    resolved_at: datetime | None,
    service_id: str,
    urgency: str = "high",
    status: str | None = None,
) -> dict[str, Any]:
    """A spec-valid Incident object as ``GET /incidents`` returns it (timestamps in UTC, "Z").

    ``status`` defaults to "resolved" when ``resolved_at`` is given, else "triggered"; it may be
    "acknowledged" for an unresolved incident (which then carries one acknowledgement).
    """
    status = status or ("resolved" if resolved_at else "triggered")
    if status not in STATUSES:
        raise ValueError(f"status {status!r} not in {STATUSES}")
    if (status == "resolved") != (resolved_at is not None):
        raise ValueError(f"status {status!r} contradicts resolved_at={resolved_at!r}")
    if urgency not in URGENCIES:
        raise ValueError(f"urgency {urgency!r} not in {URGENCIES}")
    created = _iso(created_at)
    resolved = _iso(resolved_at) if resolved_at is not None else None
    if resolved_at is not None and resolved_at < created_at:
        raise ValueError(f"{id}: resolved_at {resolved} is before created_at {created}")
    last_change = resolved or created
    responder = _user("PFAKEU1", "Fake Responder")
    return {
        "id": id,
        "type": "incident",
        "summary": f"[#{number}] {title}",
        "self": f"{API_BASE}/incidents/{id}",
        "html_url": f"{WEB_BASE}/incidents/{id}",
        "incident_number": number,
        "title": title,
        "created_at": created,
        "updated_at": last_change,
        "status": status,
        "incident_key": f"fake-{id.lower()}",
        "service": _ref(
            "service", service_id, f"Service {service_id}", "services", "service-directory"
        ),
        "assignments": [],
        "assigned_via": "escalation_policy",
        "acknowledgements": (
            [{"at": created, "acknowledger": responder}] if status == "acknowledged" else []
        ),
        "last_status_change_at": last_change,
        "first_trigger_log_entry": {
            **_ref("trigger_log_entry", f"R{id}", "Triggered through the API", "log_entries", ""),
            "html_url": f"{WEB_BASE}/incidents/{id}/log_entries/R{id}",
        },
        "escalation_policy": _ref(
            "escalation_policy", "PFAKEEP", "Default", "escalation_policies", "escalation_policies"
        ),
        "teams": [],
        "pending_actions": [],
        "urgency": urgency,
        "resolved_at": resolved,
    }


def note(
    id: str,
    content: str,
    created_at: datetime,
    user_id: str = "PFAKEU1",
    user_name: str = "Fake Responder",
    channel: str = "The PagerDuty website or APIs",
) -> dict[str, Any]:
    """A spec-valid IncidentNote as ``GET /incidents/{id}/notes`` returns it."""
    at = _iso(created_at)
    return {
        "id": id,
        "user": _user(user_id, user_name),
        "channel": {"summary": channel},
        "content": content,
        "created_at": at,
        "updated_at": at,
    }


def custom_field_value(name: str, value: Any) -> dict[str, Any]:
    """A spec-valid CustomFieldsFieldValue for ``{name: value}`` (type inferred from value)."""
    if isinstance(value, bool):
        data_type, field_type = "boolean", "single_value"
    elif isinstance(value, int):
        data_type, field_type = "integer", "single_value"
    elif isinstance(value, float):
        data_type, field_type = "float", "single_value"
    elif isinstance(value, list):
        data_type, field_type = "string", "multi_value"
    else:
        data_type, field_type = "string", "single_value"
    return {
        "id": "F" + re.sub(r"[^A-Z0-9]", "", name.upper())[:12],
        "type": "field_value",
        "name": name,
        "display_name": name.replace("_", " ").title(),
        "description": None,
        "data_type": data_type,
        "field_type": field_type,
        "value": value,
    }


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names lower-cased
    time: float  # time.monotonic() when the request arrived
    status: int  # what the fake answered


@dataclass
class _Fault:
    status: int
    headers: dict[str, str] = field(default_factory=dict)


class _ApiError(Exception):
    def __init__(self, status: int, *errors: str) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = list(errors)


def error_body(status: int, *errors: str) -> dict[str, Any]:
    """The spec's generic error body for ``status``."""
    if status in _ERRORS:
        err: dict[str, Any] = dict(_ERRORS[status])
    elif status >= 500:
        err = {"message": "Internal Server Error"}
    else:
        err = {"message": "Error"}
    if errors:
        err["errors"] = list(errors)
    return {"error": err}


def _created(inc: Mapping[str, Any]) -> datetime:
    t = parse_iso8601(str(inc.get("created_at")))
    if t is None or t.tzinfo is None:
        raise ValueError(f"incident {inc.get('id')}: created_at must be ISO 8601 with an offset")
    return t


class FakePagerDuty:
    """Loopback PagerDuty: ``.url``, ``.requests``, ``.violations``, ``fail_next``,
    ``set_token``; ``fake_pagerduty(...)`` starts and stops one."""

    def __init__(
        self,
        incidents: Sequence[Mapping[str, Any]],
        token: str = "test-token",
        notes: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
        custom_fields: Mapping[str, Mapping[str, Any]] | None = None,
        tls: Tls | None = None,
        validate_sample: int | None = None,
    ) -> None:
        self._sample = validate_sample
        ids = [str(i["id"]) for i in incidents]
        if len(set(ids)) != len(ids):
            raise ValueError("incident ids must be unique")
        self._incidents = [dict(i) for i in incidents]
        self._by_id = {str(i["id"]): i for i in self._incidents}
        self._created = {str(i["id"]): _created(i) for i in self._incidents}
        unknown = set(notes or {}) | set(custom_fields or {})
        if unknown - self._by_id.keys():
            raise ValueError(
                f"notes/custom_fields for unknown incidents {unknown - self._by_id.keys()}"
            )
        self._notes = {k: [dict(n) for n in v] for k, v in (notes or {}).items()}
        self._custom_fields = {k: dict(v) for k, v in (custom_fields or {}).items()}
        self._token = token
        self._faults: deque[_Fault] = deque()
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(tls.cert, tls.key)
            # the handshake happens in the handler thread, not in the accept loop
            self._server.socket = context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to one poll interval
            name="fake-pagerduty",
            daemon=True,
        )

    # -- control ----------------------------------------------------------------------------

    def start(self) -> FakePagerDuty:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakePagerDuty:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(
        self, status: int, count: int = 1, headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (and ``headers``), before auth."""
        if status < 400:
            raise ValueError("fail_next scripts error statuses (>= 400)")
        with self._lock:
            self._faults.extend(_Fault(status, dict(headers or {})) for _ in range(count))

    def clear_faults(self) -> None:
        """Forget every failure scripted with ``fail_next`` and not served yet."""
        with self._lock:
            self._faults.clear()

    def set_token(self, token: str) -> None:
        with self._lock:
            self._token = token

    # -- request handling -------------------------------------------------------------------

    def _handle(
        self, method: str, target: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        arrived = time.monotonic()
        split = urlsplit(target)
        path = split.path
        query = parse_qs(split.query, keep_blank_values=True)
        found: list[str] = check_request(method, path, query, headers)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
            token = self._token
        extra_headers: dict[str, str] = {}
        if fault is not None:
            status, body = fault.status, error_body(fault.status)
            extra_headers = fault.headers
        elif headers.get("authorization") != f"Token token={token}":
            status, body = 401, error_body(401)
        else:
            try:
                status, body = 200, self._route(method, path, query, found)
                json.dumps(body)
            except _ApiError as err:
                status, body = err.status, error_body(err.status, *err.errors)
            except Exception as exc:  # a bug in the fake or a malformed fixture: fail loudly
                found.append(f"fake error on {method} {path}: {exc!r}")
                status, body = 500, error_body(500)
        checked = body
        if self._sample is not None and isinstance(body, dict):
            # same schema for every item: a sample keeps the check and spares the time
            checked = {k: v[: self._sample] if isinstance(v, list) else v for k, v in body.items()}
        found += check_response(method, path, status, checked)
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, headers, arrived, status))
            self.violations.extend(found)
        return status, extra_headers, body

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], found: list[str]
    ) -> dict[str, Any]:
        parts = path.strip("/").split("/")
        if method == "GET" and parts[0] == "incidents":
            if len(parts) == 1:
                return self._list_incidents(query, found)
            inc = self._by_id.get(parts[1])
            if len(parts) == 2:
                return {"incident": self._incident_or_404(inc)}
            if parts[2:] == ["notes"]:
                self._incident_or_404(inc)
                return {"notes": self._notes.get(parts[1], [])}
            if parts[2:] == ["custom_fields", "values"]:
                self._incident_or_404(inc)
                values = self._custom_fields.get(parts[1], {})
                return {"custom_fields": [custom_field_value(k, v) for k, v in values.items()]}
        if find_operation(method, path) is not None:
            found.append(
                f"fake limitation: {method} {path} is a real endpoint the fake does not serve"
            )
        raise _ApiError(404)

    @staticmethod
    def _incident_or_404(inc: Mapping[str, Any] | None) -> Mapping[str, Any]:
        if inc is None:
            raise _ApiError(404)
        return inc

    def _list_incidents(self, query: dict[str, list[str]], found: list[str]) -> dict[str, Any]:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        def integer(name: str, default: int) -> int:
            raw = one(name)
            if raw is None:
                return default
            if not re.fullmatch(r"[+-]?\d+", raw):
                raise _ApiError(400, f"{name} must be an integer")
            return int(raw)

        limit, offset = integer("limit", DEFAULT_LIMIT), integer("offset", 0)
        if limit < 1 or limit > MAX_LIMIT:
            raise _ApiError(400, f"limit must be between 1 and {MAX_LIMIT}")
        if offset < 0:
            raise _ApiError(400, "offset must not be negative")
        if offset + limit > CLASSIC_PAGINATION_LIMIT:
            raise _ApiError(
                400,
                f"Offset + limit must not exceed {CLASSIC_PAGINATION_LIMIT}: classic pagination "
                f"is limited to {CLASSIC_PAGINATION_LIMIT:,} records",
            )

        zone_name = one("time_zone") or "UTC"
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise _ApiError(400, f"time_zone {zone_name!r} is not a valid time zone") from None
        if zone_name not in ("UTC", "Etc/UTC"):
            found.append(
                f"fake limitation: time_zone={zone_name!r}: the fake renders timestamps in UTC only"
            )
        if "include[]" in query:
            found.append("fake limitation: include[] is not emulated; references stay unexpanded")

        statuses = query.get("statuses[]", [])
        if any(s not in STATUSES for s in statuses):
            raise _ApiError(400, "Status must be a list of triggered, acknowledged, or resolved.")
        urgencies = query.get("urgencies[]", [])
        if any(u not in URGENCIES for u in urgencies):
            raise _ApiError(400, "Urgency must be high or low.")
        sort_keys = self._sort_keys(query.get("sort_by", []))

        date_range = one("date_range")
        window: tuple[datetime, datetime] | None = None
        if date_range is not None and date_range != "all":
            raise _ApiError(400, "date_range must be 'all'")
        if date_range is None:
            window = self._window(one("since"), one("until"), zone, found)

        def keep(inc: Mapping[str, Any]) -> bool:
            created = self._created[str(inc["id"])]
            assignees = {a.get("assignee", {}).get("id") for a in inc.get("assignments", [])}
            return (
                (window is None or window[0] <= created < window[1])
                and (
                    "service_ids[]" not in query
                    or inc.get("service", {}).get("id") in query["service_ids[]"]
                )
                and (not statuses or inc.get("status") in statuses)
                and (not urgencies or inc.get("urgency") in urgencies)
                and ("incident_key" not in query or inc.get("incident_key") == one("incident_key"))
                and (
                    "team_ids[]" not in query
                    or any(t.get("id") in query["team_ids[]"] for t in inc.get("teams", []))
                )
                and (
                    "user_ids[]" not in query
                    or (
                        inc.get("status") in ("triggered", "acknowledged")
                        and bool(assignees & set(query["user_ids[]"]))
                    )
                )
            )

        matching = [inc for inc in self._incidents if keep(inc)]
        for key, descending in reversed(sort_keys):  # stable sorts, least significant first
            matching.sort(key=key, reverse=descending)
        page = matching[offset : offset + limit]
        return {
            "incidents": page,
            "limit": limit,
            "offset": offset,
            "more": offset + len(page) < len(matching),
            "total": len(matching) if one("total") == "true" else None,
        }

    def _window(
        self, since_raw: str | None, until_raw: str | None, zone: ZoneInfo, found: list[str]
    ) -> tuple[datetime, datetime]:
        if since_raw is None or until_raw is None:
            found.append(
                "fake limitation: GET /incidents without both since and until (or date_range=all) "
                "would use the real API's default window (1 month, in the account's time zone); "
                "the fake answers 400"
            )
            raise _ApiError(400, "since and until are required by the fake (or date_range=all)")
        bounds = []
        for name, raw in (("since", since_raw), ("until", until_raw)):
            parsed = parse_iso8601(raw)
            if parsed is None:
                raise _ApiError(400, f"{name} is not a valid ISO 8601 date: {raw!r}")
            bounds.append(parsed if parsed.tzinfo else parsed.replace(tzinfo=zone))
        since, until = bounds
        if until < since:
            raise _ApiError(400, "until must not be before since")
        if until - since > MAX_RANGE:
            raise _ApiError(400, f"The maximum date range is 6 months ({MAX_RANGE.days} days)")
        return since, until

    def _sort_keys(self, raw: list[str]) -> list[tuple[Any, bool]]:
        items = [i for v in raw for i in v.split(",") if i] or ["created_at"]
        if len(items) > 2:
            raise _ApiError(400, "sort_by takes at most two fields")
        keys: list[tuple[Any, bool]] = []
        for item in items:
            name, _, direction = item.partition(":")
            if name not in SORT_FIELDS or direction not in ("", "asc", "desc"):
                raise _ApiError(400, f"Invalid sort_by value {item!r}")
            keys.append((self._sort_key(name), direction == "desc"))
        if "incident_number" not in [i.partition(":")[0] for i in items]:
            keys.append((self._sort_key("incident_number"), False))  # deterministic tie-break
        return keys

    def _sort_key(self, name: str) -> Any:
        if name == "created_at":
            return lambda inc: self._created[str(inc["id"])]
        if name == "resolved_at":
            far = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)
            return lambda inc: parse_iso8601(inc["resolved_at"]) if inc.get("resolved_at") else far
        return lambda inc: inc.get(name) or 0


def _handler_for(fake: FakePagerDuty) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, extra, body = fake._handle(self.command, self.path, headers)
                payload = json.dumps(body).encode()
            except Exception as exc:  # a bug in the fake or a malformed fixture: fail loudly
                with fake._lock:
                    fake.violations.append(f"fake error on {self.command} {self.path}: {exc!r}")
                status, extra = 500, {}
                payload = json.dumps(error_body(500)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@contextmanager
def fake_pagerduty(
    incidents: Sequence[Mapping[str, Any]],
    token: str = "test-token",
    notes: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    custom_fields: Mapping[str, Mapping[str, Any]] | None = None,
    tls: Tls | None = None,
    validate_sample: int | None = None,
) -> Iterator[FakePagerDuty]:
    """A running ``FakePagerDuty`` on 127.0.0.1 (random port), stopped on exit; HTTPS when
    ``tls`` is given."""
    fake = FakePagerDuty(incidents, token=token, notes=notes, custom_fields=custom_fields, tls=tls)
    with fake:
        yield fake
