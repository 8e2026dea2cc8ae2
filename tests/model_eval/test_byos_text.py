"""Model-eval marts on the real byos_text export (the shared `built_warehouse`, tests/conftest.py).

The export's manifest says how it was designed (notes.agreement_design): "tasks 0-2,7,9: all
agree; ... model score inverted on 5,13,16". Those numbers are task INDEXES in the manifest's
`tasks` list; the Label Studio task id is tasks[index].task_id.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from staging_fakes import query_dicts

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "label_studio" / "byos_text"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())
EXPORT = {task["id"]: task for task in json.loads((FIXTURE / "export.json").read_text())}
DESIGN = MANIFEST["notes"]["agreement_design"]
UNCERTAIN_BAND = (0.4, 0.6)  # dbt var model_eval_uncertain_band default


def task_ids(indexes: list[int]) -> list[int]:
    by_index = {task["index"]: task["task_id"] for task in MANIFEST["tasks"]}
    return [by_index[i] for i in indexes]


def design_indexes(pattern: str) -> list[int]:
    """Indexes from the design note, e.g. '0-2,7,9' -> [0, 1, 2, 7, 9]."""
    match = re.search(pattern, DESIGN)
    assert match, f"manifest agreement_design changed: {DESIGN!r}"
    out: list[int] = []
    for part in match.group(1).split(","):
        lo, _, hi = part.strip().partition("-")
        out += list(range(int(lo), int(hi or lo) + 1))
    return out


INVERTED = task_ids(design_indexes(r"model score inverted on ([\d,\- ]+)"))
ALL_AGREE = task_ids(design_indexes(r"tasks ([\d,\-]+): all agree"))


@pytest.fixture(scope="module")
def queue(built_warehouse) -> dict[int, dict]:
    return {
        row["task_id"]: row
        for row in query_dicts(
            built_warehouse, "select * from marts.fct_review_queue where project_id = 1"
        )
    }


def test_design_note_parsed():
    assert INVERTED == [6, 14, 17]
    assert ALL_AGREE == [1, 2, 3, 8, 10]


@pytest.mark.parametrize("task_id", INVERTED)
def test_inverted_model_scores_are_queued_for_divergence(queue, task_id):
    row = queue.get(task_id)
    assert row is not None, f"task {task_id} (model score inverted) is not in fct_review_queue"
    assert row["has_divergence"] is True
    assert "divergence" in row["reasons"].split(", ")
    assert row["max_abs_delta"] > 0.5


def test_agreeing_tasks_with_a_confident_model_are_not_queued(queue):
    confident = [
        task_id
        for task_id in ALL_AGREE
        if not UNCERTAIN_BAND[0] <= EXPORT[task_id]["data"]["score"] <= UNCERTAIN_BAND[1]
    ]
    assert confident == [1, 2, 10]  # 3 and 8 carry a score near 0.5: the model is not confident
    for task_id in confident:
        assert task_id not in queue, (task_id, queue.get(task_id))
    # and the inverted ones outrank every task that is queued only for being short of annotations
    short_only = [
        r["queue_position"] for r in queue.values() if r["reasons"] == "too_few_annotations"
    ]
    assert max(queue[t]["queue_position"] for t in INVERTED) < min(short_only)


def test_every_score_source_lands_in_fct_model_scores(built_warehouse):
    rows = query_dicts(
        built_warehouse,
        """
        select score_source, score_name, min(score_kind) as score_kind,
            count(distinct task_id) as n_tasks,
            sum(case when has_conflict then 1 else 0 end) as n_conflicts
        from marts.fct_model_scores where project_id = 1 group by score_source, score_name""",
    )
    by_name = {(r["score_source"], r["score_name"]): r for r in rows}
    assert by_name[("data_field", "score")]["n_tasks"] == 30  # every task carries data.score
    assert by_name[("prediction_score", "prediction.score")]["n_tasks"] == 28  # 29, 30: none
    assert by_name[("region_score", "label")]["n_tasks"] == 28
    # demo/scores/byos_text_scores.csv, keyed by data.ext_id: a value about the task
    ext = by_name[("external", "byos_text_scores")]
    assert (ext["n_tasks"], ext["score_kind"]) == (30, "value")
    # demo/scores/byos_text_prediction_calibrated.parquet, keyed by prediction_id: a confidence
    calibrated = by_name[("external", "byos_text_prediction_calibrated")]
    assert calibrated["score_kind"] == "confidence"
    assert all(r["n_conflicts"] == 0 for r in rows)
    # task 28's sentiment-v2 prediction has no score and an empty result: no row for it
    v2 = query_dicts(
        built_warehouse,
        """
        select * from marts.fct_model_scores
        where task_id = 28 and model_version = 'sentiment-v2'""",
    )
    assert v2 == []


def test_recalibrated_confidences_are_evaluated_as_their_own_version(built_warehouse):
    rows = {
        (r["score_source"], r["model_version"]): r
        for r in query_dicts(
            built_warehouse,
            "select * from marts.fct_model_calibration where project_id = 1 and control_name = 'label'",
        )
    }
    assert {"sentiment-v1", "sentiment-v2"} <= {v for _, v in rows}
    for row in rows.values():
        assert row["n_bins"] == 10
        assert 0 <= row["ece"] <= 1
    assert any(source == "external" for source, _ in rows)


def test_score_delta_of_one_annotation(built_warehouse):
    rows = {
        r["control_name"]: r
        for r in query_dicts(
            built_warehouse,
            """
            select * from marts.fct_score_deltas
            where annotation_id = 2 and score_source = 'data_field'""",
        )
    }
    # alice on task 1: positive (seed value 1) and rating 5 of 5 ((5 - 1) / 4 = 1); data.score .8716
    for control in ("label", "human_rating"):
        assert rows[control]["human_value"] == 1.0
        assert rows[control]["signed_delta"] == pytest.approx(0.8716 - 1.0, abs=1e-12)


def test_exposure_from_the_export(built_warehouse):
    rows = {
        r["annotation_id"]: r
        for r in query_dicts(
            built_warehouse,
            """
            select * from intermediate.int_model_eval__annotation_exposure where project_id = 1""",
        )
    }
    # manifest from_prediction: 46 accepted prediction 16 unchanged, 49 started from 17 and changed
    assert rows[46]["exposure"] == "exposed"
    assert rows[49]["exposure"] == "exposed"
    assert sum(r["is_exposed"] for r in rows.values()) == 2


def test_model_and_human_agreement_side_by_side(built_warehouse):
    row = query_dicts(
        built_warehouse,
        """
        select * from marts.fct_agreement_ceiling
        where project_id = 1 and control_name = 'label' and model_version = 'sentiment-v1'""",
    )[0]
    assert row["metric_name"] == "exact_match"
    assert 0 < row["model_human_agreement"] <= 1
    assert 0 < row["human_human_agreement"] <= 1
    assert row["agreement_gap"] == pytest.approx(
        row["model_human_agreement"] - row["human_human_agreement"], abs=1e-12
    )
    # the consensus comparison agrees with the kappa mart's observed agreement (same units)
    kappa = query_dicts(
        built_warehouse,
        """
        select * from marts.fct_model_label_kappa
        where project_id = 1 and control_name = 'label' and model_version = 'sentiment-v1'""",
    )[0]
    assert row["model_consensus_agreement"] == pytest.approx(kappa["observed_agreement"], abs=1e-12)
