"""Hand-worked values for every model-eval metric, on small staging-shaped inputs.

The rows below are made up to be worked out on paper; each expected number is written as the
arithmetic that produces it. One warehouse is built for the module (staging tables filled by hand,
then only the model-eval models built with their dbt tests).

Projects:
  2  scores vs ratings: deltas, MAE / RMSE / bias, Pearson, Spearman (ties in x)
  3  model label vs human label: confusion matrix, Cohen's kappa, calibration bins and ECE
  4  anchoring index and the review queue
  5  fct_model_scores: all four score sources, provenance, conflicts, external key kinds
  6  a constant model score: correlations undefined (null)
  8  judgments that cannot be normalised
  9  text spans: human disagreement from the agreement engine's pairwise span IoU
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from staging_fakes import query_dicts, run_model_eval, write_staging

LABELS = ["positive", "negative", "neutral"]


def _rating_controls(project_id: int, name: str = "stars", max_rating: int = 5) -> dict:
    return {
        "project_id": project_id,
        "control_name": name,
        "control_type": "rating",
        "max_rating": max_rating,
    }


def _label_control(project_id: int) -> dict:
    return {
        "project_id": project_id,
        "control_name": "label",
        "control_type": "choices",
        "choices": LABELS,
    }


class Staging:
    """Collects staging rows; ids derived so tests read naturally."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {}
        self._result_index: dict[int, int] = {}

    def add(self, table: str, **row) -> None:
        self.rows.setdefault(table, []).append(row)

    def task(self, task_id: int, project_id: int, data: dict) -> None:
        self.add(
            "stg_label_studio__tasks",
            task_id=task_id,
            project_id=project_id,
            ext_id=data.get("ext_id"),
            data_json=data,
            data_score=data.get("score") if isinstance(data.get("score"), float) else None,
            is_deleted=False,
        )

    def annotation(
        self,
        annotation_id: int,
        task_id: int,
        project_id: int,
        annotator_id: int,
        *,
        parent_prediction_id=None,
        has_prediction_origin=False,
        is_empty=False,
    ) -> None:
        self.add(
            "stg_label_studio__annotations",
            annotation_id=annotation_id,
            task_id=task_id,
            project_id=project_id,
            annotator_id=annotator_id,
            is_cancelled=False,
            is_ground_truth=False,
            parent_prediction_id=parent_prediction_id,
            has_prediction_origin=has_prediction_origin,
            is_empty=is_empty,
        )

    def result(
        self, annotation_id: int, task_id: int, project_id: int, control: str, rtype: str, **typed
    ) -> None:
        index = self._result_index.get(annotation_id, 0)
        self._result_index[annotation_id] = index + 1
        self.add(
            "stg_label_studio__annotation_results",
            annotation_result_id=f"{annotation_id}-{index}",
            annotation_id=annotation_id,
            task_id=task_id,
            project_id=project_id,
            result_index=index,
            control_name=control,
            result_type=rtype,
            origin="manual",
            **typed,
        )

    def prediction(
        self,
        prediction_id: int,
        task_id: int,
        project_id: int,
        model_version: str,
        score: float | None,
        results: list[dict] = (),
    ) -> None:
        self.add(
            "stg_label_studio__predictions",
            prediction_id=prediction_id,
            task_id=task_id,
            project_id=project_id,
            model_version=model_version,
            prediction_score=score,
        )
        for index, res in enumerate(results):
            self.add(
                "stg_label_studio__prediction_results",
                prediction_result_id=f"{prediction_id}-{index}",
                prediction_id=prediction_id,
                task_id=task_id,
                project_id=project_id,
                model_version=model_version,
                result_index=index,
                **res,
            )

    def write(self, db: Path) -> None:
        write_staging(db, self.rows)


