"""Erased tasks as ingest sees them: the erasure key and the look-ups that keep erased tasks out.

Concord's erasure log (`concord_meta.erased_identifiers`, written by `concord erase` and
`concord retention`) holds only HMAC-SHA256 hashes of what it erased: task ids, ext ids,
prediction ids and score-table keys. The HMAC key never lives in the warehouse file: whoever holds
only the file cannot recover guessable ids by enumeration. It comes from

1. `$CONCORD_ERASURE_KEY` (hex, at least 32 bytes), else
2. the key file `<warehouse>.erasure-key` beside the DuckDB file (mode 0600, created by the first
   erasure).

Every entry point of ingest (export files of every format, score tables, `ls pull`) asks this
module which rows belong to an erased task and skips them with a one-line note: an erased task
never comes back. This module lives in `ingest` (which never imports `concord`); `concord.erasure`
writes the log and uses the same key and hash functions.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ingest.errors import ConcordError

KEY_ENV = "CONCORD_ERASURE_KEY"
KEY_FILE_SUFFIX = ".erasure-key"
# warehouses written before the key moved out kept it here (moved out by concord's recovery step)
LEGACY_SALT_SETTING = "erasure_salt"
# the task data field whose values the log hashes as ext ids (recorded by the erasure)
EXT_FIELD_SETTING = "ext_id_field"
DEFAULT_EXT_FIELD = "ext_id"
MIN_KEY_BYTES = 32


class ErasureKeyError(ConcordError):
    """The erasure key is missing or unreadable; nothing was changed."""


# ---------------------------------------------------------------------------------------------
# the key


def warehouse_path(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The file of the connection's current database (None for an in-memory one)."""
    row = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()
    return Path(row[0]).resolve() if row and row[0] else None


def key_file(db: str | os.PathLike[str]) -> Path:
    path = Path(db)
    return path.with_name(path.name + KEY_FILE_SUFFIX)


def _env_key() -> bytes | None:
    text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ErasureKeyError(f"{KEY_ENV}: not a hex string") from None
    if len(key) < MIN_KEY_BYTES:
        raise ErasureKeyError(f"{KEY_ENV}: the key must be at least {MIN_KEY_BYTES} bytes (hex)")
    return key


def read_key(db: str | os.PathLike[str] | None) -> bytes | None:
    """The erasure key: `$CONCORD_ERASURE_KEY`, else the key file beside `db`; None if neither."""
    key = _env_key()
    if key is not None or db is None:
        return key
    path = key_file(db)
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise ErasureKeyError(f"{path}: cannot read the erasure key ({err})") from None
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ErasureKeyError(f"{path}: not an erasure key (expected hex)") from None


def write_key_file(db: str | os.PathLike[str], key: bytes) -> Path:
    """Create the key file (mode 0600 from the start, never wider), fsynced with its directory."""
    path = key_file(db)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (key.hex() + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)
    return path


