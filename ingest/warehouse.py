"""The warehouse file: the one module that opens it, asks what is in it, and changes its shape.

Everything that touches the DuckDB file goes through here, so that every connection has the same
memory limit ($CONCORD_MEMORY_LIMIT), the same read-only rule and the same one-line error when the
file cannot be opened (another process holds the write lock, not a DuckDB file, ...):

- `resolve_db` / `connect` / `connection`: where the file is and how it is opened;
- `relation_exists` / `column_names`: every existence probe;
- `MIGRATIONS` / `migrate`: all DDL (raw layer and `concord_meta`), applied once per warehouse and
  recorded in `concord_meta.schema_migrations`. Commands that write call `migrate` explicitly
  before they write; read-only commands (status, check, verify-erasure, push-flags) never do.

This is the bottom layer with `ingest/errors.py`: it imports nothing of Concord but them and the
raw task shape (`ingest/schema.py`), so both `ingest` and `concord` may use it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.errors import IngestError, WarehouseError, locked_warehouse_message
from ingest.schema import RAW_TASK_SHAPE, RAW_TASK_TYPE, transform_spec

DEFAULT_DB = "concord.duckdb"
DEFAULT_MEMORY_LIMIT = "600MB"

Connection = duckdb.DuckDBPyConnection


# --- where the file is, and how it is opened ---------------------------------------------------


def quote_identifier(name: str) -> str:
    """A name (schema, table, column) as a quoted SQL identifier: "a""b" for a"b."""
    return '"' + name.replace('"', '""') + '"'


def resolve_db(db: str | os.PathLike[str] | None) -> Path:
    """`--db`, else `$CONCORD_DB`, else `./concord.duckdb`; always returned absolute."""
    value = db or os.environ.get("CONCORD_DB") or DEFAULT_DB
    return Path(value).expanduser().resolve()


