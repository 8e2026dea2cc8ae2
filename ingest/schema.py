"""DDL of the raw layer. Only `ingest/` writes these tables (and `concord erase` deletes from them).

Raw tables keep what the source said plus load metadata. A Label Studio task is stored once, as
the JSON object of its most recently ingested version (`task_json`, in the canonical JSON export
shape: JSON_MIN / CSV rows are regrouped into that shape by `ingest/exports_min.py`). dbt staging
models flatten it.
"""

from __future__ import annotations

import duckdb

RAW_DDL = """
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
    loaded_at timestamp not null        -- UTC
);

-- one row per Label Studio task: its latest ingested version
create table if not exists raw_label_studio.tasks (
    task_id bigint primary key,         -- Label Studio ids are global per server
    project_id bigint not null,
    load_id varchar not null,
    source_format varchar not null,     -- json (sync export) | json_snapshot | json_min | csv
    task_json json not null,            -- the task object, canonical JSON export shape
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
    tag_role varchar not null,          -- control | object | visual
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
    con.execute(RAW_DDL)
