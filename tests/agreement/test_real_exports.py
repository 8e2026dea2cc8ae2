"""The agreements and disagreements designed into the real Label Studio exports (manifests'
notes.agreement_design) come out as designed in the agreement marts of `built_warehouse`.

byos_text (project 1, task id = design index + 1): "tasks 0-2,7,9: all agree; 3: three-way
disagreement; 4: alice disagreed then updated to agree; 5: 2 vs 1 (chloe differs); 6: same label,
ratings 3/4/5; 8: chloe skipped. 10-19: alice+bob, disagree on 11,13,18".
ner_spans (project 3, task id = design index + 55): "0-5 alice+bob+chloe, 7-15 alice+bob;
disagreements: 1 chloe missed Texas, 2 bob missed Kenya, 4 bob tagged Paris/LOC instead of
University of Paris/ORG, 5 chloe Amazon LOC, 6 bob Washington LOC, 7 bob Blue Origin LOC (later
fixed), 10 bob missed ORG, 14 alice 'New York' vs 'New York City'".
Users: admin 1, alice 2, bob 3, chloe 4, dan 5.
"""

from __future__ import annotations

import pytest
from conftest import query_dicts

ADMIN, ALICE, BOB, CHLOE, DAN = 1, 2, 3, 4, 5


def control_row(db, task_id: int, control: str) -> dict:
    rows = query_dicts(
        db,
        "select * from marts.fct_control_agreement where task_id = ? and control_name = ?",
        [task_id, control],
    )
    assert len(rows) == 1, (task_id, control, rows)
    return rows[0]


def pairs_by_annotators(db, task_id: int, control: str) -> dict[frozenset, float]:
    """Annotator-vs-annotator pairs of a task; pairs with a ground-truth annotation (the admin's
    on task 56) are the 'vs ground truth' comparison, not the panel's."""
    rows = query_dicts(
        db,
        """
        select annotator_id_a, annotator_id_b, agreement from marts.fct_pair_agreement
        where task_id = ? and control_name = ?
            and not is_ground_truth_a and not is_ground_truth_b""",
        [task_id, control],
    )
    return {frozenset((r["annotator_id_a"], r["annotator_id_b"])): r["agreement"] for r in rows}


@pytest.mark.parametrize("design_index", [0, 1, 2, 7, 9])
def test_byos_all_agree(built_warehouse, design_index: int) -> None:
    row = control_row(built_warehouse, design_index + 1, "label")
    assert row["n_pairs"] >= 3 and row["agreement"] == 1.0 and row["consensus_share"] == 1.0


def test_byos_three_way_disagreement(built_warehouse) -> None:
    row = control_row(built_warehouse, 4, "label")
    assert (row["n_annotations"], row["n_pairs"], row["agreement"]) == (3, 3, 0.0)
    assert row["is_consensus_tied"] and row["consensus_value"] is None
    assert row["consensus_share"] == pytest.approx(1 / 3)


def test_byos_updated_annotation_counts_its_final_answer(built_warehouse) -> None:
    row = control_row(built_warehouse, 5, "label")
    assert (row["n_pairs"], row["agreement"], row["consensus_value"]) == (3, 1.0, "neutral")


def test_byos_two_versus_one(built_warehouse) -> None:
    row = control_row(built_warehouse, 6, "label")
    assert row["agreement"] == pytest.approx(1 / 3)
    assert row["consensus_share"] == pytest.approx(2 / 3) and not row["is_consensus_tied"]
    pairs = pairs_by_annotators(built_warehouse, 6, "label")
    assert pairs[frozenset((ALICE, BOB))] == 1.0
    assert pairs[frozenset((ALICE, CHLOE))] == 0.0 and pairs[frozenset((BOB, CHLOE))] == 0.0


def test_byos_ratings_3_4_5(built_warehouse) -> None:
    assert control_row(built_warehouse, 7, "label")["agreement"] == 1.0
    row = control_row(built_warehouse, 7, "human_rating")
    assert row["agreement"] == pytest.approx((1 / 2 + 1 / 3 + 1 / 2) / 3)  # 1 / (1 + |a - b|)
    assert sorted(pairs_by_annotators(built_warehouse, 7, "human_rating").values()) == [
        pytest.approx(1 / 3),
        0.5,
        0.5,
    ]
    assert row["consensus_number"] == 4.0


def test_byos_skipped_annotation_never_pairs(built_warehouse) -> None:
    row = control_row(built_warehouse, 9, "label")
    assert (row["n_annotations"], row["n_pairs"]) == (2, 1)
    assert set(pairs_by_annotators(built_warehouse, 9, "label")) == {frozenset((ALICE, BOB))}
    chloe = query_dicts(
        built_warehouse,
        """
        select n_skipped from marts.fct_annotator_agreement
        where project_id = 1 and annotator_id = ? and control_name = 'label'""",
        [CHLOE],
    )
    assert [row["n_skipped"] for row in chloe] == [1]  # the one skip of the design (task 9)


@pytest.mark.parametrize("design_index, agree", [(i, i not in (11, 13, 18)) for i in range(10, 20)])
def test_byos_alice_bob(built_warehouse, design_index: int, agree: bool) -> None:
    pairs = pairs_by_annotators(built_warehouse, design_index + 1, "label")
    assert pairs == {frozenset((ALICE, BOB)): 1.0 if agree else 0.0}


