"""`concord ingest export`: Label Studio exports -> raw_label_studio.loads / tasks.

JSON exports (sync or snapshot form) are streamed by DuckDB, never `json.load`-ed: the reader parses
each file once, straight into the typed task struct of the raw layer (`ingest.schema.RAW_TASK_SHAPE`),
and validation runs on that struct without parsing again. Only when the reader refuses a file, or
a task fails the checks, is the file read again as JSON text (`read_json_objects`) and checked task
by task, to name the record, task and field that is wrong. JSON_MIN and CSV exports are regrouped
into the same task shape by `ingest.exports_min`. All files of one command share one transaction.

Replacement rule: a task is stored once, as its version in the most recently ingested export that
contains it (annotations, predictions and drafts included). Tasks absent from a partial export stay
as they were; with `full_snapshot=True` the project's tasks absent from every file of the command
are marked `is_deleted` (a task that shows up again later is undeleted).
"""

from __future__ import annotations

import json
import os
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.erased import drop_erased_tasks
from ingest.errors import ExportFormatError, IngestError
from ingest.loading import (
    MAX_DEPTH,
    PROGRESS_MIN_BYTES,
    LoadResult,
    Progress,
    check_readable,
    connect,
    file_sha256,
    human_bytes,
    literal_paths_cleanup,
    make_load_id,
    memory_limit,
    out_of_memory_message,
    pause_point,
    previous_load,
    record_load,
    size_bytes,
    sniff,
    sql_path_literal,
    transaction,
    utc_now,
)
from ingest.schema import (
    RAW_TASK_SHAPE,
    RAW_TASK_TYPE,
    SHAPE_KEYS,
    transform_spec,
)
from ingest.warehouse import migrate, scratch

COMMAND = "export"

# files this large are hashed (sha256, for idempotency) on a thread while DuckDB reads them,
# when no earlier load has their size; smaller ones are hashed first
HASH_ALONGSIDE_MIN_BYTES = 64 * 1024 * 1024

# result types staging gives typed columns; any other type is kept (value_json) and reported
TYPED_RESULT_TYPES = frozenset(
    {
        "choices",
        "rating",
        "textarea",
        "labels",
        "rectanglelabels",
        "pairwise",
        "ranker",
        "number",
        "taxonomy",
        "relation",  # staged in stg_label_studio__annotation_relations, never as a control
    }
)

_INT = "('UBIGINT', 'BIGINT')"


def _completed_by_ok_sql(expr: str) -> str:
    """SQL twin of _completed_by_ok: `expr` (JSON) is null, an integer fitting a BIGINT, or an
    object with such an integer 'id' or a string 'email'."""
    return (
        f"(coalesce(json_type({expr}), 'NULL') = 'NULL' "
        f"or coalesce(regexp_full_match({expr}::varchar, '-?[0-9]+') "
        f"and try_cast({expr}::varchar as bigint) is not null, false) "
        f"or coalesce(json_type({expr}) = 'OBJECT' and ("
        f"(json_type({expr}, '$.id') in {_INT} "
        f"and try_cast(json_extract_string({expr}, '$.id') as bigint) is not null) "
        f"or json_type({expr}, '$.email') = 'VARCHAR'), false))"
    )


# JSON text that may hold what strict JSON forbids (NaN / Infinity tokens, a number that overflows
# a double: 1e309) or nesting past MAX_DEPTH. DuckDB's reader accepts all of these silently (a NaN
# score would then reach the marts), so a record whose text matches is checked exactly in Python
# (`value_problem`); strings that merely contain "NaN" pass that check. The depth pattern is N
# opening brackets with no closing one in between, how deep nesting looks in files (a zigzag like
# [[],[[],[[]... is not caught by it).
def _suspect_pattern(opens: int) -> str:
    return rf"NaN|Infinity|[0-9][eE]\+?[0-9]{{3}}|([\[{{][^\]}}]*){{{opens}}}"


_SUSPECT_RECORD = _suspect_pattern(MAX_DEPTH + 1)
# for a JSON value inside the task struct: a result value sits at level 6 of its task
_SUSPECT_VALUE = _suspect_pattern(MAX_DEPTH + 1 - 5)

_DUCKDB_JSON_ERROR = re.compile(
    r'Malformed JSON in file "(?P<file>.*)", at byte (?P<byte>\d+) in record/value (?P<rec>\d+): '
    r"(?P<why>.*?)\.?\s*$",
    re.DOTALL,
)


_ITEM = '{"from_name": "JSON", "type": "JSON", "value": "JSON", "from_id": "JSON", "to_id": "JSON"}'
# the parts of a task that validation needs, parsed in ONE json_transform per task (missing keys
# and wrong shapes come out as NULL; non-object list elements as all-NULL structs). Sub-documents
# are not copied out (only "data", to check it is an object): the pass stays close to one parse.
_SHAPE = (
    '{"id": "JSON", "project": "JSON", "data": "JSON", '
    '"annotations": [{"id": "JSON", "completed_by": "JSON", "was_cancelled": "JSON", '
    f'"result": [{_ITEM}]}}], '
    f'"predictions": [{{"id": "JSON", "result": [{_ITEM}]}}], '
    f'"drafts": [{{"id": "JSON", "result": [{_ITEM}]}}]}}'
)


# A relation item links two regions: {"type": "relation", "from_id", "to_id", "direction",
# "labels"}, with no value and no from_name (real exports hold them; issue #11). It is checked for
# its two region ids instead.
def _items_ok(items: str) -> str:
    """SQL: `items` (a transformed result list) is a list of well-formed result items."""
    return (
        f"({items} is not null and coalesce(list_bool_and(list_transform({items}, lambda r: "
        "case when r.type ->> '$' = 'relation' "
        "then coalesce(json_type(r.from_id), '') = 'VARCHAR' "
        "and coalesce(json_type(r.to_id), '') = 'VARCHAR' "
        "else r.value is not null and json_type(r.value) = 'OBJECT' "
        "and coalesce(json_type(r.from_name), '') = 'VARCHAR' "
        "and coalesce(json_type(r.type), '') = 'VARCHAR' end)), true))"
    )


def _all(items: str, condition: str, var: str) -> str:
    return f"coalesce(list_bool_and(list_transform({items}, lambda {var}: {condition})), true)"


def _container_ok(key: str) -> str:
    """A list, or absent / JSON null (checked on the raw task only when the transform gave NULL)."""
    return f"(s.{key} is not null or coalesce(json_type(task_json, '$.{key}'), 'NULL') = 'NULL')"


_ANNOTATION_OK = (
    f"coalesce(json_type(a.id), '') in {_INT} and {_items_ok('a.result')} "
    f"and {_completed_by_ok_sql('a.completed_by')}"
)
# a prediction is an id (sync export: an all-NULL struct here) or an object with id and result
_PREDICTION_OK = (
    f"(q.id is null and q.result is null) "
    f"or (coalesce(json_type(q.id), '') in {_INT} and {_items_ok('q.result')})"
)
# the all-NULL elements must really be integer ids: checked on the raw task, only where present
_PREDICTION_IDS_OK = (
    "case when coalesce(list_bool_or(list_transform(s.predictions, "
    "lambda q: q.id is null and q.result is null)), false) then "
    "len(list_filter(json_type(task_json, '$.predictions[*]'), "
    f"lambda t: t not in {_INT})) "
    "= len(list_filter(s.predictions, lambda q: not (q.id is null and q.result is null))) "
    "else true end"
)
_DRAFT_OK = f"coalesce(json_type(d.id), '') in {_INT} and {_items_ok('d.result')}"


