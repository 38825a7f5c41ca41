"""``${VAR}`` placeholders in string values, filled from the environment at load time.

Secrets (bearer tokens, tenant ids) stay out of the file. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_TOKEN = re.compile(r"\$\$\{|\$\{(?P<name>[^}]*)(?P<close>\})?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Substitution:
    value: str
    # True when a variable's value went in: messages must then show the placeholder form
    substituted: bool
    problems: tuple[str, ...]


def substitute(text: str, environ: Mapping[str, str]) -> Substitution:
    """Fill every ``${VAR}`` in ``text``; every problem is collected, not just the first."""
    problems: list[str] = []
    substituted = False

    def fill(match: re.Match[str]) -> str:
        nonlocal substituted
        if match.group(0) == "$${":
            return "${"
        name = match.group("name")
        if match.group("close") is None:
            _note(problems, "unterminated ${ (write $${ for a literal ${)")
            return match.group(0)
        if not _NAME.fullmatch(name):
            _note(
                problems,
                f"invalid environment variable name {name!r} in ${{...}}: use letters, digits "
                "and _ (write $${ for a literal ${)",
            )
            return match.group(0)
        if name not in environ:
            _note(problems, f"environment variable {name} is not set")
            return match.group(0)
        substituted = True
        return environ[name]

    value = _TOKEN.sub(fill, text)
    return Substitution(value, substituted, tuple(problems))


def _note(problems: list[str], problem: str) -> None:
    # the same unset variable twice in one value is one thing to fix
    if problem not in problems:
        problems.append(problem)
