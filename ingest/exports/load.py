"""The export command's order of work: `ingest_exports` and the steps it runs per file.

Phase 1 (`_prepare`, `_read`): hash the file, skip it when loaded before, detect its format and
read it into a connection-local temp table (the typed reader checks it in the same pass,
`_stage_typed`). Phase 2 (`_apply`), inside the command's one transaction: validate
(`ingest.exports.validate`), write (`ingest.exports.write`) and record the load. This module
only sequences; what each step does lives in detect / validate / diagnose / write.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb

from ingest.errors import IngestError
from ingest.exports.detect import (
    _OBJECT_TOO_LARGE,
    DEFAULT_MAX_OBJECT,
    _audit_keys,
    _check_json_envelope,
    _ensure_memory_for,
    _first_record,
    _is_json_min,
    _Prepared,
    _stage_json,
    _typed_source,
    detect_format,
)
from ingest.exports.validate import _check_reloaded_source, _check_sql, _typed_check_sql, _validate
from ingest.exports.write import COMMAND, _mark_absent_deleted, _recall_snapshot_tasks, _write
from ingest.loading import (
    PROGRESS_MIN_BYTES,
    LoadResult,
    Progress,
    check_readable,
    connect,
    file_sha256,
    human_bytes,
    literal_paths_cleanup,
    make_load_id,
    out_of_memory_message,
    pause_point,
    previous_load,
    record_load,
    transaction,
    utc_now,
)
from ingest.schema import RAW_TASK_SHAPE, transform_spec
from ingest.warehouse import migrate

# files this large are hashed (sha256, for idempotency) on a thread while DuckDB reads them,
# when no earlier load has their size; smaller ones are hashed first
HASH_ALONGSIDE_MIN_BYTES = 64 * 1024 * 1024


_RAW_SPEC = transform_spec(RAW_TASK_SHAPE)


def ingest_exports(
    con_or_db,
    paths,
    *,
    config: str | os.PathLike[str] | None = None,
    project_id: int | None = None,
    full_snapshot: bool = False,
    progress: Progress | None = None,
    source: str | None = None,
    as_project_id: int | None = None,
) -> list[LoadResult]:
    """Ingest Label Studio export files (JSON, snapshot JSON, JSON_MIN, CSV) in one transaction.

    `source` is the Label Studio instance the files come from (a server URL; default
    'file:<resolved path>', instance unknown). A project id already loaded from another source is
    refused, unless `as_project_id` maps the files' project to a new id.

    Returns one LoadResult per file (already-loaded files come back with `skipped=True`).
    Raises an IngestError subclass naming the file (and task / record / byte) on bad input;
    nothing from the command is written then.

    Phase 1 reads every file into a connection-local temp table (no warehouse table is touched,
    so a read can be retried with a larger object limit); phase 2 validates and writes all files
    in one transaction.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise IngestError("no export files given")
    results: list[LoadResult] = []
    with connect(con_or_db) as con:
        migrate(con)
        prepared: list[_Prepared] = []
        current = "?"
        try:
            seen_sha: set[str] = set()
            seen_sizes: set[int] = set()
            for index, path in enumerate(paths):
                current = str(path)
                prepared.append(
                    _prepare(
                        con,
                        index,
                        path,
                        config=config,
                        project_id=project_id,
                        progress=progress,
                        seen_sha=seen_sha,
                        seen_sizes=seen_sizes,
                    )
                )
                prepared[-1].result.source = source or f"file:{path.resolve()}"
                prepared[-1].as_project_id = as_project_id
                if prepared[-1].result.skipped:
                    _check_reloaded_source(con, prepared[-1].result, prepared[-1].shown)
            with transaction(con):
                con.execute(
                    "create or replace temp table _concord_seen (task_id bigint, project_id bigint)"
                )
                for prep in prepared:
                    current = prep.shown
                    if not prep.result.skipped:
                        _apply(con, prep, project_id=project_id, full_snapshot=full_snapshot)
                    elif full_snapshot:
                        _recall_snapshot_tasks(con, prep.result)
                    results.append(prep.result)
                if full_snapshot:
                    _mark_absent_deleted(con, results)
                pause_point("ingest_before_commit")
        except duckdb.Error as err:
            # anything DuckDB refuses that validation did not catch: one line, no traceback
            raise _duckdb_failure(err, current, con) from None
        finally:
            literal_paths_cleanup()
            for prep in prepared:
                con.execute(f"drop table if exists {prep.table}")
            con.execute("drop table if exists _concord_checked")
            con.execute("drop table if exists _concord_seen")
    return results