def handworked_staging() -> Staging:
    s = Staging()
    # ---- project 2: one annotator per task, rating 'stars' (max 5) vs data score
    s.add("stg_label_studio__projects", project_id=2, score_field="score")
    s.add("stg_label_studio__controls", **_rating_controls(2))
    for i, (score, rating) in enumerate([(0.1, 1), (0.4, 2), (0.4, 3), (0.9, 5)]):
        task_id, ann_id = 201 + i, 2001 + i
        s.task(task_id, 2, {"score": score})
        s.annotation(ann_id, task_id, 2, 20)
        s.result(ann_id, task_id, 2, "stars", "rating", rating=float(rating))

    # ---- project 3: model label + confidence vs the (single) human label
    s.add("stg_label_studio__projects", project_id=3, score_field="score")
    s.add("stg_label_studio__controls", **_label_control(3))
    cases = [  # (model label, human label, confidence)
        ("positive", "positive", 0.95),
        ("positive", "positive", 0.85),
        ("positive", "negative", 0.75),
        ("negative", "negative", 0.90),
        ("negative", "negative", 0.65),
        ("negative", "positive", 0.55),
        ("positive", "positive", 0.92),
        ("negative", "negative", 0.35),
        ("positive", "negative", 0.15),
        ("neutral", "neutral", 1.00),
    ]
    for i, (model_label, human_label, confidence) in enumerate(cases):
        task_id, ann_id, pred_id = 301 + i, 3001 + i, 30001 + i
        s.task(task_id, 3, {"text": "t"})
        s.annotation(ann_id, task_id, 3, 30)
        s.result(ann_id, task_id, 3, "label", "choices", choices=[human_label])
        s.prediction(
            pred_id,
            task_id,
            3,
            "m1",
            confidence,
            [{"control_name": "label", "result_type": "choices", "choices": [model_label]}],
        )

    # a recalibrated confidence table keyed by prediction id: 0.75 for every prediction, and
    # prediction 30001 listed twice with different values (a conflict: not binned)
    for i in range(10):
        s.add(
            "stg_scores__external_scores",
            score_table_name="recal",
            row_number=i + 1,
            key_kind="prediction_id",
            key_value=str(30001 + i),
            score=0.75,
            model_version="m1-recal",
        )
    s.add(
        "stg_scores__external_scores",
        score_table_name="recal",
        row_number=11,
        key_kind="prediction_id",
        key_value="30001",
        score=0.5,
        model_version="m1-recal",
    )

    # ---- project 4: anchoring. annotators A=40, B=41, C=42; rating 'stars' vs data score
    s.add("stg_label_studio__projects", project_id=4, score_field="score")
    s.add("stg_label_studio__controls", **_rating_controls(4))
    anchoring = {  # task: (score, {annotator: rating})
        401: (0.8, {40: 5, 41: 3, 42: 2}),
        402: (0.2, {40: 1, 41: 2, 42: 4}),
        403: (0.5, {40: 3, 41: 5}),
        404: (0.6, {40: 4}),
    }
    ann_id = 4000
    for task_id, (score, ratings) in anchoring.items():
        s.task(task_id, 4, {"score": score})
        s.prediction(task_id * 10, task_id, 4, "m1", None)
        for annotator, rating in ratings.items():
            ann_id += 1
            s.annotation(
                ann_id,
                task_id,
                4,
                annotator,
                parent_prediction_id=4010 if (task_id, annotator) == (401, 40) else None,
                has_prediction_origin=(task_id, annotator) == (402, 41),
            )
            s.result(ann_id, task_id, 4, "stars", "rating", rating=float(rating))

    # ---- project 6: constant model score
    s.add("stg_label_studio__projects", project_id=6, score_field="score")
    s.add("stg_label_studio__controls", **_rating_controls(6))
    for i, rating in enumerate([2, 4]):
        s.task(601 + i, 6, {"score": 0.5})
        s.annotation(6001 + i, 601 + i, 6, 60)
        s.result(6001 + i, 601 + i, 6, "stars", "rating", rating=float(rating))

    # ---- project 8: judgments that cannot be normalised (null with a reason, never a guess)
    s.add("stg_label_studio__projects", project_id=8, score_field="score")
    s.add("stg_label_studio__controls", **_rating_controls(8))
    s.add("stg_label_studio__controls", **_label_control(8))
    s.task(801, 8, {"score": 0.5})
    s.annotation(8001, 801, 8, 80)
    s.result(8001, 801, 8, "stars", "rating", rating=7.0)
    s.result(8001, 801, 8, "label", "choices", choices=["maybe"])

    # ---- project 9: text spans (no single consensus value): pairwise span IoU decides
    s.add("stg_label_studio__projects", project_id=9, score_field="score")
    s.add(
        "stg_label_studio__controls",
        project_id=9,
        control_name="ner",
        control_type="labels",
        labels=["ORG"],
    )
    spans = {901: [(0, 10), (0, 5)], 902: [(3, 8), (3, 8)]}  # task: span of annotator 90, 91
    for task_id, pair in spans.items():
        s.task(task_id, 9, {"text": "Acme Corp. and friends"})
        for annotator, (start, end) in zip((90, 91), pair, strict=True):
            ann_id = task_id * 10 + annotator - 90
            s.annotation(ann_id, task_id, 9, annotator)
            s.result(
                ann_id,
                task_id,
                9,
                "ner",
                "labels",
                span_start=start,
                span_end=end,
                region_labels=["ORG"],
            )

    # ---- project 5: model scores from every source
    s.add("stg_label_studio__projects", project_id=5, score_field="risk")  # Header shows $risk
    s.task(501, 5, {"risk": 0.25, "score": 0.7, "ext_id": "e-501"})
    s.task(502, 5, {"score": 0.1, "ext_id": 502})
    s.prediction(5001, 501, 5, "v1", 0.60)
    s.prediction(5002, 501, 5, "v1", 0.65)  # same version, another score: conflict
    s.prediction(
        5003,
        501,
        5,
        "v2",
        None,
        [
            {"control_name": "ner", "result_type": "labels", "region_score": 0.2, "region_id": "a"},
            {"control_name": "ner", "result_type": "labels", "region_score": 0.6, "region_id": "b"},
        ],
    )
    ext = [  # (table, row, key_kind, key_field, key_value, score, model_version)
        ("ext_a", 1, "data_field", "ext_id", "e-501", 0.3, None),
        ("ext_a", 2, "data_field", "ext_id", "e-501", 0.3, None),  # same value twice: no conflict
        ("ext_a", 3, "data_field", "ext_id", "e-999", 0.1, None),  # no such task
        (
            "ext_a",
            4,
            "data_field",
            "ext_id",
            "502",
            0.2,
            None,
        ),  # numeric data value matches as text
        ("ext_b", 1, "prediction_id", None, "5003", 0.45, None),  # version from the prediction
        ("ext_b", 2, "prediction_id", None, "5001", 0.5, "explicit"),
        ("ext_c", 1, "task_id", None, "502", 0.9, "v1"),
        ("ext_c", 2, "task_id", None, "502", 0.8, "v1"),  # conflict
    ]
    for table, row, kind, field, value, score, version in ext:
        s.add(
            "stg_scores__external_scores",
            score_table_name=table,
            row_number=row,
            key_kind=kind,
            key_field=field,
            key_value=value,
            score=score,
            model_version=version,
        )
    return s


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("model_eval_handworked")
    db = tmp / "handworked.duckdb"
    handworked_staging().write(db)
    run_model_eval(db, tmp / "target")
    return db


