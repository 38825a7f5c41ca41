"""PagerDuty's published OpenAPI 3.0.2 spec, vendored, used as a checker.

``check_request`` and ``check_response`` say whether a request our client made, or a response a
fake answered with, is one the real PagerDuty REST API v2 documents. They return human-readable
violation strings; an empty list means conforming. Provenance of the spec and the reasoning
behind every rule that does not come straight from a schema: ``tests/contracts/README.md``.

Rules come from three places, and every violation message says which:

* the spec's schemas (parameter declarations, enums, types, response bodies);
* the spec's prose (``limit`` "Maximum of 100", ``since``/``until`` "Maximum range is 6 months"
  -- read as 180 days -- and "`since/until` default to the account's time zone");
* PagerDuty's pagination documentation, not in the spec: in classic (offset) pagination
  ``offset + limit`` may not exceed 10,000 (the server answers 400; PagerDuty's own Python client
  pdpyras encodes this as ``ITERATION_LIMIT``).

Where the spec contradicts its own examples (``resolved_at: null`` on an unresolved incident,
bare custom-field values, ...), ``SPEC_ERRATA`` patches the in-memory copy used for response
validation; ``load_spec()`` itself returns the file as published.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openapi_schema_validator import OAS30ReadValidator, OAS30Validator, oas30_format_checker
from referencing import Registry, Resource

SPEC_PATH = Path(__file__).resolve().parents[1] / "contracts" / "pagerduty-rest-openapiv3.json"
SPEC_URI = "urn:pagerduty:rest-openapiv3"

ACCEPT_V2 = "application/vnd.pagerduty+json;version=2"
MAX_RANGE = timedelta(days=180)
"""The spec says "Maximum range is 6 months"; months vary in length, so we read it as 180 days,
the strictest common reading (a client that stays within it is within any longer one)."""
CLASSIC_PAGINATION_LIMIT = 10_000
"""offset + limit may not exceed this (PagerDuty pagination docs; pdpyras ``ITERATION_LIMIT``)."""
DEFAULT_LIMIT = 25
"""PagerDuty's documented default page size for classic pagination (not in the spec)."""

_MAX_ERRORS_PER_RESPONSE = 20
_MESSAGE_CHARS = 300


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


@cache
def load_spec() -> dict[str, Any]:
    """The vendored spec exactly as published (parsed once per process; do not mutate)."""
    with SPEC_PATH.open("rb") as f:
        spec: dict[str, Any] = json.load(f)
    return spec


@dataclass(frozen=True)
class Erratum:
    """A place where the spec's schema contradicts the spec's own examples or prose."""

    pointer: str
    evidence: str
    fix: Callable[[Any], Any]


def _nullable(schema: Any) -> Any:
    # OAS 3.0 `nullable` only means something next to `type`; refuse to apply a stale erratum.
    if "type" not in schema or schema.get("nullable") is True:
        raise ValueError("erratum no longer applies (no `type`, or already nullable)")
    return {**schema, "nullable": True}


def _ref_or_null(schema: Any) -> Any:
    if "$ref" not in schema:
        raise ValueError("erratum no longer applies (target is not a bare $ref)")
    return {"anyOf": [schema, {"type": "object", "nullable": True, "enum": [None]}]}


def _unwrap_field_value(schema: Any) -> Any:
    variants = schema.get("oneOf")
    if not variants or not all(
        v.get("type") == "object" and set(v.get("properties", {})) == {"value"} for v in variants
    ):
        raise ValueError("erratum no longer applies (value variants are not {value: ...} wrappers)")
    # anyOf, not oneOf: the bare variants overlap (an integer is also a float, a URL a string).
    return {"anyOf": [v["properties"]["value"] for v in variants]}


_INCIDENT = "/components/schemas/Incident/allOf/1/properties"