def _duckdb_failure(err: Exception, shown: str, con: duckdb.DuckDBPyConnection) -> IngestError:
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    if isinstance(err, duckdb.OutOfMemoryException):
        return IngestError(out_of_memory_message(first), file=shown)
    return IngestError(f"DuckDB refused the load: {first}", file=shown)


def _prepare(
    con: duckdb.DuckDBPyConnection,
    index: int,
    path: Path,
    *,
    config,
    project_id: int | None,
    progress: Progress | None,
    seen_sha: set[str],
    seen_sizes: set[int],
) -> _Prepared:
    """Hash, skip if already loaded, detect the format and read the file into a temp table."""
    shown = str(path)
    check_readable(path, shown)
    size = path.stat().st_size
    pool: ThreadPoolExecutor | None = None
    hashing: Future[tuple[str, int]] | None = None
    if size >= HASH_ALONGSIDE_MIN_BYTES and not _size_seen_before(con, size, seen_sizes):
        # no earlier load (nor file of this command) has this size, so this cannot be a file
        # loaded before: hash it on a second core while DuckDB reads it (3 s of a 3 GB load)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="concord-sha256")
        hashing = pool.submit(file_sha256, path)
        sha = ""
    else:
        sha, size = file_sha256(path)
    seen_sizes.add(size)
    result = LoadResult(
        file_name=path.name,
        file_path=str(path.resolve()),
        command=COMMAND,
        load_id=make_load_id(sha, COMMAND) if sha else "",
        file_sha256=sha,
        file_format="?",
    )
    say = progress if (progress is not None and size >= PROGRESS_MIN_BYTES) else None
    prep = _Prepared(result, f"_concord_stage_{index}", shown, size, say, time.monotonic(), path)
    try:
        _read(con, prep, config=config, project_id=project_id, seen_sha=seen_sha)
    finally:
        if pool is not None:
            pool.shutdown(wait=True)  # on an error too: no thread outlives the command
    if hashing is not None:
        sha, prep.size = hashing.result()  # raises what hashing raised
        result.file_sha256, result.load_id = sha, make_load_id(sha, COMMAND)
        seen_sha.add(sha)
    return prep


def _size_seen_before(con: duckdb.DuckDBPyConnection, size: int, seen_sizes: set[int]) -> bool:
    """True when an earlier export load, or a file given before in this command, has `size`
    bytes: only then can the file be one loaded before (same bytes, same size)."""
    if size in seen_sizes:
        return True
    row = con.execute(
        "select 1 from raw_label_studio.loads where command = ? and file_bytes = ? limit 1",
        [COMMAND, size],
    ).fetchone()
    return row is not None


