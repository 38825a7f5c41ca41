"""How fast the running daemon answers Slack and Alertmanager, side by side with the floor.

- Slash-command acks: N concurrent signed ``ask`` commands (each verified, parsed, authorized
  and stored before the 200) against the same number of concurrent ``GET /readyz`` (the HTTP
  server's own floor), in the same run, on the same daemon. Reports p50/p99 of each and the
  ratio. The client runs in a process of its own (``bench/http_load.py``). The first burst after
  the start is reported apart (the daemon opens its connections and compiles its statements).
- Webhook to post: an Alertmanager webhook for a service, until the announcement's parent
  message reaches the loopback Slack fake (verify, parse, dedup, draft the pack from a real
  Prometheus, store, post). One alert per service, so dedup never hides one; one at a time (the
  SRE channel takes one message a second, so a second alert right behind the first waits for
  the first one's thread), on an idle daemon and while it drafts the packs of the commands.

Run: ``.venv/bin/python bench/daemon_latency.py [--concurrency 50] [--rounds 5]``. Needs
Debian's prometheus (``make setup``). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.generator.prometheus_server import free_port, start_demo_server  # noqa: E402
from tests.packs import RATIO_SLI, slo  # noqa: E402
from tests.runtime.conftest import SRE_CHANNEL, WEBHOOK_TOKEN, daemon_config  # noqa: E402
from tests.runtime.daemon_process import (  # noqa: E402
    DaemonProcess,
    command_body,
    request,
    signed_headers,
)
from tests.runtime.test_alertmanager_webhook import webhook_body  # noqa: E402
from tests.support.fake_slack import FakeSlack, fake_slack  # noqa: E402


def load(port: int, requests: list[dict[str, object]]) -> list[float]:
    """Latencies of ``requests`` sent all at once by the load client, in its own process."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "http_load.py")],
        input=json.dumps({"port": port, "requests": requests}),
        capture_output=True,
        text=True,
        check=True,
    )
    answers = json.loads(done.stdout)
    bad = [a["status"] for a in answers if a["status"] != 200]
    if bad:
        raise SystemExit(f"{len(bad)} requests failed: {sorted(set(bad))}")
    return [float(a["seconds"]) for a in answers]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def webhook_to_post(daemon: DaemonProcess, slack: FakeSlack, services: range) -> list[float]:
    """Seconds from each webhook POST until its announcement reached the Slack fake."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {WEBHOOK_TOKEN}"}
    posts: list[float] = []
    for r in services:
        # one alert at a time: the previous announcement's thread (one message a second in the
        # channel, Slack's pace) is out before the next alert fires
        while any(
            m.channel == SRE_CHANNEL and time.monotonic() - m.at < 1.5 for m in slack.messages
        ):
            time.sleep(0.1)
        body = webhook_body("firing", fingerprint=f"{r:016x}").replace(
            b'"service": "checkout"', f'"service": "svc{r}"'.encode()
        )
        seen = len(slack.messages)
        sent = time.monotonic()
        assert request(daemon.url + "/alertmanager/webhook", body, headers).status == 200
        while True:
            new = [
                m
                for m in slack.messages[seen:]
                if m.channel == SRE_CHANNEL and f"svc{r} " in (m.text or "")
            ]
            if new:
                posts.append(new[0].at - sent)
                break
            if time.monotonic() - sent > 60:
                raise SystemExit(f"no post within 60 s for svc{r}")
            time.sleep(0.01)
    return posts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep-log", type=Path, help="copy the daemon's log here")
    args = parser.parse_args(argv)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="slo-prep-bench-") as scratch, fake_slack() as slack:
        work = Path(scratch)
        prometheus = start_demo_server(work / "prometheus", at=now, days_before=35)
        try:
            document = daemon_config(prometheus.url, slack.api_url, f"sqlite:///{work / 'db'}")
            # one quiet service per webhook round (never fires on its own: objective 50 %)
            document["services"] = [
                {"name": f"svc{n}", "slos": [slo("availability", 50.0, "30d", RATIO_SLI)]}
                for n in range(2 * args.rounds)
            ] + [{"name": "checkout", "slos": [slo("availability", 50.0, "30d", RATIO_SLI)]}]
            port = free_port()
            document["http"] = {"listen": f"127.0.0.1:{port}"}
            config = work / "config.yaml"
            config.write_text(json.dumps(document))
            daemon = DaemonProcess(config, port, work / "daemon.log").start()
            try:
                daemon.wait_ready()
                idle = webhook_to_post(daemon, slack, range(args.rounds))
                acks: list[float] = []
                floor: list[float] = []
                cold: list[float] = []
                # round -1 is the first burst the daemon sees (connections opened, statements
                # compiled, first drafts started): reported apart, not in the percentiles
                for r in range(-1, args.rounds):
                    commands = []
                    for n in range(args.concurrency):
                        body = command_body(f"ask checkout Bench question {r}-{n}?")
                        commands.append(
                            {
                                "method": "POST",
                                "path": "/slack/commands",
                                "headers": signed_headers(body),
                                "body": body.decode("latin-1"),
                            }
                        )
                    answered = load(port, commands)
                    if r < 0:
                        cold = answered
                        continue
                    acks += answered
                    floor += load(port, [{"path": "/readyz"}] * args.concurrency)
                # while the packs of those questions are drafted and posted
                busy = webhook_to_post(daemon, slack, range(args.rounds, 2 * args.rounds))
            finally:
                daemon.terminate()
                if args.keep_log:
                    args.keep_log.write_bytes(daemon.log.read_bytes())
        finally:
            prometheus.stop()
    ms = 1000.0
    p50, p99 = statistics.median(acks), percentile(acks, 0.99)
    f50, f99 = statistics.median(floor), percentile(floor, 0.99)
    print(f"| figure ({args.concurrency} at once, {args.rounds} rounds) | p50 | p99 |")
    print("|---|---:|---:|")
    ack = "slash-command ack (`ask`, stored before the 200)"
    print(f"| {ack} | {p50 * ms:.0f} ms | {p99 * ms:.0f} ms |")
    c50, cmax = statistics.median(cold), max(cold)
    first = "the first burst after start (p50 / max; not in the row above)"
    print(f"| {first} | {c50 * ms:.0f} ms | {cmax * ms:.0f} ms |")
    print(f"| baseline: `GET /readyz` on the same server | {f50 * ms:.0f} ms | {f99 * ms:.0f} ms |")
    print(f"| ratio ack / baseline | {p50 / f50:.2f} | {p99 / f99:.2f} |")
    for label, posts in (("idle daemon", idle), ("while drafting the packs above", busy)):
        w50, w95 = statistics.median(posts), percentile(posts, 0.95)
        hook = f"webhook → SRE post, {label} ({len(posts)} alerts; p50 / p95)"
        print(f"| {hook} | {w50 * ms:.0f} ms | {w95 * ms:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