def one(db: Path, sql: str) -> dict:
    rows = query_dicts(db, sql)
    assert len(rows) == 1, rows
    return rows[0]


# ---------------------------------------------------------------- deltas and correlations


def test_rating_normalisation_and_deltas(warehouse):
    rows = query_dicts(
        warehouse,
        """
        select task_id, judgment_number, human_value, model_score, signed_delta, abs_delta
        from marts.fct_score_deltas where project_id = 2 order by task_id""",
    )
    # (r - 1) / (5 - 1): 1 -> 0, 2 -> 0.25, 3 -> 0.5, 5 -> 1
    assert [r["human_value"] for r in rows] == [0.0, 0.25, 0.5, 1.0]
    expected_signed = [0.1 - 0.0, 0.4 - 0.25, 0.4 - 0.5, 0.9 - 1.0]
    for row, signed in zip(rows, expected_signed):
        assert row["signed_delta"] == pytest.approx(signed, abs=1e-12)
        assert row["abs_delta"] == pytest.approx(abs(signed), abs=1e-12)


@pytest.mark.parametrize("level", ["annotation", "task"])
def test_mae_rmse_bias_pearson_spearman(warehouse, level):
    row = one(
        warehouse,
        f"""
        select * from marts.fct_score_delta_summary
        where project_id = 2 and comparison_level = '{level}'""",
    )
    # x = model [0.1, 0.4, 0.4, 0.9]; y = human [0, 0.25, 0.5, 1]; d = x - y = [.1, .15, -.1, -.1]
    assert row["n"] == 4
    assert row["mae"] == pytest.approx((0.1 + 0.15 + 0.1 + 0.1) / 4, abs=1e-12)
    assert row["rmse"] == pytest.approx(math.sqrt((0.01 + 0.0225 + 0.01 + 0.01) / 4), abs=1e-12)
    assert row["mean_signed_bias"] == pytest.approx((0.1 + 0.15 - 0.1 - 0.1) / 4, abs=1e-12)
    # dx = [-.35, -.05, -.05, .45], dy = [-.4375, -.1875, .0625, .5625]
    # sum dx dy = .4125, sum dx^2 = .33, sum dy^2 = .546875
    assert row["pearson"] == pytest.approx(0.4125 / math.sqrt(0.33 * 0.546875), abs=1e-12)
    # average ranks: x -> [1, 2.5, 2.5, 4], y -> [1, 2, 3, 4]; centred: [-1.5, 0, 0, 1.5] and
    # [-1.5, -.5, .5, 1.5]; rho = 4.5 / sqrt(4.5 * 5) = sqrt(0.9)
    assert row["spearman"] == pytest.approx(math.sqrt(0.9), abs=1e-12)


