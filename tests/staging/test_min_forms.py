"""JSON_MIN and CSV exports (regrouped into canonical tasks by ingest, results re-typed from the
labeling config) stage to the same typed annotation results as the snapshot JSON, for every
submitted annotation they carry (they drop skips, and so tasks whose only annotation is a skip)."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, REAL_PROJECTS, build_warehouse, query

S = "staging.stg_label_studio__"
RESULT_COLUMNS = (
    "annotation_id, task_id, project_id, control_name, to_name, result_type, choices, rating, "
    "number_value, texts, span_start, span_end, span_text, region_labels"
)


@pytest.mark.slow
@pytest.mark.parametrize(
    "export_name", ["export_min.json", "export.csv", "export_snapshot_min.json"]
)
def test_min_forms_stage_like_the_snapshot(export_name, built_warehouse, tmp_path):
    from ingest.configs import ingest_config
    from ingest.exports import ingest_exports

    db = tmp_path / "min.duckdb"
    for folder, project_id in REAL_PROJECTS:
        ingest_config(db, FIXTURES / folder / "labeling_config.xml", project_id)
        ingest_exports(db, [FIXTURES / folder / export_name], project_id=project_id)
    build_warehouse(db, tmp_path / "target", select=["staging"])  # the staging dbt tests pass too

    ours = sorted(map(repr, query(db, f"select {RESULT_COLUMNS} from {S}annotation_results")))
    snapshot = sorted(
        map(repr, query(built_warehouse, f"select {RESULT_COLUMNS} from {S}annotation_results"))
    )
    assert ours == snapshot
    # the annotations they carry: every submitted one, none skipped
    submitted = query(
        built_warehouse,
        f"select annotation_id, task_id from {S}annotations where not is_cancelled order by 1",
    )
    assert query(db, f"select annotation_id, task_id from {S}annotations order by 1") == submitted
    assert query(db, f"select count(*) from {S}annotations where is_cancelled") == [(0,)]
    # tasks keep their data, score and external id
    sql = (
        f"select task_id, ext_id, data_score from {S}tasks "
        f"where task_id in (select task_id from {S}annotations where not is_cancelled) order by 1"
    )
    assert query(db, sql) == query(built_warehouse, sql)


@pytest.mark.slow
def test_snapshot_json_min_alone_builds_green_with_one_id_per_annotator(tmp_path):
    """The snapshot JSON_MIN gives completed_by as an email only. Staging left annotator_id null
    for every such annotation, so all annotators became one null annotator in the marts and
    `dbt build` failed unique_combination on fct_annotator_pair_matrix and fct_anchoring_index."""
    from ingest.configs import ingest_config
    from ingest.exports import ingest_exports

    db = tmp_path / "min.duckdb"
    for folder, project_id in REAL_PROJECTS:
        ingest_config(db, FIXTURES / folder / "labeling_config.xml", project_id)
        ingest_exports(db, [FIXTURES / folder / "export_snapshot_min.json"], project_id=project_id)
    build_warehouse(db, tmp_path / "target")  # the whole build, every test green
    assert query(db, f"select count(*) from {S}annotations where annotator_id is null") == [(0,)]
    assert query(
        db,
        f"select count(distinct annotator_id), count(distinct annotator_email) from {S}annotations",
    ) == query(
        db,
        f"select count(distinct annotator_email), count(distinct annotator_email) from {S}annotations",
    )
