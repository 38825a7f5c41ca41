"""The pack as Markdown, rendered from its JSON document (the contract), not from objects."""

from __future__ import annotations

from typing import Any

from daemon import messages
from daemon.render.environment import environment


def render_markdown(pack: dict[str, Any]) -> str:
    return (
        environment()
        .get_template("pack.md.j2")
        .render(pack=pack, no_decision=messages.NO_DECISION_FRAMED)
    )
