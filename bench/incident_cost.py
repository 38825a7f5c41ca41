"""What the incident side adds to a pack: a 90-day SLO window with 500 PagerDuty incidents.

Drafts the same pack twice per round, interleaved: once with incidents (loopback PagerDuty
fake over HTTPS serving 500 incidents of the last 90 days, notes from each top incident's
latest note) and once without (the baseline). Reports wall time of each, their ratio, and the
PagerDuty requests the fake saw. Run: .venv/bin/python bench/incident_cost.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.generator.incidents import CHECKOUT_SERVICE_ID, many_incidents  # noqa: E402
from tests.generator.prometheus_server import start_demo_server  # noqa: E402
from tests.generator.synthetic import AT  # noqa: E402
from tests.packs import RATIO_SLI, slo, write_config  # noqa: E402
from tests.support.fake_pagerduty import fake_pagerduty, incident, note  # noqa: E402
from tests.support.tls import self_signed  # noqa: E402

AT_TEXT = "2026-11-16T00:00:00Z"


def _draft(config: Path) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(REPO / ".venv/bin/slo-prep"),
            "draft",
            "checkout",
            "-c",
            str(config),
            "--at",
            AT_TEXT,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - started, json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="slo-incident-bench-"))
    incidents = many_incidents(500, days=90)
    served = [
        incident(i.id, i.number, i.title, i.created_at, i.resolved_at, i.service_id, i.urgency)
        for i in incidents
    ]
    notes = {
        i.id: [note(f"N{i.number}", f"root cause {i.number}", i.created_at)] for i in incidents
    }
    tls = self_signed(work)
    server = start_demo_server(work / "prom", at=AT, days_before=96)
    try:
        with fake_pagerduty(served, tls=tls, notes=notes, validate_sample=1) as fake:
            slos = {"checkout": [slo("availability", 99.9, "90d", RATIO_SLI)]}
            (work / "without").mkdir()
            without = write_config(work / "without", server.url, slos)
            document = json.loads(without.read_text())
            document["pagerduty"] = {
                "url": fake.url,
                "token": "test-token",
                "ca_file": str(tls.cert),
                "notes": "latest_note",
            }
            document["services"][0]["pagerduty_service_ids"] = [CHECKOUT_SERVICE_ID]
            with_pd = work / "with.yaml"
            with_pd.write_text(json.dumps(document))

            _, pack = _draft(with_pd)  # warm-up, and the request count of one pack
            requests = len(fake.requests)
            listing = sum(1 for r in fake.requests if r.path == "/incidents")
            assert fake.violations == [], fake.violations
            assert pack["reliability"]["current"]["incidents"] == len(incidents)
            walls: dict[str, list[float]] = {"with incidents": [], "without (baseline)": []}
            for n in range(args.runs):
                order = [("with incidents", with_pd), ("without (baseline)", without)]
                for name, path in order if n % 2 == 0 else order[::-1]:
                    walls[name].append(_draft(path)[0])
    finally:
        server.stop()
    ratios = [
        a / b for a, b in zip(walls["with incidents"], walls["without (baseline)"], strict=True)
    ]
    print(f"500 incidents in a 90-day window, {args.runs} runs each, interleaved\n")
    print("| variant | wall median (s) | min-max (s) |")
    print("|---|---:|---:|")
    for name, values in walls.items():
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f}-{max(values):.2f} |")
    print(
        f"\nwith / without, median of pairs: {statistics.median(ratios):.2f} "
        f"({min(ratios):.2f}-{max(ratios):.2f})"
    )
    print(
        f"PagerDuty requests per pack: {requests} ({listing} GET /incidents pages, "
        f"{requests - listing} notes of the top incidents)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
