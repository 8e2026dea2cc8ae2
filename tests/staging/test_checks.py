"""`concord check` (Great Expectations on DuckDB) finds planted defects, exactly them, and passes a
clean warehouse.

This is also the regression test for the GX-on-DuckDB workaround (concord/checks/gx_duckdb.py):
without it every expectation silently "fails" with an empty result or, worse, a broken patch could
make checks pass; here GX must find each planted defect and nothing else.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import build_warehouse

from ingest.schema import RAW_TASK_SHAPE, transform_spec

CONCORD = Path(sys.executable).parent / "concord"


def run_concord(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CONCORD), *args], capture_output=True, text=True, timeout=600, check=False
    )


def failed_ids(stdout: str) -> set[str]:
    return {
        line.split()[1].rstrip(":")
        for line in stdout.splitlines()
        if line.startswith(("FAIL ", "ERROR "))
    }


def test_clean_warehouse_passes(built_warehouse):
    result = run_concord("check", "--db", str(built_warehouse))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed, 0 errors" in result.stdout
    assert "Traceback" not in result.stderr


def _edit_task(con: duckdb.DuckDBPyConnection, task_id: int, edit) -> None:
    (text,) = con.execute(
        "select to_json(task) from raw_label_studio.tasks where task_id = ?", [task_id]
    ).fetchone()
    task = json.loads(text)
    edit(task)
    con.execute(
        f"update raw_label_studio.tasks set task = json_transform(?, '{transform_spec(RAW_TASK_SHAPE)}') where task_id = ?",
        [json.dumps(task), task_id],
    )


def _plant_defects(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        # 1. a duplicate annotation id: ner_spans' empty annotation 147 re-numbered as byos_text's 2
        def renumber(task):
            (annotation,) = [a for a in task["annotations"] if a["id"] == 147]
            annotation["id"] = 2

        _edit_task(con, 72, renumber)

        # 2. a NaN score in an external score table
        con.execute(
            "update raw_scores.score_rows set score = 'nan'::double "
            "where score_table_name = 'byos_text_scores' and row_number = 3"
        )

        # 3. a result whose from_name is not a control of byos_text's config
        def unknown_control(task):
            (annotation,) = [a for a in task["annotations"] if a["id"] == 5]
            annotation["result"][0]["from_name"] = "bogus_control"

        _edit_task(con, 2, unknown_control)

        # 4. a prediction whose task does not exist
        def orphan(task):
            (prediction,) = [p for p in task["predictions"] if p["id"] == 70]
            prediction["task"] = 999999

        _edit_task(con, 63, orphan)
    finally:
        con.close()


@pytest.mark.slow
def test_planted_defects_are_reported_exactly(built_warehouse, tmp_path):
    db = tmp_path / "defects.duckdb"
    shutil.copy(built_warehouse, db)
    _plant_defects(db)
    build_warehouse(db, tmp_path / "target", select=["staging"], command="run")

    result = run_concord("check", "--db", str(db), "--layer", "raw", "--layer", "staging")

    assert result.returncode == 1, result.stdout + result.stderr
    # the duplicate annotation id is a key defect: dbt's unique test reports it (GX does not
    # repeat dbt's key tests)
    assert failed_ids(result.stdout) == {
        "raw_scores.score_rows.score_finite",
        "staging.stg_scores__external_scores.score_finite",
        "staging.stg_label_studio__annotation_results.from_name_known",
        "staging.stg_label_studio__predictions.has_task",
    }
    out = result.stdout
    # each failure is shown with sample offending rows
    assert "bogus_control" in out  # the unknown control's result row
    assert "999999" in out  # the orphan prediction's task id
    assert "nan" in out  # the NaN score row
    assert "(1 unexpected)" in out
    assert "Traceback" not in result.stderr

    from concord.dbt import DbtError

    with pytest.raises(DbtError):
        build_warehouse(
            db, tmp_path / "target", select=["stg_label_studio__annotations"], command="test"
        )
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    failed = {r["unique_id"].split(".")[2] for r in results if r["status"] == "fail"}
    # the duplicate id, and (through it) the per-annotation result counts of the singular test
    assert failed == {
        "unique_stg_label_studio__annotations_annotation_id",
        "assert_stg_result_counts_match_annotations",
    }
