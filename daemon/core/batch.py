"""Batched instant queries: many single-valued queries sent as one.

Each query becomes one branch, ``label_replace(<query>, "slo_prep_key", "<key>", "", "")``,
and the branches are joined with ``or``. The key is ours (``k`` and a number), never text from
a user or a label read back, so the answer's series are told apart by that label alone; a
branch's value is the value its query has alone (``label_replace`` changes labels only). The
queries themselves are filled config templates, validated at load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: the label each branch's series carry in the answer
KEY_LABEL = "slo_prep_key"
#: the longest batched query text (characters): well under the form-body limits of the
#: usual query front ends, and short enough that one slow batch is not most of a cycle
MAX_BATCH_CHARS = 64_000


@dataclass(frozen=True)
class Branch:
    key: str
    query: str

    @property
    def tagged(self) -> str:
        return f'label_replace({self.query}, "{KEY_LABEL}", "{self.key}", "", "")'


@dataclass(frozen=True)
class Batch:
    branches: tuple[Branch, ...]

    @property
    def query(self) -> str:
        return " or ".join(b.tagged for b in self.branches)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(b.key for b in self.branches)


def plan_batches(
    queries: Iterable[str], batch_size: int, max_chars: int = MAX_BATCH_CHARS
) -> tuple[Batch, ...]:
    """The distinct ``queries`` (first occurrence order) in batches of at most ``batch_size``
    branches and ``max_chars`` characters (a longer single query gets a batch of its own)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    batches: list[Batch] = []
    current: list[Branch] = []
    length = 0
    for number, query in enumerate(dict.fromkeys(queries)):
        branch = Branch(f"k{number}", query)
        # " or " between branches
        cost = len(branch.tagged) + 4
        if current and (len(current) >= batch_size or length + cost > max_chars):
            batches.append(Batch(tuple(current)))
            current, length = [], 0
        current.append(branch)
        length += cost
    if current:
        batches.append(Batch(tuple(current)))
    return tuple(batches)
