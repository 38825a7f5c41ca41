"""The batch planner: which queries go together, and what a batch's text says."""

from __future__ import annotations

import pytest

from daemon.core.batch import KEY_LABEL, plan_batches


def _queries(n: int) -> list[str]:
    return [f'sum(rate(x{{i="{i}"}}[5m]))' for i in range(n)]


def test_distinct_queries_in_batches_of_at_most_the_size() -> None:
    queries = _queries(7)
    batches = plan_batches([*queries, queries[2], queries[0]], batch_size=3)
    assert [len(b.branches) for b in batches] == [3, 3, 1]
    assert [br.query for b in batches for br in b.branches] == queries
    keys = [k for b in batches for k in b.keys]
    assert len(set(keys)) == 7
    assert all(k.startswith("k") and k[1:].isdigit() for k in keys)


def test_the_text_joins_tagged_branches_with_or() -> None:
    (batch,) = plan_batches(_queries(2), batch_size=10)
    first, second = batch.branches
    assert batch.query == (
        f'label_replace({first.query}, "{KEY_LABEL}", "{first.key}", "", "")'
        f' or label_replace({second.query}, "{KEY_LABEL}", "{second.key}", "", "")'
    )


def test_a_character_budget_splits_batches_and_a_long_query_goes_alone() -> None:
    long = "sum(rate(x[5m]))" + " + 0" * 100
    batches = plan_batches([*_queries(3), long, *_queries(5)[3:]], batch_size=50, max_chars=300)
    assert all(len(b.query) <= 300 or len(b.branches) == 1 for b in batches)
    assert any(b.branches[0].query == long and len(b.branches) == 1 for b in batches)
    assert sum(len(b.branches) for b in batches) == 6


def test_nothing_to_send_is_no_batch_and_a_size_below_one_is_refused() -> None:
    assert plan_batches([], batch_size=5) == ()
    with pytest.raises(ValueError):
        plan_batches(_queries(1), batch_size=0)
