"""Flags compare measured values with their thresholds through concord_compare: an average that
is mathematically at its threshold compares as at it, whatever its last bits (a 100k build gave
0.9499999999999998 for one task and 0.9500000000000001 for another, and `< 0.95` flipped
has_human_disagreement between two builds of the same data)."""

from __future__ import annotations

import duckdb
from conftest import compile_inline


def test_a_value_at_its_threshold_compares_as_at_it() -> None:
    sql = compile_inline(
        "select x, {{ concord_compare('x', '<', 0.95) }} as below,"
        " {{ concord_compare('x', '>=', 0.95) }} as at_least,"
        " {{ concord_compare('x', '>', 0.95) }} as above"
        " from (values (0.9499999999999998), (0.95), (0.9500000000000001), (0.9499), (0.9501))"
        " as t(x) order by x"
    )
    rows = duckdb.sql(sql).fetchall()
    assert [row[1:] for row in rows] == [
        (True, False, False),  # 0.9499: below
        (False, True, False),  # the three spellings of 0.95: at it
        (False, True, False),
        (False, True, False),
        (False, True, True),  # 0.9501: above
    ]


def test_the_flags_compare_through_it() -> None:
    """Every threshold flag of the review queue, the extract gate and the summaries goes through
    the macro (a plain `<` on an average is what flipped)."""
    from concord.paths import DBT_PROJECT_DIR

    for path, n_compares in (
        ("models/marts/model_eval/fct_review_queue.sql", 3),
        ("models/marts/model_eval/fct_anchoring_index.sql", 1),
        ("models/marts/reporting/fct_control_summary.sql", 1),
        ("macros/training/training_examples.sql", 4),
    ):
        text = (DBT_PROJECT_DIR / path).read_text(encoding="utf-8")
        assert text.count("concord_compare(") == n_compares, path
