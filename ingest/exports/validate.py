"""The checks an export must pass before anything is written.

The vectorised SQL checks of every task (`_check_sql` on JSON text, `_typed_check_sql` on the
struct the typed reader produced) flag each record ok or not; `_validate` then turns the first
refused record into a precise error (`_diagnose`, via `ingest.exports.diagnose`) and checks what
spans records or loads: duplicate ids, one project per file, the source of a project / task /
annotation id (`check_project_source`, `_check_source`), project merges, and the exact value check
of records whose text looks suspect (NaN, overflow, deep nesting).
"""

from __future__ import annotations

import duckdb

from ingest.errors import ExportFormatError, IngestError
from ingest.exports.detect import _json_source, _Prepared
from ingest.exports.diagnose import _too_deep, diagnose_task, value_problem
from ingest.exports.rules import _INT, _is_int_json, rules_sql
from ingest.exports.write import COMMAND
from ingest.loading import MAX_DEPTH, LoadResult, connect
from ingest.warehouse import migrate

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


_ITEM = '{"from_name": "JSON", "type": "JSON", "value": "JSON", "from_id": "JSON", "to_id": "JSON"}'


# the parts of a task that validation needs, parsed in ONE json_transform per task (missing keys
# and wrong shapes come out as NULL; non-object list elements as all-NULL structs). Sub-documents
# are not copied out (only "data" and an annotation's "prediction", to check they are objects):
# the pass stays close to one parse. Every key a rule of ingest.exports.rules names is here.
_SHAPE = (
    '{"id": "JSON", "project": "JSON", "data": "JSON", '
    '"annotations": [{"id": "JSON", "completed_by": "JSON", "was_cancelled": "JSON", '
    f'"result": [{_ITEM}], "prediction": "JSON"}}], '
    f'"predictions": [{{"id": "JSON", "result": [{_ITEM}]}}], '
    f'"drafts": [{{"id": "JSON", "result": [{_ITEM}]}}]}}'
)


def _all(items: str, condition: str, var: str) -> str:
    return f"coalesce(list_bool_and(list_transform({items}, lambda {var}: {condition})), true)"


# the checks of each part of a task come from the rule table (ingest.exports.rules)
_ANNOTATION_OK = rules_sql("annotation", "a")


# a prediction is an id (sync export: an all-NULL struct here) or an object with id and result
_PREDICTION_OK = f"(q.id is null and q.result is null) or ({rules_sql('prediction', 'q')})"


# the all-NULL elements must really be integer ids: checked on the raw task, only where present
_PREDICTION_IDS_OK = (
    "case when coalesce(list_bool_or(list_transform(s.predictions, "
    "lambda q: q.id is null and q.result is null)), false) then "
    "len(list_filter(json_type(task_json, '$.predictions[*]'), "
    f"lambda t: t not in {_INT})) "
    "= len(list_filter(s.predictions, lambda q: not (q.id is null and q.result is null))) "
    "else true end"
)


_DRAFT_OK = rules_sql("draft", "d")


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
    case when {_is_int_json("s.id")} then s.id::varchar::bigint end as task_id,
    case when {_is_int_json("s.project")} then s.project::varchar::bigint end as project_id,
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
    {rules_sql("task", "s")}
    and {_all("s.annotations", _ANNOTATION_OK, "a")}
    and {_all("s.predictions", _PREDICTION_OK, "q")}
    and {_PREDICTION_IDS_OK}
    and {_all("s.drafts", _DRAFT_OK, "d")}
    as is_ok,
from parsed
"""


# --- the fast path: checks on the typed struct the reader produced ----------------------------


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
        rules_sql("prediction", "q"),
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
    annotation_ok = f"a is not null and {rules_sql('annotation', 'a', typed=True)}"
    draft_ok = f"d is not null and {rules_sql('draft', 'd', typed=True)}"
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
    {rules_sql("task", "task", typed=True)}
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


_TYPES_SQL = """
select result_type, count(*) as n
from (select unnest(result_types) as result_type from _concord_checked)
group by result_type
order by result_type
"""


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