def fsync_dir(directory: str | os.PathLike[str]) -> None:
    """Make a rename or create in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def missing_key_error(db: str | os.PathLike[str] | None) -> ErasureKeyError:
    where = f"the key file {key_file(db)}" if db is not None else "a key file"
    return ErasureKeyError(
        f"the erasure key is missing: set {KEY_ENV} or restore {where}; without it erased "
        "tasks cannot be recognised (see docs/governance.md, 'The erasure key')"
    )


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    rows = con.execute(  # fetchall: an unfinished result would block `register`
        "select count(*) from duckdb_tables() where database_name = current_database()"
        " and schema_name = ? and table_name = ?",
        [schema, table],
    ).fetchall()
    return bool(rows[0][0])


def setting(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    if not _table_exists(con, "concord_meta", "settings"):
        return None
    row = con.execute(
        "select setting_value from concord_meta.settings where setting_name = ?", [name]
    ).fetchone()
    return row[0] if row else None


def warehouse_key(con: duckdb.DuckDBPyConnection) -> bytes | None:
    """The key for the warehouse of `con`: env / key file, else a legacy key still in the file
    (until concord's recovery step moves it out)."""
    key = read_key(warehouse_path(con))
    if key is not None:
        return key
    legacy = setting(con, LEGACY_SALT_SETTING)
    return bytes.fromhex(legacy) if legacy else None


def identifier_hash(key: bytes, kind: str, value: Any) -> str:
    """HMAC-SHA256(key, '<kind>:<value>') in hex: one-way, and useless without the key."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def hmac_sql(key: bytes, expr: str) -> tuple[str, list[bytes]]:
    """SQL computing `identifier_hash(key, ...)` of the varchar `expr` ('<kind>:<value>') inside
    DuckDB (HMAC from two sha256 calls, RFC 2104), with its two blob parameters. Millions of
    values hash in seconds this way, where a Python loop takes minutes."""
    padded = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
    inner = bytes(b ^ 0x36 for b in padded)
    outer = bytes(b ^ 0x5C for b in padded)
    return f"sha256(?::blob || unhex(sha256(?::blob || encode({expr}))))", [outer, inner]


# ---------------------------------------------------------------------------------------------
# the look-ups


def log_exists(con: duckdb.DuckDBPyConnection) -> bool:
    if not _table_exists(con, "concord_meta", "erased_identifiers"):
        return False
    return bool(con.execute("select count(*) from concord_meta.erased_identifiers").fetchone()[0])


@dataclass
class ErasedTasks:
    """What ingest needs to refuse erased tasks: the key, the ext-id field and the hashes."""

    key: bytes | None
    ext_field: str
    hashes: set[tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.hashes)

    def is_erased(self, task_id: Any, ext_id: Any = None) -> bool:
        if not self.key or not self.hashes:
            return False
        if task_id is not None and (
            ("task_id", identifier_hash(self.key, "task_id", int(task_id))) in self.hashes
        ):
            return True
        return ext_id is not None and (
            ("ext_id", identifier_hash(self.key, "ext_id", str(ext_id))) in self.hashes
        )


def erased_tasks(con: duckdb.DuckDBPyConnection) -> ErasedTasks:
    """The erased tasks of this warehouse (empty when nothing was ever erased). A log without
    its key is an error: ingest could not tell erased tasks from others."""
    ext_field = setting(con, EXT_FIELD_SETTING) or DEFAULT_EXT_FIELD
    if not log_exists(con):
        return ErasedTasks(None, ext_field, set())
    key = warehouse_key(con)
    if key is None:
        raise missing_key_error(warehouse_path(con))
    hashes = {
        (kind, value)
        for kind, value in con.execute(
            "select identifier_kind, identifier_hash from concord_meta.erased_identifiers"
            " where identifier_kind in ('task_id', 'ext_id')"
        ).fetchall()
    }
    return ErasedTasks(key, ext_field, hashes)


def source_key(source: str | None) -> str:
    """The source an erased task came from, as the log scopes it: a server URL as given; every
    file without a known instance ('file:...', or none) counts as one source, 'file' (the rule
    ingest uses to refuse a project id from a second source)."""
    if not source or source.startswith("file:"):
        return "file"
    return source


def project_sources(con: duckdb.DuckDBPyConnection) -> dict[int, str] | None:
    """project id -> source_key of its latest load, when `raw_label_studio.loads.source`
    exists (None otherwise: the log is then not scoped by source)."""
    has_column = con.execute(
        "select count(*) from duckdb_columns() where database_name = current_database()"
        " and schema_name = 'raw_label_studio' and table_name = 'loads'"
        " and column_name = 'source'"
    ).fetchall()[0][0]
    if not has_column:
        return None
    rows = con.execute(
        "select project_id, arg_max(source, loaded_at) from raw_label_studio.loads"
        " where project_id is not null group by project_id"
    ).fetchall()
    return {int(project): source_key(source) for project, source in rows}


def reused_task_hashes(con: duckdb.DuckDBPyConnection, key: bytes) -> set[str]:
    """`task_id` hashes of the log that name a LIVE task from another source (the same id from
    another Label Studio instance): not residue of the erased one."""
    sources = project_sources(con)
    if sources is None or not _table_exists(con, "raw_label_studio", "tasks"):
        return set()
    plain_sql, plain_params = hmac_sql(key, "'task_id:' || cast(task_id as varchar)")
    scoped_sql, scoped_params = hmac_sql(
        key, "'source_task:' || source || '|' || cast(task_id as varchar)"
    )
    con.register("_erased_sources", _sources_table(sources))
    try:
        rows = con.execute(
            f"""
            with live as (
                select tasks.task_id, coalesce(src.source, 'file') as source
                from raw_label_studio.tasks as tasks
                left join _erased_sources as src on tasks.project_id = src.project_id
            )
            select distinct {plain_sql} from live
            where {plain_sql} in (
                    select identifier_hash from concord_meta.erased_identifiers
                    where identifier_kind = 'task_id'
                )
                and {scoped_sql} not in (
                    select identifier_hash from concord_meta.erased_identifiers
                    where identifier_kind = 'source_task'
                )
            """,
            [*plain_params, *plain_params, *scoped_params],
        ).fetchall()
    finally:
        con.unregister("_erased_sources")
    return {r[0] for r in rows}


def _sources_table(sources: dict[int, str]):
    import pyarrow as pa

    return pa.table(
        {
            "project_id": pa.array(list(sources), pa.int64()),
            "source": pa.array(list(sources.values()), pa.string()),
        }
    )


def _shown(ids: list[Any]) -> str:
    return ", ".join(str(t) for t in ids[:20]) + (", ..." if len(ids) > 20 else "")


def drop_erased_tasks(con: duckdb.DuckDBPyConnection, staged_table: str, result: Any) -> int:
    """Delete erased tasks from a staged batch (`task_id`, `task` columns) before it is written,
    and report them on the LoadResult (`counts`, `notes`: one line).

    A task is matched by its task id or by its ext id (the same person's item imported again
    as a new task). The hashing runs in DuckDB."""
    erased = erased_tasks(con)
    if not erased:
        return 0
    task_sql, task_params = hmac_sql(erased.key, "'task_id:' || cast(task_id as varchar)")
    ext_sql, ext_params = hmac_sql(erased.key, "'ext_id:' || (task.data ->> ?)")
    scoped_sql, scoped_params = hmac_sql(
        erased.key, "'source_task:' || ? || '|' || cast(task_id as varchar)"
    )
    # erasures scoped by source (a `source_task` hash) block the task id only from that source;
    # erasures logged before sources were recorded block the task id from any source
    rows = con.execute(
        f"""
        select distinct task_id from {staged_table}
        where {task_sql} in (
                select identifier_hash from concord_meta.erased_identifiers as ids
                where identifier_kind = 'task_id' and not exists (
                    select 1 from concord_meta.erased_identifiers as scoped
                    where scoped.identifier_kind = 'source_task'
                        and scoped.erasure_id = ids.erasure_id
                )
            )
            or {scoped_sql} in (
                select identifier_hash from concord_meta.erased_identifiers
                where identifier_kind = 'source_task'
            )
            or (task.data ->> ?) is not null and {ext_sql} in (
                select identifier_hash from concord_meta.erased_identifiers
                where identifier_kind = 'ext_id'
            )
        order by task_id
        """,
        [
            *task_params,
            *scoped_params,
            source_key(getattr(result, "source", None)),
            erased.ext_field,
            *ext_params,
            erased.ext_field,
        ],
    ).fetchall()
    dropped = [r[0] for r in rows]
    if not dropped:
        return 0
    con.execute(f"delete from {staged_table} where list_contains(?, task_id)", [dropped])
    result.counts["skipped erased"] = len(dropped)
    result.notes.append(
        f"{len(dropped)} task(s) skipped: erased earlier (concord_meta.erasure_log): task ids "
        + _shown(dropped)
    )
    return len(dropped)


# score-table key kind -> the log's identifier kind for its key values
def score_key_identifier(kind: str, key_field: str | None, ext_field: str) -> str | None:
    if kind == "task_id":
        return "task_id"
    if kind == "prediction_id":
        return "prediction_id"
    if kind == "data_field" and key_field:
        return "ext_id" if key_field == ext_field else f"data.{key_field}"
    return None


def drop_erased_score_rows(
    con: duckdb.DuckDBPyConnection, name: str, kind: str, key_field: str | None, result: Any
) -> int:
    """Delete the rows of score table `name` whose key belongs to an erased task (its task id,
    prediction id, ext id or the data field the table is keyed by), with a one-line note."""
    erased = erased_tasks(con)
    if not erased:
        return 0
    identifier = score_key_identifier(kind, key_field, erased.ext_field)
    if identifier is None:
        return 0
    hashed, params = hmac_sql(erased.key, f"'{identifier}:' || trim(key_value)")
    (n,) = con.execute(
        f"""
        delete from raw_scores.score_rows
        where score_table_name = ? and {hashed} in (
            select identifier_hash from concord_meta.erased_identifiers
            where identifier_kind = ?
        )
        """,
        [name, *params, identifier],
    ).fetchone()
    if n:
        result.counts["skipped erased"] = int(n)
        result.notes.append(
            f"{n} score row(s) skipped: their {kind} key belongs to a task erased earlier"
        )
    return int(n)
