"""Deleting an erased task everywhere, in one transaction, and logging it without personal data.

The steps of one erasure, in order (docs/governance.md, "Ordering"):

1. resolve the request to tasks and read their footprints (concord/erasure/request.py);
2. BEGIN one DuckDB transaction;
3. delete the tasks from the raw layer, the matching external score rows, and the rows of EVERY
   other base table that carries one of their ids (found through information_schema);
4. write the log: HMAC hashes (key outside the warehouse file: ingest/erased.py) of the task ids,
   ext ids, prediction ids, score-table keys, annotator emails and free-text fingerprints;
5. write every registered extract that held one of the tasks again, to temp files, noted in
   `concord_meta.pending_file_rewrites`, and note the owed compaction in
   `concord_meta.pending_compaction`;
6. COMMIT; rename the extract temp files (fsynced, then their directory) and clear their rows;
7. compact: copy the live data into a fresh file and swap it in (concord/erasure/journal.py),
   so no byte of an erased value stays in the DuckDB file, its WAL or the spill directory;
   publish the analyst snapshot again (`concord_meta.pending_publish`, concord/publish.py); then
   check the files byte by byte for the erased values (`ErasureOutcome`).

Any failure before the commit rolls everything back and deletes the temp files. A crash after
the commit is finished by the next command of any kind (journal.recover).
`CONCORD_FAULT_INJECT=<stage>` (stages in FAULT_STAGES) makes the run fail at that stage.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

import duckdb

from concord.erasure import journal
from concord.erasure.request import (
    ANNOTATION_ID_COLUMNS,
    DRAFT_ID_COLUMNS,
    EMAIL_COLUMNS,
    EXT_ID_COLUMNS,
    MIN_TEXT_CHARS,
    PREDICTION_ID_COLUMNS,
    TASK_ID_COLUMNS,
    ErasureError,
    ErasureRequest,
    ErasureResult,
    TaskFootprint,
    _fault,
    _resolve,
    _score_tables,
    emails_of_other_tasks,
    ext_id_field,
    load_footprints,
    relation_columns,
    texts_of_other_tasks,
    warehouse_relations,
)
from concord.governance_meta import (
    ensure_meta_schema,
    normalise_text,
    sampled_shingles,
    text_hash,
)
from ingest.erased import (
    EXT_FIELD_SETTING,
    identifier_hash,
    project_sources,
    warehouse_key,
    warehouse_path,
)
from ingest.warehouse import quote_identifier as _qi

# ---------------------------------------------------------------------------------------------
# deleting


@dataclass
class _Keys:
    task_ids: set[str] = field(default_factory=set)
    ext_ids: set[str] = field(default_factory=set)
    prediction_ids: set[str] = field(default_factory=set)
    annotation_ids: set[str] = field(default_factory=set)
    draft_ids: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)  # lower-cased, trimmed; only-source ones

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
        if column in EMAIL_COLUMNS:
            return self.emails
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
                value = f"cast({_qi(column)} as varchar)"
                if column.lower() in EMAIL_COLUMNS:
                    value = f"lower(trim({value}))"
                predicates.append(f"list_contains(?, {value})")
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


def _log(
    con: duckdb.DuckDBPyConnection,
    key: bytes,
    erasure_id: str,
    trigger: str,
    reason: str | None,
    footprints: list[TaskFootprint],
    extra_ext_ids: list[str],
    removed: dict[str, Any],
    now: dt.datetime,
    score_keys: list[tuple[str, str]],
) -> list[str]:
    """Write the log rows; return the plaintext values erased (for the byte check after the
    compaction: kept in memory only, never written)."""
    hashes: set[tuple[str, str]] = set()
    shingles: set[tuple[str, str]] = set()
    erased_ids = sorted(foot.task_id for foot in footprints)
    # a value shared with a task that stays is no fingerprint of this one: leave it out
    all_texts = [t for foot in footprints for t in foot.texts]
    shared_texts = texts_of_other_tasks(con, erased_ids, all_texts)
    shared_emails = emails_of_other_tasks(
        con, erased_ids, [e for foot in footprints for e in foot.emails]
    )
    plaintext: set[str] = set()
    n_shared = 0
    ext_field = ext_id_field()
    sources = project_sources(con)  # None before `raw_label_studio.loads.source` existed
    for foot in footprints:
        hashes.add(("task_id", identifier_hash(key, "task_id", foot.task_id)))
        if sources is not None:
            # the same (project, task) id from another source is another task: not blocked
            scoped = f"{sources.get(foot.project_id, 'file')}|{foot.task_id}"
            hashes.add(("source_task", identifier_hash(key, "source_task", scoped)))
        if foot.ext_id is not None:
            hashes.add(("ext_id", identifier_hash(key, "ext_id", foot.ext_id)))
            plaintext.add(foot.ext_id)
        for pid in foot.prediction_ids:
            hashes.add(("prediction_id", identifier_hash(key, "prediction_id", pid)))
        for kind, field_name in score_keys:
            # (a table keyed by the ext-id field is covered by the ext_id hash above)
            if kind == "data_field" and field_name in foot.data and field_name != ext_field:
                identifier = f"data.{field_name}"
                hashes.add((identifier, identifier_hash(key, identifier, foot.data[field_name])))
        for email in foot.emails - shared_emails:
            hashes.add(("email", identifier_hash(key, "email", email)))
            plaintext.add(email)
        for text in foot.texts:
            # the compaction removes every erased value; only texts long enough to identify a
            # task are fingerprinted and byte-checked ('Brazil' occurs inside other live texts)
            if len(normalise_text(text)) < MIN_TEXT_CHARS:
                continue
            if text in shared_texts:
                n_shared += 1
                continue
            digest = text_hash(key, text)
            hashes.add(("text", digest))
            shingles.update((digest, s) for s in sampled_shingles(key, text))
            plaintext.add(text)
    for ext_id in extra_ext_ids:
        hashes.add(("ext_id", identifier_hash(key, "ext_id", ext_id)))
        plaintext.add(ext_id)
    removed["texts_fingerprinted"] = sum(1 for kind, _ in hashes if kind == "text")
    removed["texts_shared_with_remaining_tasks"] = n_shared
    removed["emails_erased"] = sum(1 for kind, _ in hashes if kind == "email")
    # --reason is stored as given: docs/governance.md says it must hold no personal data
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
    return sorted(plaintext)


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

    Steps 1-6: the caller closes `con` and runs `journal.finish(db)` for step 7 (the CLI does;
    the next command of any kind does it too). `extra_work(con)`, when given, runs inside the
    transaction after the deletes and returns counts to add to the log (retention's score rows).
    """
    from concord.extracts import rewrite_extracts_without  # late: extracts imports erasure

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
    journal.complete_pending_rewrites(con)
    db = warehouse_path(con)
    key = journal.ensure_key(con, db)
    score_keys = [(kind, field_name) for _, kind, field_name in _score_tables(con)]
    erasure_id = "er_" + secrets.token_hex(8)
    temp_files: list[tuple[str, str]] = []
    con.execute("begin transaction")
    try:
        ensure_meta_schema(con)
        con.execute(
            "insert or replace into concord_meta.settings values (?, ?)",
            [EXT_FIELD_SETTING, ext_id_field()],
        )
        # emails no task that stays has: their rows go everywhere (before the raw delete, which
        # the look-up reads)
        all_emails = {e for foot in footprints for e in foot.emails}
        keys.emails = all_emails - emails_of_other_tasks(
            con, sorted(f.task_id for f in footprints), all_emails
        )
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
        plaintext = _log(
            con,
            key,
            erasure_id,
            trigger,
            reason,
            footprints,
            extra_ext_ids,
            removed,
            now or _now(),
            score_keys,
        )
        _fault("after_log")
        if temp_files:
            con.executemany(
                "insert into concord_meta.pending_file_rewrites values (?, ?, ?)",
                [[erasure_id, target, temp] for target, temp in temp_files],
            )
        if db is not None:
            con.execute(
                "insert into concord_meta.pending_compaction values (?, ?)", [erasure_id, _now()]
            )
            con.execute(
                "insert into concord_meta.pending_publish values (?, ?)", [erasure_id, _now()]
            )
        _fault("after_extract_temp")
        journal.sleep_hook("erase_before_commit")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        for _target, temp in temp_files:
            journal.unlink(temp)
        raise
    journal.sleep_hook("erase_committed")
    journal.rename_pending(con, erasure_id)
    return ErasureResult(
        erasure_id,
        [f.task_id for f in footprints],
        [],
        removed,
        sorted(rewritten),
        erased_values=plaintext,
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
    task_ids, ext_without_task, already, unknown = _resolve(con, request, warehouse_key(con))
    if unknown:
        raise ErasureError(
            f"{', '.join(unknown)}: not in the warehouse and never erased; nothing was erased"
        )
    footprints = load_footprints(con, task_ids, _key_fields(con))
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


def _key_fields(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Data fields score tables are keyed by: their values of an erased task are logged."""
    return [f for _, kind, f in _score_tables(con) if kind == "data_field" and f]
