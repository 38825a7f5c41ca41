"""Baseline for bench/pack_cost.py: burn-rate alert firings the naive way.

Asks Prometheus to evaluate every burn-rate window at every minute of the budget window: for
each of the 7 windows (5m, 30m, 1h, 2h, 6h, 1d, 3d) a range query of the bad and of the total
rate at a 1-minute step, chunked at 11,000 points per request, then checks the four
multi-window multi-burn-rate conditions minute by minute. It reads the same config file as
``slo-prep`` (ratio SLIs only) and prints the firings as JSON with the number of requests sent.

Deliberately independent of slo-prep's code (stdlib, PyYAML and requests only), so that the two
whole processes can be timed side by side and their firings compared.

    python bench/naive_firings.py SERVICE -c CONFIG --at 2026-11-16T00:00:00Z
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests
import yaml

STEP = 60  # seconds: one evaluation per minute, as a rule evaluated every minute would
MAX_POINTS = 11_000  # Prometheus refuses more points per series in one range query
PLACEHOLDER = "{{.window}}"

# (severity, long window, short window, share of the budget spent) as in daemon/core/burn.py
CONDITIONS = (
    ("page", 3600, 300, 0.02),
    ("page", 6 * 3600, 1800, 0.05),
    ("ticket", 86400, 2 * 3600, 0.10),
    ("ticket", 3 * 86400, 6 * 3600, 0.10),
)
WINDOWS = {300: "5m", 1800: "30m", 3600: "1h", 7200: "2h", 21600: "6h", 86400: "1d", 259200: "3d"}


@dataclass
class Client:
    url: str
    timeout: float
    session: requests.Session
    round_trips: int = 0

    def range_values(self, query: str, first: int, last: int) -> dict[int, float]:
        """Value by Unix second of a one-series range query over [first, last]."""
        values: dict[int, float] = {}
        span = STEP * (MAX_POINTS - 1)
        start = first
        while start <= last:
            end = min(start + span, last)
            response = self.session.get(
                f"{self.url}/api/v1/query_range",
                params={"query": query, "start": start, "end": end, "step": STEP},
                timeout=self.timeout,
            )
            self.round_trips += 1
            response.raise_for_status()
            body = response.json()
            if body.get("status") != "success":
                raise RuntimeError(f"query failed: {body.get('error')}")
            result = body["data"]["result"]
            if len(result) > 1:
                raise RuntimeError(f"{query!r} returned {len(result)} series, expected one")
            for series in result:
                for stamp, value in series["values"]:
                    values[int(stamp)] = float(value)
            start = end + STEP
        return values


def resolve_window(text: str, at: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a rolling ``Nd``, calendar ``month`` or ``quarter`` window at ``at``."""
    if text.endswith("d") and text[:-1].isdigit():
        return at - timedelta(days=int(text[:-1])), at
    if text not in ("month", "quarter"):
        raise ValueError(f"unsupported window {text!r}")
    months = 1 if text == "month" else 3
    first = at.month if months == 1 else 3 * ((at.month - 1) // 3) + 1

    def month_start(month: int) -> datetime:
        return datetime(at.year + (month - 1) // 12, (month - 1) % 12 + 1, 1, tzinfo=UTC)

    return month_start(first), month_start(first + months)


def intervals(on: list[bool], stamps: list[int]) -> Iterator[tuple[int, int | None]]:
    """(first minute on, first minute off again or None) for every run of ``True``."""
    started: int | None = None
    for flag, stamp in zip(on, stamps, strict=True):
        if flag and started is None:
            started = stamp
        elif not flag and started is not None:
            yield started, stamp
            started = None
    if started is not None:
        yield started, None


def iso(stamp: int | None) -> str | None:
    if stamp is None:
        return None
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slo_firings(client: Client, slo: dict[str, Any], at: datetime, preroll: bool) -> dict[str, Any]:
    start, end = resolve_window(str(slo["window"]), at)
    budget = float((Decimal(100) - Decimal(repr(float(slo["objective"])))) / Decimal(100))
    period = (end - start).total_seconds()
    last = int(at.timestamp())
    # the grid ends exactly at `at`; Prometheus looks back over each window by itself, so
    # minutes before the window start are only fetched with --preroll
    evaluate_from = int(start.timestamp())
    fetch_from = evaluate_from - (max(WINDOWS) if preroll else 0)
    first = last - ((last - fetch_from) // STEP) * STEP
    stamps = [t for t in range(first, last + 1, STEP) if t >= evaluate_from]

    burn: dict[int, list[float | None]] = {}
    for seconds, label in WINDOWS.items():
        bad_q = slo["sli"]["error_query"].replace(PLACEHOLDER, label)
        total_q = slo["sli"]["total_query"].replace(PLACEHOLDER, label)
        bad = client.range_values(bad_q, first, last)
        total = client.range_values(total_q, first, last)
        burn[seconds] = [
            None
            if not total.get(t)
            else bad.get(t, 0.0) / total[t] / budget  # no bad series: no bad events
            for t in stamps
        ]

    found = []
    for severity, long_s, short_s, spent in CONDITIONS:
        threshold = spent * period / long_s
        on = [
            lng is not None and sht is not None and lng > threshold and sht > threshold
            for lng, sht in zip(burn[long_s], burn[short_s], strict=True)
        ]
        for begin, stop in intervals(on, stamps):
            found.append(
                {
                    "severity": severity,
                    "long_window": WINDOWS[long_s],
                    "short_window": WINDOWS[short_s],
                    "burn_rate_threshold": threshold,
                    "start": iso(begin),
                    "end": iso(stop),
                    "_order": (begin, severity, long_s),
                }
            )
    found.sort(key=lambda f: f.pop("_order"))
    return {
        "name": slo["name"],
        "window": {"label": str(slo["window"]), "start": iso(evaluate_from), "end": iso(last)},
        "evaluated_minutes": len(stamps),
        "firings": found,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("service")
    parser.add_argument("-c", "--config", required=True, metavar="FILE")
    parser.add_argument("--at", required=True, metavar="RFC3339")
    parser.add_argument(
        "--preroll",
        action="store_true",
        help="also fetch the 3 days before the window start (slo-prep's range; not needed here)",
    )
    args = parser.parse_args(argv)

    at = datetime.fromisoformat(args.at.replace("Z", "+00:00")).astimezone(UTC)
    with open(args.config, encoding="utf-8") as fh:
        config = yaml.safe_load(fh)
    prometheus = config["prometheus"]
    services = {s["name"]: s for s in config["services"]}
    if args.service not in services:
        print(f"unknown service {args.service!r}", file=sys.stderr)
        return 2
    with requests.Session() as session:
        client = Client(
            str(prometheus["url"]).rstrip("/"),
            float(prometheus.get("timeout_seconds", 30)),
            session,
        )
        slos = []
        for slo in services[args.service]["slos"]:
            if "error_query" not in slo["sli"]:
                print(f"skipping {slo['name']}: only ratio SLIs are supported", file=sys.stderr)
                continue
            slos.append(slo_firings(client, slo, at, args.preroll))
    document = {
        "service": args.service,
        "evaluated_at": iso(int(at.timestamp())),
        "round_trips": client.round_trips,
        "slos": slos,
    }
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