@pytest.mark.parametrize("task_id", [21, 24, 25, 26])
def test_byos_single_annotation_is_null(built_warehouse, task_id: int) -> None:
    row = control_row(built_warehouse, task_id, "label")
    assert (row["n_annotations"], row["n_pairs"], row["agreement"]) == (1, 0, None)
    task = query_dicts(
        built_warehouse, "select * from marts.fct_task_agreement where task_id = ?", [task_id]
    )[0]
    assert task["agreement"] is None and task["n_controls_scored"] == 0


def test_byos_skip_only_task_has_no_agreement_rows(built_warehouse) -> None:
    assert (
        query_dicts(built_warehouse, "select * from marts.fct_control_agreement where task_id = 27")
        == []
    )


def _reference_alpha(db, control: str, value_sql: str, level: str) -> float:
    """Krippendorff's alpha by the reference package, on the staged answers of byos_text."""
    import krippendorff
    import numpy as np

    rows = query_dicts(
        db,
        f"""
        select results.task_id, annotations.annotator_id, {value_sql} as value
        from staging.stg_label_studio__annotation_results as results
        inner join staging.stg_label_studio__annotations as annotations
            on results.annotation_id = annotations.annotation_id
        where results.project_id = 1 and results.control_name = ?""",
        [control],
    )
    tasks = sorted({r["task_id"] for r in rows})
    coders = sorted({r["annotator_id"] for r in rows})
    values = sorted({r["value"] for r in rows})
    data = np.full((len(coders), len(tasks)), np.nan)
    for r in rows:
        value = values.index(r["value"]) if level == "nominal" else r["value"]
        data[coders.index(r["annotator_id"]), tasks.index(r["task_id"])] = value
    return krippendorff.alpha(reliability_data=data, level_of_measurement=level)


def test_byos_reliability(built_warehouse) -> None:
    rows = {
        r["control_name"]: r
        for r in query_dicts(
            built_warehouse, "select * from marts.fct_control_reliability where project_id = 1"
        )
    }
    label, stars, rationale = rows["label"], rows["human_rating"], rows["rationale"]
    assert label["value_kind"] == "categorical"
    assert label["alpha_nominal"] == pytest.approx(
        _reference_alpha(built_warehouse, "label", "choices[1]", "nominal")
    )  # 0.705
    assert stars["value_kind"] == "numeric"
    assert stars["alpha_interval"] == pytest.approx(
        _reference_alpha(built_warehouse, "human_rating", "rating", "interval")
    )  # 0.607
    assert label["cohen_reason"] == "needs exactly two annotators (found 5)"
    assert rationale["alpha_nominal"] is None and rationale["alpha_reason"].startswith(
        "needs one categorical"
    )


@pytest.mark.parametrize(
    "design_index, odd_one_out, expected",
    [
        (1, CHLOE, 4 / 5),  # chloe missed Texas: (1 + 1 + 0 + 1 + 1) / 5
        (2, BOB, 4 / 5),  # bob missed Kenya
        (4, BOB, 2 / 4),  # Paris/LOC vs University of Paris/ORG: labels differ -> 0 for that region
        (5, CHLOE, 4 / 6),  # chloe Amazon LOC
    ],
)
def test_ner_three_annotator_disagreements(
    built_warehouse, design_index, odd_one_out, expected
) -> None:
    pairs = pairs_by_annotators(built_warehouse, design_index + 55, "ner")
    assert set(pairs) == {frozenset(p) for p in ((ALICE, BOB), (ALICE, CHLOE), (BOB, CHLOE))}
    for annotators, agreement in pairs.items():
        if odd_one_out in annotators:
            assert agreement == pytest.approx(expected), annotators
        else:
            assert agreement == 1.0, annotators


@pytest.mark.parametrize(
    "design_index, expected",
    [
        (6, 2 / 4),  # bob Washington LOC
        (7, 1.0),  # bob Blue Origin LOC, later fixed
        (10, 4 / 5),  # bob missed ORG
        (8, 1.0),
        (9, 1.0),
    ],
)
def test_ner_alice_bob(built_warehouse, design_index: int, expected: float) -> None:
    pairs = pairs_by_annotators(built_warehouse, design_index + 55, "ner")
    assert pairs == {frozenset((ALICE, BOB)): pytest.approx(expected)}


def test_ner_new_york_vs_new_york_city(built_warehouse) -> None:
    # one region is 'New York' [k, k+8) vs 'New York City' [k, k+13): IoU 8/13; the rest match
    rows = query_dicts(
        built_warehouse,
        """
        select r.span_start, r.span_end, v.n_regions
        from intermediate.int_agreement__judgment_regions as r
        inner join intermediate.int_agreement__judgment_values as v
            on r.judgment_id = v.judgment_id and r.control_name = v.control_name
        inner join intermediate.int_agreement__judgments as j on r.judgment_id = j.judgment_id
        where r.task_id = 69 and j.annotator_id = ?""",
        [ALICE],
    )
    n_regions = rows[0]["n_regions"]
    pairs = pairs_by_annotators(built_warehouse, 69, "ner")
    assert pairs == {
        frozenset((ALICE, BOB)): pytest.approx((2 * (n_regions - 1) + 2 * 8 / 13) / (2 * n_regions))
    }