def _check_sql(source: str) -> str:
    """Validate every task of `source` (record_no, task_json) in one vectorised pass into
    `_concord_checked`; the first bad record is then diagnosed in Python for a precise message."""
    return f"""
create or replace temp table _concord_checked as
with parsed as (
    select
        record_no,
        task_json,
        json_transform(task_json, '{_SHAPE}') as s,
    from {source}
)
select
    record_no,
    task_json,
    case when json_type(s.id) in {_INT} then s.id::varchar::bigint end as task_id,
    case when json_type(s.project) in {_INT} then s.project::varchar::bigint end as project_id,
    coalesce(len(s.annotations), 0) as n_annotations,
    coalesce(len(list_filter(s.annotations, lambda a: a.was_cancelled::varchar = 'true')), 0)
        as n_cancelled,
    coalesce(len(s.predictions), 0) as n_predictions,
    coalesce(len(s.drafts), 0) as n_drafts,
    coalesce(list_bool_or(list_transform(s.predictions, lambda q: q.id is not null)), false)
        or coalesce(list_bool_or(list_transform(
            s.annotations, lambda a: json_type(a.completed_by) = 'OBJECT'
        )), false) as looks_snapshot,
    list_concat(
        flatten(list_transform(
            s.annotations, lambda a: list_transform(a.result, lambda r: r.type ->> '$')
        )),
        flatten(list_transform(
            s.predictions, lambda q: list_transform(q.result, lambda r: r.type ->> '$')
        )),
        flatten(list_transform(
            s.drafts, lambda d: list_transform(d.result, lambda r: r.type ->> '$')
        ))
    ) as result_types,
    list_transform(s.annotations, lambda a: try_cast(a.id::varchar as bigint)) as annotation_ids,
    regexp_matches(task_json::varchar, '{_SUSPECT_RECORD}') as needs_value_check,
    coalesce(json_type(s.id), '') in {_INT}
    and coalesce(json_type(s.project), 'NULL') in ('UBIGINT', 'BIGINT', 'NULL')
    and coalesce(json_type(s.data), 'NULL') in ('OBJECT', 'NULL')
    and {_container_ok("annotations")}
    and {_container_ok("predictions")}
    and {_container_ok("drafts")}
    and {_all("s.annotations", _ANNOTATION_OK, "a")}
    and {_all("s.predictions", _PREDICTION_OK, "q")}
    and {_PREDICTION_IDS_OK}
    and {_all("s.drafts", _DRAFT_OK, "d")}
    as is_ok,
from parsed
"""


_RAW_SPEC = transform_spec(RAW_TASK_SHAPE)

# --- the fast path: checks on the typed struct the reader produced ----------------------------

_INT_TEXT = "'-?[0-9]+'"


def _is_int_json(expr: str) -> str:
    """SQL: the JSON scalar `expr` is an integer that fits a BIGINT (JSON text like 42, never
    "42", 4.2 or 99999999999999999999)."""
    return (
        f"coalesce(regexp_full_match({expr}::varchar, {_INT_TEXT}) "
        f"and try_cast({expr}::varchar as bigint) is not null, false)"
    )


# The reader turns a number, boolean, object or array into text where the shape says VARCHAR
# (`from_name`, `type`): values that look like one send the file to the JSON-text path, whose
# checks tell a real string ("5") from a number (5) exactly as before.
def _looks_non_string(expr: str) -> str:
    return (
        f"coalesce(regexp_full_match({expr}, '-?[0-9][0-9.eE+-]*|true|false') "
        f"or starts_with({expr}, '{{') or starts_with({expr}, '['), false)"
    )


def _suspect_items(items: str) -> str:
    """SQL: some item of the typed result list `items` has a from_name or type that may not
    have been a JSON string."""
    return (
        f"coalesce(list_bool_or(list_transform({items}, lambda r: "
        f"{_looks_non_string('r.from_name')} or {_looks_non_string('r.type')} "
        f"or {_looks_non_string('r.from_id')} or {_looks_non_string('r.to_id')})), false)"
    )


def _typed_items_ok(items: str) -> str:
    """SQL: `items` (a typed result list) is a list of result items with an object `value` and a
    `from_name` and `type` (the reader gives NULL for absent keys and JSON nulls)."""
    return (
        f"({items} is not null and coalesce(list_bool_and(list_transform({items}, lambda r: "
        "r is not null and case when r.type = 'relation' "
        "then r.from_id is not null and r.to_id is not null "
        "else r.from_name is not null and r.type is not null "
        "and coalesce(starts_with(r.value::varchar, '{'), false) end)), true))"
    )


# snapshot-form prediction objects, parsed for their checks (sync exports hold plain ids here)
_PREDICTION_SHAPE = f'{{"id": "JSON", "result": [{_ITEM}]}}'
_PREDICTION_OBJECTS = (
    "list_transform(list_filter(task.predictions, lambda p: starts_with(p::varchar, '{')), "
    f"lambda p: from_json(p, '{_PREDICTION_SHAPE}'))"
)
_TYPED_PREDICTIONS_OK = (
    "coalesce(list_bool_and(list_transform(task.predictions, lambda p: "
    f"coalesce(starts_with(p::varchar, '{{'), false) or {_is_int_json('p')})), true) and "
    + _all(
        _PREDICTION_OBJECTS,
        f"coalesce(json_type(q.id), '') in {_INT} and {_items_ok('q.result')}",
        "q",
    )
)


def _suspect_json(expr: str) -> str:
    return f"coalesce(regexp_matches({expr}::varchar, '{_SUSPECT_VALUE}'), false)"


def _not_finite(expr: str) -> str:
    return f"coalesce(not isfinite({expr}), false)"


def _any(items: str, condition: str, var: str) -> str:
    return f"coalesce(list_bool_or(list_transform({items}, lambda {var}: {condition})), false)"


_RESULTS_SUSPECT = "lambda r: " + " or ".join(
    [_suspect_json("r.value"), _suspect_json("r.meta"), _not_finite("r.score")]
    + [_not_finite(f"r.{k}") for k in ("original_width", "original_height", "image_rotation")]
)
# the JSON values and doubles of the typed task that can hold a non-finite number or deep nesting
_TYPED_SUSPECT = " or ".join(
    [
        _suspect_json("task.data"),
        _suspect_json("task.meta"),
        _any("task.predictions", _suspect_json("p"), "p"),
        _any(
            "task.annotations",
            f"{_not_finite('a.lead_time')} or {_suspect_json('a.completed_by')} "
            f"or {_suspect_json('a.prediction.result')} or {_not_finite('a.prediction.score')} "
            f"or coalesce(list_bool_or(list_transform(a.result, {_RESULTS_SUSPECT})), false)",
            "a",
        ),
        _any(
            "task.drafts",
            f"{_not_finite('d.lead_time')} "
            f"or coalesce(list_bool_or(list_transform(d.result, {_RESULTS_SUSPECT})), false)",
            "d",
        ),
    ]
)