SPEC_ERRATA: tuple[Erratum, ...] = (
    Erratum(
        f"{_INCIDENT}/resolved_at",
        "its description says it is null if the incident is not resolved, and the GET "
        "/incidents/{id} example has resolved_at: null; the schema is not nullable",
        _nullable,
    ),
    Erratum(
        f"{_INCIDENT}/alert_grouping",
        'its description says "Will be null if the incident has no alerts"',
        _nullable,
    ),
    Erratum(
        f"{_INCIDENT}/alert_grouping/properties/ended_at",
        "the GET /incidents and GET /incidents/{id} examples have alert_grouping.ended_at: null",
        _nullable,
    ),
    Erratum(
        f"{_INCIDENT}/resolve_reason",
        "the GET /incidents and GET /incidents/{id} examples have resolve_reason: null",
        _ref_or_null,
    ),
    Erratum(
        "/components/schemas/CustomFieldsFieldValue/properties/value",
        "the schema wraps each variant in an object {value: ...}, but both examples of GET "
        '/incidents/{id}/custom_fields/values show the bare value ("production", '
        '["production", "staging"])',
        _unwrap_field_value,
    ),
)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _resolve_pointer(doc: Any, pointer: str) -> Any:
    node = doc
    for token in pointer.lstrip("/").split("/"):
        key = _unescape(token)
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _replace_at(node: Any, tokens: list[str], fix: Callable[[Any], Any]) -> Any:
    """Copy-on-write replacement: shallow-copies only the containers along the pointer."""
    if not tokens:
        return fix(node)
    key = _unescape(tokens[0])
    if isinstance(node, list):
        copy_list = list(node)
        copy_list[int(key)] = _replace_at(node[int(key)], tokens[1:], fix)
        return copy_list
    if key not in node:
        raise KeyError(key)
    return {**node, key: _replace_at(node[key], tokens[1:], fix)}


def apply_errata(spec: Mapping[str, Any], errata: Iterable[Erratum] = SPEC_ERRATA) -> Any:
    """``spec`` with ``errata`` applied; raises if an erratum's target moved or got fixed."""
    patched: Any = spec
    for erratum in errata:
        try:
            patched = _replace_at(patched, erratum.pointer.lstrip("/").split("/"), erratum.fix)
        except (KeyError, IndexError, ValueError) as exc:
            raise RuntimeError(
                f"spec erratum at {erratum.pointer} no longer applies ({exc}); the vendored spec "
                "changed: revisit SPEC_ERRATA in tests/support/pagerduty_contract.py"
            ) from exc
    return patched


@dataclass(frozen=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int
    item: Mapping[str, Any]


@dataclass(frozen=True)
class _Contract:
    spec: Any  # errata applied
    registry: Registry[Any]
    routes: tuple[_Route, ...]
    error_schema_pointer: str


_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def _route(template: str, item: Mapping[str, Any]) -> _Route:
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    literal = sum(1 for seg in template.split("/") if seg and "{" not in seg)
    return _Route(template, re.compile(f"^{regex}$"), literal, item)


def _generic_error_pointer(spec: Any) -> str:
    """The schema every declared error response of the spec shares.

    The spec has no ``#/components/schemas/Error``; its error responses (ArgumentError,
    Unauthorized, NotFound, TooManyRequests, InternalServerError, ...) all point at one
    "Generic error response from the PagerDuty API" schema. Undeclared error statuses are checked
    against the one InternalServerError uses.
    """
    pointer = "/components/responses/InternalServerError/content/application~1json/schema"
    _resolve_pointer(spec, pointer)  # fail loudly if the spec moved it
    return pointer


@cache
def _contract() -> _Contract:
    spec = apply_errata(load_spec())
    # Opaque resource: OpenAPI 3.0 schemas have no `id`, so every `#/...` ref is relative to the
    # document root, which is what an opaque resource gives.
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, Resource.opaque(spec))
    routes = tuple(
        sorted(
            (_route(t, item) for t, item in spec["paths"].items()),
            key=lambda r: (-r.literal_segments, r.template),
        )
    )
    return _Contract(spec, registry, routes, _generic_error_pointer(spec))


@cache
def _validator(pointer: str) -> Any:
    """Response validator for the schema at ``pointer`` (readOnly properties allowed)."""
    return OAS30ReadValidator(
        {"$ref": f"{SPEC_URI}#{pointer}"},
        registry=_contract().registry,
        format_checker=oas30_format_checker,
    )


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """``(path template, operation)`` for a concrete path such as ``/incidents/PABC123/notes``."""
    path = path.split("?", 1)[0]
    for route in _contract().routes:
        if route.pattern.match(path):
            op = route.item.get(method.lower())
            return (route.template, op) if op is not None else None
    return None


def _known_path(path: str) -> str | None:
    path = path.split("?", 1)[0]
    return next((r.template for r in _contract().routes if r.pattern.match(path)), None)


