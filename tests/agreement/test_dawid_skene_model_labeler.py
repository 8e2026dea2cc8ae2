"""var concord_consensus_model_as_labeler: each prediction is one more Dawid-Skene labeler,
'model:<model_version>', reported in its own fct_annotator_quality row (labeler_kind 'model');
the majority label stays human-only; the posteriors equal crowd-kit's on the votes with the
model's included (1e-6). A model that is always right lifts the weighted label to the truth on a
task where the two humans tie."""

from __future__ import annotations

import random

import pandas as pd
import pytest
from crowdkit.aggregation import DawidSkene

from .agreement_staging import Builder, choices, query_dicts, run_agreement

PROJECT = 1


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    rng = random.Random(7)
    builder = Builder()
    builder.control(PROJECT, "cat", "choices")
    votes, truth = [], {}
    for _ in range(40):
        task_id = builder.task(PROJECT)
        truth[task_id] = label = rng.choice(["a", "b", "c"])
        for annotator in (11, 12):
            given = label if rng.random() < 0.7 else rng.choice(["a", "b", "c"])
            builder.annotation(PROJECT, task_id, annotator, [choices("cat", given)])
            votes.append((task_id, f"annotator:{annotator}", given))
        builder.prediction(PROJECT, task_id, "v1", [choices("cat", label)])
        votes.append((task_id, "model:v1", label))
    root = tmp_path_factory.mktemp("ds_model")
    db = root / "ds.duckdb"
    builder.write(db)
    run_agreement(db, root / "target", dbt_vars={"concord_consensus_model_as_labeler": True})
    return {
        "votes": votes,
        "truth": truth,
        "posteriors": query_dicts(db, "select * from intermediate.int_agreement__dawid_skene"),
        "labels": query_dicts(db, "select * from marts.fct_consensus_labels"),
        "quality": query_dicts(db, "select * from marts.fct_annotator_quality"),
    }


def test_model_is_one_more_labeler_reported_separately(built) -> None:
    quality = {r["labeler_id"]: r for r in built["quality"]}
    assert set(quality) == {"annotator:11", "annotator:12", "model:v1"}
    assert quality["model:v1"]["labeler_kind"] == "model" and quality["model:v1"]["n_votes"] == 40
    assert {quality[k]["labeler_kind"] for k in ("annotator:11", "annotator:12")} == {"human"}
    assert quality["model:v1"]["estimated_accuracy"] > 0.99
    for row in built["labels"]:
        assert row["includes_model_labeler"] is True
        assert row["n_votes"] == 2  # human votes only
    model = DawidSkene(n_iter=100, tol=1e-5).fit(
        pd.DataFrame(built["votes"], columns=["task", "worker", "label"])
    )
    for row in built["posteriors"]:
        assert (
            abs(row["posterior"] - float(model.probas_.loc[row["task_id"], row["class_label"]]))
            <= 1e-6
        )


def test_majority_is_human_only_and_model_breaks_ties(built) -> None:
    tied = [r for r in built["labels"] if r["is_majority_tied"]]
    assert tied, "the seed gives no human tie"
    for row in tied:
        assert row["majority_label"] is None
        assert row["weighted_label"] == built["truth"][row["task_id"]]
