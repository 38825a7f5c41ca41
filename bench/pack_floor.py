"""What drafting a pack costs against the floor: the queries it needs, sent alone.

One service with 2 SLOs (availability over 30 days, latency over 90 days) and 20 PagerDuty
incidents, against a real Prometheus that holds the test suite's synthetic scenario (96 days of
per-minute data) and the loopback PagerDuty fake over HTTPS.

- **slo-prep**: drafting the pack in-process (``draft_pack`` + the JSON document), clients
  built once and warmed up, so the figure is the pack's own work, not Python's start (which
  ``bench/pack_cost.py`` includes).
- **floor**: the exact HTTP requests that pack sent (recorded once, untimed, through a
  recording proxy and the fake's own log), replayed one after the other on keep-alive
  sessions, each timed from send to the last byte of its answer; the sum of those latencies.
  That is what the data costs the backends and the wire, with no client work at all.

Rounds alternate which goes first. The ratio is per pair, then the median; goal ≤ 1.3.

It also reports the requests per pack with both SLOs on 7-day, 30-day and 90-day windows: only
the chunked per-minute history (ranges of at most 11,000 points) may grow with the window.

Run: ``.venv/bin/python bench/pack_floor.py [--runs 7]``. Needs Debian's prometheus.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from daemon.app import build_pagerduty, build_prometheus  # noqa: E402
from daemon.config.load import load_config  # noqa: E402
from daemon.config.model import Config  # noqa: E402
from daemon.core.pack import Decision, pack_to_json  # noqa: E402
from daemon.drafting import draft_pack  # noqa: E402
from tests.generator.incidents import CHECKOUT_SERVICE_ID, many_incidents  # noqa: E402
from tests.generator.prometheus_server import start_demo_server  # noqa: E402
from tests.generator.synthetic import AT  # noqa: E402
from tests.packs import LATENCY_SLI, RATIO_SLI, slo  # noqa: E402
from tests.support.counting_proxy import CountingProxy, counting_proxy  # noqa: E402
from tests.support.fake_pagerduty import FakePagerDuty, fake_pagerduty, incident  # noqa: E402
from tests.support.tls import Tls, self_signed  # noqa: E402

DECISION = Decision(question="Can we ship one-click checkout by Friday?")
TOKEN = "bench-token"


def write_config(
    directory: Path, prometheus: str, pagerduty: str, tls: Tls, windows: tuple[str, str]
) -> Config:
    document = {
        "apiVersion": "slo-prep/v1",
        "prometheus": {"url": prometheus, "retries": 0, "timeout_seconds": 30},
        "pagerduty": {"url": pagerduty, "token": TOKEN, "ca_file": str(tls.cert)},
        "services": [
            {
                "name": "checkout",
                "pagerduty_service_ids": [CHECKOUT_SERVICE_ID],
                "slos": [
                    slo("availability", 99.9, windows[0], RATIO_SLI),
                    slo("latency", 99.0, windows[1], LATENCY_SLI),
                ],
            }
        ],
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "slo-prep.yaml"
    path.write_text(json.dumps(document, indent=2))
    return load_config(str(path))


def draft(config: Config) -> dict[str, Any]:
    pack = draft_pack(
        config,
        "checkout",
        AT,
        DECISION,
        build_prometheus(config.prometheus),
        "slo-prep bench",
        build_pagerduty(config.pagerduty),
    )
    return pack_to_json(pack)


@dataclass(frozen=True)
class Recorded:
    """One request of the pack, enough to send it again."""

    backend: str  # "prometheus" | "pagerduty"
    method: str
    url: str
    body: bytes | None
    kind: str  # "instant", "range", "incidents", "notes", ...


def _prometheus_kind(path: str) -> str:
    name = path.split("?", 1)[0].rsplit("/", 1)[-1]
    return {"query": "instant", "query_range": "range"}.get(name, name)


def record(
    prometheus_url: str,
    proxy: CountingProxy,
    fake: FakePagerDuty,
    work: Path,
    tls: Tls,
    windows: tuple[str, str],
) -> tuple[list[Recorded], dict[str, Any]]:
    """The requests of one pack, in order, and the pack (untimed, through the proxy)."""
    proxy.reset()
    seen = len(fake.requests)
    config = write_config(work / "record", proxy.url, fake.url, tls, windows)
    document = draft(config)
    out = [
        Recorded("prometheus", method, prometheus_url + path, body, _prometheus_kind(path))
        for method, path, body in proxy.requests
    ]
    for r in fake.requests[seen:]:
        query = urlencode(r.query, doseq=True)
        url = fake.url.rstrip("/") + r.path + (f"?{query}" if query else "")
        kind = "notes" if r.path.endswith("/notes") else r.path.strip("/").split("/", 1)[0]
        out.append(Recorded("pagerduty", r.method, url, None, kind))
    return out, document


def floor(recorded: list[Recorded], sessions: dict[str, requests.Session], ca: str) -> float:
    """The sum of the latencies of the recorded requests, each sent alone."""
    total = 0.0
    for r in recorded:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if r.body else {}
        verify: str | bool = ca if r.backend == "pagerduty" else True
        started = time.perf_counter()
        answer = sessions[r.backend].request(
            r.method, r.url, data=r.body, headers=headers, verify=verify
        )
        _ = answer.content  # the whole body, not parsed
        total += time.perf_counter() - started
        if answer.status_code != 200:
            raise SystemExit(f"floor request failed: {answer.status_code} {r.url[:120]}")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="slo-floor-bench-"))
    tls = self_signed(work)
    served = [
        incident(i.id, i.number, i.title, i.created_at, i.resolved_at, i.service_id, i.urgency)
        for i in many_incidents(20, days=60)
    ]
    server = start_demo_server(work / "prom", at=AT, days_before=96)
    try:
        with (
            fake_pagerduty(served, tls=tls, validate_sample=1) as fake,
            counting_proxy(server.url) as proxy,
        ):
            fake.set_token(TOKEN)
            per_window: dict[str, Counter[str]] = {}
            for days in ("7d", "30d", "90d"):
                recorded, _ = record(server.url, proxy, fake, work, tls, (days, days))
                per_window[days] = Counter(r.kind for r in recorded)
            recorded, document = record(server.url, proxy, fake, work, tls, ("30d", "90d"))
            assert fake.violations == [], fake.violations
            assert document["reliability"]["current"]["incidents"] > 0, "no incident counted"
            assert all(s.get("budget") for s in document["slos"]), "an SLO was not measured"

            config = write_config(work / "timed", server.url, fake.url, tls, ("30d", "90d"))
            sessions = {"prometheus": requests.Session(), "pagerduty": requests.Session()}
            sessions["pagerduty"].headers["Authorization"] = f"Token token={TOKEN}"
            sessions["pagerduty"].headers["Accept"] = "application/json"
            draft(config)  # warm-up: imports, connections, Prometheus' page cache
            floor(recorded, sessions, str(tls.cert))
            walls: list[float] = []
            floors: list[float] = []
            for n in range(args.runs):
                for step in ("pack", "floor") if n % 2 == 0 else ("floor", "pack"):
                    if step == "pack":
                        started = time.perf_counter()
                        draft(config)
                        walls.append(time.perf_counter() - started)
                    else:
                        floors.append(floor(recorded, sessions, str(tls.cert)))
    finally:
        server.stop()
    ratios = [w / f for w, f in zip(walls, floors, strict=True)]
    kinds = Counter(r.kind for r in recorded)
    print(
        f"One service, 2 SLOs (30d availability, 90d latency), 20 incidents; "
        f"{args.runs} pairs, alternating\n"
    )
    print("| variant | median (s) | min-max (s) |")
    print("|---|---:|---:|")
    for name, values in (("slo-prep: draft the pack", walls), ("floor: its requests", floors)):
        print(f"| {name} | {statistics.median(values):.3f} | {min(values):.3f}-{max(values):.3f} |")
    print(
        f"\npack / floor, median of pairs: **{statistics.median(ratios):.2f}** "
        f"({min(ratios):.2f}-{max(ratios):.2f}); goal ≤ 1.3"
    )
    print(f"\nrequests of this pack: {len(recorded)} ({dict(sorted(kinds.items()))})\n")
    names = sorted({k for c in per_window.values() for k in c})
    print("| both SLOs on | " + " | ".join(names) + " | total |")
    print("|---|" + "---:|" * (len(names) + 1))
    for days, counts in per_window.items():
        cells = " | ".join(str(counts.get(k, 0)) for k in names)
        print(f"| {days} | {cells} | {sum(counts.values())} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
