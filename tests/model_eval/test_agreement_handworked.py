"""fct_model_agreement, fct_agreement_ceiling and the exposure split, worked by hand.

Built with the agreement engine itself (int_agreement__judgment_pairs_scored, fct_control_agreement) on
staging-shaped rows: the model-vs-human numbers use exactly the human-vs-human metric.

Project 7: Choices `label` (exact match) and Rating `stars` (1 / (1 + |a - b|)), model version m.
  task 701: annotator 70 positive/5, 71 positive/4 (started from prediction 7001), 72 negative/1;
            prediction 7001: positive, stars 4
  task 702: annotator 70 neutral, 71 neutral; prediction 7002: negative
"""

from __future__ import annotations

import pytest
from staging_fakes import query_dicts, run_model_eval
from test_handworked import LABELS, Staging


def project7() -> Staging:
    s = Staging()
    s.add("stg_label_studio__projects", project_id=7, score_field="score")
    s.add(
        "stg_label_studio__controls",
        project_id=7,
        control_name="label",
        control_type="choices",
        choices=LABELS,
        is_multiple=False,
    )
    s.add(
        "stg_label_studio__controls",
        project_id=7,
        control_name="stars",
        control_type="rating",
        max_rating=5,
    )
    s.task(701, 7, {"text": "a"})
    s.task(702, 7, {"text": "b"})
    s.prediction(
        7001,
        701,
        7,
        "m",
        0.9,
        [
            {"control_name": "label", "result_type": "choices", "choices": ["positive"]},
            {"control_name": "stars", "result_type": "rating", "rating": 4.0},
        ],
    )
    s.prediction(
        7002,
        702,
        7,
        "m",
        0.8,
        [{"control_name": "label", "result_type": "choices", "choices": ["negative"]}],
    )
    judgments = [  # (annotation, task, annotator, label, stars)
        (7101, 701, 70, "positive", 5),
        (7102, 701, 71, "positive", 4),
        (7103, 701, 72, "negative", 1),
        (7201, 702, 70, "neutral", None),
        (7202, 702, 71, "neutral", None),
    ]
    for ann_id, task_id, annotator, label, stars in judgments:
        s.annotation(
            ann_id, task_id, 7, annotator, parent_prediction_id=7001 if ann_id == 7102 else None
        )
        s.result(ann_id, task_id, 7, "label", "choices", choices=[label])
        if stars is not None:
            s.result(ann_id, task_id, 7, "stars", "rating", rating=float(stars))
    return s


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("model_eval_agreement")
    db = tmp / "agreement.duckdb"
    project7().write(db)
    run_model_eval(
        db,
        tmp / "target",
        select=["+fct_agreement_ceiling", "+fct_model_agreement_by_exposure"],
    )
    return db


def test_model_agreement_rows(warehouse):
    rows = {
        (r["task_id"], r["control_name"], r["compared_with"]): r
        for r in query_dicts(warehouse, "select * from marts.fct_model_agreement")
    }
    assert rows[(701, "label", "annotation:7101")]["agreement"] == 1.0
    assert rows[(701, "label", "annotation:7103")]["agreement"] == 0.0
    assert rows[(701, "stars", "annotation:7103")]["agreement"] == pytest.approx(1 / (1 + 3))
    # consensus: 701 label positive (2 of 3) = model; 702 neutral (2 of 2) != negative;
    # 701 stars median(5, 4, 1) = 4 = model -> 1 / (1 + 0)
    assert rows[(701, "label", "consensus")]["agreement"] == 1.0
    assert rows[(702, "label", "consensus")]["agreement"] == 0.0
    assert rows[(701, "stars", "consensus")]["agreement"] == 1.0
    # the model predicts no stars on 702: no rows for what it does not answer
    assert not any(k[0] == 702 and k[1] == "stars" for k in rows)
    assert rows[(701, "label", "annotation:7102")]["exposure"] == "exposed"


def test_ceiling_side_by_side(warehouse):
    rows = {
        r["control_name"]: r
        for r in query_dicts(warehouse, "select * from marts.fct_agreement_ceiling")
    }
    label, stars = rows["label"], rows["stars"]
    # label: human pairs 701 (70,71)=1 (70,72)=0 (71,72)=0, 702 (70,71)=1 -> 2/4
    #        model pairs 701: 1, 1, 0; 702: 0, 0 -> 2/5
    assert (label["n_human_pairs"], label["n_model_human_pairs"]) == (4, 5)
    assert label["human_human_agreement"] == pytest.approx(0.5)
    assert label["model_human_agreement"] == pytest.approx(0.4)
    assert label["agreement_gap"] == pytest.approx(0.4 - 0.5)
    assert label["model_to_human_ratio"] == pytest.approx(0.8)
    assert label["model_consensus_agreement"] == pytest.approx(0.5)
    # stars (701 only): human 1/(1+1), 1/(1+4), 1/(1+3); model vs 5, 4, 1: 1/2, 1, 1/4
    assert stars["n_tasks"] == 1
    assert stars["human_human_agreement"] == pytest.approx((0.5 + 0.2 + 0.25) / 3)
    assert stars["model_human_agreement"] == pytest.approx((0.5 + 1.0 + 0.25) / 3)
    assert stars["model_consensus_agreement"] == 1.0


def test_agreement_by_exposure(warehouse):
    rows = {
        (r["scope"], r["annotator_id"], r["control_name"], r["exposure"]): r
        for r in query_dicts(warehouse, "select * from marts.fct_model_agreement_by_exposure")
    }
    # label: exposed = 7102 (1); manual = 7101 (1), 7103 (0), 7201 (0), 7202 (0)
    assert rows[("project", None, "label", "exposed")]["mean_agreement"] == 1.0
    assert rows[("project", None, "label", "manual")]["mean_agreement"] == pytest.approx(0.25)
    assert rows[("project", None, "label", "manual")]["n_pairs"] == 4
    assert rows[("annotator", 71, "label", "manual")]["mean_agreement"] == 0.0  # 702
    assert rows[("annotator", 71, "label", "exposed")]["mean_agreement"] == 1.0  # 701
