"""What every emitted pack must satisfy. The builder refuses a pack that breaks one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_NOT_AUDITED = ("sources", "audit")


def _numbers(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return
    if isinstance(value, int | float):
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            if path or key not in _NOT_AUDITED:
                yield from _numbers(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _numbers(item, f"{path}[{n}]")


def _covered(path: str, audited: set[str]) -> bool:
    """An entry for ``a.b`` covers ``a.b``, ``a.b.c`` and ``a.b[3]``."""
    while path:
        if path in audited:
            return True
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return False


def violations(doc: Mapping[str, Any]) -> list[str]:
    found: list[str] = []
    audited = {entry["path"] for entry in doc.get("audit", [])}
    found += [f"no audit entry for {p}" for p in _numbers(doc, "") if not _covered(p, audited)]
    rec = doc.get("recommendation")
    options = [o["id"] for o in doc.get("options", [])]
    if rec is None:
        if options:
            found.append("options without a recommendation")
        return found
    if not 3 <= len(options) <= 5:
        found.append(f"{len(options)} options; a pack holds 3 to 5")
    if rec["primary"] not in options:
        found.append(f"primary {rec['primary']} is not in the matrix")
    if not rec["fallbacks"]:
        found.append("no fallback")
    for fb in rec["fallbacks"]:
        if fb["option"] == rec["primary"] or fb["option"] not in options or not fb["when"]:
            found.append(f"fallback {fb['option']} must differ from the primary and say when")
    for r in rec["rejected"]:
        if not r["reason"]:
            found.append(f"rejection of {r['option']} has no reason")
    placed = [rec["primary"], *(f["option"] for f in rec["fallbacks"])]
    placed += [a["option"] for a in rec["alternatives"]] + [r["option"] for r in rec["rejected"]]
    if sorted(placed) != sorted(options):
        found.append("every option must be primary, fallback, alternative or rejected exactly once")
    roles = {s["role"] for s in doc["decision"]["stakeholders"]}
    positioned = {p["role"] for p in rec["stakeholder_positions"]}
    if roles != positioned:
        found.append(f"stakeholder roles without a position: {sorted(roles - positioned)}")
    for o in doc["options"]:
        if set(o["stakeholder_cost"]) != roles:
            found.append(f"{o['id']} is not scored for every stakeholder role")
    if not rec["advocate"]:
        found.append("no sentence on what the manager advocates for")
    return found