def memory_limit() -> str:
    """DuckDB memory limit of every connection: $CONCORD_MEMORY_LIMIT, default 600MB. Without one
    DuckDB caches up to 80 % of RAM (3.5 GB resident for `concord check` at 1M tasks)."""
    value = os.environ.get("CONCORD_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
    if not re.fullmatch(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", value, re.IGNORECASE):
        raise IngestError(f"CONCORD_MEMORY_LIMIT={value!r}: expected a size such as 700MB or 2GB")
    return value


def connection_config() -> dict[str, str]:
    """The DuckDB config of every warehouse connection (also handed to SQLAlchemy for GX).

    One config for all: DuckDB refuses a second connection to a file this process already holds
    open with another configuration."""
    return {"memory_limit": memory_limit()}


def open_error(path: Path, err: BaseException) -> WarehouseError:
    """The one-line error for a warehouse that cannot be opened (locked by another process, not a
    DuckDB file, ...): DuckDB's first line, never its multi-line lock explanation."""
    locked = locked_warehouse_message(str(err))  # issue #11: the same line from every command
    if locked is not None:
        return WarehouseError(locked)
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    return WarehouseError(f"cannot open the warehouse: {first}", file=str(path))


def connect(db: str | os.PathLike[str] | None, *, read_only: bool = False) -> Connection:
    """A connection to the warehouse `db` (resolved by `resolve_db`); the caller closes it.

    read_only: for commands that only read. If this process already holds the file open
    read-write (e.g. `concord demo` right after its build), DuckDB refuses a read-only
    connection; the read-write one is taken then (the command still only reads)."""
    path = resolve_db(db)
    config = connection_config()
    con = None
    if read_only:
        try:
            con = duckdb.connect(str(path), read_only=True, config=config)
        except duckdb.ConnectionException:
            pass  # held read-write by this process: fall through
        except duckdb.Error as err:
            raise open_error(path, err) from None
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    if con is None:
        try:
            con = duckdb.connect(str(path), config=config)
        except duckdb.Error as err:
            raise open_error(path, err) from None
    con.execute("set enable_progress_bar = false")  # a session setting: never on stdout
    if read_only:
        _refuse_outdated_layout(con, path)
    return con


def _refuse_outdated_layout(con: Connection, path: Path) -> None:
    """A read-only command cannot upgrade an old layout (that is a write) and cannot read it:
    one line saying what to run, instead of an SQL error."""
    if "task_json" in column_names(con, "raw_label_studio.tasks"):
        con.close()
        raise WarehouseError(
            "written by an earlier Concord (raw tasks stored as JSON text): run a command that "
            "writes (e.g. `concord build`) once to upgrade it",
            file=str(path),
        )


@contextlib.contextmanager
def connection(
    con_or_db: Connection | str | os.PathLike[str] | None, *, read_only: bool = False
) -> Iterator[Connection]:
    """Yield a connection: the one given (left open), or a new one on the file (closed after)."""
    if isinstance(con_or_db, duckdb.DuckDBPyConnection):
        yield con_or_db
        return
    con = connect(con_or_db, read_only=read_only)
    try:
        yield con
    finally:
        con.close()


def scratch() -> Connection:
    """An in-memory DuckDB (sniffing a file, counting rows): no warehouse, same memory limit."""
    return duckdb.connect(config=connection_config())


# --- existence probes --------------------------------------------------------------------------


def relation_exists(con: Connection, relation: str) -> bool:
    """Does `schema.name` exist as a table or a view?"""
    schema, _, name = relation.partition(".")
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(row and row[0])


def column_names(con: Connection, relation: str) -> set[str]:
    """The column names of `schema.name` (empty when it does not exist)."""
    schema, _, name = relation.partition(".")
    return {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }


RELATION_EXISTS_SQL = (
    "select count(*) from information_schema.tables "
    "where table_schema = :schema and table_name = :name"
)  # the same probe for SQLAlchemy connections (the GX checks)


# --- DDL ---------------------------------------------------------------------------------------
# Each migration is idempotent SQL (create ... if not exists, add column if not exists), so that a
# warehouse written before the migrations table existed upgrades cleanly. Never edit a migration
# that has shipped: add the next one (a new column is `alter table ... add column if not exists`).

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

META_DDL = """
create schema if not exists concord_meta;

-- small key/value settings of this warehouse (the ext-id field the erasure log hashed)
create table if not exists concord_meta.settings (
    setting_name varchar primary key,
    setting_value varchar not null
);

-- one row per erasure (concord erase) or retention purge (concord retention)
create table if not exists concord_meta.erasure_log (
    erasure_id varchar primary key,     -- 'er_' + 16 random hex
    erased_at timestamp not null,       -- UTC
    erasure_trigger varchar not null,   -- erase | retention
    reason varchar,                     -- as given by the operator (never the data itself)
    n_tasks bigint not null,            -- tasks removed
    removed_json json not null          -- counts: rows per table, annotations, predictions, ...
);

-- salted hashes of every erased identifier: task ids, external ids, text fingerprints
create table if not exists concord_meta.erased_identifiers (
    identifier_kind varchar not null,   -- task_id | ext_id | text
    identifier_hash varchar not null,   -- hex HMAC-SHA256(salt, kind || ':' || value)
    erasure_id varchar not null,
    primary key (identifier_kind, identifier_hash)
);

-- sampled word-shingle hashes of erased texts, to find a text quoted inside a longer string
create table if not exists concord_meta.erased_text_shingles (
    text_hash varchar not null,         -- identifier_hash of the text (kind 'text')
    shingle_hash varchar not null,
    primary key (text_hash, shingle_hash)
);

-- every extract `concord extract` wrote, so erasure can rewrite it
create table if not exists concord_meta.extracts (
    extract_dir varchar primary key,    -- absolute path
    extract_format varchar not null,    -- parquet | jsonl
    options_json json not null,         -- the extract's options (filters, split, grain)
    content_sha256 varchar not null,    -- manifest content hash when last written
    n_rows bigint not null
);

-- an erasure committed but its compaction (fresh copy of the file swapped in) not yet done: the
-- row is deleted inside the fresh copy, so it disappears exactly when the swap (a rename) lands
create table if not exists concord_meta.pending_compaction (
    erasure_id varchar primary key,
    requested_at timestamp not null
);

-- an erasure committed but the analyst snapshot (concord/publish.py) not yet published again
-- without its tasks: deleted once the new snapshot is renamed into place
create table if not exists concord_meta.pending_publish (
    erasure_id varchar primary key,
    requested_at timestamp not null
);

-- extract files rewritten by an erasure: written to temp_path before the commit, renamed after;
-- rows left here mean a crash between commit and rename (`complete_pending_rewrites` finishes)
create table if not exists concord_meta.pending_file_rewrites (
    erasure_id varchar not null,
    target_path varchar not null,
    temp_path varchar not null,
    primary key (target_path)
);
"""

LS_PULLS_DDL = """
create schema if not exists concord_meta;
-- one row per `concord ls pull` (no task ids): the next incremental pull starts from here
create table if not exists concord_meta.ls_pulls (
    pull_id varchar primary key,        -- sha256 of server + project + export id
    server_url varchar not null,        -- LABEL_STUDIO_URL (never the token)
    project_id bigint not null,
    export_id bigint not null,
    export_created_at timestamp not null,  -- server clock, UTC: the next incremental watermark
    mode varchar not null,              -- full | incremental
    since timestamp,                    -- incremental: tasks updated after this (UTC)
    n_tasks bigint not null,
    file_path varchar not null,
    pulled_at timestamp not null
);
"""

MIGRATIONS_TABLE = "concord_meta.schema_migrations"
MIGRATIONS_DDL = """
create schema if not exists concord_meta;
-- which migrations (ingest/warehouse.py MIGRATIONS) this warehouse has had, once each
create table if not exists concord_meta.schema_migrations (
    version integer primary key,
    migration_name varchar not null,
    applied_at timestamp not null       -- UTC
);
"""


def _typed_task_struct(con: Connection) -> str | None:
    """Warehouses written before the typed `task` column stored each task as JSON text in a plain
    `task_json` column: convert them in place. Keys outside RAW_TASK_SHAPE and values of the wrong
    JSON type for a typed field are not kept (as for a load through the JSON-text path)."""
    names = column_names(con, "raw_label_studio.tasks")
    if not names or "task" in names:
        return None
    con.execute("alter table raw_label_studio.tasks rename to tasks_before_typed")
    con.execute(RAW_DDL)
    con.execute(
        f"""
        insert into raw_label_studio.tasks (
            task_id, project_id, load_id, source_format, task, is_deleted, deleted_at, loaded_at
        )
        select task_id, project_id, load_id, source_format,
            json_transform(task_json, '{transform_spec(RAW_TASK_SHAPE)}'),
            is_deleted, deleted_at, loaded_at
        from raw_label_studio.tasks_before_typed
        """
    )
    con.execute("drop table raw_label_studio.tasks_before_typed")
    return (
        "raw_label_studio.tasks converted from task JSON text to the typed task struct "
        "(one-time upgrade)"
    )


def _widen_task_struct(con: Connection) -> str | None:
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
        return "raw_label_studio.tasks: task struct widened to keep relation items"
    return None


def _sql(ddl: str) -> Callable[[Connection], str | None]:
    def apply(con: Connection) -> None:
        con.execute(ddl)

    return apply


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], str | None]  # returns a line for the user, or None


