"""Write a scenario as OpenMetrics text for ``promtool tsdb create-blocks-from openmetrics``.

Layout: one ``# TYPE`` line per metric family, then every series of that family with all its
samples contiguous and in time order (promtool silently drops out-of-order samples).
Timestamps are integer seconds; counter values are the cumulative sums with resets applied.
"""

from __future__ import annotations

from pathlib import Path

from tests.generator.synthetic import DURATION, REQUESTS, Scenario, Series

#: (family name, OpenMetrics type, series-name prefix) in output order.
FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("http_requests", "counter", REQUESTS),
    (DURATION, "histogram", DURATION + "_"),
)


def _family_of(series: Series) -> str:
    for family, _type, prefix in FAMILIES:
        if series.name.startswith(prefix):
            return family
    raise ValueError(f"no OpenMetrics family for {series.name}")


def _fmt(value: float) -> str:
    """Integers without a decimal point; floats via repr (round-trips exactly)."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def write_openmetrics(scenario: Scenario, path: Path | str) -> Path:
    """Write ``scenario`` to ``path`` (OpenMetrics, ends with ``# EOF``); returns the path."""
    path = Path(path)
    t0 = int(scenario.start.timestamp())
    stamps = [str(t0 + 60 * k) for k in range(scenario.minutes)]
    with path.open("w", encoding="utf-8") as fh:
        for family, kind, _prefix in FAMILIES:
            members = [s for s in scenario.series if _family_of(s) == family]
            if not members:
                continue
            fh.write(f"# TYPE {family} {kind}\n")
            for s in members:
                head = s.selector + " "
                values = scenario.cumulative(s)
                fh.writelines(
                    f"{head}{_fmt(v)} {ts}\n" for v, ts in zip(values, stamps, strict=True)
                )
        fh.write("# EOF\n")
    return path