def _typed_check_sql(source: str) -> str:
    """A SELECT validating every task of `source` (record_no, task): the same columns as
    _check_sql gives `_concord_checked`, but `task` (the struct) in place of `task_json`. Cheap: no
    JSON parsing but of snapshot-form prediction objects. Runs in the same pass as the read."""
    annotation_ok = (
        f"a is not null and {_is_int_json('a.id')} and {_typed_items_ok('a.result')} "
        f"and {_completed_by_ok_sql('a.completed_by')}"
    )
    draft_ok = f"d is not null and {_is_int_json('d.id')} and {_typed_items_ok('d.result')}"
    return f"""
select
    record_no,
    task,
    case when {_is_int_json("task.id")} then task.id::varchar::bigint end as task_id,
    case when {_is_int_json("task.project")} then task.project::varchar::bigint end
        as project_id,
    coalesce(len(task.annotations), 0) as n_annotations,
    coalesce(len(list_filter(task.annotations, lambda a: a.was_cancelled)), 0) as n_cancelled,
    coalesce(len(task.predictions), 0) as n_predictions,
    coalesce(len(task.drafts), 0) as n_drafts,
    coalesce(list_bool_or(list_transform(
        task.predictions, lambda p: starts_with(p::varchar, '{{')
    )), false)
        or coalesce(list_bool_or(list_transform(
            task.annotations, lambda a: starts_with(a.completed_by::varchar, '{{')
        )), false) as looks_snapshot,
    list_concat(
        flatten(list_transform(task.annotations, lambda a: list_transform(a.result, lambda r: r.type))),
        flatten(list_transform(
            list_filter(task.predictions, lambda p: starts_with(p::varchar, '{{')),
            lambda p: json_extract_string(p, '$.result[*].type')
        )),
        flatten(list_transform(task.drafts, lambda d: list_transform(d.result, lambda r: r.type)))
    ) as result_types,
    list_transform(task.annotations, lambda a: try_cast(a.id::varchar as bigint)) as annotation_ids,
    {_TYPED_SUSPECT} as needs_value_check,
    {_is_int_json("task.id")}
    and (task.project is null or {_is_int_json("task.project")})
    and (task.data is null or starts_with(task.data::varchar, '{{'))  -- JSON null reads as NULL
    and {_all("task.annotations", annotation_ok, "a")}
    and {_TYPED_PREDICTIONS_OK}
    and {_all("task.drafts", draft_ok, "d")}
    as is_ok,
    coalesce(list_bool_or(list_transform(
        task.annotations, lambda a: {_suspect_items("a.result")}
    )), false)
        or coalesce(list_bool_or(list_transform(
            task.drafts, lambda d: {_suspect_items("d.result")}
        )), false) as needs_text_check,
from {source}
"""


def _typed_source(path: Path, max_object: int) -> str:
    """SQL relation (record_no, task) streaming the file's tasks, parsed by DuckDB's reader
    straight into RAW_TASK_TYPE. Raises on anything that does not fit the shape."""
    literal = sql_path_literal(path)  # never a glob: exp[1].json is that file
    return (
        "(select ordinality as record_no, task "
        f"from read_json({literal}, format = 'array', records = false, "
        f"columns = {{'task': '{RAW_TASK_TYPE}'}}, "
        f"maximum_object_size = {max_object}) with ordinality)"
    )


_TYPES_SQL = """
select result_type, count(*) as n
from (select unnest(result_types) as result_type from _concord_checked)
group by result_type
order by result_type
"""


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


