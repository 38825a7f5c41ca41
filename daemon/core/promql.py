"""PromQL text for an SLI. Only config templates and label values read back from Prometheus
go in here: user text (a decision question, a Slack argument) never reaches a query."""

from __future__ import annotations

from dataclasses import dataclass

from daemon.core.durations import format_duration
from daemon.core.slo import WINDOW_PLACEHOLDER, LatencySli, RatioSli, Sli


@dataclass(frozen=True)
class SliTemplates:
    """Per-second rates of bad and of all events, each still holding ``{{.window}}``."""

    bad: str
    total: str

    def at_window(self, seconds: float, offset_seconds: float = 0) -> tuple[str, str]:
        """Both queries over a range of ``seconds``; with an offset, the range that ended that
        long before the evaluation time, so an earlier window is read at the pinned instant."""
        return (
            _fill(self.bad, seconds, offset_seconds),
            _fill(self.total, seconds, offset_seconds),
        )


_RANGE = f"[{WINDOW_PLACEHOLDER}]"


def _fill(template: str, seconds: float, offset_seconds: float) -> str:
    window = format_duration(seconds)
    if not offset_seconds:
        return template.replace(WINDOW_PLACEHOLDER, window)
    shifted = template.replace(_RANGE, f"[{window}] offset {format_duration(offset_seconds)}")
    if WINDOW_PLACEHOLDER in shifted:
        raise ValueError("an offset needs every {{.window}} to be a plain range [{{.window}}]")
    return shifted


def le_lookup_query(sli: LatencySli, window_seconds: float) -> str:
    """Which ``le`` spellings the histogram has: ``0.25`` may be exposed as ``0.25`` or
    ``0.250``, and ``1`` as ``1`` (Go) or ``1.0`` (Python), so match numbers, not text."""
    return (
        f"group by (le) (last_over_time({sli.histogram}_bucket{sli.selector}"
        f"[{format_duration(window_seconds)}]))"
    )


def matching_le(threshold_seconds: float, le_values: list[str]) -> str | None:
    for text in le_values:
        try:
            if float(text) == threshold_seconds:
                return text
        except ValueError:
            continue
    return None


def _with_label(selector: str, name: str, value: str) -> str:
    inner = selector.strip()[1:-1].strip().rstrip(",")
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    matcher = f'{name}="{escaped}"'
    return "{" + (f"{inner},{matcher}" if inner else matcher) + "}"


def sli_templates(sli: Sli, le: str | None = None) -> SliTemplates:
    if isinstance(sli, RatioSli):
        return SliTemplates(bad=sli.error_query, total=sli.total_query)
    if le is None:
        raise ValueError("a latency SLI needs the bucket's le value")
    window = f"[{WINDOW_PLACEHOLDER}]"
    total = f"sum(rate({sli.histogram}_count{sli.selector}{window}))"
    good = f"sum(rate({sli.histogram}_bucket{_with_label(sli.selector, 'le', le)}{window}))"
    return SliTemplates(bad=f"({total} - {good})", total=total)


def minute_templates(templates: SliTemplates) -> tuple[str, str]:
    """Queries whose value at t, times 60, is the events in (t - 1m, t]."""
    return templates.at_window(60)