def test_correlation_is_null_without_variation(warehouse):
    # project 6: both tasks scored 0.5 (no variation in x): r and rho undefined, errors still computed
    row = one(
        warehouse,
        """
        select * from marts.fct_score_delta_summary
        where project_id = 6 and comparison_level = 'annotation'""",
    )
    assert row["n"] == 2
    assert row["pearson"] is None and row["spearman"] is None
    assert row["mae"] == pytest.approx((abs(0.5 - 0.25) + abs(0.5 - 0.75)) / 2, abs=1e-12)


# ---------------------------------------------------------------- kappa, confusion, calibration


def test_confusion_matrix(warehouse):
    rows = query_dicts(
        warehouse,
        """
        select model_label, human_label, n_units from marts.fct_model_label_confusion
        where project_id = 3 and model_version = 'm1'""",
    )
    matrix = {(r["model_label"], r["human_label"]): r["n_units"] for r in rows}
    assert len(matrix) == 9  # every label seen on either side, zeros included
    assert matrix[("positive", "positive")] == 3
    assert matrix[("positive", "negative")] == 2
    assert matrix[("negative", "positive")] == 1
    assert matrix[("negative", "negative")] == 3
    assert matrix[("neutral", "neutral")] == 1
    assert matrix[("neutral", "positive")] == 0


def test_cohen_kappa(warehouse):
    row = one(warehouse, "select * from marts.fct_model_label_kappa where project_id = 3")
    # p_o = (3 + 3 + 1) / 10; marginals model (5, 4, 1), human (4, 5, 1):
    # p_e = (5*4 + 4*5 + 1*1) / 100 = 0.41; kappa = (0.7 - 0.41) / (1 - 0.41)
    assert row["n_units"] == 10
    assert row["observed_agreement"] == pytest.approx(0.7, abs=1e-12)
    assert row["chance_agreement"] == pytest.approx(0.41, abs=1e-12)
    assert row["cohen_kappa"] == pytest.approx(0.29 / 0.59, abs=1e-12)


