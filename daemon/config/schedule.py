"""The ``schedule`` section: how often the daemon collects, reads incidents and refreshes."""

from __future__ import annotations

import re

from daemon.config.model import ScheduleConfig
from daemon.config.reader import Reader, describe, quote

_SCHEDULE_KEYS = (
    "collect_interval",
    "incidents_interval",
    "refresh",
    "misfire_grace_seconds",
)
_SCHEDULE_DEFAULTS = ScheduleConfig()
_DURATION = re.compile(r"^([0-9]{1,9})([smh])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_DURATION_FORM = "a duration in s, m or h, like 90s, 5m or 24h"
# the shortest interval of each key, as written in messages and in seconds
_MINIMUMS = {
    "collect_interval": ("10s", 10),
    "incidents_interval": ("1m", 60),
    "refresh": ("1h", 3600),
}


def read_schedule(r: Reader, value: object, path: str) -> ScheduleConfig | None:
    f = r.mapping(value, path, _SCHEDULE_KEYS)
    if f is None:
        return None
    defaults = _SCHEDULE_DEFAULTS
    collect = f.optional("collect_interval", lambda v, p: _interval(r, v, p, "collect_interval"))
    incidents = f.optional(
        "incidents_interval", lambda v, p: _interval(r, v, p, "incidents_interval")
    )
    refresh = f.optional("refresh", lambda v, p: _interval(r, v, p, "refresh"))
    grace = f.optional(
        "misfire_grace_seconds", lambda v, p: r.integer(v, p, minimum=1, maximum=3600)
    )
    return ScheduleConfig(
        collect_interval_seconds=collect
        if collect is not None
        else defaults.collect_interval_seconds,
        incidents_interval_seconds=(
            incidents if incidents is not None else defaults.incidents_interval_seconds
        ),
        refresh_seconds=refresh if refresh is not None else defaults.refresh_seconds,
        misfire_grace_seconds=grace if grace is not None else defaults.misfire_grace_seconds,
    )


def _interval(r: Reader, value: object, path: str, key: str) -> int | None:
    """A duration ``N`` followed by s, m or h, at least the key's minimum, in seconds."""
    if not isinstance(value, str):
        # `collect_interval: 60` is the likely slip: a number without its unit
        number = isinstance(value, int) and not isinstance(value, bool)
        hint = "; add the unit, as in 60s" if number else ""
        r.add(path, f"must be {_DURATION_FORM} (got {describe(value)}){hint}")
        return None
    text = r.text(value, path)
    if text is None:
        return None
    match = _DURATION.fullmatch(text.value.strip())
    if match is None:
        r.add(path, f"must be {_DURATION_FORM} (got {quote(text.shown)})")
        return None
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    shown, minimum = _MINIMUMS[key]
    if seconds < minimum:
        r.add(path, f"must be at least {shown} (got {quote(text.shown)})")
        return None
    return seconds
