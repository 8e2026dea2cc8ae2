"""JSON_MIN and CSV exports, regrouped by ingest, come out right in staging (`concord build`)."""

from __future__ import annotations

import pytest
from ingest_test_helpers import FIXTURES, rows, run_concord


@pytest.mark.slow
def test_csv_and_json_min_through_staging(tmp_path):
    db = tmp_path / "w.duckdb"
    env = {"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    byos, ner = FIXTURES / "byos_text", FIXTURES / "ner_spans"
    for args in (
        ["ingest", "config", str(byos / "labeling_config.xml"), "--project-id", "1"],
        ["ingest", "export", str(byos / "export.csv"), "--project-id", "1"],
        ["ingest", "export", str(ner / "export_min.json"), "--project-id", "3"],
    ):
        done = run_concord(*args, db=db)
        assert done.returncode == 0, done.stderr
    done = run_concord("build", "--select", "staging", db=db, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    # skips are not in these formats: 63 - 3 and 48 - 1 annotations
    assert rows(
        db,
        "select project_id, count(*), count(*) filter (where is_cancelled) "
        "from staging.stg_label_studio__annotations group by all order by 1",
    ) == [(1, 60, 0), (3, 47, 0)]
    assert rows(
        db,
        "select project_id, result_type, count(*), count(choices), count(rating), count(texts), "
        "count(span_start) from staging.stg_label_studio__annotation_results "
        "group by all order by 1, 2",
    ) == [
        (1, "choices", 59, 59, 0, 0, 0),
        (1, "rating", 56, 0, 56, 0, 0),
        (1, "textarea", 5, 0, 0, 5, 0),
        (3, "labels", 125, 0, 0, 0, 125),
    ]
    # byos_text typed from its ingested config; ner_spans (no config) inferred
    assert rows(
        db,
        "select project_id, control_name, control_type, is_inferred "
        "from staging.stg_label_studio__controls order by 1, 2",
    ) == [
        (1, "human_rating", "rating", False),
        (1, "label", "choices", False),
        (1, "rationale", "textarea", False),
        (3, "ner", "labels", True),
    ]
