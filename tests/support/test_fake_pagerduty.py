"""The PagerDuty fake answers like the real API, and the spec checker catches what it should."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.fake_pagerduty import FakePagerDuty, fake_pagerduty, incident, note
from tests.support.pagerduty_contract import (
    SPEC_ERRATA,
    SPEC_PATH,
    apply_errata,
    check_request,
    check_response,
    load_spec,
)

REPO = Path(__file__).resolve().parents[2]
SHARED_SPEC = REPO.parent / "shared" / "specs" / "pagerduty-rest-openapiv3.json"
ACCEPT = "application/vnd.pagerduty+json;version=2"
HEADERS = {"Accept": ACCEPT, "Authorization": "Token token=test-token"}
T0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = {"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z"}


def _incidents(n: int) -> list[dict[str, Any]]:
    """n incidents one minute apart from T0, on two services, every third one resolved.

    Listed newest first, so the fake's created_at ordering is actually exercised.
    """
    out = []
    for i in range(n, 0, -1):
        created = T0 + timedelta(minutes=i)
        resolved = created + timedelta(minutes=7) if i % 3 == 0 else None
        status = None if resolved else ("acknowledged" if i % 3 == 1 else "triggered")
        service = "PSVCAAA" if i % 2 else "PSVCBBB"
        out.append(
            incident(
                f"PI{i:05d}",
                i,
                f"incident {i}",
                created,
                resolved,
                service,
                urgency="high" if i % 4 else "low",
                status=status,
            )
        )
    return out


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(HEADERS)
        yield s


@pytest.fixture
def pd() -> Iterator[FakePagerDuty]:
    with fake_pagerduty(_incidents(250)) as fake:
        yield fake


def _list(s: requests.Session, pd: FakePagerDuty, **params: Any) -> requests.Response:
    return s.get(f"{pd.url}/incidents", params={**DAY, **params}, timeout=10)


# --------------------------------------------------------------------------------------------
# The vendored spec and the checker's view of it
# --------------------------------------------------------------------------------------------


def test_vendored_spec_is_the_shared_copy_or_at_least_parses() -> None:
    spec = load_spec()
    assert spec["openapi"] == "3.0.2"
    assert "/incidents" in spec["paths"]
    if SHARED_SPEC.exists():
        assert SPEC_PATH.read_bytes() == SHARED_SPEC.read_bytes()


def test_spec_examples_validate_only_with_the_errata() -> None:
    """Each erratum is needed (the published schema rejects PagerDuty's own examples) and
    sufficient (with the errata, every example of the endpoints we use validates)."""
    spec = load_spec()
    ops = [
        "/incidents",
        "/incidents/{id}",
        "/incidents/{id}/notes",
        "/incidents/{id}/custom_fields/values",
    ]
    examples = [
        (path, ex["value"])
        for path in ops
        for ex in spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"][
            "examples"
        ].values()
    ]
    assert len(examples) == 5
    for path, body in examples:
        concrete = path.replace("{id}", "PT4KHLK")
        assert check_response("GET", concrete, 200, body) == [], path

    from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry().with_resource("urn:raw", Resource.opaque(spec))

    def raw_errors(path: str, body: Any) -> list[str]:
        pointer = (
            "/paths/" + path.replace("/", "~1") + "/get/responses/200/content/"
            "application~1json/schema"
        )
        v = OAS30ReadValidator(
            {"$ref": f"urn:raw#{pointer}"}, registry=registry, format_checker=oas30_format_checker
        )
        return [e.message for e in v.iter_errors(body)]

    rejected = [path for path, body in examples if raw_errors(path, body)]
    assert sorted(rejected) == sorted(
        [
            "/incidents",
            "/incidents/{id}",
            "/incidents/{id}/custom_fields/values",
            "/incidents/{id}/custom_fields/values",
        ]
    )


def test_a_stale_erratum_fails_loudly() -> None:
    spec = copy.deepcopy(load_spec())
    inc = spec["components"]["schemas"]["Incident"]["allOf"][1]["properties"]
    inc["resolved_at"]["nullable"] = True  # as if PagerDuty fixed the spec
    with pytest.raises(RuntimeError, match="resolved_at"):
        apply_errata(spec, SPEC_ERRATA[:1])
    del inc["resolve_reason"]  # as if PagerDuty moved it
    with pytest.raises(RuntimeError, match="resolve_reason"):
        apply_errata(spec, SPEC_ERRATA[3:4])


# --------------------------------------------------------------------------------------------
# check_request
# --------------------------------------------------------------------------------------------

GOOD = {
    "since": ["2026-11-01T00:00:00Z"],
    "until": ["2026-12-01T00:00:00Z"],
    "limit": ["100"],
    "offset": ["0"],
    "total": ["true"],
    "service_ids[]": ["PSVCAAA", "PSVCBBB"],
    "statuses[]": ["resolved", "acknowledged"],
    "time_zone": ["UTC"],
    "sort_by": ["created_at:asc,incident_number"],
    "date_range": ["all"],
}


def test_check_request_accepts_a_conforming_request() -> None:
    assert check_request("GET", "/incidents", GOOD, HEADERS) == []
    assert check_request("GET", "/incidents/PABC123/notes", {}, HEADERS) == []
    assert check_request("get", "/incidents/PABC123/custom_fields/values", {}, HEADERS) == []
    # A naive date-time is fine when time_zone says how to read it.
    naive = {"since": ["2026-11-01T00:00:00"], "until": ["2026-11-02"], "time_zone": ["UTC"]}
    assert check_request("GET", "/incidents", naive, HEADERS) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"service_ids": ["PSVCAAA"]}, "'service_ids' is not declared"),
        ({"limit": ["101"]}, "limit=101 exceeds the documented maximum of 100"),
        ({"limit": ["ten"]}, "'ten' is not an integer"),
        (
            {"statuses[]": ["open"]},
            "'open' is not one of ['triggered', 'acknowledged', 'resolved']",
        ),
        ({"statuses[]": ["resolved", "resolved"]}, "non-unique"),
        ({"date_range": ["year"]}, "'year' is not one of ['all']"),
        ({"total": ["yes"]}, "'yes' is not a boolean"),
        ({"until": ["2027-05-01T00:00:00Z"]}, "more than the documented maximum range of 6 months"),
        ({"until": ["2026-10-01T00:00:00Z"]}, "is before since"),
        ({"since": ["last tuesday"]}, "is not an ISO 8601 date-time"),
        # '+' left unencoded in a query string arrives as a space:
        ({"since": ["2026-11-01T00:00:00 01:00"]}, "is not an ISO 8601 date-time"),
        ({"offset": ["9950"], "limit": ["100"]}, "offset + limit = 10050 exceeds 10,000"),
        ({"offset": ["9990"], "limit": []}, "offset + limit = 10015 exceeds 10,000"),
        ({"time_zone": ["Mars/Olympus"]}, "not a tz database name"),
        ({"sort_by": ["severity:desc"]}, "sort_by item 'severity:desc'"),
        ({"sort_by": ["created_at,incident_number,urgency"]}, "is too long"),
        ({"limit": ["5", "10"]}, "'limit' given 2 times"),
    ],
)
def test_check_request_catches(change: dict[str, list[str]], expected: str) -> None:
    query = {**GOOD, **change}
    query = {k: v for k, v in query.items() if v}
    if "until" in change or "since" in change:
        query.pop("date_range")
    violations = check_request("GET", "/incidents", query, HEADERS)
    assert len(violations) == 1, violations
    assert expected in violations[0]


def test_check_request_catches_a_naive_window_without_time_zone() -> None:
    query = {"since": ["2026-11-01T00:00:00"], "until": ["2026-11-02T00:00:00Z"]}
    (violation,) = check_request("GET", "/incidents", query, HEADERS)
    assert "since='2026-11-01T00:00:00' has no UTC offset" in violation


def test_six_months_is_read_as_180_days() -> None:
    since = T0
    ok = {"since": [since.isoformat()], "until": [(since + timedelta(days=180)).isoformat()]}
    too_long = {**ok, "until": [(since + timedelta(days=180, seconds=1)).isoformat()]}
    assert check_request("GET", "/incidents", ok, HEADERS) == []
    assert check_request("GET", "/incidents", too_long, HEADERS) != []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Authorization": "Token token=x"}, "required header 'Accept' is missing"),
        ({"Authorization": "Token token=x", "Accept": "application/json"}, "version header"),
        ({"Accept": ACCEPT}, "Authorization header is missing"),
        ({"Accept": ACCEPT, "Authorization": "Bearer x"}, "not 'Token token=<API_KEY>'"),
        ({**HEADERS, "Content-Type": "text/plain"}, "Content-Type 'text/plain'"),
    ],
)
def test_check_request_checks_headers(headers: dict[str, str], expected: str) -> None:
    violations = check_request("GET", "/incidents", {"date_range": ["all"]}, headers)
    assert len(violations) == 1, violations
    assert expected in violations[0]


def test_check_request_knows_paths_and_methods() -> None:
    assert "no such path" in check_request("GET", "/incident", {}, HEADERS)[0]
    assert "no DELETE operation" in check_request("DELETE", "/incidents", {}, HEADERS)[0]
    assert "not declared" in check_request("GET", "/incidents/P1/notes", {"limit": ["5"]})[0]


# --------------------------------------------------------------------------------------------
# check_response
# --------------------------------------------------------------------------------------------


def test_check_response_catches_bad_bodies() -> None:
    inc = incident("PI1", 1, "x", T0, None, "PSVCAAA")
    page = {"incidents": [inc], "limit": 25, "offset": 0, "more": False, "total": None}
    assert check_response("GET", "/incidents", 200, page) == []

    bad_inc = {**inc, "status": "open", "created_at": "yesterday", "service": {"id": "PSVC"}}
    violations = check_response("GET", "/incidents", 200, {**page, "incidents": [bad_inc]})
    assert len(violations) == 3, violations
    text = "\n".join(violations)
    assert "$.incidents[0].created_at: 'yesterday' is not a 'date-time'" in text
    assert "$.incidents[0].service: {'id': 'PSVC'} is not valid under any" in text
    assert "$.incidents[0].status: 'open' is not one of" in text
    assert (
        "'incidents' is a required property"
        in check_response("GET", "/incidents", 200, {"limit": 25})[0]
    )
    assert (
        "is not of type 'integer'"
        in check_response("GET", "/incidents", 200, {**page, "total": "250"})[0]
    )
    assert check_response("GET", "/incidents/P1/notes", 200, {"notes": [{"content": 5}]}) != []
    assert "not declared" in check_response("GET", "/incidents", 204, None)[0]


def test_check_response_checks_error_shapes_declared_or_not() -> None:
    good = {"error": {"message": "Rate Limit Exceeded"}}
    bad = {"error": "Rate Limit Exceeded"}
    for status in (400, 401, 402, 403, 429):  # declared for GET /incidents
        assert check_response("GET", "/incidents", status, good) == []
        assert check_response("GET", "/incidents", status, bad) != []
    # 500 and 503 are undeclared for GET /incidents: checked against the generic error schema.
    assert check_response("GET", "/incidents", 500, good) == []
    assert check_response("GET", "/incidents", 503, bad) != []
    assert check_response("GET", "/incidents/P1/custom_fields/values", 401, good) == []
    assert check_response("GET", "/nope", 404, {"error": {"code": "x"}}) != []


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


def test_pagination_walks_every_incident_once_in_created_order(
    pd: FakePagerDuty, session: requests.Session
) -> None:
    pages = []
    offset = 0
    while True:
        r = _list(session, pd, limit=100, offset=offset)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        if not r.json()["more"]:
            break
        offset += 100
    assert [len(p["incidents"]) for p in pages] == [100, 100, 50]
    assert [p["more"] for p in pages] == [True, True, False]
    assert [(p["limit"], p["offset"], p["total"]) for p in pages] == [
        (100, 0, None),
        (100, 100, None),
        (100, 200, None),
    ]
    numbers = [i["incident_number"] for p in pages for i in p["incidents"]]
    assert numbers == list(range(1, 251))
    assert pd.violations == []


def test_defaults_and_total(pd: FakePagerDuty, session: requests.Session) -> None:
    body = _list(session, pd, total="true").json()
    assert (len(body["incidents"]), body["limit"], body["offset"]) == (25, 25, 0)
    assert body["total"] == 250 and body["more"] is True
    assert _list(session, pd, offset=240, total="false").json()["more"] is False
    # A full last page: `more` says whether records remain, not whether the page is full.
    last = _list(session, pd, offset=150, limit=100).json()
    assert (len(last["incidents"]), last["more"]) == (100, False)
    assert pd.violations == []


def test_service_status_and_urgency_filters(pd: FakePagerDuty, session: requests.Session) -> None:
    def numbers(**params: Any) -> list[int]:
        r = _list(session, pd, limit=100, **params)
        assert r.status_code == 200, r.text
        return [i["incident_number"] for i in r.json()["incidents"]]

    assert numbers(**{"service_ids[]": "PSVCAAA", "date_range": "all"})[:4] == [1, 3, 5, 7]
    assert numbers(**{"statuses[]": "resolved"})[:3] == [3, 6, 9]
    both = numbers(**{"statuses[]": ["resolved", "acknowledged"]})
    assert both[:4] == [1, 3, 4, 6]
    assert numbers(**{"statuses[]": "resolved", "service_ids[]": "PSVCBBB"})[:3] == [6, 12, 18]
    assert numbers(**{"service_ids[]": ["PSVCAAA", "PSVCBBB"]})[:3] == [1, 2, 3]
    assert numbers(**{"urgencies[]": "low"})[:3] == [4, 8, 12]
    assert numbers(**{"service_ids[]": "PNOSUCH"}) == []
    assert pd.violations == []


def test_since_is_inclusive_and_until_exclusive(
    pd: FakePagerDuty, session: requests.Session
) -> None:
    # Incident n is created at T0 + n minutes.
    since, until = T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)
    r = session.get(
        f"{pd.url}/incidents",
        params={"since": since.isoformat(), "until": until.isoformat(), "time_zone": "UTC"},
        timeout=10,
    )
    assert [i["incident_number"] for i in r.json()["incidents"]] == list(range(10, 20))
    # An offset in the query string is honoured (+01:00 == one hour earlier in UTC).
    r = session.get(
        f"{pd.url}/incidents",
        params={"since": "2026-11-01T01:10:00+01:00", "until": "2026-11-01T01:12:00+01:00"},
        timeout=10,
    )
    assert [i["incident_number"] for i in r.json()["incidents"]] == [10, 11]
    assert pd.violations == []


def test_sort_by(pd: FakePagerDuty, session: requests.Session) -> None:
    r = _list(session, pd, sort_by="created_at:desc", limit=3)
    assert [i["incident_number"] for i in r.json()["incidents"]] == [250, 249, 248]
    r = _list(session, pd, sort_by="urgency:desc,incident_number:desc", limit=2)
    assert [i["incident_number"] for i in r.json()["incidents"]] == [248, 244]
    assert pd.violations == []


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"until": "2027-05-01T00:00:01Z"}, "maximum date range"),
        ({"until": "2026-10-01T00:00:00Z"}, "until must not be before since"),
        ({"since": "not-a-date"}, "since is not a valid ISO 8601 date"),
        ({"offset": 9901, "limit": 100}, "Offset + limit must not exceed 10000"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"statuses[]": "open"}, "Status must be a list of triggered, acknowledged, or resolved."),
        ({"sort_by": "severity"}, "Invalid sort_by value"),
    ],
)
def test_invalid_arguments_answer_400_in_the_spec_error_shape(
    pd: FakePagerDuty, session: requests.Session, params: dict[str, Any], error: str
) -> None:
    r = _list(session, pd, **params)
    assert r.status_code == 400
    body = r.json()
    assert body["error"]["code"] == 2001
    assert any(error in e for e in body["error"]["errors"]), body
    # The response conforms; the *request* was the problem, and the checker says so.
    assert pd.violations, "check_request should have flagged the request"
    assert not any("->" in v for v in pd.violations), pd.violations


def test_offset_plus_limit_of_exactly_10000_is_allowed(
    pd: FakePagerDuty, session: requests.Session
) -> None:
    r = _list(session, pd, offset=9900, limit=100)
    assert r.status_code == 200
    assert r.json()["incidents"] == [] and r.json()["more"] is False
    assert pd.violations == []


def test_a_180_day_window_is_allowed(pd: FakePagerDuty, session: requests.Session) -> None:
    r = _list(session, pd, until=(T0 + timedelta(days=180)).isoformat())
    assert r.status_code == 200
    assert pd.violations == []


def test_429_with_retry_after_then_success(pd: FakePagerDuty, session: requests.Session) -> None:
    pd.fail_next(429, count=2, headers={"Retry-After": "1", "ratelimit-reset": "1"})
    first, second, third = (_list(session, pd) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "1" and first.headers["ratelimit-reset"] == "1"
    assert first.json() == {"error": {"message": "Rate Limit Exceeded"}}
    assert "Retry-After" not in third.headers
    assert [r.status for r in pd.requests] == [429, 429, 200]
    assert pd.requests[0].headers["authorization"] == "Token token=test-token"
    assert pd.violations == []


def test_500_has_an_error_body_and_precedes_auth(
    pd: FakePagerDuty, session: requests.Session
) -> None:
    pd.fail_next(500)
    r = session.get(
        f"{pd.url}/incidents/PI00001/notes",
        headers={"Authorization": "Token token=wrong"},
        timeout=10,
    )
    assert r.status_code == 500
    assert r.json()["error"]["message"] == "Internal Server Error"
    assert _list(session, pd).status_code == 200
    assert pd.violations == []


def test_401_on_a_bad_or_missing_token(pd: FakePagerDuty, session: requests.Session) -> None:
    r = session.get(
        f"{pd.url}/incidents", params=DAY, headers={"Authorization": "Token token=nope"}, timeout=10
    )
    assert r.status_code == 401
    assert r.json() == {"error": {"message": "Authentication failed", "code": 2006}}
    pd.set_token("rotated")
    assert _list(session, pd).status_code == 401
    session.headers["Authorization"] = "Token token=rotated"
    assert _list(session, pd).status_code == 200
    assert pd.violations == []
    r = requests.get(f"{pd.url}/incidents", params=DAY, headers={"Accept": ACCEPT}, timeout=10)
    assert r.status_code == 401
    assert pd.violations == ["GET /incidents (listIncidents): Authorization header is missing"]


def test_notes_and_single_incident() -> None:
    notes = {"PI00001": [note("PN1", "Rolled back.", T0 + timedelta(minutes=5))]}
    with fake_pagerduty(_incidents(3), notes=notes) as pd, requests.Session() as s:
        s.headers.update(HEADERS)
        r = s.get(f"{pd.url}/incidents/PI00001/notes", timeout=10)
        assert r.status_code == 200
        assert [(n["id"], n["content"], n["channel"]) for n in r.json()["notes"]] == [
            ("PN1", "Rolled back.", {"summary": "The PagerDuty website or APIs"})
        ]
        assert s.get(f"{pd.url}/incidents/PI00002/notes", timeout=10).json() == {"notes": []}
        missing = s.get(f"{pd.url}/incidents/PNOSUCH/notes", timeout=10)
        assert missing.status_code == 404
        assert missing.json() == {"error": {"message": "Not Found", "code": 2100}}
        one = s.get(f"{pd.url}/incidents/PI00003", timeout=10).json()["incident"]
        assert (one["status"], one["resolved_at"]) == ("resolved", "2026-11-01T00:10:00Z")
        assert pd.violations == []


def test_custom_field_values() -> None:
    fields = {
        "PI00001": {
            "environment": "production",
            "regions": ["eu", "us"],
            "customer_impact": True,
            "affected_users": 1200,
            "cost": 3.5,
            "root_cause": None,
        }
    }
    with fake_pagerduty(_incidents(2), custom_fields=fields) as pd, requests.Session() as s:
        s.headers.update(HEADERS)
        r = s.get(f"{pd.url}/incidents/PI00001/custom_fields/values", timeout=10)
        assert r.status_code == 200
        got = {
            f["name"]: (f["value"], f["data_type"], f["field_type"])
            for f in r.json()["custom_fields"]
        }
        assert got == {
            "environment": ("production", "string", "single_value"),
            "regions": (["eu", "us"], "string", "multi_value"),
            "customer_impact": (True, "boolean", "single_value"),
            "affected_users": (1200, "integer", "single_value"),
            "cost": (3.5, "float", "single_value"),
            "root_cause": (None, "string", "single_value"),
        }
        empty = s.get(f"{pd.url}/incidents/PI00002/custom_fields/values", timeout=10)
        assert empty.json() == {"custom_fields": []}
        unknown = s.get(f"{pd.url}/incidents/PNOSUCH/custom_fields/values", timeout=10)
        assert unknown.status_code == 404
        assert pd.violations == []


def test_unknown_paths_and_unemulated_endpoints_are_404_and_flagged(
    pd: FakePagerDuty, session: requests.Session
) -> None:
    assert session.get(f"{pd.url}/incident", timeout=10).status_code == 404
    assert session.get(f"{pd.url}/services", timeout=10).status_code == 404
    assert session.post(f"{pd.url}/incidents", json={}, timeout=10).status_code == 404
    assert pd.violations == [
        "GET /incident: no such path in the PagerDuty REST API spec",
        "fake limitation: GET /services is a real endpoint the fake does not serve",
        # createIncident declares a required From header; the checker reads it off the spec.
        "POST /incidents (createIncident): required header 'From' is missing",
        "fake limitation: POST /incidents is a real endpoint the fake does not serve",
    ]


def test_the_fake_records_what_the_real_api_would_not_accept_or_send() -> None:
    """The violations list can fail: bad requests, unemulated features, and bad fixtures."""
    bad_fixture = {**incident("PI1", 1, "x", T0, None, "PSVCAAA"), "urgency": "critical"}
    with fake_pagerduty([bad_fixture]) as pd, requests.Session() as s:
        s.headers.update(HEADERS)
        s.get(f"{pd.url}/incidents", params={"date_range": "all", "limit": 5}, timeout=10)
        s.get(
            f"{pd.url}/incidents", params={"date_range": "all", "include[]": "services"}, timeout=10
        )
        s.get(f"{pd.url}/incidents", timeout=10)
        s.get(
            f"{pd.url}/incidents",
            params={"date_range": "all"},
            headers={"Accept": "application/json"},
            timeout=10,
        )
        s.get(f"{pd.url}/incidents", params={**DAY, "time_zone": "Europe/Berlin"}, timeout=10)
    text = "\n".join(pd.violations)
    assert "$.incidents[0].urgency: 'critical' is not one of ['high', 'low']" in text
    assert "fake limitation: include[] is not emulated" in text
    assert "fake limitation: GET /incidents without both since and until" in text
    assert "Accept 'application/json'" in text
    assert "fake limitation: time_zone='Europe/Berlin'" in text
    assert [r.status for r in pd.requests] == [200, 200, 400, 200, 200]


def test_date_range_all_ignores_since_and_until(
    pd: FakePagerDuty, session: requests.Session
) -> None:
    r = session.get(
        f"{pd.url}/incidents",
        params={
            "date_range": "all",
            "since": "2030-01-01T00:00:00Z",
            "until": "2030-01-02T00:00:00Z",
            "total": "true",
        },
        timeout=10,
    )
    assert r.json()["total"] == 250
    assert pd.violations == []


def test_incident_helper_builds_valid_incidents_and_refuses_contradictions() -> None:
    resolved = incident("PI1", 1, "db", T0, T0 + timedelta(hours=1), "PSVCAAA", urgency="low")
    assert resolved["status"] == "resolved" and resolved["resolved_at"] == "2026-11-01T01:00:00Z"
    assert resolved["summary"] == "[#1] db"
    assert resolved["html_url"] == "https://fake.pagerduty.test/incidents/PI1"
    acked = incident("PI2", 2, "db", T0, None, "PSVCAAA", status="acknowledged")
    assert len(acked["acknowledgements"]) == 1
    page = {"incidents": [resolved, acked], "limit": 25, "offset": 0, "more": False, "total": None}
    assert check_response("GET", "/incidents", 200, page) == []
    json.dumps(page)  # plain JSON
    with pytest.raises(ValueError, match="before created_at"):
        incident("PI3", 3, "x", T0, T0 - timedelta(seconds=1), "PSVCAAA")
    with pytest.raises(ValueError, match="naive"):
        incident("PI3", 3, "x", datetime(2026, 11, 1), None, "PSVCAAA")
    with pytest.raises(ValueError, match="contradicts"):
        incident("PI3", 3, "x", T0, None, "PSVCAAA", status="resolved")
    with pytest.raises(ValueError, match="unique"):
        FakePagerDuty([resolved, resolved])


def test_a_fixture_the_fake_cannot_serve_is_a_500_and_a_violation() -> None:
    with fake_pagerduty(_incidents(1), custom_fields={"PI00001": {"odd": object()}}) as pd:
        r = requests.get(
            f"{pd.url}/incidents/PI00001/custom_fields/values", headers=HEADERS, timeout=10
        )
    assert r.status_code == 500
    assert [req.status for req in pd.requests] == [500]
    assert any(
        v.startswith("fake error on GET /incidents/PI00001/custom_fields/values")
        for v in pd.violations
    ), pd.violations