def _read(
    con: duckdb.DuckDBPyConnection,
    prep: _Prepared,
    *,
    config,
    project_id: int | None,
    seen_sha: set[str],
) -> None:
    """Skip the file if loaded before (known sha256 only), else detect its format and read it
    into `prep.table`."""
    result, shown, size, say, path = prep.result, prep.shown, prep.size, prep.say, prep.path
    assert path is not None
    sha = result.file_sha256
    earlier = previous_load(con, sha, COMMAND) if sha else None
    if earlier is not None or (sha and sha in seen_sha):
        result.skipped = True
        if earlier is not None:
            when = earlier[1].strftime("%Y-%m-%d %H:%M:%S")
            result.skipped_reason = (
                f"already loaded ({earlier[0]}, {when} UTC, same sha256): nothing to do"
            )
        else:
            result.skipped_reason = "given twice in this command: loaded once"
        return
    if sha:
        seen_sha.add(sha)
    fmt = detect_format(path, shown)
    if say:
        say(f"{shown}: reading {human_bytes(size)} ({fmt})...")
    if fmt == "json":
        _check_json_envelope(path, shown, size)
        first, prep.max_object = _first_record(con, path, shown, size)
        if prep.max_object > DEFAULT_MAX_OBJECT:
            _ensure_memory_for(con, prep.max_object, shown)
        if _is_json_min(first, shown):
            fmt = "json_min"
            prep.max_object = _stage_json(con, prep.table, path, shown, size)
        else:
            prep.typed = _stage_typed(con, prep)
            _audit_keys(con, prep)
    result.file_format = fmt
    if fmt in ("json_min", "csv"):
        from ingest.exports_min import stage_min

        stage_min(
            con,
            path,
            shown,
            fmt,
            project_id=project_id,
            config=config,
            result=result,
            table=prep.table,
            json_staged=(fmt == "json_min"),
        )
    if say:
        n = con.execute(f"select count(*) from {prep.table}").fetchone()[0]
        say(f"{shown}: {n} records read in {time.monotonic() - prep.started:.1f} s")


def _apply(
    con: duckdb.DuckDBPyConnection, prep: _Prepared, *, project_id: int | None, full_snapshot: bool
) -> None:
    """Validate a prepared file and write its tasks (inside the command's transaction)."""
    result, shown = prep.result, prep.shown
    if prep.typed:  # read and checked in one pass by _stage_typed
        con.execute("drop table if exists _concord_checked")
        con.execute(f"alter table {prep.table} rename to _concord_checked")
    else:
        con.execute(_check_sql(prep.table))
        con.execute(f"drop table if exists {prep.table}")
    if prep.say:
        prep.say(f"{shown}: checked in {time.monotonic() - prep.started:.1f} s")
    source_format = _validate(con, prep, project_id)
    if not prep.typed:  # checked as JSON text: now into the raw task struct
        con.execute(
            "create or replace temp table _concord_checked as "
            f"select * exclude (task_json), json_transform(task_json, '{_RAW_SPEC}') as task "
            "from _concord_checked"
        )
    if result.file_format != "json":
        source_format = result.file_format
    _write(con, result, source_format=source_format)
    record_load(
        con, result, file_bytes=prep.size, is_full_snapshot=full_snapshot, loaded_at=utc_now()
    )
    con.execute("drop table if exists _concord_checked")
    if prep.say:
        prep.say(f"{shown}: written in {time.monotonic() - prep.started:.1f} s")


def _stage_typed(con: duckdb.DuckDBPyConnection, prep: _Prepared) -> bool:
    """Read the file with the typed reader and check it in the same pass, into `prep.table` (the
    columns of `_concord_checked`): True. When the reader refuses the file (a value of the wrong
    JSON type, malformed JSON), read it as JSON text into `prep.table(record_no, task_json)`
    instead, where the checks name the problem: False. Runs before the command's transaction: a
    refused statement would abort it."""
    assert prep.path is not None
    while True:
        try:
            con.execute(
                f"create or replace temp table {prep.table} as "
                + _typed_check_sql(_typed_source(prep.path, prep.max_object))
            )
            suspect = con.execute(
                f"select coalesce(bool_or(needs_text_check), false) from {prep.table}"
            ).fetchone()[0]
            if not suspect:
                con.execute(f"alter table {prep.table} drop column needs_text_check")
                return True
            con.execute(f"drop table {prep.table}")
            prep.max_object = _stage_json(con, prep.table, prep.path, prep.shown, prep.size)
            return False
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.Error as err:
            too_large = _OBJECT_TOO_LARGE.search(str(err))
            if too_large and prep.max_object < prep.size + 1:
                needed = int(too_large.group(1))
                prep.max_object = min(prep.size + 1, max(prep.max_object * 4, needed * 2))
                _ensure_memory_for(con, prep.max_object, prep.shown)
                continue
            prep.max_object = _stage_json(con, prep.table, prep.path, prep.shown, prep.size)
            return False
