"""``make demo``: a real pack from a real Prometheus that the demo sets up itself.

Generates eight weeks of checkout traffic with incidents, backfills it into a local
Prometheus (Debian's package), serves the matching incidents from a loopback stand-in for
PagerDuty (HTTPS, throwaway certificate), drafts the pack for ``checkout`` at the scenario's
evaluation time with ``config/demo.yaml``, prints it, and stops both servers."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from daemon.cli import main as slo_prep
from tests.generator.incidents import pagerduty_incidents
from tests.generator.prometheus_server import start_demo_server
from tests.generator.synthetic import AT
from tests.support.fake_pagerduty import fake_pagerduty, incident, note
from tests.support.tls import self_signed

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Can we ship the new one-click checkout on 2026-11-30 given the current SLO posture?"
TOKEN = "demo-token"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--data", type=Path, default=ROOT / "demo-data", help="kept between runs")
    args = parser.parse_args(argv)
    print(f"Starting a local Prometheus with generated history in {args.data} ...", file=sys.stderr)
    server = start_demo_server(args.data, at=AT)
    incidents = pagerduty_incidents(server.scenario)
    served = [
        incident(i.id, i.number, i.title, i.created_at, i.resolved_at, i.service_id, i.urgency)
        for i in incidents
    ]
    notes = {
        i.id: [note(f"N{i.number}", i.note, i.created_at + timedelta(minutes=10))]
        for i in incidents
        if i.note
    }
    try:
        with (
            tempfile.TemporaryDirectory(prefix="slo-prep-demo-") as scratch,
            fake_pagerduty(served, token=TOKEN, notes=notes, tls=self_signed(Path(scratch))) as pd,
        ):
            os.environ.update(
                SLO_PREP_DEMO_PROMETHEUS_URL=server.url,
                SLO_PREP_DEMO_PAGERDUTY_URL=pd.url,
                SLO_PREP_DEMO_PAGERDUTY_TOKEN=TOKEN,
                SLO_PREP_DEMO_CA_FILE=str(Path(scratch) / "cert.pem"),
            )
            return slo_prep(
                [
                    "draft", "checkout",
                    "-c", str(ROOT / "config" / "demo.yaml"),
                    "--at", AT.isoformat().replace("+00:00", "Z"),
                    "--question", QUESTION,
                    "--deadline", "2026-11-27",
                    "--format", args.format,
                ]
            )  # fmt: skip
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
