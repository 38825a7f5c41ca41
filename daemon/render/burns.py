"""The burn-rate report as a plain-text table, rendered from its JSON document."""

from __future__ import annotations

from typing import Any

from daemon import messages


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def render_burn_table(document: dict[str, Any]) -> str:
    slos = document["slos"]
    windows = list(slos[0]["burn_rates"]) if slos else []
    header = ["service", "slo", "objective", "window", *windows, "firing"]
    rows = [header]
    for s in slos:
        firing = [
            f"{c['severity']} {c['long_window']}/{c['short_window']}"
            for c in s["alert_conditions"]
            if c["firing"]
        ]
        state = ", ".join(firing) if firing else ("-" if s["measured"] else "not measured")
        rows.append(
            [
                s["service"],
                s["slo"],
                f"{s['objective_percent']:g}%",
                s["window"],
                *(_rate(s["burn_rates"][w]) for w in windows),
                state,
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = {i for i, name in enumerate(header) if name in windows}
    lines = [
        messages.BURN_REPORT_HEADLINE.format(
            at=document["evaluated_at"],
            slos=document["slo_count"],
            services=document["services"],
            firing=len(document["firing"]),
        )
    ]
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    for s in slos:
        for p in s["problems"]:
            lines.append(f"{s['service']}/{s['slo']}: {p['message']}")
    return "\n".join(lines) + "\n"
