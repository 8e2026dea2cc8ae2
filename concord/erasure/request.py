"""Erasure requests: what a request names, resolved to tasks and everything that hangs off them.

An erasure (see concord/erasure/__init__.py for the order of its steps) starts here: the ids of a
request are resolved against `raw_label_studio.tasks`, and each task's footprint (annotation,
draft and prediction ids, its ext id and the free-text values to fingerprint) is read with SQL, so
no task's shape (5,000-deep nesting, huge strings, odd types) can stop the erasure of another.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from concord.governance_meta import meta_exists, project_var
from ingest.erased import identifier_hash
from ingest.errors import ConcordError

FAULT_STAGES = ("after_raw_delete", "after_table_deletes", "after_log", "after_extract_temp")
FAULT_ENV = "CONCORD_FAULT_INJECT"

# columns that identify rows of an erased task, mapped to which id set they hold
TASK_ID_COLUMNS = {"task_id"}
EXT_ID_COLUMNS = {"ext_id"}
PREDICTION_ID_COLUMNS = {"prediction_id", "parent_prediction_id", "embedded_prediction_id"}
ANNOTATION_ID_COLUMNS = {"annotation_id"}
DRAFT_ID_COLUMNS = {"draft_id"}
# an annotator email whose only tasks are erased goes too (dim_annotators keeps one row per
# annotator, with no task id to match)
EMAIL_COLUMNS = {"annotator_email", "user_email", "email"}

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
    data: dict[str, Any] = field(default_factory=dict)  # top-level scalar data fields (as text)
    annotation_ids: set[int] = field(default_factory=set)
    draft_ids: set[int] = field(default_factory=set)
    prediction_ids: set[int] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)  # free-text values: data, TextArea, spans
    emails: set[str] = field(default_factory=set)  # annotators and draft authors
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


# The string leaves of a JSON text, left to right (object keys come out as `"key":` and are
# dropped). A regex instead of json.loads in Python: a task nested 5,000 deep made every erasure
# and retention run fail with a RecursionError, whatever task it was for.
STRING_TOKEN = r'"(?:[^"\\]|\\.)*"(?:[ \t\n\r]*:)?'


def string_leaves_sql(json_text: str) -> str:
    """SQL: the list of decoded string values (no keys) in the JSON text `json_text`."""
    return (
        f"list_transform(list_filter(regexp_extract_all({json_text}, '{STRING_TOKEN}'),"
        " lambda tok: not ends_with(tok, ':')),"
        " lambda tok: case when contains(tok, '\\') then json_extract_string(tok, '$')"
        " else tok[2:-2] end)"
    )


# the values of a task that are personal data beyond its ids: task data strings, the free text of
# annotations and drafts (TextArea text, span text) and the annotators' and draft authors' emails
_FREE_TEXT_DOC = """cast(to_json({
    'data': task.data,
    'annotations': list_transform(
        coalesce(task.annotations, []),
        lambda a: list_transform(coalesce(a.result, []), lambda r: r.value -> '$.text')
    ),
    'drafts': list_transform(
        coalesce(task.drafts, []),
        lambda d: list_transform(coalesce(d.result, []), lambda r: r.value -> '$.text')
    )
}) as varchar)"""

_EMAILS = """list_filter(
    list_concat(
        list_transform(coalesce(task.annotations, []), lambda a: a.completed_by ->> '$.email'),
        list_transform(coalesce(task.drafts, []), lambda d: d."user")
    ),
    lambda e: e is not null and contains(e, '@')
)"""

# the ids that hang off a task, as one shallow JSON document (never the task itself)
_IDS_DOC = """to_json({
    'annotation_ids': list_transform(coalesce(task.annotations, []), lambda a: a.id),
    'embedded_predictions': list_transform(coalesce(task.annotations, []), lambda a: a.prediction.id),
    'parent_predictions': list_transform(
        coalesce(task.annotations, []), lambda a: a.parent_prediction
    ),
    'draft_ids': list_transform(coalesce(task.drafts, []), lambda d: d.id),
    'draft_annotations': list_transform(coalesce(task.drafts, []), lambda d: d.annotation),
    'predictions': list_transform(
        coalesce(task.predictions, []),
        lambda p: case when json_type(p) = 'OBJECT' then p -> '$.id' else p end
    ),
    'region_scores': list_transform(
        coalesce(task.predictions, []),
        lambda p: case
            when json_type(p) = 'OBJECT' and json_type(p, '$.result') = 'ARRAY'
                then len(list_filter(
                    json_extract(p, '$.result[*].score'), lambda s: json_type(s) != 'NULL'
                ))
            else 0
        end
    ),
    'n_annotations': len(coalesce(task.annotations, [])),
    'n_drafts': len(coalesce(task.drafts, []))
})"""


def _footprint(task_id: int, project_id: int, ext: Any, ids_json: str) -> TaskFootprint:
    ids = json.loads(ids_json)
    foot = TaskFootprint(task_id, project_id, None if ext is None else str(ext))
    foot.annotation_ids = {x for x in map(_as_int, ids["annotation_ids"]) if x is not None}
    foot.annotation_ids |= {x for x in map(_as_int, ids["draft_annotations"]) if x is not None}
    foot.draft_ids = {x for x in map(_as_int, ids["draft_ids"]) if x is not None}
    for key in ("predictions", "embedded_predictions", "parent_predictions"):
        foot.prediction_ids |= {x for x in map(_as_int, ids[key] or []) if x is not None}
    foot.n_region_scores = sum(n or 0 for n in ids["region_scores"])
    foot.n_annotations = ids["n_annotations"]
    foot.n_drafts = ids["n_drafts"]
    foot.n_predictions = len(foot.prediction_ids)
    return foot


def _raw_tasks_exist(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw_label_studio' and table_name = 'tasks'"
    ).fetchone()
    return bool(row and row[0])


def load_footprints(
    con: duckdb.DuckDBPyConnection, task_ids: Iterable[int], data_fields: Iterable[str] = ()
) -> list[TaskFootprint]:
    """The footprints of these tasks, read with SQL (see the module doc). `data_fields`: the
    top-level data fields whose values score tables use as keys (kept in `foot.data`)."""
    ids = sorted(set(task_ids))
    if not ids:
        return []
    fields = sorted(set(data_fields))
    rows = con.execute(
        f"""
        select
            task_id, project_id, task.data ->> ?, {_IDS_DOC},
            {string_leaves_sql(_FREE_TEXT_DOC)}, {_EMAILS},
            [task.data ->> f for f in ?]
        from raw_label_studio.tasks
        where list_contains(?, task_id)
        order by task_id
        """,
        [ext_id_field(), fields, ids],
    ).fetchall()
    out = []
    for task_id, project_id, ext, ids_json, leaves, emails, field_values in rows:
        foot = _footprint(task_id, project_id, ext, ids_json)
        foot.texts = [t for t in dict.fromkeys(leaves) if t.strip()]
        foot.emails = {e.strip().lower() for e in emails}
        foot.data = {f: v for f, v in zip(fields, field_values, strict=True) if v is not None}
        out.append(foot)
    return out


def texts_of_other_tasks(
    con: duckdb.DuckDBPyConnection, erased_ids: list[int], texts: Iterable[str]
) -> set[str]:
    """Which of `texts` (free-text values of erased tasks) a task that stays also holds, in the
    same places: those are no fingerprint of the erased tasks. Exact equality, in SQL."""
    wanted = sorted(set(texts))
    if not wanted or not _raw_tasks_exist(con):
        return set()
    return {
        row[0]
        for row in con.execute(
            f"""
            with leaves as (
                select unnest({string_leaves_sql(_FREE_TEXT_DOC)}) as leaf
                from raw_label_studio.tasks
                where not list_contains(?, task_id)
            )
            select distinct leaf from leaves where list_contains(?, leaf)
            """,
            [erased_ids, wanted],
        ).fetchall()
    }


def emails_of_other_tasks(
    con: duckdb.DuckDBPyConnection, erased_ids: list[int], emails: Iterable[str]
) -> set[str]:
    """Which annotator emails of erased tasks another task still has: the task is not their
    only source, so they stay (and are not logged as erased)."""
    wanted = sorted(set(emails))
    if not wanted or not _raw_tasks_exist(con):
        return set()
    return {
        row[0]
        for row in con.execute(
            f"""
            with emails as (
                select lower(trim(unnest({_EMAILS}))) as email
                from raw_label_studio.tasks
                where not list_contains(?, task_id)
            )
            select distinct email from emails where list_contains(?, email)
            """,
            [erased_ids, wanted],
        ).fetchall()
    }


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
    # the plaintext values erased, for the byte check after the compaction (memory only)
    erased_values: list[str] = field(default_factory=list, repr=False)

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
    con: duckdb.DuckDBPyConnection, request: ErasureRequest, key: bytes | None
) -> tuple[list[int], list[str], list[str], list[str]]:
    """Task ids to erase, ext ids with no task (score rows only), already-erased, unknown."""
    field_name = ext_id_field()
    known_hashes = _erased_hash_set(con) if key else set()
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
        elif key and ("task_id", identifier_hash(key, "task_id", task_id)) in known_hashes:
            already.append(f"task id {task_id}")
        else:
            unknown.append(f"task id {task_id}")
    for ext_id in dict.fromkeys(request.ext_ids):
        matches = (
            [
                row[0]
                for row in con.execute(
                    "select task_id from raw_label_studio.tasks where task.data ->> ? = ?",
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
        elif key and ("ext_id", identifier_hash(key, "ext_id", ext_id)) in known_hashes:
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


def _erased_hash_set(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    if not meta_exists(con):
        return set()
    return {
        (kind, value)
        for kind, value in con.execute(
            "select identifier_kind, identifier_hash from concord_meta.erased_identifiers"
        ).fetchall()
    }


def warehouse_relations(
    con: duckdb.DuckDBPyConnection, *, include_views: bool, catalog: str | None = None
) -> list[tuple[str, str, str]]:
    """(schema, name, table_type) of every table (and view) outside concord_meta, sorted; of the
    warehouse, or of the attached database `catalog`."""
    types = ("BASE TABLE", "VIEW") if include_views else ("BASE TABLE",)
    return con.execute(
        "select table_schema, table_name, table_type from information_schema.tables"
        " where table_catalog = coalesce(?, current_database())"
        " and table_schema not in ('concord_meta', 'information_schema', 'pg_catalog')"
        " and list_contains(?, table_type)"
        " order by 1, 2",
        [catalog, list(types)],
    ).fetchall()


def relation_columns(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, catalog: str | None = None
) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = coalesce(?, current_database()) and table_schema = ?"
        " and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