def test_calibration_bins_and_ece(warehouse):
    bins = {
        r["bin_index"]: r
        for r in query_dicts(
            warehouse,
            """
            select * from marts.fct_model_calibration_bins
            where project_id = 3 and model_version = 'm1'""",
        )
    }
    assert sorted(bins) == list(range(10))
    # bin 9 holds .95, .90, .92 and 1.0 (the last bin includes 1): all correct
    assert bins[9]["n_units"] == 4
    assert bins[9]["mean_score"] == pytest.approx((0.95 + 0.90 + 0.92 + 1.0) / 4, abs=1e-12)
    assert bins[9]["accuracy"] == 1.0
    assert bins[7]["n_units"] == 1 and bins[7]["accuracy"] == 0.0  # .75, wrong
    assert bins[0]["n_units"] == 0 and bins[0]["mean_score"] is None
    row = one(
        warehouse,
        "select * from marts.fct_model_calibration where project_id = 3 and model_version = 'm1'",
    )
    # gaps: bin9 |1 - .9425| (n=4), bin8 .15, bin7 .75, bin6 .35, bin5 .55, bin3 .65, bin1 .15
    expected = (4 * (1 - 0.9425) + 0.15 + 0.75 + 0.35 + 0.55 + 0.65 + 0.15) / 10
    assert row["ece"] == pytest.approx(expected, abs=1e-12)
    assert row["n_units"] == 10 and row["n_nonempty_bins"] == 7
    assert row["accuracy"] == pytest.approx(0.7, abs=1e-12)


# ---------------------------------------------------------------- anchoring


def test_exposure_classification(warehouse):
    rows = {
        (r["task_id"], r["annotator_id"]): r
        for r in query_dicts(
            warehouse,
            """
            select task_id, annotator_id, exposure, exposure_evidence
            from intermediate.int_model_eval__annotation_exposure where project_id = 4""",
        )
    }
    assert rows[(401, 40)]["exposure"] == "exposed"
    assert rows[(401, 40)]["exposure_evidence"] == "parent_prediction"
    assert rows[(402, 41)]["exposure"] == "exposed"
    assert rows[(402, 41)]["exposure_evidence"] == "result_origin"
    assert rows[(401, 41)]["exposure"] == "manual"
    split = {
        (r["scope"], r["annotator_id"], r["exposure"]): r
        for r in query_dicts(
            warehouse,
            """
            select * from marts.fct_exposure_score_deltas where project_id = 4""",
        )
    }
    # annotator 40 exposed only on 401: |0.8 - 1.0|
    assert split[("annotator", 40, "exposed")]["n_annotations"] == 1
    assert split[("annotator", 40, "exposed")]["mean_abs_delta"] == pytest.approx(0.2, abs=1e-12)
    # manual, project-wide: 9 annotations minus the 2 exposed ones
    assert split[("project", None, "manual")]["n_annotations"] == 7


def test_anchoring_index(warehouse):
    rows = {
        r["annotator_id"]: r
        for r in query_dicts(
            warehouse,
            """
            select * from marts.fct_anchoring_index where project_id = 4""",
        )
    }
    # |human - model|: 401 (s=.8): A .2, B .3, C .55 | 402 (s=.2): A .2, B .05, C .55
    #                  403 (s=.5): A 0, B .5        | 404 (s=.6): A .15 alone (not shared)
    a, b, c = rows[40], rows[41], rows[42]
    assert a["n_shared_tasks"] == 3 and a["n_tasks"] == 4
    assert a["anchoring_index"] == pytest.approx(
        ((0.2 - (0.3 + 0.55) / 2) + (0.2 - (0.05 + 0.55) / 2) + (0.0 - 0.5)) / 3, abs=1e-12
    )
    assert a["is_anchoring_flagged"] is True  # -0.275 <= -0.15
    assert b["anchoring_index"] == pytest.approx(
        ((0.3 - (0.2 + 0.55) / 2) + (0.05 - (0.2 + 0.55) / 2) + (0.5 - 0.0)) / 3, abs=1e-12
    )
    assert b["is_anchoring_flagged"] is False
    # C shares only two tasks (< model_eval_anchoring_min_shared_tasks = 3): index null, n kept
    assert c["n_shared_tasks"] == 2 and c["anchoring_index"] is None
    assert c["is_anchoring_flagged"] is False


