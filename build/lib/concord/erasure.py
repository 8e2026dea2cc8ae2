"""Erasure (GDPR Article 17): remove a task everywhere it went, log it without personal data,
and prove it is gone.

What one erasure does, in this order (see docs/governance.md, "Ordering"):

1. resolve the request (task ids / external ids) to tasks in `raw_label_studio.tasks` and collect
   everything that hangs off them: annotation, draft and prediction ids (predictions appear as ids
   or objects in `predictions` and as copies in `annotations[].prediction`), and the key values
   score tables use (task id, prediction id, the data field such as `ext_id`);
2. BEGIN one DuckDB transaction;
3. delete the tasks from the raw layer (their annotations, drafts, predictions and per-region
   scores live inside `task_json`), the matching external score rows, and the rows of EVERY other
   base table of the warehouse that carries one of those ids (found through
   information_schema: columns task_id, ext_id, prediction_id, annotation_id, draft_id, ...). dbt
   views follow by themselves;
4. write the log: salted hashes of the task ids, external ids and text fingerprints, the time,
   the reason, the counts of what was removed;
5. write every registered extract that held one of the tasks again, to temp files next to the
   originals, and note them in `concord_meta.pending_file_rewrites`;
6. COMMIT; then rename the temp files over the originals (atomic per file) and clear the
   pending rows. A crash between 6's commit and rename leaves the temp files and the pending rows:
   the next `concord erase`, `retention` or `verify-erasure` finishes the renames first.

Any failure before the commit rolls everything back and deletes the temp files: nothing is
half-erased. `CONCORD_FAULT_INJECT=<stage>` (stages in FAULT_STAGES) makes the run fail at that
stage; the tests use it to prove the rollback.
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from concord.governance_meta import (
    SHINGLE_WORDS,
    ensure_meta_schema,
    get_salt,
    identifier_hash,
    meta_exists,
    normalise_text,
    project_var,
    sampled_shingles,
    text_hash,
    text_words,
)
from ingest.errors import ConcordError

FAULT_STAGES = ("after_raw_delete", "after_table_deletes", "after_log", "after_extract_temp")
FAULT_ENV = "CONCORD_FAULT_INJECT"

# columns that identify rows of an erased task, mapped to which id set they hold
TASK_ID_COLUMNS = {"task_id"}
EXT_ID_COLUMNS = {"ext_id"}
PREDICTION_ID_COLUMNS = {"prediction_id", "parent_prediction_id", "embedded_prediction_id"}
ANNOTATION_ID_COLUMNS = {"annotation_id"}
DRAFT_ID_COLUMNS = {"draft_id"}

# texts shorter than this (normalised) are too common to be a fingerprint ('en', 'web_reviews')
MIN_TEXT_CHARS = 20

SKIP_SCHEMAS = ("concord_meta", "information_schema", "pg_catalog")


class ErasureError(ConcordError):
    """An erasure request that cannot be carried out; nothing was changed."""


class InjectedFault(RuntimeError):
    """Raised at a FAULT_STAGES stage when CONCORD_FAULT_INJECT names it (tests only)."""


def _fault(stage: str) -> None:
    if os.environ.get(FAULT_ENV) == stage:
        raise InjectedFault(f"injected failure at stage {stage!r}")


def ext_id_field() -> str:
    return str(project_var("concord_ext_id_field", "ext_id"))


# ---------------------------------------------------------------------------------------------
# what a task carries


@dataclass
class TaskFootprint:
    """Everything that identifies one task and what hangs off it."""

    task_id: int
    project_id: int
    ext_id: str | None
    data: dict[str, Any]
    annotation_ids: set[int] = field(default_factory=set)
    draft_ids: set[int] = field(default_factory=set)
    prediction_ids: set[int] = field(default_factory=set)
    n_annotations: int = 0
    n_drafts: int = 0
    n_predictions: int = 0
    n_region_scores: int = 0


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def task_footprint(task_id: int, project_id: int, task: dict[str, Any]) -> TaskFootprint:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    ext = data.get(ext_id_field())
    foot = TaskFootprint(
        task_id=task_id,
        project_id=project_id,
        ext_id=None if ext is None else str(ext),
        data=data,
    )
    for prediction in task.get("predictions") or []:
        pid = _as_int(prediction.get("id")) if isinstance(prediction, dict) else _as_int(prediction)
        if pid is not None:
            foot.prediction_ids.add(pid)
        if isinstance(prediction, dict):
            foot.n_region_scores += sum(
                1
                for item in prediction.get("result") or []
                if isinstance(item, dict) and item.get("score") is not None
            )
    for annotation in task.get("annotations") or []:
        if not isinstance(annotation, dict):
            continue
        aid = _as_int(annotation.get("id"))
        if aid is not None:
            foot.annotation_ids.add(aid)
        embedded = annotation.get("prediction")
        if isinstance(embedded, dict) and _as_int(embedded.get("id")) is not None:
            foot.prediction_ids.add(_as_int(embedded.get("id")))  # type: ignore[arg-type]
        parent = _as_int(annotation.get("parent_prediction"))
        if parent is not None:
            foot.prediction_ids.add(parent)
    for draft in task.get("drafts") or []:
        if isinstance(draft, dict):
            did = _as_int(draft.get("id"))
            if did is not None:
                foot.draft_ids.add(did)
            linked = _as_int(draft.get("annotation"))
            if linked is not None:
                foot.annotation_ids.add(linked)
    foot.n_annotations = len(task.get("annotations") or [])
    foot.n_drafts = len(task.get("drafts") or [])
    foot.n_predictions = len(foot.prediction_ids)
    return foot


def data_texts(data: Any) -> list[str]:
    """String leaves of task.data long enough to fingerprint (normalised >= MIN_TEXT_CHARS)."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if len(normalise_text(value)) >= MIN_TEXT_CHARS:
                out.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return out


