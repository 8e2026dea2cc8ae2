"""int_model_eval__human_consensus against Python references on randomized judgments.

The model computes its median by rank (macro concord_grouped_median) and its distinct annotators
with a distinct then a count, so that every operator can spill at 1M tasks (docs/model_eval.md,
"Memory"). This checks, per (task, control), on a seeded random dataset with even and odd counts,
tied values, values outside the declared range (keyed but without a normalised value), repeated
and missing annotator ids and tied modal keys:
  - consensus_value of Rating / Number = numpy.median of the normalised values, exactly (==), and
    = DuckDB's median() aggregate over int_model_eval__human_judgments, exactly;
  - n_judgments, n_keyed_judgments, n_values, n_annotators (len of the set of non-null ids);
  - consensus_key / consensus_share / Choices consensus_value from collections.Counter;
  - mean_value = numpy.mean to 1e-12.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import numpy as np
import pytest
from staging_fakes import query_dicts, run_model_eval
from test_handworked import LABELS, Staging

SEED = 20261128
PROJECT_ID = 1
LABEL_VALUES = {"positive": 1.0, "negative": 0.0, "neutral": 0.5}
MAX_RATING = 5
NUMBER_MIN, NUMBER_MAX = 0.0, 7.0  # sevenths: midpoints that are not exact in binary


def build_random(rng: random.Random) -> tuple[Staging, dict]:
    s = Staging()
    s.add("stg_label_studio__projects", project_id=PROJECT_ID, score_field="score")
    s.add(
        "stg_label_studio__controls",
        project_id=PROJECT_ID,
        control_name="stars",
        control_type="rating",
        max_rating=float(MAX_RATING),
    )
    s.add(
        "stg_label_studio__controls",
        project_id=PROJECT_ID,
        control_name="amount",
        control_type="number",
        min_value=NUMBER_MIN,
        max_value=NUMBER_MAX,
    )
    s.add(
        "stg_label_studio__controls",
        project_id=PROJECT_ID,
        control_name="label",
        control_type="choices",
        choices=LABELS,
    )
    # (task, control) -> list of (annotator_id, key, normalised value or None)
    truth: dict = defaultdict(list)
    next_id = iter(range(1_000_000, 10_000_000))
    for _ in range(300):
        task_id = next(next_id)
        s.task(task_id, PROJECT_ID, {"score": 0.5})
        for _ in range(rng.randint(1, 9)):
            annotation_id = next(next_id)
            # few annotators, so some annotate a task twice; some ids missing (email-only exports)
            annotator_id = None if rng.random() < 0.05 else rng.randint(1, 4)
            s.annotation(annotation_id, task_id, PROJECT_ID, annotator_id)
            if rng.random() < 0.8:
                rating = rng.randint(0, MAX_RATING) if rng.random() < 0.1 else rng.randint(1, 4)
                s.result(
                    annotation_id, task_id, PROJECT_ID, "stars", "rating", rating=float(rating)
                )
                value = (rating - 1) / (MAX_RATING - 1) if rating >= 1 else None
                truth[(task_id, "stars")].append((annotator_id, str(float(rating)), value))
            if rng.random() < 0.6:
                number = float(rng.randint(0, 8))
                s.result(
                    annotation_id, task_id, PROJECT_ID, "amount", "number", number_value=number
                )
                value = (
                    (number - NUMBER_MIN) / (NUMBER_MAX - NUMBER_MIN)
                    if NUMBER_MIN <= number <= NUMBER_MAX
                    else None
                )
                truth[(task_id, "amount")].append((annotator_id, str(number), value))
            if rng.random() < 0.7:
                label = rng.choice(LABELS)
                s.result(annotation_id, task_id, PROJECT_ID, "label", "choices", choices=[label])
                truth[(task_id, "label")].append((annotator_id, label, LABEL_VALUES[label]))
    return s, truth


@pytest.fixture(scope="module")
def consensus_warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("model_eval_consensus")
    db = tmp / "consensus.duckdb"
    staging, truth = build_random(random.Random(SEED))
    staging.write(db)
    run_model_eval(db, tmp / "target", select=["label_values", "+int_model_eval__human_consensus"])
    return db, truth


def consensus_rows(db) -> dict:
    rows = query_dicts(db, "select * from intermediate.int_model_eval__human_consensus")
    return {(r["task_id"], r["control_name"]): r for r in rows}


def test_consensus_matches_python_reference(consensus_warehouse):
    db, truth = consensus_warehouse
    got = consensus_rows(db)
    assert set(got) == set(truth)
    n_even_medians = n_ties = 0
    for (task_id, control), judgments in truth.items():
        row = got[(task_id, control)]
        values = [v for _, _, v in judgments if v is not None]
        counts = Counter(k for _, k, _ in judgments)
        top = max(counts.values())
        modal = [k for k, n in counts.items() if n == top]
        assert row["n_judgments"] == len(judgments)
        assert row["n_keyed_judgments"] == len(judgments)
        assert row["n_values"] == len(values)
        assert row["n_annotators"] == len({a for a, _, _ in judgments if a is not None})
        assert row["consensus_key"] == (modal[0] if len(modal) == 1 else None)
        assert row["consensus_share"] == pytest.approx(top / len(judgments), abs=1e-12)
        if values:
            assert row["mean_value"] == pytest.approx(float(np.mean(values)), abs=1e-12)
        else:
            assert row["mean_value"] is None
        if control == "label":
            expected = LABEL_VALUES[modal[0]] if len(modal) == 1 else None
            n_ties += len(modal) > 1
        else:
            expected = float(np.median(values)) if values else None
            n_even_medians += len(values) % 2 == 0 and len(set(values)) > 1
        assert row["consensus_value"] == expected, (task_id, control, judgments, row)
    # the dataset exercises what the rank-based median and the tie rule must get right
    assert n_even_medians >= 100
    assert n_ties >= 20


def test_consensus_median_equals_median_aggregate(consensus_warehouse):
    db, _ = consensus_warehouse
    rows = query_dicts(
        db,
        """
        with reference as (
            select task_id, control_name, median(human_value) as median_value,
            from intermediate.int_model_eval__human_judgments
            where control_type in ('rating', 'number')
            group by task_id, control_name
        )
        select reference.*, consensus.consensus_value,
        from reference
        full outer join intermediate.int_model_eval__human_consensus as consensus
            on reference.task_id = consensus.task_id
            and reference.control_name = consensus.control_name
        where consensus.control_type in ('rating', 'number') or consensus.task_id is null
        """,
    )
    assert len(rows) > 400
    mismatched = [
        r for r in rows if r["median_value"] != r["consensus_value"] or r["task_id"] is None
    ]
    assert not mismatched, mismatched[:5]