# ---------------------------------------------------------------- review queue


def test_review_queue_reasons_priority_and_order(warehouse):
    rows = {
        r["task_id"]: r
        for r in query_dicts(warehouse, "select * from marts.fct_review_queue where project_id = 4")
    }
    # 401: C's .55 > .5 diverges; ratings 5/3/2 all differ (share 1/3 < .6)
    assert rows[401]["reasons"] == "divergence, human_disagreement"
    assert rows[401]["priority"] == pytest.approx(5 + 4 + 0.55, abs=1e-12)
    assert rows[402]["reasons"] == "divergence, human_disagreement"
    # 403: max delta exactly .5 is not above the threshold; 3 vs 5 (share .5); score .5 in band
    assert rows[403]["reasons"] == "human_disagreement, model_uncertain"
    assert rows[403]["priority"] == pytest.approx(4 + 2 + 0.5, abs=1e-12)
    # 404: A (flagged) is the only annotator; .6 is inside [.4, .6]; 1 < 2 annotations
    assert rows[404]["reasons"] == "anchored_sole_annotator, model_uncertain, too_few_annotations"
    assert rows[404]["priority"] == pytest.approx(3 + 2 + 1 + 0.15, abs=1e-12)
    # a task without any delta adds nothing for divergence: 301 (confidence .95) is only short
    # of annotations
    only_short = one(warehouse, "select * from marts.fct_review_queue where task_id = 301")
    assert only_short["reasons"] == "too_few_annotations"
    assert only_short["priority"] == 1.0
    # stable order: equal priority (401, 402) -> lower task id first
    order = [
        r["task_id"]
        for r in query_dicts(
            warehouse, "select task_id from marts.fct_review_queue order by queue_position"
        )
    ]
    assert order.index(401) < order.index(402) < order.index(403) < order.index(404)


def test_review_queue_thresholds_are_vars(tmp_path):
    db = tmp_path / "vars.duckdb"
    handworked_staging().write(db)
    run_model_eval(
        db,
        tmp_path / "target",
        dbt_vars={
            "model_eval_divergence_threshold": 0.6,
            "model_eval_uncertain_band": [0.45, 0.55],
        },
    )
    rows = {
        r["task_id"]: r
        for r in query_dicts(db, "select * from marts.fct_review_queue where project_id = 4")
    }
    assert rows[401]["reasons"] == "human_disagreement"  # .55 is no longer above the threshold
    assert rows[404]["reasons"] == "anchored_sole_annotator, too_few_annotations"  # .6 outside


# ---------------------------------------------------------------- model scores