# In order; append only. The task_json conversion comes before the raw DDL so that an old
# `tasks` table is converted rather than kept by `create table if not exists`.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "raw_tasks_typed_struct", _typed_task_struct),
    Migration(2, "raw_layer", _sql(RAW_DDL)),
    Migration(3, "concord_meta", _sql(META_DDL)),
    Migration(4, "concord_meta_ls_pulls", _sql(LS_PULLS_DDL)),
    # issue #11: each load's source; relation items kept in the task struct
    Migration(
        5,
        "raw_loads_source",
        _sql("alter table raw_label_studio.loads add column if not exists source varchar;"),
    ),
    Migration(6, "raw_task_relation_keys", _widen_task_struct),
)
LATEST_VERSION = MIGRATIONS[-1].version


def applied_version(con: Connection) -> int:
    """The highest migration applied to this warehouse (0: none, or a pre-migrations file)."""
    if not relation_exists(con, MIGRATIONS_TABLE):
        return 0
    row = con.execute(f"select max(version) from {MIGRATIONS_TABLE}").fetchone()
    return int(row[0] or 0)


def migrate(con: Connection) -> list[str]:
    """Apply the migrations this warehouse has not had, each in its own transaction and recorded;
    returns what the user should be told. A no-op (one query) on a current warehouse.

    Called explicitly by what writes (ingest, build, extract, erase, retention, ls pull), never
    by an option callback or a read-only command. Must not run inside an open transaction."""
    done = applied_version(con)
    if done >= LATEST_VERSION:
        return []
    notes: list[str] = []
    con.execute(MIGRATIONS_DDL)
    for migration in MIGRATIONS:
        if migration.version <= done:
            continue
        con.execute("begin transaction")
        try:
            note = migration.apply(con)
            con.execute(
                f"insert into {MIGRATIONS_TABLE} values (?, ?, ?)",
                [migration.version, migration.name, dt.datetime.now(dt.UTC).replace(tzinfo=None)],
            )
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
        if note:
            notes.append(note)
    return notes


def migrate_file(db: str | os.PathLike[str] | None) -> list[str]:
    """`migrate` on the warehouse file `db` (opened read-write, closed after); lines are prefixed
    with the file. Commands that write call it first; nothing when the file does not exist yet
    (the command's own first write creates and migrates it)."""
    path = resolve_db(db)
    if not path.exists():
        return []
    with connection(path) as con:
        return [f"{path}: {note}" for note in migrate(con)]
