"""The one Jinja2 environment: strict (a missing field is a bug, not an empty cell) and with
the number formats every rendering shares."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

# Inline-active in CommonMark/GFM: emphasis, code, links, HTML, entities, table cells.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
# Active only where a line starts: headings, lists, quotes, thematic breaks.
_LINE_START = re.compile(r"^([#>+=-]|\d+[.)])")


def md_escape(text: object) -> str:
    """User text as literal Markdown on one line: no links, emphasis, HTML, mentions or table
    breaks, and no block syntax if it lands at the start of a line."""
    flat = " ".join(str(text).split())
    escaped = _INLINE_SPECIAL.sub(r"\\\1", flat)
    return _LINE_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], escaped)


def code(text: object) -> str:
    """Inline code that survives backticks inside (PromQL rarely has them, configs might)."""
    value = " ".join(str(text).split())
    fence = "``" if "`" in value else "`"
    return f"{fence} {value} {fence}" if fence == "``" else f"`{value}`"


def code_cell(text: object) -> str:
    """Inline code inside a table row, where a bare ``|`` would end the cell."""
    return code(text).replace("|", "\\|")


def pct(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f} %"


def num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def minutes(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value / 60:.1f} h" if value >= 120 else f"{value:.0f} min"


def hours(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value / 24:.1f} days" if value >= 48 else f"{value:.1f} h"


def audit_value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else md_escape(value)


def when(value: str | None) -> str:
    if value is None:
        return "—"
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("daemon.render", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown, not HTML: user text goes through md_escape explicitly
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_escape,
        code=code,
        code_cell=code_cell,
        pct=pct,
        num=num,
        when=when,
        minutes=minutes,
        hours=hours,
        audit_value=audit_value,
    )
    return env
