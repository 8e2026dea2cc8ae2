"""The sync JSON export (predictions as ids, `completed_by` an int, prediction bodies only as
`annotation.prediction` copies) stages to the same annotations and results as the snapshot."""

from __future__ import annotations

import pytest
from conftest import build_warehouse, ingest_real_fixtures, query

S = "staging.stg_label_studio__"

ANNOTATION_COLUMNS = (
    "annotation_id, task_id, project_id, annotator_id, is_cancelled, is_ground_truth, "
    "lead_time_seconds, parent_prediction_id, embedded_prediction_id, has_prediction_origin, "
    "is_empty, n_results, is_edited, created_at, updated_at"
)
RESULT_COLUMNS = (
    "annotation_result_id, annotation_id, task_id, region_id, control_name, to_name, result_type, "
    "origin, choices, rating, number_value, texts, span_start, span_end, span_text, region_labels"
)
PREDICTION_COLUMNS = (
    "prediction_id, task_id, project_id, model_version, prediction_score, n_results, created_at"
)


@pytest.fixture(scope="module")
def sync_warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("sync_warehouse")
    db = root / "sync.duckdb"
    ingest_real_fixtures(db, export_name="export.json")
    build_warehouse(db, root / "target", select=["staging"])  # staging models and their dbt tests
    return db


def rows(db, sql):
    return sorted(query(db, sql), key=repr)


def test_same_tasks(sync_warehouse, built_warehouse):
    sql = f"select task_id, project_id, inner_id, ext_id, data_score, data_json, created_at from {S}tasks"
    assert rows(sync_warehouse, sql) == rows(built_warehouse, sql)
    assert query(sync_warehouse, f"select distinct source_format from {S}tasks") != query(
        built_warehouse, f"select distinct source_format from {S}tasks"
    )


def test_same_annotations_int_completed_by(sync_warehouse, built_warehouse):
    sql = f"select {ANNOTATION_COLUMNS} from {S}annotations"
    assert rows(sync_warehouse, sql) == rows(built_warehouse, sql)
    # the sync export has user ids only: no email
    assert query(sync_warehouse, f"select count(annotator_email) from {S}annotations") == [(0,)]
    assert query(
        built_warehouse, f"select count(*) = count(annotator_email) from {S}annotations"
    ) == [(True,)]


def test_same_annotation_results(sync_warehouse, built_warehouse):
    sql = f"select {RESULT_COLUMNS} from {S}annotation_results"
    assert rows(sync_warehouse, sql) == rows(built_warehouse, sql)


def test_predictions_from_annotation_copies(sync_warehouse, built_warehouse):
    sync = rows(sync_warehouse, f"select {PREDICTION_COLUMNS} from {S}predictions")
    snapshot = {
        r[0]: r for r in query(built_warehouse, f"select {PREDICTION_COLUMNS} from {S}predictions")
    }
    # only the predictions some annotation embedded survive in a sync export, deduplicated by id
    assert sync and len(sync) < len(snapshot)
    assert len({r[0] for r in sync}) == len(sync)
    assert all(r == snapshot[r[0]] for r in sync)
    # exactly the embedded ones
    embedded = {
        r[0]
        for r in query(
            built_warehouse, f"select distinct embedded_prediction_id from {S}annotations"
        )
        if r[0] is not None
    }
    assert {r[0] for r in sync} == embedded
    assert query(sync_warehouse, f"select distinct source from {S}predictions") == [
        ("annotation.prediction",)
    ]
    # and their regions, with per-region scores
    sql = f"select prediction_result_id, region_id, control_name, region_score, choices, span_start, region_labels from {S}prediction_results"
    snapshot_results = {r[0]: r for r in query(built_warehouse, sql)}
    assert all(r == snapshot_results[r[0]] for r in query(sync_warehouse, sql))


def test_same_drafts(sync_warehouse, built_warehouse):
    sql = (
        f"select draft_id, task_id, annotation_id, user_email, n_results, created_at from {S}drafts"
    )
    assert rows(sync_warehouse, sql) == rows(built_warehouse, sql)