def test_model_scores_sources_provenance_conflicts(warehouse):
    rows = {
        (r["task_id"], r["score_source"], r["score_name"], r["model_version"]): r
        for r in query_dicts(warehouse, "select * from marts.fct_model_scores where project_id = 5")
    }
    conflict = rows[(501, "prediction_score", "prediction.score", "v1")]
    assert conflict["has_conflict"] is True and conflict["score"] is None
    assert (conflict["min_score"], conflict["max_score"], conflict["n_observations"]) == (
        0.6,
        0.65,
        2,
    )
    assert conflict["provenance"] == "prediction 5001; prediction 5002"
    region = rows[(501, "region_score", "ner", "v2")]
    assert region["score"] == pytest.approx((0.2 + 0.6) / 2, abs=1e-12)
    assert region["prediction_id"] == 5003
    # the Header banner's field (risk), not the var default (score)
    assert rows[(501, "data_field", "risk", "(unversioned)")]["score"] == 0.25
    assert (502, "data_field", "risk", "(unversioned)") not in rows
    same_twice = rows[(501, "external", "ext_a", "(unversioned)")]
    assert (same_twice["score"], same_twice["n_observations"], same_twice["has_conflict"]) == (
        0.3,
        2,
        False,
    )
    assert same_twice["key_kind"] == "data_field" and same_twice["key_field"] == "ext_id"
    assert rows[(502, "external", "ext_a", "(unversioned)")]["score"] == 0.2
    assert rows[(501, "external", "ext_b", "v2")]["score"] == 0.45
    assert rows[(501, "external", "ext_b", "v2")]["prediction_id"] == 5003
    assert rows[(501, "external", "ext_b", "explicit")]["score"] == 0.5
    ext_conflict = rows[(502, "external", "ext_c", "v1")]
    assert ext_conflict["has_conflict"] is True and ext_conflict["score"] is None
    assert ext_conflict["provenance"] == "score table ext_c row 1; score table ext_c row 2"
    unmatched = query_dicts(
        warehouse, "select * from intermediate.int_model_eval__external_scores_unmatched"
    )
    assert [(u["score_table_name"], u["row_number"], u["unmatched_reason"]) for u in unmatched] == [
        ("ext_a", 3, "no task with data_field ext_id = e-999")
    ]


def test_unnormalisable_judgments_are_null_with_a_reason(warehouse):
    rows = {
        r["control_name"]: r
        for r in query_dicts(
            warehouse,
            "select * from intermediate.int_model_eval__human_judgments where project_id = 8",
        )
    }
    assert rows["stars"]["human_value"] is None
    # max_rating is an integer in staging (the hand-copied fake had it as a double: "1..5.0")
    assert rows["stars"]["null_value_reason"] == "rating 7.0 outside 1..5"
    assert rows["label"]["human_value"] is None
    assert rows["label"]["null_value_reason"] == "label maybe has no value in seed label_values"
    assert query_dicts(warehouse, "select * from marts.fct_score_deltas where project_id = 8") == []


def test_calibration_of_a_confidence_table_keyed_by_prediction(warehouse):
    row = one(
        warehouse,
        "select * from marts.fct_model_calibration where project_id = 3 and model_version = 'm1-recal'",
    )
    assert (row["score_source"], row["score_name"]) == ("external", "recal")
    # 30001 is conflicting (0.75 and 0.5): not binned; the other 9 all sit in bin 7 at 0.75 with
    # 6 correct (tasks 302, 304, 305, 307, 308, 310): ECE = |6/9 - 0.75|
    assert (row["n_units"], row["n_conflicting"], row["n_nonempty_bins"]) == (9, 1, 1)
    assert row["ece"] == pytest.approx(abs(6 / 9 - 0.75), abs=1e-12)
    # a confidence is not a position on the judgment's scale: no score deltas for it
    kinds = query_dicts(
        warehouse,
        "select distinct score_kind from marts.fct_model_scores where score_name = 'recal'",
    )
    assert kinds == [{"score_kind": "confidence"}]
    assert query_dicts(warehouse, "select * from marts.fct_score_deltas where project_id = 3") == []


def test_review_queue_region_disagreement(warehouse):
    rows = {
        r["task_id"]: r
        for r in query_dicts(warehouse, "select * from marts.fct_review_queue where project_id = 9")
    }
    # 901: [0, 10) vs [0, 5): IoU 5 / 10 each way -> 0.5 < 0.95; 902: identical spans -> 1.0
    assert rows[901]["reasons"] == "human_disagreement"
    assert rows[901]["min_region_agreement"] == pytest.approx(0.5, abs=1e-12)
    assert 902 not in rows
