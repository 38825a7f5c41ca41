"""The ``slos:`` entries of a service: objective, window and one of the two SLI forms."""

from __future__ import annotations

import re

from daemon.config.paths import item
from daemon.config.reader import Reader, Text, quote
from daemon.core.slo import WINDOW_PLACEHOLDER, LatencySli, RatioSli, Sli, SloSpec, WindowSpec
from daemon.core.windows import parse_window

# also used as file names and metric label values downstream, hence lowercase and short
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_METRIC = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")
# Sloth writes `{{.window}}`; people also write Go-template spacing `{{ .window }}`
_WINDOW = re.compile(r"\{\{\s*\.window\s*\}\}")
_TEMPLATE = re.compile(r"\{\{.*?\}\}")

_SLO_KEYS = ("name", "description", "objective", "window", "min_events", "sli")
_RATIO_KEYS = ("error_query", "total_query")
_SLI_KEYS = (*_RATIO_KEYS, "latency")
_LATENCY_KEYS = ("histogram", "selector", "threshold_seconds")
_SLI_FORMS = "error_query and total_query (a ratio SLI) or latency (a latency SLI)"


def read_name(r: Reader, value: object, path: str) -> Text | None:
    return r.matching(
        value, path, NAME, "lowercase letters, digits, '.', '_' or '-', at most 63 characters"
    )


def read_slos(r: Reader, value: object, path: str) -> tuple[SloSpec, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    first_at: dict[str, str] = {}
    slos = (_slo(r, raw, item(path, index), first_at) for index, raw in enumerate(items))
    return tuple(slo for slo in slos if slo is not None)


def _slo(r: Reader, value: object, path: str, first_at: dict[str, str]) -> SloSpec | None:
    f = r.mapping(value, path, _SLO_KEYS)
    if f is None:
        return None
    name = f.required("name", lambda v, p: read_name(r, v, p))
    if name is not None:
        r.unique(name, f.at("name"), first_at, "SLO name")
    description = f.optional("description", r.text)
    objective = f.required("objective", lambda v, p: _objective(r, v, p))
    window = f.required("window", lambda v, p: _window(r, v, p))
    min_events = f.optional("min_events", lambda v, p: r.integer(v, p, minimum=1))
    sli = f.required("sli", lambda v, p: _sli(r, v, p))
    if name is None or objective is None or window is None or sli is None:
        return None
    return SloSpec(
        name=name.value,
        objective_percent=objective,
        window=window,
        sli=sli,
        description=description.value if description is not None else None,
        min_events=min_events,
    )


def _objective(r: Reader, value: object, path: str) -> float | None:
    number = r.number(value, path)
    if number is None:
        return None
    if not 0 < number < 100:
        # 100 is the usual slip: a perfect objective has no error budget to spend or report on
        hint = "; 100 leaves no error budget" if number == 100 else ""
        r.add(path, f"must be between 0 and 100 (got {value!r}){hint}")
        return None
    return number


def _window(r: Reader, value: object, path: str) -> WindowSpec | None:
    if not isinstance(value, str):
        r.expected(path, "a window like 30d, or month, or quarter", value)
        return None
    text = r.text(value, path)
    if text is None:
        return None
    try:
        return parse_window(text.value)
    except ValueError as exc:
        # parse_window quotes what it got, which may be a substituted variable's value
        r.add(path, str(exc).replace(repr(text.value), quote(text.shown)))
        return None


def _sli(r: Reader, value: object, path: str) -> Sli | None:
    f = r.mapping(value, path, _SLI_KEYS)
    if f is None:
        return None
    ratio = any(f.has(key) for key in _RATIO_KEYS)
    latency = f.has("latency")
    if ratio and latency:
        r.add(path, f"must give either {_SLI_FORMS}, not both")
        return None
    if not ratio and not latency:
        r.add(path, f"must give either {_SLI_FORMS}")
        return None
    if latency:
        return f.required("latency", lambda v, p: _latency(r, v, p))
    error_query = f.required("error_query", lambda v, p: _query(r, v, p))
    total_query = f.required("total_query", lambda v, p: _query(r, v, p))
    if error_query is None or total_query is None:
        return None
    return RatioSli(error_query=error_query, total_query=total_query)


def _query(r: Reader, value: object, path: str) -> str | None:
    text = r.text(value, path)
    if text is None:
        return None
    query = _WINDOW.sub(WINDOW_PLACEHOLDER, text.value)
    if WINDOW_PLACEHOLDER in query:
        return query
    message = f"must contain the {WINDOW_PLACEHOLDER} placeholder, as in rate(x[{{{{.window}}}}])"
    other = _TEMPLATE.search(query)
    # a misspelt placeholder is worth naming, unless it came out of a variable's value
    if other is not None and text.shown == text.value:
        message += f" (found {other.group(0)!r}; only {WINDOW_PLACEHOLDER} is filled in)"
    r.add(path, message)
    return None


def _latency(r: Reader, value: object, path: str) -> LatencySli | None:
    f = r.mapping(value, path, _LATENCY_KEYS)
    if f is None:
        return None
    histogram = f.required("histogram", lambda v, p: _histogram(r, v, p))
    selector = f.optional("selector", lambda v, p: _selector(r, v, p))
    threshold = f.required("threshold_seconds", r.positive)
    if histogram is None or threshold is None:
        return None
    return LatencySli(histogram=histogram, selector=selector or "{}", threshold_seconds=threshold)


def _histogram(r: Reader, value: object, path: str) -> str | None:
    text = r.matching(value, path, _METRIC, "a Prometheus metric name")
    if text is None:
        return None
    for suffix in _HISTOGRAM_SUFFIXES:
        if text.value.endswith(suffix):
            r.add(
                path,
                f"must be the histogram's base name, without {suffix} "
                f"(got {quote(text.shown)}; the _bucket and _count series are derived from it)",
            )
            return None
    return text.value


def _selector(r: Reader, value: object, path: str) -> str | None:
    # `{}` is a valid selector and an empty string is not, so the blank check of r.text fits
    text = r.text(value, path)
    if text is None:
        return None
    selector = text.value.strip()
    if not (selector.startswith("{") and selector.endswith("}")):
        r.add(
            path,
            "must be a label selector in braces, like '{service=\"checkout\"}' or '{}' "
            f"(got {quote(text.shown)})",
        )
        return None
    return selector
