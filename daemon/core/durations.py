"""Prometheus-style durations (``5m``, ``1h``, ``30d``) as whole seconds."""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")


def parse_duration(text: str) -> float:
    """Seconds in a single-unit duration such as ``30d``; ValueError otherwise."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"not a duration like 5m, 1h or 30d: {text!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: float) -> str:
    """Shortest exact single-unit spelling: 300 -> ``5m``, 86400 -> ``1d``, 1.5 -> ``1500ms``."""
    millis = round(seconds * 1000)
    if millis <= 0:
        raise ValueError(f"duration must be positive (got {seconds})")
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if millis % (size * 1000) == 0:
            return f"{millis // (size * 1000)}{unit}"
    return f"{millis}ms"
