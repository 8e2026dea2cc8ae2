"""Staging-shaped tables for testing the model-eval models in isolation.

The model-eval models read only the staging contract of docs/architecture.md. These helpers create
`staging.stg_*` tables with exactly the contract's column names (the subset model_eval reads plus
the keys) in a fresh DuckDB file, so a test can write hand-worked or randomized rows and then run
just the model-eval models (`run_model_eval`): dbt resolves `ref('stg_...')` to these tables
because the staging models themselves are not selected.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

# the typed result columns shared by annotation and prediction results (one staging macro makes both)
_TYPED_RESULT_COLUMNS = """
        choices varchar[], rating double, number_value double, texts varchar[], span_start bigint,
        span_end bigint, span_text varchar, region_labels varchar[], rect_x double, rect_y double,
        rect_width double, rect_height double, rect_rotation double, original_width bigint,
        original_height bigint, pairwise_selected varchar, ranker_order varchar[], ranker_json json,
        taxonomy_paths varchar[][], is_type_inferred boolean"""

STAGING_DDL: dict[str, str] = {
    "stg_label_studio__projects": """
        project_id bigint, has_config boolean, score_field varchar, n_tasks bigint,
        n_deleted_tasks bigint, last_loaded_at timestamp""",
    "stg_label_studio__tasks": """
        task_id bigint, project_id bigint, inner_id bigint, ext_id varchar, data_json json,
        meta_json json, data_score double, total_annotations bigint, cancelled_annotations bigint,
        total_predictions bigint, is_deleted boolean, source_format varchar, load_id varchar,
        created_at timestamp, updated_at timestamp""",
    "stg_label_studio__annotations": """
        annotation_id bigint, task_id bigint, project_id bigint, annotator_id bigint,
        annotator_email varchar, is_cancelled boolean, is_ground_truth boolean,
        lead_time_seconds double, parent_prediction_id bigint, embedded_prediction_id bigint,
        has_prediction_origin boolean, is_empty boolean, n_results bigint, is_edited boolean,
        created_at timestamp, updated_at timestamp""",
    "stg_label_studio__annotation_results": """
        annotation_result_id varchar, annotation_id bigint, task_id bigint, project_id bigint,
        result_index bigint, region_id varchar, control_name varchar, to_name varchar,
        result_type varchar, origin varchar, value_json json, """
    + _TYPED_RESULT_COLUMNS,
    "stg_label_studio__predictions": """
        prediction_id bigint, task_id bigint, project_id bigint, model_version varchar,
        prediction_score double, result_json json, n_results bigint, source varchar,
        created_at timestamp, updated_at timestamp""",
    "stg_label_studio__prediction_results": """
        prediction_result_id varchar, prediction_id bigint, task_id bigint, project_id bigint,
        model_version varchar, result_index bigint, region_id varchar, control_name varchar,
        to_name varchar, result_type varchar, region_score double, value_json json, """
    + _TYPED_RESULT_COLUMNS,
    "stg_label_studio__controls": """
        project_id bigint, control_name varchar, control_type varchar, to_name varchar,
        choices varchar[], labels varchar[], is_multiple boolean, max_rating double,
        min_value double, max_value double, is_inferred boolean, config_sha256 varchar""",
    "stg_scores__external_scores": """
        score_table_name varchar, row_number bigint, key_kind varchar, key_field varchar,
        key_value varchar, score double, model_version varchar, scored_at timestamp,
        load_id varchar""",
}

# every model-eval model and its ancestors (the agreement engine, seeds), but not staging: the
# staging relations are the tables written by `create_staging` / `insert_rows`
MODEL_EVAL_SELECTOR = [
    "label_values",
    "+path:models/intermediate/model_eval",
    "+path:models/marts/model_eval",
]
# not rebuilt: staging (the fakes stand in for it); not run: the agreement area's own data and unit
# tests (tests/agreement covers them; here its models are only inputs)
STAGING_EXCLUDE = [
    "path:models/staging",
    "path:models/intermediate/agreement,resource_type:test",
    "path:models/intermediate/agreement,resource_type:unit_test",
    "path:models/marts/agreement,resource_type:test",
    "path:models/marts/agreement,resource_type:unit_test",
]


def create_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Create empty `staging.stg_*` tables with the contract's columns."""
    con.execute("create schema if not exists staging")
    for name, columns in STAGING_DDL.items():
        con.execute(f"create or replace table staging.{name} ({columns})")


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, Any]]
) -> None:
    """Insert dict rows into staging.<table>; missing columns stay null, dicts become JSON."""
    rows = list(rows)
    if not rows:
        return
    import pandas as pd

    columns = sorted({key for row in rows for key in row})
    frame = pd.DataFrame(
        {
            c: [json.dumps(row[c]) if isinstance(row.get(c), dict) else row.get(c) for row in rows]
            for c in columns
        }
    )
    con.register("rows_to_insert", frame)
    try:
        con.execute(
            f"insert into staging.{table} by name select {', '.join(columns)} from rows_to_insert"
        )
    finally:
        con.unregister("rows_to_insert")


def run_model_eval(
    db: Path,
    target_path: Path,
    *,
    exclude: list[str] | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
    command: str = "build",
    select: list[str] | None = None,
) -> None:
    """Seed label_values and build every model-eval model (with its data tests) on `db`.

    `select` replaces the default selection; staging models are always excluded.
    """
    from concord.dbt import run_dbt

    args = [command, "--select", *(select or MODEL_EVAL_SELECTOR)]
    args += ["--exclude", *STAGING_EXCLUDE, *(exclude or [])]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    os.environ.setdefault("DBT_LOG_PATH", str(target_path / "logs"))
    run_dbt(args, db, target_path=target_path, quiet=True)


def query_dicts(db: Path, sql: str) -> list[dict[str, Any]]:
    """Rows of `sql` on the DuckDB file `db` as dicts.

    Opened read-write: in-process dbt keeps its own connection to the file open, and DuckDB refuses
    a second connection with a different (read-only) configuration in the same process.
    """
    con = duckdb.connect(str(db))
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()