def _raw_tasks_exist(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw_label_studio' and table_name = 'tasks'"
    ).fetchone()
    return bool(row and row[0])


def load_footprints(con: duckdb.DuckDBPyConnection, task_ids: Iterable[int]) -> list[TaskFootprint]:
    ids = sorted(set(task_ids))
    if not ids:
        return []
    rows = con.execute(
        "select task_id, project_id, to_json(task) from raw_label_studio.tasks"
        " where list_contains(?, task_id) order by task_id",
        [ids],
    ).fetchall()
    return [task_footprint(tid, pid, json.loads(tj)) for tid, pid, tj in rows]


# ---------------------------------------------------------------------------------------------
# the request


@dataclass
class ErasureRequest:
    task_ids: list[int] = field(default_factory=list)
    ext_ids: list[str] = field(default_factory=list)


def read_request_file(path: str | os.PathLike[str]) -> ErasureRequest:
    """A CSV file with a header holding `task_id` and/or `ext_id`; each row names one task."""
    name = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if "task_id" not in header and "ext_id" not in header:
                raise ErasureError(f"{name}: the header must have a task_id or ext_id column")
            request = ErasureRequest()
            for row_number, row in enumerate(reader, start=2):
                row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
                task_text = row.get("task_id", "")
                ext_text = row.get("ext_id", "")
                if not task_text and not ext_text:
                    if not any(row.values()):
                        continue
                    raise ErasureError(
                        f"{name}: line {row_number}: neither task_id nor ext_id given"
                    )
                if task_text:
                    if _as_int(task_text) is None:
                        raise ErasureError(
                            f"{name}: line {row_number}: task_id {task_text!r} is not an integer"
                        )
                    request.task_ids.append(int(task_text))
                if ext_text:
                    request.ext_ids.append(ext_text)
    except FileNotFoundError:
        raise ErasureError(f"{name}: no such file") from None
    except UnicodeDecodeError:
        raise ErasureError(f"{name}: not UTF-8 text") from None
    if not request.task_ids and not request.ext_ids:
        raise ErasureError(f"{name}: no task_id or ext_id rows")
    return request


@dataclass
class ErasureResult:
    erasure_id: str | None
    task_ids: list[int]
    already_erased: list[str]
    removed: dict[str, Any]
    rewritten_extracts: list[str]
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "would erase" if self.dry_run else "erased"
        out = []
        if self.erasure_id or (self.dry_run and self.task_ids):
            head = f"{verb} {len(self.task_ids)} task(s)"
            if self.erasure_id:
                head += f" (erasure {self.erasure_id})"
            out.append(head)
            for key in ("annotations", "drafts", "predictions", "region_scores"):
                out.append(f"  {key}: {self.removed.get(key, 0)}")
            for table, count in sorted(self.removed.get("tables", {}).items()):
                out.append(f"  {table}: {count} row(s)")
            for path in self.rewritten_extracts:
                out.append(f"  extract rewritten: {path}")
        for what in self.already_erased:
            out.append(f"already erased earlier, nothing left to remove: {what}")
        if not out:
            out.append("nothing to erase")
        return out


def _resolve(
    con: duckdb.DuckDBPyConnection, request: ErasureRequest, salt: bytes | None
) -> tuple[list[int], list[str], list[str], list[str]]:
    """Task ids to erase, ext ids with no task (score rows only), already-erased, unknown."""
    field_name = ext_id_field()
    known_hashes = _erased_hash_set(con) if salt else set()
    task_ids: set[int] = set()
    ext_without_task: list[str] = []
    already: list[str] = []
    unknown: list[str] = []
    have_raw = _raw_tasks_exist(con)
    for task_id in dict.fromkeys(request.task_ids):
        found = (
            have_raw
            and con.execute(
                "select count(*) from raw_label_studio.tasks where task_id = ?", [task_id]
            ).fetchone()[0]
        )
        if found:
            task_ids.add(task_id)
        elif salt and ("task_id", identifier_hash(salt, "task_id", task_id)) in known_hashes:
            already.append(f"task id {task_id}")
        else:
            unknown.append(f"task id {task_id}")
    for ext_id in dict.fromkeys(request.ext_ids):
        matches = (
            [
                row[0]
                for row in con.execute(
                    "select task_id from raw_label_studio.tasks"
                    " where task.data ->> ? = ?",
                    [field_name, ext_id],
                ).fetchall()
            ]
            if have_raw
            else []
        )
        if matches:
            task_ids.update(matches)
        elif _score_rows_with_ext(con, ext_id):
            ext_without_task.append(ext_id)
        elif salt and ("ext_id", identifier_hash(salt, "ext_id", ext_id)) in known_hashes:
            already.append(f"ext id {ext_id}")
        else:
            unknown.append(f"ext id {ext_id}")
    return sorted(task_ids), ext_without_task, already, unknown


