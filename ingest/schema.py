"""DDL of the raw layer. Only `ingest/` writes these tables (and `concord erase` deletes from them).

Raw tables keep what the source said plus load metadata. A Label Studio task is stored once, as
its most recently ingested version, in `task`: a STRUCT with every key of Label Studio's JSON export
(RAW_TASK_SHAPE below; JSON_MIN / CSV rows are regrouped into that shape by `ingest/exports_min.py`).
The file is parsed once, by DuckDB's reader, straight into that struct: staging casts and unnests it
without parsing the task again (docs/benchmark.md measured storing the JSON text and re-parsing it in
staging at 3-15x a bare flatten of the file).

What the struct keeps: every key Label Studio 1.23.2 writes for a task, annotation, result,
prediction and draft. Keys whose value staging reads are typed; the rest, and every value whose
shape varies (task `data` and `meta`, a result's `value`, `completed_by`, sync-form prediction ids),
are JSON (minified, numbers re-serialised: 1e2 reads back as 100.0). Ids whose JSON type
validation must check (task, project, annotation and draft ids) are JSON too: the reader would turn
"902" or 1.5 into a number silently.
A JSON null and an absent key both read as NULL. Keys not in the shape are reported by
`concord ingest export` (a sample of each file is audited) and are not stored.

`to_json(task)` gives the task as one JSON document. (Not a virtual column: DuckDB evaluates a
generated column on every insert, which tripled the cost of writing the tasks.)
"""

from __future__ import annotations

import duckdb

# --- the shape of a stored task ----------------------------------------------------------------
# DuckDB type names; a dict is a STRUCT, a one-element list a LIST of that. Field order is the order
# of the stored struct (and of `task_json`).

_RESULT = {
    "id": "VARCHAR",
    "type": "VARCHAR",
    "from_name": "VARCHAR",
    "to_name": "VARCHAR",
    "origin": "VARCHAR",
    "score": "DOUBLE",
    "value": "JSON",
    "original_width": "DOUBLE",
    "original_height": "DOUBLE",
    "image_rotation": "DOUBLE",
    "parentID": "JSON",
    "readonly": "JSON",
    "hidden": "JSON",
    "meta": "JSON",
    "item_index": "JSON",
    "concord_inferred_type": "BOOLEAN",  # set by the JSON_MIN / CSV regrouping only
    # a relation item (type "relation") links two regions and has none of the keys above but
    # id / type: {"from_id", "to_id", "direction", "labels"} (added after the first release:
    # ensure_raw_schema widens the stored struct of older warehouses)
    "from_id": "VARCHAR",
    "to_id": "VARCHAR",
    "direction": "VARCHAR",
    "labels": "JSON",
}

_EMBEDDED_PREDICTION = {  # a sync export's copy of the prediction an annotation started from
    "id": "BIGINT",
    "task": "BIGINT",
    "model_version": "VARCHAR",
    "score": "DOUBLE",
    "result": "JSON",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "created_ago": "JSON",
    "project": "JSON",
    "model": "JSON",
    "model_run": "JSON",
    "cluster": "JSON",
    "neighbors": "JSON",
    "mislabeling": "JSON",
}

_ANNOTATION = {
    "id": "JSON",
    "completed_by": "JSON",
    "result": [_RESULT],
    "was_cancelled": "BOOLEAN",
    "ground_truth": "BOOLEAN",
    "lead_time": "DOUBLE",
    "parent_prediction": "BIGINT",
    "parent_annotation": "BIGINT",
    "prediction": _EMBEDDED_PREDICTION,
    "unique_id": "VARCHAR",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "draft_created_at": "VARCHAR",
    "bulk_created": "JSON",
    "import_id": "JSON",
    "last_action": "JSON",
    "last_created_by": "JSON",
    "project": "JSON",
    "result_count": "JSON",
    "task": "JSON",
    "updated_by": "JSON",
}

_DRAFT = {
    "id": "JSON",
    "annotation": "BIGINT",
    "user": "VARCHAR",
    "lead_time": "DOUBLE",
    "was_postponed": "BOOLEAN",
    "result": [_RESULT],
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "created_ago": "JSON",
    "created_username": "JSON",
    "import_id": "JSON",
    "task": "JSON",
}

RAW_TASK_SHAPE = {
    "id": "JSON",
    "project": "JSON",
    "inner_id": "BIGINT",
    "data": "JSON",
    "meta": "JSON",
    "total_annotations": "BIGINT",
    "cancelled_annotations": "BIGINT",
    "total_predictions": "BIGINT",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "updated_by": "JSON",
    "allow_skip": "JSON",
    "comment_count": "JSON",
    "unresolved_comment_count": "JSON",
    "last_comment_updated_at": "JSON",
    "comment_authors": "JSON",
    "file_upload": "JSON",
    "annotations": [_ANNOTATION],
    # ids (sync export) or prediction objects (snapshot): each element kept as written
    "predictions": ["JSON"],
    "drafts": [_DRAFT],
}

