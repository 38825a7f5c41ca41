"""The one Jinja2 environment: strict (a missing field is a bug, not an empty cell) and with
the number formats every rendering shares."""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")


def md_escape(text: object) -> str:
    """User text as literal Markdown: no links, emphasis, HTML or table breaks."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


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
    env.filters.update(md=md_escape, code=code, code_cell=code_cell, pct=pct, num=num, when=when)
    return env
