"""``make demo``: a real pack from a real Prometheus that the demo sets up itself.

Generates eight weeks of checkout traffic with incidents, backfills it into a local
Prometheus (Debian's package), drafts the pack for ``checkout`` at the scenario's evaluation
time with ``config/demo.yaml``, prints it, and stops Prometheus again."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from daemon.cli import main as slo_prep
from tests.generator.prometheus_server import start_demo_server
from tests.generator.synthetic import AT

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "Can we ship the new one-click checkout on 2026-11-30 given the current SLO posture?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--data", type=Path, default=ROOT / "demo-data", help="kept between runs")
    args = parser.parse_args(argv)
    print(f"Starting a local Prometheus with generated history in {args.data} ...", file=sys.stderr)
    server = start_demo_server(args.data, at=AT)
    try:
        os.environ["SLO_PREP_DEMO_PROMETHEUS_URL"] = server.url
        return slo_prep(
            [
                "draft",
                "checkout",
                "-c",
                str(ROOT / "config" / "demo.yaml"),
                "--at",
                AT.isoformat().replace("+00:00", "Z"),
                "--question",
                QUESTION,
                "--deadline",
                "2026-11-27",
                "--format",
                args.format,
            ]
        )
    finally:
        server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