# the keys of each kind of object, for the audit of keys the shape does not keep
SHAPE_KEYS = {
    "task": frozenset(RAW_TASK_SHAPE),
    "annotation": frozenset(_ANNOTATION),
    "result": frozenset(_RESULT),
    "prediction": frozenset(_EMBEDDED_PREDICTION),
    "draft": frozenset(_DRAFT),
}


def sql_type(shape) -> str:
    """The DuckDB type of a shape: 'STRUCT("id" JSON, ...)'."""
    if isinstance(shape, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {sql_type(v)}' for k, v in shape.items()) + ")"
    if isinstance(shape, list):
        return sql_type(shape[0]) + "[]"
    return shape


def transform_spec(shape) -> str:
    """The same shape as a json_transform structure ('{"id": "JSON", ...}')."""
    if isinstance(shape, dict):
        return "{" + ", ".join(f'"{k}": {transform_spec(v)}' for k, v in shape.items()) + "}"
    if isinstance(shape, list):
        return "[" + transform_spec(shape[0]) + "]"
    return f'"{shape}"'


RAW_TASK_TYPE = sql_type(RAW_TASK_SHAPE)

RAW_DDL = f"""
create schema if not exists raw_label_studio;
create schema if not exists raw_scores;

-- one row per file ingested (any command); file_sha256 makes re-loading a file a no-op
create table if not exists raw_label_studio.loads (
    load_id varchar primary key,        -- 'ld_' + first 16 hex of sha256(file bytes + command)
    command varchar not null,           -- 'export' | 'config' | 'scores'
    file_name varchar not null,         -- base name as given
    file_path varchar not null,         -- absolute path at load time
    file_sha256 varchar not null,
    file_bytes bigint not null,
    file_format varchar not null,       -- json | json_min | csv | xml | score_csv | score_parquet | score_json | score_ndjson
    project_id bigint,                  -- null for score tables
    n_records bigint not null,          -- tasks / rows / controls read from the file
    is_full_snapshot boolean not null default false,
    loaded_at timestamp not null,       -- UTC
    -- exports: the Label Studio instance the file came from (the server URL of `concord ls pull`,
    -- or `--source`), else 'file:<resolved path>'; a project id is refused from a second source
    source varchar
);

-- one row per Label Studio task: its latest ingested version
create table if not exists raw_label_studio.tasks (
    task_id bigint primary key,         -- Label Studio ids are global per server
    project_id bigint not null,
    load_id varchar not null,
    source_format varchar not null,     -- json (sync export) | json_snapshot | json_min | csv
    task {RAW_TASK_TYPE} not null,  -- RAW_TASK_SHAPE
    is_deleted boolean not null default false,  -- absent from a --full-snapshot load
    deleted_at timestamp,
    loaded_at timestamp not null
);

-- which tasks each export load contained: lets a --full-snapshot of a file loaded before still
-- declare the project's complete task set, and tells which loads a task came from
create table if not exists raw_label_studio.load_tasks (
    load_id varchar not null,
    task_id bigint not null,
    project_id bigint not null,
    primary key (load_id, task_id)
);

-- the labeling config of a project (latest ingested)
create table if not exists raw_label_studio.labeling_configs (
    project_id bigint primary key,
    load_id varchar not null,
    config_xml varchar not null,
    config_sha256 varchar not null,
    loaded_at timestamp not null
);

-- every tag of the config that matters: controls, objects and the Header banner
create table if not exists raw_label_studio.config_tags (
    project_id bigint not null,
    tag_name varchar not null,          -- the tag's name attribute (Header without name: 'header_<n>')
    tag_type varchar not null,          -- lower-case tag: choices, rating, text, header, ...
    tag_role varchar not null,          -- control | object | visual | relations (<Relations>)
    to_name varchar,                    -- controls: toName (comma-separated as written)
    value_field varchar,                -- objects: '$text' -> 'text'; Header: the first $field in value
    value_template varchar,             -- raw value attribute ('Model score: $score')
    choices json,                       -- Choices / Taxonomy: list of Choice values in order
    labels json,                        -- *Labels: list of Label values
    is_multiple boolean,                -- Choices choice="multiple" / Taxonomy / Labels multiple
    max_rating integer,                 -- Rating maxRating (default 5)
    min_value double,                   -- Number min
    max_value double,                   -- Number max
    attributes json not null,           -- every attribute as written
    tag_position integer not null,      -- document order
    load_id varchar not null,
    choice_paths json,                  -- Taxonomy: every Choice as its root-to-node path of values
    buckets json,                       -- Ranker: Bucket names in order (null: plain List ranking)
    primary key (project_id, tag_name)
);

-- an external score table (`concord ingest scores --name NAME`); loading NAME again replaces it
create table if not exists raw_scores.score_tables (
    score_table_name varchar primary key,
    load_id varchar not null,
    key_kind varchar not null,          -- prediction_id | task_id | data_field
    key_field varchar,                  -- the data field for key_kind = data_field (e.g. 'ext_id')
    file_name varchar not null,
    n_rows bigint not null,
    loaded_at timestamp not null
);

-- columns added after the first release: warehouses created earlier get them here
alter table raw_label_studio.config_tags add column if not exists choice_paths json;
alter table raw_label_studio.config_tags add column if not exists buckets json;
alter table raw_label_studio.loads add column if not exists source varchar;

create table if not exists raw_scores.score_rows (
    score_table_name varchar not null,
    row_number bigint not null,         -- 1-based data row in the file
    load_id varchar not null,
    key_value varchar not null,         -- as text; cast in staging by key_kind
    score double not null,
    model_version varchar,
    scored_at timestamp,
    extra_json json,                    -- every other column of the row
    primary key (score_table_name, row_number)
);
"""


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw schemas and tables if they do not exist (idempotent)."""
    _migrate_task_json(con)
    con.execute(RAW_DDL)
    _widen_task_struct(con)


def _widen_task_struct(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses written before a field was added to RAW_TASK_SHAPE (relation keys) hold the
    narrower struct: widen the column in place (DuckDB casts a struct to one with more fields,
    the new ones NULL), so a load can insert and compare the current shape."""
    current = con.execute(
        "select data_type from duckdb_columns() where schema_name = 'raw_label_studio' "
        "and table_name = 'tasks' and column_name = 'task' and database_name = current_database()"
    ).fetchone()
    con.execute(f"create or replace temp table _concord_shape_probe (task {RAW_TASK_TYPE})")
    wanted = con.execute(
        "select data_type from duckdb_columns() where table_name = '_concord_shape_probe' "
        "and column_name = 'task'"
    ).fetchone()
    con.execute("drop table _concord_shape_probe")
    if current and wanted and current[0] != wanted[0]:
        con.execute(f"alter table raw_label_studio.tasks alter task type {RAW_TASK_TYPE}")


def upgrade_warehouse(path) -> str | None:
    """Convert an earlier layout of the raw layer in the DuckDB file `path`, if any; returns a
    line saying what was done (None when nothing was)."""
    try:
        probe = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None  # not a DuckDB file, or locked by a writer: the command itself will say
    try:
        outdated = _has_task_json_text(probe)
    finally:
        probe.close()
    if not outdated:
        return None
    from ingest.loading import memory_limit

    con = duckdb.connect(str(path), config={"memory_limit": memory_limit()})
    try:
        if _migrate_task_json(con):
            return (
                f"{path}: raw_label_studio.tasks converted from task JSON text to the typed task "
                "struct (one-time upgrade)"
            )
        return None
    finally:
        con.close()


def _has_task_json_text(con: duckdb.DuckDBPyConnection) -> bool:
    names = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() "
            "where schema_name = 'raw_label_studio' and table_name = 'tasks'"
        ).fetchall()
    }
    return bool(names) and "task" not in names


def _migrate_task_json(con: duckdb.DuckDBPyConnection) -> bool:
    """Warehouses written before the typed `task` column stored each task as JSON text in a plain
    `task_json` column: convert them in place (one transaction). True when it converted. Keys
    outside RAW_TASK_SHAPE and values of the wrong JSON type for a typed field are not kept (as
    for a load through the JSON-text path)."""
    if not _has_task_json_text(con):
        return False
    con.execute("begin transaction")
    try:
        con.execute("alter table raw_label_studio.tasks rename to tasks_before_typed")
        con.execute(RAW_DDL)
        con.execute(
            f"""
            insert into raw_label_studio.tasks (
                task_id, project_id, load_id, source_format, task, is_deleted, deleted_at,
                loaded_at
            )
            select task_id, project_id, load_id, source_format,
                json_transform(task_json, '{transform_spec(RAW_TASK_SHAPE)}'),
                is_deleted, deleted_at, loaded_at
            from raw_label_studio.tasks_before_typed
            """
        )
        con.execute("drop table raw_label_studio.tasks_before_typed")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return True
