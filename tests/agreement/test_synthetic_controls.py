"""The control types the real fixtures lack, end to end: a hand-made Label Studio snapshot export
(tests/fixtures/synthetic/controls, RectangleLabels with rotation, Choices multiple, Number,
Taxonomy, Pairwise, Ranker) goes through ingest, staging and the agreement marts, and each task
comes out as designed (DESIGN in make_export.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .agreement_staging import query_dicts

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "synthetic" / "controls"
ALICE, BOB, CHLOE, DAN = 2, 3, 4, 5


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from concord.dbt import run_dbt
    from ingest.configs import ingest_config
    from ingest.exports import ingest_exports

    root = tmp_path_factory.mktemp("synthetic_controls")
    db = root / "warehouse.duckdb"
    ingest_exports(db, [FIXTURE / "export_snapshot.json"])
    ingest_config(db, FIXTURE / "labeling_config.xml", 900)
    os.environ.setdefault("DBT_LOG_PATH", str(root / "logs"))
    # cautious: skip staging tests that also need models outside this selection
    run_dbt(
        ["build", "--select", "+path:models/marts/agreement", "--indirect-selection", "cautious"],
        db,
        target_path=root / "target",
        quiet=True,
    )
    return db


def pairs(db: Path, task_id: int, control: str, kind: str = "human_human") -> dict:
    rows = query_dicts(
        db,
        f"""
        select annotator_id_a, annotator_id_b, model_version_a, agreement
        from intermediate.int_agreement__judgment_pairs_scored
        where task_id = {task_id} and control_name = '{control}' and pair_kind = '{kind}'""",
    )
    if kind == "model_human":
        return {(r["model_version_a"], r["annotator_id_b"]): r["agreement"] for r in rows}
    return {frozenset((r["annotator_id_a"], r["annotator_id_b"])): r["agreement"] for r in rows}


def test_every_control_is_scored_with_its_default_metric(warehouse) -> None:
    rows = query_dicts(
        warehouse,
        "select control_name, control_key, metric_name from marts.dim_agreement_controls where project_id = 900",
    )
    assert {r["control_name"]: (r["control_key"], r["metric_name"]) for r in rows} == {
        "bbox": ("rectanglelabels", "box_iou"),
        "topics": ("choices_multiple", "choices_jaccard"),
        "count": ("number", "numeric_difference"),
        "category": ("taxonomy", "taxonomy_exact"),  # Enterprise's default for Taxonomy
        "pref": ("pairwise", "exact_match"),
        "rank": ("ranker", "exact_match"),
    }


@pytest.mark.parametrize(
    "control, same, chloe",
    [
        ("bbox", 1.0, 1 / 3),  # chloe's box shifted by half its width: 200 / 600 px^2 ... IoU 1/3
        ("topics", 1.0, 1 / 2),  # {sports, tech} vs {tech}
        ("count", 1.0, 1 / 3),  # 7 vs 9: 1 / (1 + 2)
        ("category", 1.0, 0.0),  # S>V>T vs S>V: not the same set of paths (taxonomy_exact)
        ("pref", 1.0, 0.0),
        ("rank", 1.0, 0.0),
    ],
)
def test_three_annotators_task(warehouse, control: str, same: float, chloe: float) -> None:
    assert pairs(warehouse, 9001, control) == {
        frozenset((ALICE, BOB)): pytest.approx(same),
        frozenset((ALICE, CHLOE)): pytest.approx(chloe),
        frozenset((BOB, CHLOE)): pytest.approx(chloe),
    }


@pytest.mark.parametrize(
    "control, expected",
    [
        ("bbox", 2 / 3),  # identical 30-degree boxes + bob's extra person box: (1 + 1 + 0) / 3
        ("topics", 0.0),  # only alice answered
        ("count", 1 / 3),  # 3 vs 5
        (
            "category",
            0.0,
        ),  # {S>V>T, I>Spam} vs {I>Spam}: different sets (common subtree would be 2/5)
        ("pref", 1.0),
        ("rank", 0.0),  # reversed order
    ],
)
def test_two_annotators_task(warehouse, control: str, expected: float) -> None:
    assert pairs(warehouse, 9002, control) == {frozenset((ALICE, BOB)): pytest.approx(expected)}


def test_single_and_skipped_tasks_have_no_agreement(warehouse) -> None:
    rows = query_dicts(
        warehouse,
        "select task_id, control_name, n_annotations, n_pairs, agreement from marts.fct_control_agreement where task_id in (9003, 9004)",
    )
    assert rows and all(
        (r["n_annotations"], r["n_pairs"], r["agreement"]) == (1, 0, None) for r in rows
    )


def test_prediction_against_annotators(warehouse) -> None:
    assert pairs(warehouse, 9001, "bbox", "model_human") == {
        ("det-v1", ALICE): pytest.approx(1.0),
        ("det-v1", BOB): pytest.approx(1.0),
        ("det-v1", CHLOE): pytest.approx(1 / 3),
    }
    assert pairs(warehouse, 9001, "count", "model_human") == {
        ("det-v1", ALICE): 1.0,
        ("det-v1", BOB): 1.0,
        ("det-v1", CHLOE): pytest.approx(1 / 3),
    }


def test_consensus_values(warehouse) -> None:
    rows = {
        r["control_name"]: r
        for r in query_dicts(
            warehouse, "select * from marts.fct_control_agreement where task_id = 9001"
        )
    }
    assert rows["topics"]["consensus_value"] == '["sports","tech"]'
    assert rows["category"]["consensus_value"] == '[["Safety","Violence","Threat"]]'
    assert rows["rank"]["consensus_value"] == '["i1","i2","i3"]'
    assert rows["pref"]["consensus_value"] == "left"
    assert rows["count"]["consensus_number"] == 7.0
    assert all(
        rows[c]["consensus_share"] == pytest.approx(2 / 3)
        for c in ("topics", "category", "rank", "pref", "count")
    )
    assert rows["bbox"]["consensus_value"] is None
