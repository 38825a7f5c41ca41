"""``slo-prep`` command line. Exit codes: 0 pack printed / config valid / every SLO evaluated,
2 usage or config error, 3 MISSING_SLO, 4 a pack was printed but no SLO of the service could be
measured (``evaluate``: the report was printed but some SLO could not be measured)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from daemon import messages
from daemon.app import build_pagerduty, build_prometheus, generator_name
from daemon.config import Config, load_config
from daemon.core.burn_report import burn_report_to_json
from daemon.core.pack import Decision, pack_to_json
from daemon.core.rules import HORIZONS
from daemon.drafting import draft_pack, evaluate_cycle
from daemon.errors import ConfigError, UsageError
from daemon.render.burns import render_burn_table
from daemon.render.chart import render_chart
from daemon.render.markdown import render_markdown
from daemon.render.slack import render_slack

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_MISSING_SLO = 3
EXIT_NOTHING_MEASURED = 4


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="slo-prep",
        description="Draft the evidence pack for an SLO negotiation from live Prometheus data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    validate = commands.add_parser("validate-config", help="check a config file and exit")
    validate.add_argument("-c", "--config", required=True, metavar="FILE")

    draft = commands.add_parser("draft", help="print the prep pack of a service")
    draft.add_argument("service")
    draft.add_argument("-c", "--config", required=True, metavar="FILE")
    draft.add_argument("--question", help="the one-sentence decision question")
    draft.add_argument("--deadline", metavar="YYYY-MM-DD", help="when the decision is due")
    draft.add_argument(
        "--at", metavar="RFC3339", help="evaluation time (default: now); every query uses it"
    )
    draft.add_argument(
        "--horizon",
        choices=HORIZONS,
        help="how long the consequence lasts (scores reversibility within it)",
    )
    draft.add_argument(
        "--format",
        choices=("json", "markdown", "slack"),
        default="markdown",
        help="slack: the Block Kit payloads (parent message, then thread replies) as JSON",
    )
    draft.add_argument(
        "--chart", metavar="FILE", help="also write the budget burn-down chart (PNG) here"
    )
    evaluate = commands.add_parser(
        "evaluate",
        help="print every SLO's burn rates per alert window and which alert conditions fire",
    )
    evaluate.add_argument("-c", "--config", required=True, metavar="FILE")
    evaluate.add_argument(
        "--at", metavar="RFC3339", help="evaluation time (default: now); every query uses it"
    )
    evaluate.add_argument("--format", choices=("text", "json"), default="text")
    run = commands.add_parser(
        "run", help="run the daemon: scheduled collection, Slack, burn alerts, HTTP"
    )
    run.add_argument("-c", "--config", required=True, metavar="FILE")
    run.add_argument(
        "--once", action="store_true", help="run one collection/evaluation cycle and exit"
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="write what would be posted to stdout (one JSON object per message), not Slack",
    )
    return parser


def parse_at(value: str | None, now: datetime) -> datetime:
    """A tz-aware instant truncated to whole seconds (query APIs take seconds)."""
    if value is None:
        return now.replace(microsecond=0)
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(messages.BAD_AT.format(value=value)) from None
    if at.tzinfo is None:
        raise UsageError(messages.BAD_AT.format(value=value))
    return at.astimezone(UTC).replace(microsecond=0)


def parse_deadline(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(messages.BAD_DEADLINE.format(value=value)) from None


def _validate(config: Config) -> int:
    slos = sum(len(s.slos) for s in config.services)
    print(messages.CONFIG_OK.format(source=config.source, services=len(config.services), slos=slos))
    return EXIT_OK


def _draft(args: argparse.Namespace, config: Config) -> int:
    at = parse_at(args.at, datetime.now(UTC))
    decision = Decision(
        question=args.question, deadline=parse_deadline(args.deadline), horizon=args.horizon
    )
    pack = draft_pack(
        config,
        args.service,
        at,
        decision,
        build_prometheus(config.prometheus),
        generator_name(),
        build_pagerduty(config.pagerduty),
    )
    document = pack_to_json(pack)
    if args.format == "json":
        print(json.dumps(document, indent=2))
    elif args.format == "slack":
        print(json.dumps(render_slack(document), indent=2))
    else:
        print(render_markdown(document), end="")
    if args.chart:
        _write_chart(document, args.chart)
    if pack.status == "MISSING_SLO":
        print(f"MISSING_SLO: {pack.problems[0].message}", file=sys.stderr)
        return EXIT_MISSING_SLO
    if not pack.measured:
        print(messages.NOTHING_DRAFTED.format(service=args.service), file=sys.stderr)
        return EXIT_NOTHING_MEASURED
    return EXIT_OK


def _evaluate(args: argparse.Namespace, config: Config) -> int:
    """The daemon's burn-rate evaluation of one cycle (same batching and concurrency), for
    every SLO, printed instead of turned into alerts."""
    at = parse_at(args.at, datetime.now(UTC))
    settings = config.prometheus
    cycle = evaluate_cycle(
        config.services,
        at,
        build_prometheus(settings),
        batch_size=settings.batch_size,
        max_concurrency=settings.max_concurrency,
    )
    evaluated = [(name, cycle.evidence[name]) for name in cycle.evidence]
    document = burn_report_to_json(at, evaluated, config.source, generator_name())
    if args.format == "json":
        print(json.dumps(document, indent=2))
    else:
        print(render_burn_table(document), end="")
    if document["unmeasured"]:
        print(
            messages.SOME_UNMEASURED.format(
                count=document["unmeasured"], total=document["slo_count"]
            ),
            file=sys.stderr,
        )
        return EXIT_NOTHING_MEASURED
    return EXIT_OK


def _write_chart(document: dict[str, Any], path: str) -> None:
    """The focus SLO's chart (the first SLO's when no decision is framed)."""
    slos = document["slos"]
    if not slos:
        return
    focus = document["decision"]["focus_slo"]
    slo = next((s for s in slos if s["name"] == focus), slos[0])
    try:
        with open(path, "wb") as out:
            out.write(render_chart(slo))
    except OSError as exc:
        raise UsageError(messages.CHART_UNWRITABLE.format(path=path, reason=exc.strerror)) from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "validate-config":
            return _validate(config)
        if args.command == "run":
            from daemon.runtime.run import run_daemon

            return run_daemon(config, once=args.once, dry_run=args.dry_run)
        if args.command == "evaluate":
            return _evaluate(args, config)
        return _draft(args, config)
    except (ConfigError, UsageError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
