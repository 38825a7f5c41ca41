"""The incident side of the config: the ``pagerduty`` and ``reliability`` sections, and each
service's ``pagerduty_service_ids`` and ``reliability_window``."""

from __future__ import annotations

import os
import re

from daemon.config.model import PagerDutyConfig, ReliabilityConfig
from daemon.config.paths import item
from daemon.config.reader import Reader, quote
from daemon.core.windows import MAX_ROLLING_DAYS

_PAGERDUTY_KEYS = (
    "url",
    "token",
    "timeout_seconds",
    "retries",
    "max_retry_wait_seconds",
    "notes",
    "ca_file",
)
_RELIABILITY_KEYS = ("stable_percent", "sharp_percent", "top_incidents")
_PAGERDUTY_DEFAULTS = PagerDutyConfig(token="")
_RELIABILITY_DEFAULTS = ReliabilityConfig()
_NOTES_SOURCES = ("title", "latest_note")
_CUSTOM_FIELD = "custom_field:"
_NOTES_FORMS = "title, latest_note or custom_field:<name>"
_FIELD_NAME = re.compile(r"^[a-z0-9_]+$")
_SERVICE_ID = re.compile(r"^[A-Z0-9]{2,20}$")
_DAYS = re.compile(r"^([0-9]+)d$")
_DAYS_FORM = f"a number of days from 1d to {MAX_ROLLING_DAYS}d, like 30d"


def read_pagerduty(r: Reader, value: object, path: str) -> PagerDutyConfig | None:
    f = r.mapping(value, path, _PAGERDUTY_KEYS)
    if f is None:
        return None
    defaults = _PAGERDUTY_DEFAULTS
    url = f.optional("url", lambda v, p: _https_url(r, v, p))
    ca_file = f.optional("ca_file", lambda v, p: _ca_file(r, v, p))
    token = f.required("token", r.secret)
    timeout = f.optional("timeout_seconds", r.positive)
    retries = f.optional("retries", lambda v, p: r.integer(v, p, minimum=0, maximum=10))
    max_wait = f.optional("max_retry_wait_seconds", r.positive)
    notes = f.optional("notes", lambda v, p: _notes(r, v, p))
    if token is None:
        return None
    defaults_wait = defaults.max_retry_wait_seconds
    notes_source, notes_field = notes if notes is not None else (defaults.notes, None)
    return PagerDutyConfig(
        token=token.value,
        url=url if url is not None else defaults.url,
        timeout_seconds=timeout if timeout is not None else defaults.timeout_seconds,
        retries=retries if retries is not None else defaults.retries,
        max_retry_wait_seconds=max_wait if max_wait is not None else defaults_wait,
        notes=notes_source,
        notes_field=notes_field,
        ca_file=ca_file,
    )


def _https_url(r: Reader, value: object, path: str) -> str | None:
    # PagerDuty's client refuses anything else, and a token must not travel in clear text
    url = r.http_url(value, path)
    if url is not None and not url.startswith("https://"):
        r.add(path, "must be an https:// URL (PagerDuty's API is served over TLS only)")
        return None
    return url


def _ca_file(r: Reader, value: object, path: str) -> str | None:
    text = r.text(value, path)
    if text is None:
        return None
    if not os.path.isfile(text.value):
        r.add(path, f"no such file: {quote(text.shown)}")
        return None
    return text.value


def _notes(r: Reader, value: object, path: str) -> tuple[str, str | None] | None:
    """``title``, ``latest_note`` or ``custom_field:<name>``, as (source, field name)."""
    text = r.text(value, path)
    if text is None:
        return None
    if text.value in _NOTES_SOURCES:
        return text.value, None
    if not text.value.startswith(_CUSTOM_FIELD):
        r.add(path, f"must be {_NOTES_FORMS} (got {quote(text.shown)})")
        return None
    name = text.value.removeprefix(_CUSTOM_FIELD)
    if not name:
        r.add(path, "needs the field's name after custom_field:, as in custom_field:root_cause")
        return None
    if not _FIELD_NAME.fullmatch(name):
        r.add(
            path,
            f"custom field name must match {_FIELD_NAME.pattern} (lowercase letters, digits "
            f"or '_'; got {quote(text.shown)})",
        )
        return None
    return "custom_field", name


def read_reliability(r: Reader, value: object, path: str) -> ReliabilityConfig | None:
    f = r.mapping(value, path, _RELIABILITY_KEYS)
    if f is None:
        return None
    defaults = _RELIABILITY_DEFAULTS
    stable = f.optional("stable_percent", r.positive)
    sharp = f.optional("sharp_percent", r.positive)
    top = f.optional("top_incidents", lambda v, p: r.integer(v, p, minimum=1, maximum=50))
    # a given but wrong value has been reported already: nothing to compare it with
    if (f.has("stable_percent") and stable is None) or (f.has("sharp_percent") and sharp is None):
        return None
    stable = stable if stable is not None else defaults.stable_percent
    if sharp is None:
        if defaults.sharp_percent <= stable:
            r.add(
                f.at("sharp_percent"),
                f"must be given, greater than stable_percent {f.data['stable_percent']!r} "
                f"(the default {defaults.sharp_percent:g} is not)",
            )
            return None
        sharp = defaults.sharp_percent
    elif sharp <= stable:
        stable_shown = repr(f.data["stable_percent"]) if f.has("stable_percent") else f"{stable:g}"
        r.add(
            f.at("sharp_percent"),
            f"must be greater than stable_percent {stable_shown} (got {f.data['sharp_percent']!r})",
        )
        return None
    return ReliabilityConfig(
        stable_percent=stable,
        sharp_percent=sharp,
        top_incidents=top if top is not None else defaults.top_incidents,
    )


def read_pagerduty_service_ids(
    r: Reader, value: object, path: str, has_pagerduty: bool
) -> tuple[str, ...] | None:
    items = r.sequence(value, path)
    if items is None:
        return None
    if items and not has_pagerduty:
        r.add(path, "needs the top-level pagerduty section (url, token)")
    first_at: dict[str, str] = {}
    ids: list[str] = []
    for index, raw in enumerate(items):
        at = item(path, index)
        text = r.matching(
            raw, at, _SERVICE_ID, "a PagerDuty service id: 2 to 20 uppercase letters or digits"
        )
        if text is None:
            continue
        if text.value not in first_at:
            ids.append(text.value)
        r.unique(text, at, first_at, "PagerDuty service id")
    return tuple(ids)


def read_days(r: Reader, value: object, path: str) -> int | None:
    """A rolling length in days, ``Nd``; unlike an SLO window, never ``month`` or ``quarter``."""
    if not isinstance(value, str):
        r.expected(path, _DAYS_FORM, value)
        return None
    text = r.text(value, path)
    if text is None:
        return None
    match = _DAYS.fullmatch(text.value)
    if match is None or not 1 <= int(match.group(1)) <= MAX_ROLLING_DAYS:
        hint = "; calendar windows are for SLOs only" if text.value in ("month", "quarter") else ""
        r.add(path, f"must be {_DAYS_FORM} (got {quote(text.shown)}){hint}")
        return None
    return int(match.group(1))