def _ensure_memory_for(con: duckdb.DuckDBPyConnection, max_object: int, shown: str) -> None:
    """DuckDB reserves about 24 N bytes to parse and check a task of N bytes (measured: a 50 MB
    text needs a ~2 GB limit, ~650 MB resident). The limit is the user's (CONCORD_MEMORY_LIMIT)
    and is never raised behind their back (issue #11: a 2 GB field asked for 49 GiB): when it is
    too low, a clear error says which value loads the file."""
    wanted = 24 * max_object + 1024**3
    # the setting as written: DuckDB's current_setting rounds it ("2.1 GiB")
    setting = memory_limit()
    have = size_bytes(setting)
    if have is not None and have >= wanted:
        return
    suggested = -(-wanted // (100 * 1000**2)) * 100  # MB, rounded up to 100
    raise IngestError(
        f"a task of up to {human_bytes(max_object)} needs a DuckDB memory limit of about "
        f"{suggested}MB to be read, over CONCORD_MEMORY_LIMIT={setting}: set "
        f"CONCORD_MEMORY_LIMIT={suggested}MB to load this file",
        file=shown,
    )


@dataclass
class _Prepared:
    result: LoadResult
    table: str  # temp table holding the file's tasks: (record_no, task) or (record_no, task_json)
    shown: str
    size: int
    say: Progress | None
    started: float
    path: Path | None = None
    typed: bool = False  # the table holds (record_no, task): read by the typed reader
    max_object: int = 0
    as_project_id: int | None = None  # store the file's project under this id


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


def detect_format(path: Path, shown: str) -> str:
    """'json' (JSON or JSON_MIN: told apart after reading) or 'csv'; clear errors otherwise."""
    head = sniff(path)
    if not head:
        if path.stat().st_size == 0:
            raise ExportFormatError(
                "file is empty (0 bytes), expected a Label Studio export", file=shown
            )
        raise ExportFormatError(
            "file holds only whitespace, expected a Label Studio export", file=shown
        )
    if head.startswith(b"\x1f\x8b"):
        raise ExportFormatError(
            "gzip-compressed: decompress it first (gunzip), then ingest the .json / .csv",
            file=shown,
        )
    if head.startswith(b"PK\x03\x04"):
        raise ExportFormatError(
            "a ZIP archive (Label Studio zips some exports): unzip it and ingest the file inside",
            file=shown,
        )
    if head.startswith(b"PAR1"):
        raise ExportFormatError(
            "this is a Parquet file, not a Label Studio export "
            "(a score table? use `concord ingest scores`)",
            file=shown,
        )
    if head.startswith(b"<"):
        raise ExportFormatError(
            "this is XML, not a Label Studio export "
            "(a labeling config? use `concord ingest config PATH --project-id N`)",
            file=shown,
        )
    if head.startswith(b"{"):
        raise ExportFormatError(
            "top level is a JSON object; a Label Studio export is a JSON array of tasks "
            "(NDJSON and single tasks are not exports)",
            file=shown,
        )
    if head.startswith(b"["):
        return "json"
    first_line = head.split(b"\n", 1)[0]
    if path.suffix.lower() in (".csv", ".tsv") or (b"," in first_line and b'"' in first_line):
        return "csv"
    raise ExportFormatError(
        "not a Label Studio export: expected a JSON array of tasks or a CSV export", file=shown
    )


def _ends_with_bracket(path: Path) -> bool:
    """Does the file end with ']' (after whitespace)? DuckDB accepts an array cut after a comma."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        handle.seek(max(0, end - 4096))
        tail = handle.read()
    return tail.rstrip(b" \t\r\n").endswith(b"]")


def _check_json_envelope(path: Path, shown: str, size: int) -> None:
    if not _ends_with_bracket(path):
        located = locate_json_error(path, shown, size)
        raise located or ExportFormatError(
            "truncated JSON: the file does not end with the ']' that closes the task array",
            file=shown,
        )


def _json_source(path: Path, max_object: int) -> str:
    """SQL relation (record_no, task_json) streaming the file's array elements."""
    literal = sql_path_literal(path)  # never a glob: exp[1].json is that file
    return (
        "(select ordinality as record_no, json as task_json "
        f"from read_json_objects({literal}, format = 'array', "
        f"maximum_object_size = {max_object}) with ordinality)"
    )


_OBJECT_TOO_LARGE = re.compile(
    r'"maximum_object_size" of \d+ bytes exceeded.*?\(>(\d+) bytes\)', re.DOTALL
)
DEFAULT_MAX_OBJECT = 16 * 1024 * 1024


def _grow_object_limit(size: int, read, on_bad_json):
    """Run `read(max_object)` from a 16 MB object limit, retrying with a larger one only when a
    task is bigger (a 50 MB text field must load): DuckDB's reader buffers about twice
    `maximum_object_size`, so a file-sized limit would ask for gigabytes of memory up front.
    Returns (read's result, the limit used). Any other reader error goes to `on_bad_json`,
    which returns the exception to raise; out-of-memory is raised as it is (the command's one
    line names CONCORD_MEMORY_LIMIT)."""
    max_object = min(DEFAULT_MAX_OBJECT, size + 1)
    while True:
        try:
            return read(max_object), max_object
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.Error as err:
            too_large = _OBJECT_TOO_LARGE.search(str(err))
            if too_large and max_object < size + 1:
                needed = int(too_large.group(1))
                max_object = min(size + 1, max(max_object * 4, needed * 2))
                continue
            raise on_bad_json(err) from None


def _stage_json(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, shown: str, size: int
) -> int:
    """Stream the file's array elements into `table(record_no, task_json)`. Runs outside the
    command's transaction, so a refused attempt can be retried. Returns the object limit used."""

    def read(max_object: int) -> None:
        con.execute(
            f"create or replace temp table {table} as "
            f"select * from {_json_source(path, max_object)}"
        )

    return _grow_object_limit(
        size, read, lambda err: locate_json_error(path, shown, size) or _json_error(err, shown)
    )[1]


def _first_record(con: duckdb.DuckDBPyConnection, path: Path, shown: str, size: int):
    """The file's first array element (parsed), to tell JSON_MIN from JSON, and the object size
    limit that reading it needed."""

    def read(max_object: int):
        return con.execute(
            f"select task_json::varchar from {_json_source(path, max_object)} limit 1"
        ).fetchone()

    row, max_object = _grow_object_limit(
        size, read, lambda err: locate_json_error(path, shown, size) or _json_error(err, shown)
    )
    try:
        return (json.loads(row[0]) if row else None), max_object
    except RecursionError:
        raise _too_deep(con, row[0], 1, shown) from None


def count_tasks(path: Path) -> int:
    """How many tasks a JSON export file holds, read in the bounded memory an ingest reads it in
    (`concord ls pull` counts a snapshot before loading it)."""
    path = Path(path)
    shown = str(path)
    size = path.stat().st_size
    con = scratch()
    try:

        def read(max_object: int) -> int:
            return int(
                con.execute(f"select count(*) from {_json_source(path, max_object)}").fetchone()[0]
            )

        return _grow_object_limit(
            size, read, lambda err: locate_json_error(path, shown, size) or _json_error(err, shown)
        )[0]
    finally:
        con.close()


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


AUDIT_RECORDS = 200


def _audit_keys(con: duckdb.DuckDBPyConnection, prep: _Prepared) -> None:
    """Keys the raw task struct does not keep, found in the file's first AUDIT_RECORDS tasks, go
    into the load's notes (a newer Label Studio may add some): the typed reader drops them."""
    assert prep.path is not None
    rows = con.execute(
        f"select task_json::varchar from {_json_source(prep.path, prep.max_object)} "
        f"limit {AUDIT_RECORDS}"
    ).fetchall()
    unknown: dict[str, int] = {}

    def see(kind: str, obj) -> None:
        if isinstance(obj, dict):
            for key in obj:
                if key not in SHAPE_KEYS[kind]:
                    unknown[f"{kind}.{key}"] = unknown.get(f"{kind}.{key}", 0) + 1

    for (text,) in rows:
        try:
            task = json.loads(text)
        except RecursionError:
            continue  # nested too deep: validation names the task (value_problem)
        see("task", task)
        if not isinstance(task, dict):
            continue
        for ann in task.get("annotations") or []:
            see("annotation", ann)
            if isinstance(ann, dict):
                see("prediction", ann.get("prediction"))
                for item in ann.get("result") or []:
                    see("result", item)
        for pred in task.get("predictions") or []:
            see("prediction", pred)
            if isinstance(pred, dict):
                for item in pred.get("result") or []:
                    see("result", item)
        for draft in task.get("drafts") or []:
            see("draft", draft)
    if unknown:
        listed = ", ".join(f"{key} ({n})" for key, n in sorted(unknown.items())[:12])
        prep.result.notes.append(
            f"keys outside Label Studio 1.23.2's export schema, not kept in the raw layer "
            f"(seen in the first {len(rows)} tasks): {listed}"
        )


def _diagnose(con: duckdb.DuckDBPyConnection, prep: _Prepared, record_no: int) -> IngestError:
    """The precise error for a record the checks refused: its JSON text, diagnosed in Python."""
    if prep.typed:
        assert prep.path is not None
        row = con.execute(
            f"select task_json::varchar from {_json_source(prep.path, prep.max_object)} "
            "where record_no = ?",
            [record_no],
        ).fetchone()
    else:
        row = con.execute(
            "select task_json::varchar from _concord_checked where record_no = ?", [record_no]
        ).fetchone()
    try:
        return diagnose_task(row[0], record_no, prep.shown)
    except RecursionError:
        return _too_deep(con, row[0], record_no, prep.shown)


def _too_deep(
    con: duckdb.DuckDBPyConnection, task_json: str, record_no: int, shown: str
) -> ExportFormatError:
    """A record too deep for Python's parser, named by its task id when it has an integer one
    (DuckDB's JSON functions read the id at any depth)."""
    message = f"nested deeper than {MAX_DEPTH} levels (the limit)"
    try:
        task_id = con.execute(
            "select try_cast(json_extract_string(?::json, '$.id') as bigint) "
            "where json_type(?::json, '$.id') in ('UBIGINT', 'BIGINT')",
            [task_json, task_json],
        ).fetchone()
    except duckdb.Error:
        task_id = None
    if task_id is not None and task_id[0] is not None:
        return ExportFormatError(message, file=shown, task_id=task_id[0])
    return ExportFormatError(f"record {record_no}: {message}", file=shown)


# files up to this size get an exact error position (a Python parse, on the error path only)
LOCATE_MAX_BYTES = 64 * 1024 * 1024


def locate_json_error(path: Path, shown: str, size: int) -> ExportFormatError | None:
    """Exact position (byte, line, column, record) of the first JSON error, for files up to
    LOCATE_MAX_BYTES; runs only after DuckDB refused the file. None when nothing is found."""
    if size > LOCATE_MAX_BYTES:
        return None
    data = path.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        start = err.start + bom
        line = data[:start].count(b"\n") + 1
        return ExportFormatError(
            f"invalid UTF-8 at line {line} (exports must be UTF-8)", file=shown, offset=start
        )

    def where(pos: int) -> tuple[int, int, int]:
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return bom + len(text[:pos].encode("utf-8")), line, column

    def error(pos: int, message: str) -> ExportFormatError:
        offset, line, column = where(pos)
        return ExportFormatError(
            f"{message} (line {line}, column {column})", file=shown, offset=offset
        )

    decoder = json.JSONDecoder()
    n = len(text)

    def skip(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    i = skip(0)
    if i >= n or text[i] != "[":
        return None
    i += 1
    record = 0
    while True:
        i = skip(i)
        if i >= n:
            return error(i, f"truncated JSON: the file ends after record {record}, before ']'")
        if text[i] == "]" and record == 0:
            i += 1
            break
        record += 1
        try:
            _, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as err:
            # the data ends inside the record (a string never closed, nothing after err.pos, or a
            # \uXXXX escape the end of the file cuts short)
            cut_escape = err.msg.startswith("Invalid \\uXXXX escape") and err.pos + 6 > n
            if skip(err.pos) >= n or err.msg.startswith("Unterminated string") or cut_escape:
                return error(n, f"truncated JSON: the file ends inside record {record}")
            return error(err.pos, f"malformed JSON in record {record}: {err.msg}")
        i = skip(i)
        if i >= n:
            return error(i, f"truncated JSON: the file ends after record {record}, before ']'")
        if text[i] == ",":
            i += 1
            continue
        if text[i] == "]":
            i += 1
            break
        return error(i, f"malformed JSON after record {record}: expected ',' or ']'")
    i = skip(i)
    if i < n:
        return error(i, "malformed JSON: unexpected data after the closing ']'")
    return None


def _json_error(err: Exception, shown: str) -> ExportFormatError:
    text = str(err)
    match = _DUCKDB_JSON_ERROR.search(text)
    if match:
        why = match.group("why").strip()
        rec = match.group("rec")
        # DuckDB's record/byte numbers are approximate (relative to its buffers): say so
        near = f"DuckDB: byte {match.group('byte')} of record/value {rec}"
        if why == "unexpected end of data":
            message = f"truncated JSON ({near})"
        elif "UTF-8" in why:
            message = f"invalid UTF-8 ({near}); exports must be UTF-8"
        else:
            message = f"malformed JSON: {why} ({near})"
        return ExportFormatError(message, file=shown)
    if "Expected top-level JSON array" in text:
        return ExportFormatError("top level is not a JSON array of tasks", file=shown)
    first = text.splitlines()[0] if text else type(err).__name__
    first = re.sub(r"^[A-Za-z ]*Error: ", "", first)
    return ExportFormatError(f"cannot read as JSON: {first}", file=shown)


def _is_json_min(first, shown: str) -> bool:
    """JSON_MIN records carry annotation_id/annotator at the top and no data/annotations."""
    if not isinstance(first, dict):
        return False  # an empty array or a non-object: reported by validation
    if isinstance(first.get("data"), dict) or "annotations" in first:
        return False
    if "annotation_id" in first and "annotator" in first:
        return True
    if "id" not in first:
        keys = list(first)
        lowered = {k.lower() for k in keys}
        hint = ""
        if "score" in lowered or "prediction_id" in lowered or "task_id" in lowered:
            hint = " (a score table? use `concord ingest scores`)"
        raise ExportFormatError(
            "record 1 is neither a Label Studio task (no 'id' and 'data') nor a JSON_MIN row "
            f"(no 'annotation_id'); keys: {', '.join(sorted(keys)[:8])}{hint}",
            file=shown,
        )
    return False


def _validate(con: duckdb.DuckDBPyConnection, prep: _Prepared, project_id: int | None) -> str:
    """Check every staged record; fill result counts; return the source_format (json/snapshot)."""
    shown, result = prep.shown, prep.result
    bad = con.execute(
        "select record_no from _concord_checked where not coalesce(is_ok, false) "
        "order by record_no limit 1"
    ).fetchone()
    if bad is not None:
        raise _diagnose(con, prep, int(bad[0]))
    _check_suspect_values(con, prep)
    dup = con.execute(
        """
        select task_id, list(record_no order by record_no) as records
        from _concord_checked
        group by task_id
        having count(*) > 1
        order by min(record_no)
        limit 1
        """
    ).fetchone()
    if dup is not None:
        records = ", ".join(str(r) for r in dup[1][:5])
        raise ExportFormatError(
            f"duplicate task id (records {records})", file=shown, task_id=dup[0]
        )
    _check_annotation_ids(con, shown)
    stats = con.execute(
        """
        select
            count(*),
            coalesce(sum(n_annotations), 0),
            coalesce(sum(n_cancelled), 0),
            coalesce(sum(n_predictions), 0),
            coalesce(sum(n_drafts), 0),
            coalesce(bool_or(looks_snapshot), false),
            count(*) filter (where project_id is null),
            list(distinct project_id) filter (where project_id is not null),
        from _concord_checked
        """
    ).fetchone()
    n_tasks, n_ann, n_cancel, n_pred, n_draft, snapshot, n_no_project, projects = stats
    if n_tasks == 0:
        raise ExportFormatError("the export holds no tasks (an empty JSON array)", file=shown)
    projects = sorted(projects or [])
    if len(projects) > 1:
        raise ExportFormatError(
            f"tasks of several projects ({', '.join(map(str, projects[:5]))}) in one file; "
            "a Label Studio export holds one project: split the file",
            file=shown,
        )
    if projects and project_id is not None and projects[0] != project_id:
        raise ExportFormatError(
            f"tasks belong to project {projects[0]} but --project-id {project_id} was given",
            file=shown,
        )
    if projects and n_no_project:
        first = con.execute(
            "select task_id from _concord_checked where project_id is null "
            "order by record_no limit 1"
        ).fetchone()[0]
        raise ExportFormatError(
            f"task has no 'project' while other tasks of the file belong to project {projects[0]}",
            file=shown,
            task_id=first,
        )
    if not projects:
        if project_id is None:
            raise ExportFormatError("tasks carry no 'project' id: pass --project-id N", file=shown)
        con.execute("update _concord_checked set project_id = ?", [project_id])
        result.project_id = project_id
    else:
        result.project_id = projects[0]
    written_project = result.project_id  # the project the file's tasks were written with
    if prep.as_project_id is not None:  # the user's mapping: the task structs keep what was written
        con.execute("update _concord_checked set project_id = ?", [prep.as_project_id])
        result.project_id = prep.as_project_id
    _check_source(con, result, shown)
    _check_project_merge(con, result, written_project, shown)
    # records read from the file: tasks (JSON) or rows (JSON_MIN / CSV)
    result.n_records = int(result.counts.get("rows", n_tasks))
    counts = {"tasks": int(n_tasks)}
    if result.file_format == "json":
        counts.update(
            annotations=int(n_ann),
            skipped=int(n_cancel),
            predictions=int(n_pred),
            drafts=int(n_draft),
        )
    result.counts = {**counts, **result.counts}
    types = con.execute(_TYPES_SQL).fetchall()
    unknown = [(t, n) for t, n in types if t not in TYPED_RESULT_TYPES]
    if unknown:
        listed = ", ".join(f"{t} ({n})" for t, n in unknown)
        result.notes.append(
            f"result types without typed staging columns, kept as raw value_json: {listed}"
        )
    return "json_snapshot" if snapshot else "json"


# SQL: loads.source `other` and the parameter are the same source. Files without a known instance
# ('file:...', or loads made before the column existed) count as one source: a newer export of
# the project is normally another file.
_SAME_SOURCE = "(coalesce({other}, 'file:') = ? or (coalesce({other}, 'file:') like 'file:%' and ? like 'file:%'))"


def check_project_source(con_or_db, project_id: int, source: str, shown: str | None = None) -> None:
    """Refuse loading `project_id` from `source` when the warehouse holds it from another source
    (one line naming both). `concord ls pull` calls it before writing anything."""
    with connect(con_or_db) as con:
        migrate(con)  # ls pull writes next: the loads table with its source column
        other = con.execute(
            "select coalesce(source, 'file:(unknown)') from raw_label_studio.loads "
            "where command = ? and project_id = ? "
            f"and not {_SAME_SOURCE.format(other='source')} order by loaded_at limit 1",
            [COMMAND, project_id, source, source],
        ).fetchone()
    if other is not None:
        raise ExportFormatError(
            f"project {project_id} was loaded from {other[0]}; this load comes from "
            f"{source}: load it under another project id (--as-project-id N)",
            file=shown,
        )


def _check_reloaded_source(con: duckdb.DuckDBPyConnection, result: LoadResult, shown: str) -> None:
    """Bytes loaded before are skipped; but the same bytes named as coming from another source
    (--source) are a mistake about where the data came from, not a no-op: refused, naming both."""
    if not result.file_sha256:
        return
    source = result.source or ""
    other = con.execute(
        "select load_id, coalesce(source, 'file:(unknown)') from raw_label_studio.loads "
        "where file_sha256 = ? and command = ? "
        f"and not {_SAME_SOURCE.format(other='source')} order by loaded_at limit 1",
        [result.file_sha256, COMMAND, source, source],
    ).fetchone()
    if other is not None:
        raise ExportFormatError(
            f"these bytes were loaded from {other[1]} ({other[0]}); this load says they come "
            f"from {source}: one export has one source",
            file=shown,
        )


def _check_source(con: duckdb.DuckDBPyConnection, result: LoadResult, shown: str) -> None:
    """Label Studio ids are unique per instance only: a project id (or a task id) that already
    came from another source would silently overwrite unrelated data (issue #11). Refused, naming
    both sources."""
    source = result.source or ""
    check_project_source(con, result.project_id, source, shown)
    clash = con.execute(
        f"""
        select checked.task_id, stored.project_id, coalesce(loads.source, 'file:(unknown)')
        from _concord_checked as checked
        inner join raw_label_studio.tasks as stored
            on checked.task_id = stored.task_id
        inner join raw_label_studio.loads as loads
            on stored.load_id = loads.load_id
        where not {_SAME_SOURCE.format(other="loads.source")}
        order by checked.record_no
        limit 1
        """,
        [source, source],
    ).fetchone()
    if clash is not None:
        raise ExportFormatError(
            f"task id {clash[0]} is already stored from {clash[2]} (project {clash[1]}); this "
            f"load comes from {source}: Label Studio task ids are unique per instance only, "
            "keep each instance in its own warehouse (--db)",
            file=shown,
        )
    # Same source, but files without a known instance all count as one: a task id stored under
    # another project, or an annotation id stored in another task, is another instance's id (a
    # Label Studio task belongs to one project, an annotation to one task). Loading it would
    # silently move the stored task to the other project, or make `concord build` red on the
    # unique annotation_id test.
    other_instance = (
        "(an export from another Label Studio instance? keep each instance in its own "
        "warehouse (--db))"
    )
    moved = con.execute(
        """
        select checked.task_id, stored.project_id, checked.project_id
        from _concord_checked as checked
        inner join raw_label_studio.tasks as stored
            on checked.task_id = stored.task_id
        where stored.project_id is distinct from checked.project_id
        order by checked.record_no
        limit 1
        """
    ).fetchone()
    if moved is not None:
        raise ExportFormatError(
            f"task {moved[0]} is stored in project {moved[1]}, this load puts it in project "
            f"{moved[2]}: a Label Studio task belongs to one project {other_instance}",
            file=shown,
            task_id=moved[0],
        )
    taken = con.execute(
        """
        with new_ids as (
            select record_no, task_id, unnest(annotation_ids) as annotation_id
            from _concord_checked
        ),
        stored_ids as (
            select task_id, project_id,
                unnest(list_transform(task.annotations,
                    lambda a: try_cast(a.id::varchar as bigint))) as annotation_id
            from raw_label_studio.tasks
            where task_id not in (select task_id from _concord_checked)
        )
        select new_ids.annotation_id, new_ids.task_id, stored_ids.task_id, stored_ids.project_id
        from new_ids
        inner join stored_ids on new_ids.annotation_id = stored_ids.annotation_id
        order by new_ids.record_no
        limit 1
        """
    ).fetchone()
    if taken is not None:
        raise ExportFormatError(
            f"annotation {taken[0]} is already stored in task {taken[2]} (project {taken[3]}): "
            f"an annotation id belongs to one task {other_instance}",
            file=shown,
            task_id=taken[1],
        )


def _check_project_merge(
    con: duckdb.DuckDBPyConnection, result: LoadResult, written_project: int, shown: str
) -> None:
    """A project id holds one Label Studio project: `--as-project-id N` onto a project loaded
    from another written project (or a file's own id that an earlier mapping took) would merge two
    projects under two labeling configs. Refused. The stored task structs keep the project they
    were written with."""
    other = con.execute(
        """
        select
            coalesce(try_cast(stored.task.project::varchar as bigint), stored.project_id),
            coalesce(loads.source, 'file:(unknown)')
        from raw_label_studio.tasks as stored
        inner join raw_label_studio.loads as loads
            on stored.load_id = loads.load_id
        where stored.project_id = ?
            and coalesce(try_cast(stored.task.project::varchar as bigint), stored.project_id) <> ?
        limit 1
        """,
        [result.project_id, written_project],
    ).fetchone()
    if other is not None:
        raise ExportFormatError(
            f"project {result.project_id} already holds tasks of project {other[0]} (from "
            f"{other[1]}); this file's tasks are project {written_project}: the two would merge "
            "into one, load it under an unused id (--as-project-id N)",
            file=shown,
        )


def _check_annotation_ids(con: duckdb.DuckDBPyConnection, shown: str) -> None:
    """An annotation belongs to one task: the same annotation id in two tasks of one export is a
    broken file (staging keys annotations by id), named with both tasks."""
    dup = con.execute(
        """
        with ids as (
            select record_no, task_id, unnest(annotation_ids) as annotation_id
            from _concord_checked
        )
        select annotation_id, list(distinct task_id order by task_id)
        from ids
        where annotation_id is not null
        group by annotation_id
        having count(distinct task_id) > 1
        order by min(record_no)
        limit 1
        """
    ).fetchone()
    if dup is not None:
        tasks = dup[1]
        raise ExportFormatError(
            f"annotation {dup[0]} is in tasks {tasks[0]} and {tasks[1]}: an annotation id "
            "belongs to one task",
            file=shown,
        )


def _check_suspect_values(con: duckdb.DuckDBPyConnection, prep: _Prepared) -> None:
    """Records whose text may hold NaN / Infinity, a number that overflows to infinity or nesting
    past MAX_DEPTH (flagged by the checks' pattern) are checked exactly, in Python, one record at a
    time; the first real problem is the error."""
    suspects = con.execute(
        "select record_no, task_id from _concord_checked where needs_value_check order by record_no"
    ).fetchall()
    if not suspects:
        return
    task_of = dict(suspects)
    if prep.typed:
        assert prep.path is not None
        con.execute(
            "create or replace temp table _concord_suspects as "
            f"select record_no, task_json::varchar as text from {_json_source(prep.path, prep.max_object)} "
            "where record_no in (select record_no from _concord_checked where needs_value_check)"
        )
    else:
        con.execute(
            "create or replace temp table _concord_suspects as select record_no, "
            "task_json::varchar as text from _concord_checked where needs_value_check"
        )
    try:
        cursor = con.execute("select record_no, text from _concord_suspects order by record_no")
        while rows := cursor.fetchmany(100):
            for record_no, text in rows:
                problem = value_problem(text)
                if problem:
                    raise ExportFormatError(problem, file=prep.shown, task_id=task_of[record_no])
    finally:
        con.execute("drop table if exists _concord_suspects")


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class _NotFinite(ValueError):
    pass


def _reject_constant(token: str):
    raise _NotFinite(f"{token} is not valid JSON (NaN and Infinity are not JSON numbers)")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(f"number {text} overflows to infinity")
    return value


def value_problem(text: str) -> str | None:
    """What strict JSON refuses in one task's text that DuckDB accepted: nesting deeper than
    MAX_DEPTH, NaN / Infinity tokens, a number too large for a double. None when it is fine."""
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels (the limit)"
        elif char in "]}":
            depth -= 1
    try:
        json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NotFinite as err:
        return str(err)
    except (ValueError, RecursionError):
        return None  # not this check's business: validation reports malformed records
    return None


def _write(con: duckdb.DuckDBPyConnection, result: LoadResult, *, source_format: str) -> None:
    """Replace each task by this file's version; count new / replaced / unchanged / undeleted."""
    drop_erased_tasks(con, "_concord_checked", result)  # an erased task never comes back
    _keep_what_is_known(con, result)
    now = utc_now()
    # tasks stored before: compared struct by struct (an inner join: a first load compares nothing)
    replaced, unchanged, undeleted = con.execute(
        """
        select
            count(*) filter (where tasks.task is distinct from checked.task),
            count(*) filter (where tasks.task is not distinct from checked.task),
            count(*) filter (where tasks.is_deleted),
        from _concord_checked as checked
        inner join raw_label_studio.tasks as tasks
            on checked.task_id = tasks.task_id
        """
    ).fetchone()
    new = con.execute("select count(*) from _concord_checked").fetchone()[0] - replaced - unchanged
    con.execute(
        """
        delete from raw_label_studio.tasks
        where task_id in (select task_id from _concord_checked)
        """
    )
    # no `order by record_no`: _concord_checked is already in file order (DuckDB preserves
    # insertion order), and sorting 1M tasks ran out of the 700MB memory limit
    # (docs/benchmark.md); the plain insert streams in about 800 MB.
    con.execute(
        """
        insert into raw_label_studio.tasks (
            task_id, project_id, load_id, source_format, task, is_deleted, deleted_at, loaded_at
        )
        select task_id, project_id, ?, ?, task, false, null, ?
        from _concord_checked
        """,
        [result.load_id, source_format, now],
    )
    con.execute("insert into _concord_seen select task_id, project_id from _concord_checked")
    con.execute(
        "insert into raw_label_studio.load_tasks select ?, task_id, project_id from _concord_checked",
        [result.load_id],
    )
    result.counts.update(new=int(new), replaced=int(replaced), unchanged=int(unchanged))
    if undeleted:
        result.counts["undeleted"] = int(undeleted)


# A prediction element's id, whether the export wrote the id (sync) or the object (snapshot)
_PRED_ID = "case when json_type({p}) = 'OBJECT' then {p} ->> '$.id' else {p}::varchar end"
_IS_OBJECT = "coalesce(json_type({x}) = 'OBJECT', false)"

# the stored version's prediction object with the id the new export wrote as a bare id
_KEPT_PREDICTIONS = f"""list_transform(new_task.predictions, lambda p: case
    when {_IS_OBJECT.format(x="p")} then p
    else coalesce(list_filter(old_task.predictions, lambda q:
        {_IS_OBJECT.format(x="q")} and (q ->> '$.id') = p::varchar)[1], p)
    end)"""
# the stored `completed_by` object of the user the new export wrote as a bare id
_KEPT_ANNOTATIONS = f"""list_transform(new_task.annotations, lambda a: case
    when a.completed_by is null or {_IS_OBJECT.format(x="a.completed_by")} then a
    else struct_update(a, completed_by := coalesce(list_filter(
        list_transform(old_task.annotations, lambda o: o.completed_by), lambda c:
        {_IS_OBJECT.format(x="c")} and (c ->> '$.id') = a.completed_by::varchar)[1],
        a.completed_by))
    end)"""


def _keep_what_is_known(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    """A poorer re-export (a sync export: predictions as ids, `completed_by` as ids, no drafts)
    must not lose what the warehouse holds for the same task (issue #11): a bare prediction id
    takes the stored prediction object with that id, a bare `completed_by` the stored user object
    with that id, and a task without a `drafts` key keeps its stored drafts. What the export does
    carry replaces the stored version; what it no longer lists (a prediction, annotation or draft
    deleted in Label Studio) is dropped. The load reports each count."""
    con.execute(
        f"""
        create or replace temp table _concord_known as
        with pairs as (
            select checked.task_id, checked.task as new_task, stored.task as old_task
            from _concord_checked as checked
            inner join raw_label_studio.tasks as stored
                on checked.task_id = stored.task_id
        )
        select
            task_id,
            struct_update(
                new_task,
                predictions := {_KEPT_PREDICTIONS},
                annotations := {_KEPT_ANNOTATIONS},
                drafts := coalesce(new_task.drafts, old_task.drafts)
            ) as kept_task,
            list_transform(old_task.predictions, lambda p: {_PRED_ID.format(p="p")}) as old_prediction_ids,
            list_transform(new_task.predictions, lambda p: {_PRED_ID.format(p="p")}) as new_prediction_ids,
            list_transform(old_task.annotations, lambda a: a.id::varchar) as old_annotation_ids,
            list_transform(new_task.annotations, lambda a: a.id::varchar) as new_annotation_ids,
            list_transform(old_task.drafts, lambda d: d.id::varchar) as old_draft_ids,
            list_transform(new_task.drafts, lambda d: d.id::varchar) as new_draft_ids,
            -- the stored versions as text: an element in both whose text differs was changed
            list_transform(old_task.predictions, lambda p: p::varchar) as old_prediction_texts,
            list_transform(old_task.annotations, lambda a: a::varchar) as old_annotation_texts,
            list_transform(old_task.drafts, lambda d: d::varchar) as old_draft_texts,
        from pairs
        """
    )
    counts = con.execute(
        """
        select
            coalesce(sum(len(list_filter(kept_task.predictions, lambda p:
                list_contains(old_prediction_ids, {pred_id})
                and not list_contains(old_prediction_texts, p::varchar)))), 0) as predictions_changed,
            coalesce(sum(len(list_filter(kept_task.annotations, lambda a:
                list_contains(old_annotation_ids, a.id::varchar)
                and not list_contains(old_annotation_texts, a::varchar)))), 0) as annotations_changed,
            coalesce(sum(len(list_filter(kept_task.drafts, lambda d:
                list_contains(old_draft_ids, d.id::varchar)
                and not list_contains(old_draft_texts, d::varchar)))), 0) as drafts_changed,
            coalesce(sum(len(list_filter(old_prediction_ids, lambda i: list_contains(new_prediction_ids, i)))), 0)
                as predictions_in_both,
            coalesce(sum(len(list_filter(old_prediction_ids, lambda i: not list_contains(new_prediction_ids, i)))), 0)
                as predictions_dropped,
            coalesce(sum(len(list_filter(old_annotation_ids, lambda i: list_contains(new_annotation_ids, i)))), 0)
                as annotations_in_both,
            coalesce(sum(len(list_filter(old_annotation_ids, lambda i: not list_contains(new_annotation_ids, i)))), 0)
                as annotations_dropped,
            coalesce(sum(case when new_draft_ids is null then len(old_draft_ids) end), 0) as drafts_kept,
            coalesce(sum(case when new_draft_ids is not null then len(list_filter(old_draft_ids,
                lambda i: list_contains(new_draft_ids, i))) end), 0) as drafts_replaced,
            coalesce(sum(case when new_draft_ids is not null then len(list_filter(old_draft_ids,
                lambda i: not list_contains(new_draft_ids, i))) end), 0) as drafts_dropped,
        from _concord_known
        """.replace("{pred_id}", _PRED_ID.format(p="p"))
    ).fetchone()
    kept = con.execute(
        f"""
        select
            coalesce(sum(len(list_filter(list_zip(checked.task.predictions, known.kept_task.predictions),
                lambda z: not {_IS_OBJECT.format(x="z[1]")} and {_IS_OBJECT.format(x="z[2]")}))), 0),
            coalesce(sum(len(list_filter(list_zip(checked.task.annotations, known.kept_task.annotations),
                lambda z: not coalesce({_IS_OBJECT.format(x="z[1].completed_by")}, false)
                    and {_IS_OBJECT.format(x="z[2].completed_by")}))), 0),
        from _concord_checked as checked
        inner join _concord_known as known
            on checked.task_id = known.task_id
        """
    ).fetchone()
    con.execute(
        """
        update _concord_checked
        set task = known.kept_task
        from _concord_known as known
        where _concord_checked.task_id = known.task_id
        """
    )
    con.execute("drop table _concord_known")
    (preds_changed, anns_changed, drafts_changed, preds_both, preds_dropped, anns_both,
     anns_dropped, drafts_kept, drafts_replaced, drafts_dropped) = (int(v) for v in counts)  # fmt: skip
    preds_kept, users_kept = (int(v) for v in kept)
    if not (preds_both or anns_both or preds_dropped or anns_dropped or drafts_kept
            or drafts_replaced or drafts_dropped):  # fmt: skip
        return  # no stored version of these tasks: nothing kept, replaced or dropped
    result.notes.append(
        "kept from the warehouse (this export lacks them): "
        f"{preds_kept} prediction objects (ids only here), {users_kept} completed_by user objects, "
        f"{drafts_kept} drafts; changed by this export: {preds_changed} predictions, "
        f"{anns_changed} annotations, {drafts_changed} drafts; unchanged: "
        f"{preds_both - preds_changed} predictions, {anns_both - anns_changed} annotations, "
        f"{drafts_replaced - drafts_changed} drafts; dropped (no longer in this export): "
        f"{preds_dropped} predictions, {anns_dropped} annotations, {drafts_dropped} drafts"
    )


def _recall_snapshot_tasks(con: duckdb.DuckDBPyConnection, result: LoadResult) -> None:
    """A file loaded before, given again with --full-snapshot, still declares the project's
    complete task set: its tasks (remembered in load_tasks) count as present."""
    earlier = previous_load(con, result.file_sha256, COMMAND)
    if earlier is None:  # given twice in this command: the first copy already counts
        return
    con.execute(
        "insert into _concord_seen select task_id, project_id "
        "from raw_label_studio.load_tasks where load_id = ?",
        [earlier[0]],
    )
    row = con.execute(
        "select project_id from raw_label_studio.loads where load_id = ?", [earlier[0]]
    ).fetchone()
    result.project_id = row[0] if row else None


def _mark_absent_deleted(con: duckdb.DuckDBPyConnection, results: list[LoadResult]) -> None:
    """--full-snapshot: the project's tasks absent from every file of the command are deleted
    (files loaded before count with the tasks they held)."""
    projects = sorted({r.project_id for r in results if r.project_id is not None})
    if not projects:
        return
    now = utc_now()
    for project in projects:
        n = con.execute(
            """
            update raw_label_studio.tasks
            set is_deleted = true, deleted_at = ?
            where project_id = ?
                and not is_deleted
                and task_id not in (select task_id from _concord_seen)
            """,
            [now, project],
        ).fetchone()[0]
        last = [r for r in results if r.project_id == project][-1]
        if last.skipped:
            last.skipped_reason += f"; {int(n)} marked deleted (--full-snapshot)"
        else:
            last.counts["marked deleted"] = int(n)


# --- precise diagnosis of one bad record (a single task object, never the whole file) ----------


_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        if not _BIGINT_MIN <= value <= _BIGINT_MAX:
            return "integer beyond the 64-bit range"
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _is_int(value) -> bool:
    """An integer the warehouse can store (a BIGINT), as the SQL checks require."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and _BIGINT_MIN <= value <= _BIGINT_MAX
    )


def _completed_by_ok(value) -> bool:
    """null (imported annotations, deleted users), a user id, or a user object with an integer id
    or an email (the snapshot JSON_MIN): staging derives the annotator from these only."""
    if value is None or _is_int(value):
        return True
    return isinstance(value, dict) and (
        _is_int(value.get("id")) or isinstance(value.get("email"), str)
    )


def _check_results(items, where: str, shown: str, task_id) -> None:
    if not isinstance(items, list):
        raise ExportFormatError(
            f"{where}: 'result' must be a list, got {_kind(items)}", file=shown, task_id=task_id
        )
    for index, item in enumerate(items):
        here = f"{where}: result[{index}]"
        if not isinstance(item, dict):
            raise ExportFormatError(
                f"{here} must be an object, got {_kind(item)}", file=shown, task_id=task_id
            )
        if item.get("type") == "relation":  # links two regions: no value, no from_name
            for key in ("from_id", "to_id"):
                if not isinstance(item.get(key), str):
                    got = "none" if key not in item else _kind(item[key])
                    raise ExportFormatError(
                        f"{here}: relation needs a string '{key}' (got {got})",
                        file=shown,
                        task_id=task_id,
                    )
            continue
        if "value" not in item:
            raise ExportFormatError(f"{here} has no 'value'", file=shown, task_id=task_id)
        if not isinstance(item["value"], dict):
            raise ExportFormatError(
                f"{here}: 'value' must be an object, got {_kind(item['value'])}",
                file=shown,
                task_id=task_id,
            )
        for key in ("from_name", "type"):
            if key not in item:
                raise ExportFormatError(f"{here} has no '{key}'", file=shown, task_id=task_id)
            if not isinstance(item[key], str):
                raise ExportFormatError(
                    f"{here}: '{key}' must be a string, got {_kind(item[key])}",
                    file=shown,
                    task_id=task_id,
                )


def diagnose_task(task_json: str, record_no: int, shown: str) -> ExportFormatError:
    """The first problem of one staged record, as an error naming task id / field."""
    task = json.loads(task_json)
    if not isinstance(task, dict):
        return ExportFormatError(
            f"record {record_no} is a JSON {_kind(task)}, not a task object", file=shown
        )
    if "id" not in task:
        return ExportFormatError(f"record {record_no}: task has no 'id'", file=shown)
    task_id = task["id"]
    if not _is_int(task_id):
        return ExportFormatError(
            f"record {record_no}: task 'id' must be an integer, got {_kind(task_id)} "
            f"{json.dumps(task_id)[:40]}",
            file=shown,
        )
    project = task.get("project")
    if project is not None and not _is_int(project):
        return ExportFormatError(
            f"'project' must be an integer, got {_kind(project)}", file=shown, task_id=task_id
        )
    if task.get("data") is not None and not isinstance(task["data"], dict):
        return ExportFormatError(
            f"'data' must be an object, got {_kind(task['data'])}", file=shown, task_id=task_id
        )
    for key in ("annotations", "predictions", "drafts"):
        if task.get(key) is not None and not isinstance(task[key], list):
            return ExportFormatError(
                f"'{key}' must be a list, got {_kind(task[key])}", file=shown, task_id=task_id
            )
    try:
        for index, ann in enumerate(task.get("annotations") or []):
            if not isinstance(ann, dict):
                raise ExportFormatError(
                    f"annotations[{index}] must be an object, got {_kind(ann)}",
                    file=shown,
                    task_id=task_id,
                )
            if not _is_int(ann.get("id")):
                got = "none" if "id" not in ann else _kind(ann["id"])
                raise ExportFormatError(
                    f"annotations[{index}] has no integer 'id' (got {got})",
                    file=shown,
                    task_id=task_id,
                )
            where = f"annotation {ann['id']}"
            if not _completed_by_ok(ann.get("completed_by")):
                cb = ann["completed_by"]
                raise ExportFormatError(
                    f"{where}: 'completed_by' must be a user id, a user object or null, got "
                    f"{_kind(cb)} {json.dumps(cb)[:40]}",
                    file=shown,
                    task_id=task_id,
                )
            if "result" not in ann:
                raise ExportFormatError(f"{where} has no 'result'", file=shown, task_id=task_id)
            _check_results(ann["result"], where, shown, task_id)
            embedded = ann.get("prediction")
            if embedded is not None and not isinstance(embedded, dict):
                raise ExportFormatError(
                    f"{where}: 'prediction' must be an object, got {_kind(embedded)}",
                    file=shown,
                    task_id=task_id,
                )
        for index, pred in enumerate(task.get("predictions") or []):
            if _is_int(pred):
                continue
            if not isinstance(pred, dict):
                raise ExportFormatError(
                    f"predictions[{index}] must be an id or an object, got {_kind(pred)}",
                    file=shown,
                    task_id=task_id,
                )
            if not _is_int(pred.get("id")):
                raise ExportFormatError(
                    f"predictions[{index}] has no integer 'id'", file=shown, task_id=task_id
                )
            if "result" not in pred:
                raise ExportFormatError(
                    f"prediction {pred['id']} has no 'result'", file=shown, task_id=task_id
                )
            _check_results(pred["result"], f"prediction {pred['id']}", shown, task_id)
        for index, draft in enumerate(task.get("drafts") or []):
            if not isinstance(draft, dict):
                raise ExportFormatError(
                    f"drafts[{index}] must be an object, got {_kind(draft)}",
                    file=shown,
                    task_id=task_id,
                )
            if not _is_int(draft.get("id")):
                raise ExportFormatError(
                    f"drafts[{index}] has no integer 'id'", file=shown, task_id=task_id
                )
            if "result" not in draft:
                raise ExportFormatError(
                    f"draft {draft['id']} has no 'result'", file=shown, task_id=task_id
                )
            _check_results(draft["result"], f"draft {draft['id']}", shown, task_id)
    except ExportFormatError as err:
        return err
    return ExportFormatError("malformed task", file=shown, task_id=task_id)