def _score_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str | None]]:
    exists = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw_scores' and table_name = 'score_tables'"
    ).fetchone()[0]
    if not exists:
        return []
    return con.execute(
        "select score_table_name, key_kind, key_field from raw_scores.score_tables order by 1"
    ).fetchall()


def _score_rows_with_ext(con: duckdb.DuckDBPyConnection, ext_id: str) -> int:
    total = 0
    for name, kind, key_field in _score_tables(con):
        if kind == "data_field" and key_field == ext_id_field():
            total += con.execute(
                "select count(*) from raw_scores.score_rows"
                " where score_table_name = ? and key_value = ?",
                [name, ext_id],
            ).fetchone()[0]
    return total


# ---------------------------------------------------------------------------------------------
# deleting


@dataclass
class _Keys:
    task_ids: set[str] = field(default_factory=set)
    ext_ids: set[str] = field(default_factory=set)
    prediction_ids: set[str] = field(default_factory=set)
    annotation_ids: set[str] = field(default_factory=set)
    draft_ids: set[str] = field(default_factory=set)

    def for_column(self, column: str) -> set[str]:
        column = column.lower()
        if column in TASK_ID_COLUMNS:
            return self.task_ids
        if column in EXT_ID_COLUMNS:
            return self.ext_ids
        if column in PREDICTION_ID_COLUMNS:
            return self.prediction_ids
        if column in ANNOTATION_ID_COLUMNS:
            return self.annotation_ids
        if column in DRAFT_ID_COLUMNS:
            return self.draft_ids
        return set()


def _keys(footprints: list[TaskFootprint], extra_ext_ids: list[str]) -> _Keys:
    keys = _Keys()
    for foot in footprints:
        keys.task_ids.add(str(foot.task_id))
        if foot.ext_id is not None:
            keys.ext_ids.add(foot.ext_id)
        keys.prediction_ids.update(str(x) for x in foot.prediction_ids)
        keys.annotation_ids.update(str(x) for x in foot.annotation_ids)
        keys.draft_ids.update(str(x) for x in foot.draft_ids)
    keys.ext_ids.update(extra_ext_ids)
    return keys


def warehouse_relations(
    con: duckdb.DuckDBPyConnection, *, include_views: bool
) -> list[tuple[str, str, str]]:
    """(schema, name, table_type) of every table (and view) outside concord_meta, sorted."""
    types = ("BASE TABLE", "VIEW") if include_views else ("BASE TABLE",)
    return con.execute(
        "select table_schema, table_name, table_type from information_schema.tables"
        " where table_catalog = current_database()"
        " and table_schema not in ('concord_meta', 'information_schema', 'pg_catalog')"
        " and list_contains(?, table_type)"
        " order by 1, 2",
        [list(types)],
    ).fetchall()


def relation_columns(
    con: duckdb.DuckDBPyConnection, schema: str, table: str
) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?"
        " order by ordinal_position",
        [schema, table],
    ).fetchall()


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _delete_everywhere(
    con: duckdb.DuckDBPyConnection, footprints: list[TaskFootprint], keys: _Keys
) -> dict[str, int]:
    removed: dict[str, int] = {}
    task_ids = sorted(int(x) for x in keys.task_ids)
    if task_ids:
        n = con.execute(
            "delete from raw_label_studio.tasks where list_contains(?, task_id)", [task_ids]
        ).fetchone()[0]
        removed["raw_label_studio.tasks"] = n
    _fault("after_raw_delete")

    # external score rows: the key column means what its table's key_kind says
    n_scores = 0
    field_name = ext_id_field()
    for name, kind, key_field in _score_tables(con):
        if kind == "prediction_id":
            values = keys.prediction_ids
        elif kind == "task_id":
            values = keys.task_ids
        elif kind == "data_field":
            values = {
                str(foot.data[key_field])
                for foot in footprints
                if key_field in foot.data and foot.data[key_field] is not None
            }
            if key_field == field_name:
                values |= keys.ext_ids
        else:
            continue
        if values:
            n_scores += con.execute(
                "delete from raw_scores.score_rows"
                " where score_table_name = ? and list_contains(?, key_value)",
                [name, sorted(values)],
            ).fetchone()[0]
    if n_scores:
        removed["raw_scores.score_rows"] = n_scores

    # every other base table that carries one of the ids (dbt tables, tests' stored failures, ...)
    for schema, table, _ in warehouse_relations(con, include_views=False):
        if (schema, table) in {("raw_label_studio", "tasks"), ("raw_scores", "score_rows")}:
            continue
        predicates = []
        params: list[Any] = []
        for column, _type in relation_columns(con, schema, table):
            values = keys.for_column(column)
            if values:
                predicates.append(f"list_contains(?, cast({_qi(column)} as varchar))")
                params.append(sorted(values))
        if not predicates:
            continue
        n = con.execute(
            f"delete from {_qi(schema)}.{_qi(table)} where " + " or ".join(predicates), params
        ).fetchone()[0]
        if n:
            removed[f"{schema}.{table}"] = n
    _fault("after_table_deletes")
    return removed