def _deref(node: Any) -> Any:
    spec = _contract().spec
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or seen > 20:
            raise ValueError(f"unsupported $ref {ref!r}")
        node = _resolve_pointer(spec, ref[1:])
        seen += 1
    return node


def _parameters(template: str, op: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    item = _contract().spec["paths"][template]
    params: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*item.get("parameters", []), *op.get("parameters", [])]:
        p = _deref(raw)
        params[(p["in"], p["name"])] = p  # operation-level overrides path-level
    return params


# --------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------

_INT_RE = re.compile(r"[+-]?\d+")
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


class _Uncoercible(ValueError):
    pass


def _coerce(raw: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        if not _INT_RE.fullmatch(raw):
            raise _Uncoercible(f"{raw!r} is not an integer")
        return int(raw)
    if kind == "number":
        if not _NUMBER_RE.match(raw):
            raise _Uncoercible(f"{raw!r} is not a number")
        return float(raw)
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise _Uncoercible(f"{raw!r} is not a boolean (send 'true' or 'false')")
        return raw == "true"
    return raw


def _schema_errors(value: Any, schema: Mapping[str, Any]) -> list[str]:
    # Parameter schemas are small and inline apart from $refs into components; validate them
    # against the contract registry so refs resolve.
    validator = OAS30Validator(
        schema, registry=_contract().registry, format_checker=oas30_format_checker
    )
    return [_short(e.message) for e in validator.iter_errors(value)]


def _short(text: str) -> str:
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."


def parse_iso8601(raw: str) -> datetime | None:
    """``datetime`` for an ISO 8601 date or date-time (naive if no offset), else ``None``."""
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _is_repeatable(param: Mapping[str, Any], schema: Mapping[str, Any]) -> bool:
    # `statuses[]` & co. are declared with a scalar schema plus `explode: true`, and their
    # descriptions say to pass them more than once; treat the `[]` suffix as the signal too.
    explode = param.get("explode", param.get("style", "form") == "form")
    return bool(explode) and (schema.get("type") == "array" or param["name"].endswith("[]"))


def _check_query_param(
    where: str, param: Mapping[str, Any], values: list[str], out: list[str]
) -> None:
    name = param["name"]
    schema = _deref(param.get("schema", {}))
    is_array = schema.get("type") == "array"
    item_schema = _deref(schema.get("items", {})) if is_array else schema
    if not _is_repeatable(param, schema) and len(values) > 1:
        out.append(
            f"{where}: query parameter {name!r} given {len(values)} times; it takes one value"
        )
        values = values[:1]
    raw_items = values
    if is_array and param.get("explode") is False:  # style=form, explode=false: a,b
        raw_items = [part for v in values for part in v.split(",")]
    coerced: list[Any] = []
    for raw in raw_items:
        try:
            coerced.append(_coerce(raw, item_schema))
        except _Uncoercible as exc:
            out.append(f"{where}: query parameter {name!r}: {exc} (spec schema)")
    if len(coerced) != len(raw_items):
        return
    if is_array:
        errors = _schema_errors(coerced, schema)
    else:
        errors = [e for value in coerced for e in _schema_errors(value, schema)]
        if schema.get("uniqueItems") and len(set(coerced)) != len(coerced):
            errors.append(f"{coerced!r} has non-unique elements")
    out.extend(f"{where}: query parameter {name!r}: {e} (spec schema)" for e in errors)
    if item_schema.get("format") == "tzinfo":
        for value in coerced:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                out.append(
                    f"{where}: query parameter {name!r}: {value!r} is not a tz database name"
                )


def _prose_rules(
    where: str,
    params: Mapping[tuple[str, str], Mapping[str, Any]],
    query: Mapping[str, list[str]],
    out: list[str],
) -> None:
    """Rules the spec states in descriptions, plus the documented classic-pagination cap."""
    query_params = {name: p for (loc, name), p in params.items() if loc == "query"}

    def single_int(name: str) -> int | None:
        values = query.get(name)
        if not values or not _INT_RE.fullmatch(values[0]):
            return None
        return int(values[0])

    # "Maximum of N" in an integer parameter's description.
    for name, p in query_params.items():
        m = re.search(r"Maximum of (\d+)", p.get("description", ""))
        value = single_int(name)
        if m and value is not None and value > int(m.group(1)):
            out.append(
                f"{where}: {name}={value} exceeds the documented maximum of {m.group(1)} "
                f"(spec description: {p['description'].strip()!r})"
            )

    # Classic pagination: offset + limit <= 10,000.
    if "offset" in query_params and "limit" in query_params:
        offset = single_int("offset")
        limit = single_int("limit")
        offset = 0 if offset is None else offset
        limit = DEFAULT_LIMIT if limit is None else limit
        if offset + limit > CLASSIC_PAGINATION_LIMIT:
            out.append(
                f"{where}: offset + limit = {offset + limit} exceeds {CLASSIC_PAGINATION_LIMIT:,}, "
                "the classic-pagination limit (PagerDuty pagination docs; the API answers 400)"
            )
        if offset < 0 or limit < 1:
            out.append(
                f"{where}: offset must be >= 0 and limit >= 1, got {offset} and {limit} "
                "(not in the spec; a page of 0 records or a negative offset is a client bug)"
            )

    # since/until: ISO 8601, explicit time zone, at most "6 months" (180 days) apart.
    if "since" in query_params and "until" in query_params:
        bounds: dict[str, datetime] = {}
        for name in ("since", "until"):
            values = query.get(name)
            if not values:
                continue
            parsed = parse_iso8601(values[0])
            if parsed is None:
                out.append(f"{where}: {name}={values[0]!r} is not an ISO 8601 date-time")
                continue
            if parsed.tzinfo is None and "time_zone" in query_params and "time_zone" not in query:
                out.append(
                    f"{where}: {name}={values[0]!r} has no UTC offset and no time_zone is "
                    "given, so PagerDuty reads it in the account's time zone "
                    "(spec: time_zone description)"
                )
            bounds[name] = parsed
        if len(bounds) == 2:
            zone = _zone(query.get("time_zone", ["UTC"])[0])
            since, until = (
                b if b.tzinfo else b.replace(tzinfo=zone)
                for b in (bounds["since"], bounds["until"])
            )
            if until < since:
                out.append(f"{where}: until ({until.isoformat()}) is before since")
            elif until - since > MAX_RANGE:
                out.append(
                    f"{where}: since..until spans {until - since}, more than the documented "
                    f"maximum range of 6 months (read as {MAX_RANGE.days} days; spec description: "
                    f"{query_params['since'].get('description', '').strip()!r})"
                )

    # sort_by: "(incident_number/created_at/resolved_at/urgency)" with optional ":asc"/":desc".
    sort_param = query_params.get("sort_by")
    if sort_param and query.get("sort_by"):
        m = re.search(r"\(([a-z_]+(?:/[a-z_]+)+)\)", sort_param.get("description", ""))
        if m:
            fields = set(m.group(1).split("/"))
            for item in (i for v in query["sort_by"] for i in v.split(",")):
                field, _, direction = item.partition(":")
                if field not in fields or direction not in ("", "asc", "desc"):
                    out.append(
                        f"{where}: sort_by item {item!r} is not FIELD[:asc|:desc] with FIELD in "
                        f"{sorted(fields)} (spec description)"
                    )


def check_request(
    method: str,
    path: str,
    query: Mapping[str, list[str]],
    headers: Mapping[str, str] | None = None,
) -> list[str]:
    """Violations of the spec by a request (``[]`` = conforming).

    ``path`` is the concrete path (``/incidents/PABC123/notes``); ``query`` maps each parameter
    name to all of its values, as ``urllib.parse.parse_qs`` returns them. ``headers`` (any case)
    are checked when given: the ``Accept`` version header the operation declares, and
    ``Authorization: Token token=...``. With ``headers=None`` headers are not checked.
    """
    method = method.upper()
    where = f"{method} {path.split('?', 1)[0]}"
    found = find_operation(method, path)
    if found is None:
        template = _known_path(path)
        if template is None:
            return [f"{where}: no such path in the PagerDuty REST API spec"]
        return [f"{where}: the spec declares no {method} operation for {template}"]
    template, op = found
    where = f"{where} ({op.get('operationId', template)})"
    out: list[str] = []
    params = _parameters(template, op)

    for name in query:
        if ("query", name) not in params:
            out.append(f"{where}: query parameter {name!r} is not declared by the operation")
    for (loc, name), p in params.items():
        if loc != "query":
            continue
        if name in query:
            _check_query_param(where, p, list(query[name]), out)
        elif p.get("required"):
            out.append(f"{where}: required query parameter {name!r} is missing")
    _prose_rules(where, params, query, out)

    if headers is not None:
        for (loc, name), p in params.items():
            if loc != "header":
                continue
            value = _header(headers, name)
            schema = _deref(p.get("schema", {}))
            if name.lower() == "content-type" and "requestBody" not in op:
                # Declared required even on bodiless GETs; only check it when sent.
                if value is not None and value.split(";")[0].strip() not in schema.get(
                    "enum", [value]
                ):
                    out.append(f"{where}: Content-Type {value!r} not in {schema.get('enum')}")
                continue
            if value is None:
                if p.get("required"):
                    out.append(f"{where}: required header {name!r} is missing")
                continue
            if name.lower() == "accept" and "default" in schema:
                if (
                    value.replace(" ", "").lower()
                    != str(schema["default"]).replace(" ", "").lower()
                ):
                    out.append(
                        f"{where}: Accept {value!r}, the spec's version header is "
                        f"{schema['default']!r}"
                    )
            elif "enum" in schema and value not in schema["enum"]:
                out.append(f"{where}: header {name!r}={value!r} not in {schema['enum']}")
        spec = _contract().spec
        for requirement in op.get("security", spec.get("security", [])):
            for scheme_name in requirement:
                scheme = spec["components"]["securitySchemes"][scheme_name]
                if scheme.get("type") != "apiKey" or scheme.get("in") != "header":
                    continue
                value = _header(headers, scheme["name"])
                if value is None:
                    out.append(f"{where}: {scheme['name']} header is missing")
                elif "Token token=" in scheme.get("description", "") and not re.fullmatch(
                    r"Token token=\S+", value
                ):
                    out.append(
                        f"{where}: {scheme['name']} header is not 'Token token=<API_KEY>' "
                        "(spec securitySchemes.api_key)"
                    )
    return out


# --------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------


def _response_pointer(template: str, method: str, status: int, op: Mapping[str, Any]) -> str | None:
    responses = op.get("responses", {})
    for key in (str(status), f"{status // 100}XX", "default"):
        if key in responses:
            base = f"/paths/{_escape(template)}/{method.lower()}/responses/{key}"
            response = responses[key]
            if "$ref" in response:
                base = response["$ref"][1:]
            return base
    return None


def check_response(method: str, path: str, status: int, body: object) -> list[str]:
    """Violations of the spec by a response body (``[]`` = conforming).

    The body is validated against the operation's declared response for ``status`` (exact,
    then ``4XX``-style, then ``default``). Error statuses the operation does not declare (a 500
    on GET /incidents, a 401 on the custom-fields endpoint) are validated against the generic
    error schema the spec's declared error responses share. An undeclared success status is a
    violation.
    """
    method = method.upper()
    where = f"{method} {path.split('?', 1)[0]} -> {status}"
    contract = _contract()
    found = find_operation(method, path)
    pointer: str | None = None
    if found is not None:
        template, op = found
        pointer = _response_pointer(template, method, status, op)
    if pointer is None:
        if status >= 400:
            schema_pointer = contract.error_schema_pointer
        elif found is None:
            return [f"{where}: no {method} operation for this path in the spec"]
        else:
            return [f"{where}: status {status} is not declared by {found[1].get('operationId')}"]
    else:
        response = _resolve_pointer(contract.spec, pointer)
        content = _deref(response).get("content")
        if not content:
            if body not in (None, b"", ""):
                return [f"{where}: the spec declares no body for this response"]
            return []
        media = "application/json"
        if media not in content:
            return [f"{where}: the spec declares no {media} body (only {sorted(content)})"]
        schema_pointer = f"{pointer}/content/{_escape(media)}/schema"
    errors = sorted(_validator(schema_pointer).iter_errors(body), key=lambda e: list(e.path))
    out = [
        f"{where}: {e.json_path}: {_short(e.message)}" for e in errors[:_MAX_ERRORS_PER_RESPONSE]
    ]
    if len(errors) > _MAX_ERRORS_PER_RESPONSE:
        out.append(f"{where}: ... and {len(errors) - _MAX_ERRORS_PER_RESPONSE} more")
    return out
