"""A real-shaped computer-vision export builds (issue #11 items 1 and 3): `concord build` passes on
tests/fixtures/synthetic/cv_boxes (an annotator accepting the model's three rectangles unchanged,
identical, nested and rotated boxes, a relation, a null `completed_by`), every pair score lies in
[0, 1] and identical regions score exactly 1. Runs the installed `concord` command, as a user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .agreement_staging import query_dicts

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "synthetic" / "cv_boxes"
CONCORD = Path(sys.executable).parent / "concord"
ALICE, BOB, CHLOE, UNKNOWN = 2, 3, 4, 0


def concord(*args: str, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CONCORD), *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=_env(db),
    )


def _env(db: Path) -> dict:
    import os

    env = {k: v for k, v in os.environ.items() if k != "CONCORD_DB"}
    env["DBT_TARGET_PATH"] = str(db.parent / "target")
    env["DBT_LOG_PATH"] = str(db.parent / "logs")
    return env


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("cv_boxes") / "warehouse.duckdb"
    ingested = concord("ingest", "export", str(FIXTURE / "export_snapshot.json"), db=db)
    assert ingested.returncode == 0, ingested.stderr
    configured = concord(
        "ingest", "config", str(FIXTURE / "labeling_config.xml"), "--project-id", "910", db=db
    )
    assert configured.returncode == 0, configured.stderr
    built = concord("build", db=db)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-2000:]
    return db


def pair_scores(db: Path, task_id: int, kind: str = "human_human") -> dict:
    rows = query_dicts(
        db,
        f"""
        select annotator_id_a, annotator_id_b, model_version_a, score, agreement
        from intermediate.int_agreement__judgment_pairs_scored
        where task_id = {task_id} and control_name = 'bbox' and pair_kind = '{kind}'""",
    )
    if kind == "model_human":
        return {(r["model_version_a"], r["annotator_id_b"]): r["score"] for r in rows}
    return {frozenset((r["annotator_id_a"], r["annotator_id_b"])): r["score"] for r in rows}


def test_accepted_model_boxes_score_exactly_one(warehouse) -> None:
    # these three boxes gave IoU 1.0000000000000002 with themselves before the clamp / short-circuit
    assert pair_scores(warehouse, 9301) == {frozenset((ALICE, BOB)): 1.0}
    assert pair_scores(warehouse, 9301, "model_human") == {
        ("det-v1", ALICE): 1.0,
        ("det-v1", BOB): 1.0,
    }


def test_nested_boxes(warehouse) -> None:
    scores = pair_scores(warehouse, 9302)
    assert scores[frozenset((ALICE, BOB))] == pytest.approx(100 / 1600, abs=1e-12)
    assert scores[frozenset((ALICE, UNKNOWN))] == 1.0  # the null completed_by drew alice's box
    assert scores[frozenset((BOB, UNKNOWN))] == pytest.approx(100 / 1600, abs=1e-12)


def test_rotated_boxes(warehouse) -> None:
    assert pair_scores(warehouse, 9303) == {
        frozenset((ALICE, BOB)): 1.0,
        frozenset((ALICE, CHLOE)): pytest.approx(0.25, abs=1e-9),
        frozenset((BOB, CHLOE)): pytest.approx(0.25, abs=1e-9),
    }
    model = pair_scores(warehouse, 9303, "model_human")
    assert model[("det-v1", ALICE)] == 1.0 and model[("det-v1", BOB)] == 1.0


def test_every_score_in_the_unit_interval(warehouse) -> None:
    for table, column in [
        ("intermediate.int_agreement__judgment_pairs_scored", "score"),
        ("intermediate.int_agreement__judgment_pairs_scored", "agreement"),
        ("marts.fct_model_agreement", "score"),
    ]:
        rows = query_dicts(
            warehouse,
            f"select count(*) as n, min({column}) as lo, max({column}) as hi from {table}",
        )
        assert rows[0]["n"] > 0 and 0.0 <= rows[0]["lo"] and rows[0]["hi"] <= 1.0, (
            table,
            column,
            rows,
        )


def test_relation_staged_never_a_control(warehouse) -> None:
    relations = query_dicts(
        warehouse, "select * from staging.stg_label_studio__annotation_relations"
    )
    assert [(r["task_id"], r["direction"], r["relation_labels"]) for r in relations] == [
        (9301, "right", ["next_to"])
    ]
    assert relations[0]["from_region_id"] and relations[0]["to_region_id"]
    types = query_dicts(
        warehouse, "select distinct result_type from staging.stg_label_studio__annotation_results"
    )
    assert [r["result_type"] for r in types] == ["rectanglelabels"]
    controls = query_dicts(
        warehouse, "select control_name from marts.dim_agreement_controls where project_id = 910"
    )
    assert [r["control_name"] for r in controls] == ["bbox"]


def test_null_completed_by_is_the_unknown_annotator(warehouse) -> None:
    rows = query_dicts(
        warehouse,
        """
        select annotator_id, is_annotator_unknown from staging.stg_label_studio__annotations
        where task_id = 9302 order by annotation_id""",
    )
    assert [(r["annotator_id"], r["is_annotator_unknown"]) for r in rows] == [
        (ALICE, False),
        (BOB, False),
        (UNKNOWN, True),
    ]