def _erased_hash_set(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    if not meta_exists(con):
        return set()
    return {
        (kind, value)
        for kind, value in con.execute(
            "select identifier_kind, identifier_hash from concord_meta.erased_identifiers"
        ).fetchall()
    }


def _log(
    con: duckdb.DuckDBPyConnection,
    salt: bytes,
    erasure_id: str,
    trigger: str,
    reason: str | None,
    footprints: list[TaskFootprint],
    extra_ext_ids: list[str],
    removed: dict[str, Any],
    now: dt.datetime,
) -> None:
    hashes: set[tuple[str, str]] = set()
    shingles: set[tuple[str, str]] = set()
    erased_ids = {foot.task_id for foot in footprints}
    # a text shared with a task that stays is no fingerprint of this one: leave it out
    remaining_texts: set[str] = set()
    texts_of_erased = [t for foot in footprints for t in data_texts(foot.data)]
    if texts_of_erased and _raw_tasks_exist(con):
        wanted = {normalise_text(t) for t in texts_of_erased}
        for (data_json,) in con.execute(
            "select task.data from raw_label_studio.tasks"
            " where not list_contains(?, task_id)",
            [sorted(erased_ids)],
        ).fetchall():
            for text in data_texts(json.loads(data_json) if data_json else {}):
                norm = normalise_text(text)
                if norm in wanted:
                    remaining_texts.add(norm)
    n_shared = 0
    for foot in footprints:
        hashes.add(("task_id", identifier_hash(salt, "task_id", foot.task_id)))
        if foot.ext_id is not None:
            hashes.add(("ext_id", identifier_hash(salt, "ext_id", foot.ext_id)))
        for text in data_texts(foot.data):
            if normalise_text(text) in remaining_texts:
                n_shared += 1
                continue
            digest = text_hash(salt, text)
            hashes.add(("text", digest))
            shingles.update((digest, s) for s in sampled_shingles(salt, text))
    for ext_id in extra_ext_ids:
        hashes.add(("ext_id", identifier_hash(salt, "ext_id", ext_id)))
    removed["texts_fingerprinted"] = sum(1 for kind, _ in hashes if kind == "text")
    removed["texts_shared_with_remaining_tasks"] = n_shared
    con.execute(
        "insert into concord_meta.erasure_log values (?, ?, ?, ?, ?, ?)",
        [erasure_id, now, trigger, reason, len(footprints), json.dumps(removed, sort_keys=True)],
    )
    if hashes:
        con.executemany(
            "insert into concord_meta.erased_identifiers values (?, ?, ?) on conflict do nothing",
            [[kind, value, erasure_id] for kind, value in sorted(hashes)],
        )
    if shingles:
        con.executemany(
            "insert into concord_meta.erased_text_shingles values (?, ?) on conflict do nothing",
            [list(pair) for pair in sorted(shingles)],
        )


# ---------------------------------------------------------------------------------------------
# the pending-rename journal


def complete_pending_rewrites(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Finish extract rewrites of an erasure that committed but crashed before its renames."""
    if not meta_exists(con):
        return []
    done = []
    rows = con.execute(
        "select target_path, temp_path from concord_meta.pending_file_rewrites order by 1"
    ).fetchall()
    for target, temp in rows:
        if Path(temp).exists():
            os.replace(temp, target)
            done.append(target)
        con.execute(
            "delete from concord_meta.pending_file_rewrites where target_path = ?", [target]
        )
    return done


# ---------------------------------------------------------------------------------------------
# the entry points


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def erase_footprints(
    con: duckdb.DuckDBPyConnection,
    footprints: list[TaskFootprint],
    *,
    extra_ext_ids: list[str] | None = None,
    reason: str | None,
    trigger: str,
    extra_removed: dict[str, int] | None = None,
    extra_work: Any = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> ErasureResult:
    """Erase these tasks (and the extra ext ids' score rows) in one transaction; see module doc.

    `extra_work(con)`, when given, runs inside the transaction after the deletes and returns a
    dict of counts to add to the log (retention uses it for score rows past the window).
    """
    from concord.extracts import rewrite_extracts_without  # late: extracts imports this module

    extra_ext_ids = list(extra_ext_ids or [])
    keys = _keys(footprints, extra_ext_ids)
    summary = {
        "annotations": sum(f.n_annotations for f in footprints),
        "drafts": sum(f.n_drafts for f in footprints),
        "predictions": sum(f.n_predictions for f in footprints),
        "region_scores": sum(f.n_region_scores for f in footprints),
    }
    if dry_run:
        return ErasureResult(
            None, [f.task_id for f in footprints], [], {**summary, "tables": {}}, [], dry_run=True
        )
    complete_pending_rewrites(con)
    erasure_id = "er_" + secrets.token_hex(8)
    temp_files: list[tuple[str, str]] = []
    con.execute("begin transaction")
    try:
        ensure_meta_schema(con)
        salt = get_salt(con, create=True)
        assert salt is not None
        tables = _delete_everywhere(con, footprints, keys)
        if extra_work is not None:
            for name, count in (extra_work(con) or {}).items():
                tables[name] = tables.get(name, 0) + count
        rewritten = rewrite_extracts_without(con, keys.task_ids, erasure_id, temp_files)
        removed: dict[str, Any] = {
            **summary,
            **(extra_removed or {}),
            "tables": tables,
            "extract_rows": {path: n for path, n in rewritten.items()},
        }
        _log(
            con,
            salt,
            erasure_id,
            trigger,
            reason,
            footprints,
            extra_ext_ids,
            removed,
            now or _now(),
        )
        _fault("after_log")
        if temp_files:
            con.executemany(
                "insert into concord_meta.pending_file_rewrites values (?, ?, ?)",
                [[erasure_id, target, temp] for target, temp in temp_files],
            )
        _fault("after_extract_temp")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        for _target, temp in temp_files:
            Path(temp).unlink(missing_ok=True)
        raise
    for target, temp in temp_files:
        os.replace(temp, target)
    con.execute("delete from concord_meta.pending_file_rewrites where erasure_id = ?", [erasure_id])
    return ErasureResult(
        erasure_id,
        [f.task_id for f in footprints],
        [],
        removed,
        sorted(rewritten),
    )


def erase(
    con: duckdb.DuckDBPyConnection,
    request: ErasureRequest,
    *,
    reason: str | None = None,
    dry_run: bool = False,
) -> ErasureResult:
    """Erase the tasks a request names. Unknown ids are an error and nothing is erased."""
    if not request.task_ids and not request.ext_ids:
        raise ErasureError("give at least one --task-id, --ext-id or --from-file")
    salt = get_salt(con, create=False)
    task_ids, ext_without_task, already, unknown = _resolve(con, request, salt)
    if unknown:
        raise ErasureError(
            f"{', '.join(unknown)}: not in the warehouse and never erased; nothing was erased"
        )
    footprints = load_footprints(con, task_ids)
    if not footprints and not ext_without_task:
        return ErasureResult(None, [], already, {}, [], dry_run=dry_run)
    result = erase_footprints(
        con,
        footprints,
        extra_ext_ids=ext_without_task,
        reason=reason,
        trigger="erase",
        dry_run=dry_run,
    )
    result.already_erased = already
    return result


# ---------------------------------------------------------------------------------------------
# the ingest hook


class ErasedTasks:
    """Salted hashes of erased task ids and ext ids; ingest asks `is_erased` for every task."""

    def __init__(self, salt: bytes | None, hashes: set[tuple[str, str]]) -> None:
        self._salt = salt
        self._hashes = hashes

    def __bool__(self) -> bool:
        return bool(self._hashes)

    def is_erased(self, task_id: Any, ext_id: Any = None) -> bool:
        if not self._salt or not self._hashes:
            return False
        if task_id is not None and (
            ("task_id", identifier_hash(self._salt, "task_id", int(task_id))) in self._hashes
        ):
            return True
        return ext_id is not None and (
            ("ext_id", identifier_hash(self._salt, "ext_id", str(ext_id))) in self._hashes
        )

    def is_erased_task(self, task: dict[str, Any]) -> bool:
        """For a task object in the canonical JSON-export shape."""
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        return self.is_erased(_as_int(task.get("id")), data.get(ext_id_field()))


def erased_task_hashes(con: duckdb.DuckDBPyConnection) -> ErasedTasks:
    """What ingest needs to refuse erased tasks (empty when nothing was ever erased)."""
    salt = get_salt(con, create=False)
    if salt is None:
        return ErasedTasks(None, set())
    hashes = {
        (kind, value)
        for kind, value in con.execute(
            "select identifier_kind, identifier_hash from concord_meta.erased_identifiers"
            " where identifier_kind in ('task_id', 'ext_id')"
        ).fetchall()
    }
    return ErasedTasks(salt, hashes)


# ---------------------------------------------------------------------------------------------
# verify-erasure: look for any trace of an erased task, everywhere

INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
# types that can hold neither an id nor a text: not scanned
UNSCANNED_PREFIXES = (
    "DOUBLE", "FLOAT", "REAL", "DECIMAL", "BOOLEAN", "DATE", "TIME", "TIMESTAMP", "INTERVAL",
    "UUID", "BLOB", "BIT",
)  # fmt: skip
TASK_ID_KEYS = {"task_id", "task"}


def _task_like(name: str | None) -> bool:
    if not name:
        return False
    name = name.lower()
    return name in TASK_ID_KEYS or name.endswith("_task_id")


@dataclass
class Residue:
    where: str
    what: str
    count: int = 1

    def line(self) -> str:
        times = f" ({self.count} value(s))" if self.count > 1 else ""
        return f"residue: {self.where}: {self.what}{times}"


@dataclass
class VerifyResult:
    n_erasures: int
    n_relations: int
    n_columns: int
    n_files: int
    residues: list[Residue]
    finished_rewrites: list[str]

    @property
    def clean(self) -> bool:
        return not self.residues

    def lines(self) -> list[str]:
        out = [f"finished an interrupted extract rewrite: {p}" for p in self.finished_rewrites]
        if self.n_erasures == 0:
            out.append("no erasures logged: nothing to verify")
            return out
        out.append(
            f"scanned {self.n_relations} table(s)/view(s), {self.n_columns} column(s) and "
            f"{self.n_files} extract file(s) for {self.n_erasures} erasure(s)"
        )
        if self.clean:
            out.append("zero residue")
        else:
            out += [r.line() for r in self.residues]
            out.append(f"{len(self.residues)} location(s) still hold erased data")
        return out


class _Matcher:
    """Tests candidate values against the salted hashes of the log.

    Hashes are compared as raw HMAC digests (`hmac.digest`, OpenSSL's one-shot HMAC): the same
    numbers as `identifier_hash`, about three times cheaper, and verify-erasure computes millions.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, salt: bytes) -> None:
        self.salt = salt
        rows = con.execute(
            "select identifier_kind, identifier_hash from concord_meta.erased_identifiers"
        ).fetchall()
        self.task_ids = {bytes.fromhex(h) for k, h in rows if k == "task_id"}
        self.ext_ids = {bytes.fromhex(h) for k, h in rows if k == "ext_id"}
        self.texts = {bytes.fromhex(h) for k, h in rows if k == "text"}
        self.shingles: dict[bytes, set[bytes]] = {}
        self.shingle_owner: dict[bytes, set[bytes]] = {}
        for text_digest, shingle in con.execute(
            "select text_hash, shingle_hash from concord_meta.erased_text_shingles"
        ).fetchall():
            owner, digest = bytes.fromhex(text_digest), bytes.fromhex(shingle)
            self.shingles.setdefault(owner, set()).add(digest)
            self.shingle_owner.setdefault(digest, set()).add(owner)

    def _digest(self, kind: str, value: Any) -> bytes:
        """`identifier_hash(salt, kind, value)` as bytes."""
        return hmac.digest(self.salt, f"{kind}:{value}".encode(), "sha256")

    def task_id(self, value: Any) -> bool:
        number = _as_int(value)
        return number is not None and self._digest("task_id", number) in self.task_ids

    def string(self, value: str, task_like: bool) -> list[str]:
        found = []
        stripped = value.strip()
        if task_like and self.task_id(stripped):
            found.append("erased task id")
        if self.ext_ids and self._digest("ext_id", stripped) in self.ext_ids:
            found.append("erased ext id")
        found += self._text(value)
        return found

    def _text(self, value: str) -> list[str]:
        """The text findings of `string` (whole-text hash, else quoted shingles)."""
        if value.isascii() and len(value) < MIN_TEXT_CHARS:
            return []  # ASCII: the normalised form is never longer than the text
        words = text_words(value)
        normalised = " ".join(words) if words else normalise_text(value)
        if len(normalised) < MIN_TEXT_CHARS:
            return []
        if self._digest("text", normalised) in self.texts:
            return ["text of an erased task"]
        if self.shingle_owner and len(words) >= SHINGLE_WORDS:
            hits: dict[bytes, int] = {}
            seen: set[bytes] = set()
            for i in range(len(words) - SHINGLE_WORDS + 1):
                shingle = self._digest("shingle", " ".join(words[i : i + SHINGLE_WORDS]))
                if shingle in seen:
                    continue
                seen.add(shingle)
                for owner in self.shingle_owner.get(shingle, ()):
                    hits[owner] = hits.get(owner, 0) + 1
            if any(n * 2 >= len(self.shingles[owner]) for owner, n in hits.items()):
                return ["text of an erased task, quoted inside a longer text"]
        return []

    def walk(self, value: Any, key: str | None) -> list[str]:
        """Findings in a value: scalars, JSON text, lists and objects (recursively)."""
        if value is None or isinstance(value, bool | float):
            return []
        if isinstance(value, int):
            return ["erased task id"] if _task_like(key) and self.task_id(value) else []
        if isinstance(value, str):
            text = value.lstrip()
            if text[:1] in ("{", "["):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = None
                if isinstance(parsed, dict | list):
                    return self.walk(parsed, key)
            return self.string(value, _task_like(key))
        if isinstance(value, dict):
            found = []
            is_task = "data" in value and ("annotations" in value or "predictions" in value)
            for item_key, item in value.items():
                if is_task and item_key == "id":
                    found += ["erased task id"] if self.task_id(item) else []
                else:
                    found += self.walk(item, str(item_key))
            return found
        if isinstance(value, list | tuple):
            found = []
            for item in value:
                found += self.walk(item, key)
            return found
        return self.walk(str(value), key)

    def suspect(self, value: Any) -> bool:
        """Could `walk` find anything in a value, under ANY key? A cheap superset of `walk`:
        every integer is tested as a task id, every string as an id, ext id and text, and a
        string that is JSON also leaf by leaf. Phase 1 of the scan keeps the suspects only."""
        if value is None or isinstance(value, bool | float):
            return False
        if isinstance(value, int):
            return self.task_id(value)
        if isinstance(value, str):
            if self.string(value, True):
                return True
            if value.lstrip()[:1] in ("{", "["):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    return False
                return isinstance(parsed, dict | list) and self.suspect(parsed)
            return False
        if isinstance(value, dict):
            return any(self.suspect(item) for item in value.values())
        if isinstance(value, list | tuple):
            return any(self.suspect(item) for item in value)
        return self.suspect(str(value))


# A value is expanded into its JSON leaves in SQL only when Python's json.loads (what `walk` uses)
# parses it to the same container: it starts with { or [ after JSON whitespace, DuckDB finds it
# valid, and it holds neither a trailing comma nor a raw control character (DuckDB accepts
# `[1,]`; Python rejects both). Every other value goes to Python whole, and `suspect` decides.
_EXPANDS = (
    "(regexp_matches(v, '^[ \\t\\n\\r]*[\\[{]') and json_valid(v)"
    " and not regexp_matches(v, ',[ \\t\\n\\r]*[\\]}]')"
    " and not regexp_matches(v, '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]'))"
)
# The scalar tokens of a JSON text, left to right: a string literal (consumed whole, so nothing
# inside it is taken for a number) or a number. Object keys come out too: a superset is fine.
_JSON_TOKEN = r'"(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?'
# (value, leaf, kind): kind 0 = a string (a JSON string leaf or a whole value), 1 = an integer.
# Tokenising with a regex is ~10x cheaper than json_tree, which renders every subtree as text
# (and runs out of memory on raw task structs at 100k tasks).
_LEAVES_SQL = """
with

vals as (
    select {expr} as v from {relation} where {column} is not null
),

classified as (
    select v, {expands} as expands from vals
),

tokens as (
    select v, unnest(regexp_extract_all(v, '{token}')) as token from classified where expands
),

leaves as (
    select v, v as leaf, 0 as kind from classified where not expands
    union all
    select
        v,
        case
            when token[1] != '"' then token
            when contains(token, '\\') then json_extract_string(token, '$')
            else token[2:-2]
        end,
        case when token[1] = '"' then 0 else 1 end
    from tokens
    where token[1] = '"' or regexp_full_match(token, '-?[0-9]+')
)
""".replace("{token}", _JSON_TOKEN)


@dataclass
class _Column:
    col_id: int
    relation: int
    schema: str
    table: str
    column: str
    integer: bool
    expr: str
    container: bool = False  # a struct, list or map: to_json makes an object or array

    @property
    def qualified(self) -> str:
        return f"{_qi(self.schema)}.{_qi(self.table)}"

    @property
    def where(self) -> str:
        return f"{self.schema}.{self.table}.{self.column}"

    def leaves_sql(self) -> str:
        # to_json of a struct, list or map is always a valid object or array; any other value
        # (text, JSON, an enum: to_json makes a JSON string) is tested
        expands = "true" if self.container else _EXPANDS
        return _LEAVES_SQL.format(
            expr=self.expr, relation=self.qualified, column=_qi(self.column), expands=expands
        )


def _scan_columns(
    con: duckdb.DuckDBPyConnection, relation: int, schema: str, table: str, first_id: int
) -> tuple[int, list[_Column]]:
    """(number of columns counted as scanned, the columns to collect) of one relation, by the
    same type rules as always: task-like integer columns; text, JSON, list, struct, ...."""
    n_columns = 0
    columns = []
    for column, data_type in relation_columns(con, schema, table):
        upper = data_type.upper()
        if upper in INTEGER_TYPES:
            n_columns += 1
            if _task_like(column):
                columns.append(
                    _Column(first_id + len(columns), relation, schema, table, column, True, "")
                )
            continue
        if upper.startswith(UNSCANNED_PREFIXES):
            continue
        n_columns += 1
        text = upper in ("VARCHAR", "JSON")
        container = upper.startswith(("STRUCT", "MAP")) or upper.endswith("]")
        expr = (
            f"cast({_qi(column)} as varchar)"
            if text
            else f"cast(to_json({_qi(column)}) as varchar)"
        )
        columns.append(
            _Column(
                first_id + len(columns), relation, schema, table, column, False, expr, container
            )
        )
    return n_columns, columns


def _collect(con: duckdb.DuckDBPyConnection, col: _Column) -> None:
    """Phase 1: the distinct leaves of one column into the temp table `_verify_leaves`."""
    if col.integer:
        con.execute(
            f"insert into _verify_leaves select distinct {col.col_id}, cast({_qi(col.column)}"
            f" as varchar), 1 from {col.qualified} where {_qi(col.column)} is not null"
        )
        return
    con.execute(
        f"insert into _verify_leaves {col.leaves_sql()}"
        f" select distinct {col.col_id}, leaf, kind from leaves"
    )


# leaf text per partition of the global distinct: its hash table must fit the memory limit
# (one `group by` over all leaves of a 1M-task warehouse ran out of memory under 600MB)
_PARTITION_BYTES = 48 * 2**20


def _suspect_leaves(con: duckdb.DuckDBPyConnection, matcher: _Matcher, batch: int = 20_000) -> int:
    """Hash every distinct leaf of the warehouse ONCE (streamed) and keep the suspects in
    `_verify_hits`; returns how many. The distinct runs per hash partition of the leaves."""
    # on `con` itself: temp tables are private to a connection (a cursor is another one)
    (n_bytes,) = con.execute("select coalesce(sum(strlen(leaf)), 0) from _verify_leaves").fetchone()
    n_parts = 1 + int(n_bytes) // _PARTITION_BYTES
    hits: list[tuple[str, int]] = []
    for part in range(n_parts):
        con.execute(
            "select leaf, kind from _verify_leaves where hash(leaf) % ? = ? group by leaf, kind",
            [n_parts, part],
        )
        while rows := con.fetchmany(batch):
            for leaf, kind in rows:
                if matcher.task_id(int(leaf)) if kind == 1 else matcher.suspect(leaf):
                    hits.append((leaf, kind))
    if hits:
        con.executemany("insert into _verify_hits values (?, ?)", hits)
    return len(hits)


def _locate(con: duckdb.DuckDBPyConnection, matcher: _Matcher, col: _Column) -> list[Residue]:
    """Phase 2, for a column holding a suspect leaf: the distinct values holding one, judged by
    `walk` exactly as a full scan would (same findings, same counts of distinct values)."""
    if col.integer:
        (hits,) = con.execute(
            f"select count(distinct {_qi(col.column)}) from {col.qualified}"
            f" where cast({_qi(col.column)} as varchar) in"
            " (select leaf from _verify_hits where kind = 1)"
        ).fetchone()
        return [Residue(col.where, "erased task id", hits)] if hits else []
    found: dict[str, int] = {}
    for (value,) in con.execute(
        f"{col.leaves_sql()} select distinct leaves.v from leaves semi join _verify_hits"
        " on leaves.leaf = _verify_hits.leaf and leaves.kind = _verify_hits.kind"
    ).fetchall():
        for what in set(matcher.walk(value, col.column)):
            found[what] = found.get(what, 0) + 1
    return [Residue(col.where, what, n) for what, n in sorted(found.items())]


def _scan_relations(
    con: duckdb.DuckDBPyConnection, matcher: _Matcher, relations: list[tuple[str, str, str]]
) -> tuple[int, list[Residue]]:
    """Every table and view: distinct leaves collected in DuckDB (phase 1), each distinct leaf
    hashed once in Python, then only the columns holding a suspect leaf located (phase 2)."""
    con.execute(
        "create or replace temp table _verify_leaves (col_id integer, leaf varchar, kind tinyint)"
    )
    con.execute("create or replace temp table _verify_hits (leaf varchar, kind tinyint)")
    try:
        columns: list[_Column] = []
        broken: dict[int, Residue] = {}
        n_columns = 0
        for index, (schema, table, _type) in enumerate(relations):
            try:
                n, cols = _scan_columns(con, index, schema, table, len(columns))
                for col in cols:
                    _collect(con, col)
            except duckdb.Error as err:  # a broken view proves nothing: say so, do not pass
                first_line = str(err).splitlines()[0]
                broken[index] = Residue(f"{schema}.{table}", f"could not be scanned ({first_line})")
                con.execute("delete from _verify_leaves where col_id >= ?", [len(columns)])
                continue
            n_columns += n
            columns += cols
        residues: dict[int, list[Residue]] = {i: [r] for i, r in broken.items()}
        if _suspect_leaves(con, matcher):
            flagged = {
                col_id
                for (col_id,) in con.execute(
                    "select distinct col_id from _verify_leaves semi join _verify_hits"
                    " on _verify_leaves.leaf = _verify_hits.leaf"
                    " and _verify_leaves.kind = _verify_hits.kind"
                ).fetchall()
            }
            for col in columns:
                if col.col_id in flagged:
                    residues.setdefault(col.relation, []).extend(_locate(con, matcher, col))
    finally:
        con.execute("drop table if exists _verify_leaves")
        con.execute("drop table if exists _verify_hits")
    return n_columns, [r for index in sorted(residues) for r in residues[index]]


def verify_erasure(
    con: duckdb.DuckDBPyConnection,
    *,
    extract_dirs: Iterable[str | os.PathLike[str]] = (),
    finish_pending: bool = True,
) -> VerifyResult:
    """Scan every table and view and every extract file for erased ids and texts.

    With `finish_pending` (the default) extract rewrites of a committed erasure that crashed
    before its renames are finished first; read-only callers (`concord check`) pass False and
    see the unfinished files as residue.
    """
    from concord.extracts import extract_data_files, read_extract_rows, registered_extract_dirs

    finished = complete_pending_rewrites(con) if finish_pending else []
    salt = get_salt(con, create=False)
    n_erasures = (
        con.execute("select count(*) from concord_meta.erasure_log").fetchone()[0] if salt else 0
    )
    if not salt or not n_erasures:
        return VerifyResult(0, 0, 0, 0, [], finished)
    matcher = _Matcher(con, salt)
    relations = warehouse_relations(con, include_views=True)
    n_columns, residues = _scan_relations(con, matcher, relations)
    dirs = list(dict.fromkeys([*registered_extract_dirs(con), *(str(d) for d in extract_dirs)]))
    n_files = 0
    for directory in dirs:
        for path in extract_data_files(directory):
            n_files += 1
            for row_number, row in enumerate(read_extract_rows(path), start=1):
                for column, value in row.items():
                    for what in sorted(set(matcher.walk(value, column))):
                        residues.append(Residue(f"{path}: row {row_number}, column {column}", what))
    return VerifyResult(int(n_erasures), len(relations), n_columns, n_files, residues, finished)


def drop_erased_tasks(con: duckdb.DuckDBPyConnection, staged_table: str, result: Any) -> int:
    """Ingest hook: delete erased tasks from a staged batch (`task_id`, `task` columns)
    before it is written, and report them on the LoadResult (`counts`, `notes`).

    An erased task never comes back, whatever older export is loaded later: it is matched by its
    task id or by its external id (the same person's item imported again as a new task).
    """
    erased = erased_task_hashes(con)
    if not erased:
        return 0
    rows = con.execute(
        f"select task_id, task.data ->> ? from {staged_table}", [ext_id_field()]
    ).fetchall()
    dropped = sorted({task_id for task_id, ext in rows if erased.is_erased(task_id, ext)})
    if not dropped:
        return 0
    con.execute(f"delete from {staged_table} where list_contains(?, task_id)", [dropped])
    result.counts["skipped erased"] = len(dropped)
    shown = ", ".join(str(t) for t in dropped[:20]) + (", ..." if len(dropped) > 20 else "")
    result.notes.append(
        f"{len(dropped)} task(s) skipped: erased earlier (concord_meta.erasure_log): task ids {shown}"
    )
    return len(dropped)
