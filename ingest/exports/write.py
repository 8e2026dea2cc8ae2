"""Writing a validated export into raw_label_studio.tasks, under the replacement rule.

`_write` replaces each task by this file's version and counts new / replaced / unchanged /
undeleted tasks; `_keep_what_is_known` keeps what a sync export lacks (prediction objects, user
objects, drafts) from the stored version and notes what changed; `_recall_snapshot_tasks` and
`_mark_absent_deleted` implement --full-snapshot. COMMAND is the loads.command of export loads.
"""

from __future__ import annotations

import duckdb

from ingest.erased import drop_erased_tasks
from ingest.loading import LoadResult, previous_load, utc_now

COMMAND = "export"


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
