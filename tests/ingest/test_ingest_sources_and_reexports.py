"""Issue #11 items 4 and 5, through the installed `concord` script: a poorer re-export (the sync
form: predictions and `completed_by` as ids, or no drafts) never loses what the warehouse holds for
the same task, and says exactly what it kept, replaced and dropped; a project id (or task id) that
came from another source is refused with one line naming both sources."""

from __future__ import annotations

import json
from pathlib import Path

from ingest_test_helpers import FIXTURES, rows, run_concord, snapshot

BYOS = FIXTURES / "byos_text"
NER = FIXTURES / "ner_spans"
SERVER = "http://127.0.0.1:8081"


def _objects(db: Path) -> tuple:
    return rows(
        db,
        """
        select
            (select count(*) filter (where json_type(p) = 'OBJECT') from
                (select unnest(task.predictions) as p from raw_label_studio.tasks)),
            (select count(*) filter (where json_type(a.completed_by) = 'OBJECT') from
                (select unnest(task.annotations) as a from raw_label_studio.tasks)),
            (select coalesce(sum(len(task.drafts)), 0) from raw_label_studio.tasks)""",
    )[0]


def test_sync_reexport_keeps_prediction_and_user_objects(tmp_path):
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    assert _objects(db) == (39, 63, 2)
    done = run_concord("ingest", "export", str(BYOS / "export.json"), "--full-snapshot", db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == (
        "  kept from the warehouse (this export lacks them): 39 prediction objects (ids only "
        "here), 63 completed_by user objects, 0 drafts; changed by this export: 0 predictions, "
        "0 annotations, 0 drafts; unchanged: 39 predictions, 63 annotations, 2 drafts; "
        "dropped (no longer in this export): 0 predictions, 0 annotations, 0 drafts"
    )
    assert "30 unchanged" in done.stdout.splitlines()[0]  # the sync form adds nothing new
    assert _objects(db) == (39, 63, 2)


def test_export_without_drafts_keeps_them_and_deletions_are_dropped(tmp_path):
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    tasks = json.loads((BYOS / "export.json").read_text(encoding="utf-8"))
    for task in tasks:
        task.pop("drafts", None)  # an export made without drafts
        if task["id"] == 1:  # a prediction and an annotation deleted in Label Studio since
            task["predictions"] = task["predictions"][1:]
            task["annotations"] = task["annotations"][1:]
    poorer = tmp_path / "export_no_drafts.json"
    poorer.write_text(json.dumps(tasks), encoding="utf-8")
    done = run_concord("ingest", "export", str(poorer), db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == (
        "  kept from the warehouse (this export lacks them): 38 prediction objects (ids only "
        "here), 62 completed_by user objects, 2 drafts; changed by this export: 0 predictions, "
        "0 annotations, 0 drafts; unchanged: 38 predictions, 62 annotations, 0 drafts; "
        "dropped (no longer in this export): 1 predictions, 1 annotations, 0 drafts"
    )
    assert _objects(db) == (38, 62, 2)


def test_an_edited_reexport_counts_what_changed_apart_from_what_did_not(tmp_path):
    """One annotation edited and one prediction re-scored in Label Studio: the note counts those
    two as changed and every other element as unchanged (it once called all 63 'replaced')."""
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    tasks = json.loads((BYOS / "export_snapshot.json").read_text(encoding="utf-8"))
    first = tasks[0]
    first["annotations"][0]["result"][1]["value"]["rating"] = 1
    first["predictions"][0]["score"] = 0.1234
    edited = tmp_path / "export_edited.json"
    edited.write_text(json.dumps(tasks), encoding="utf-8")
    done = run_concord("ingest", "export", str(edited), db=db)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == (
        "  kept from the warehouse (this export lacks them): 0 prediction objects (ids only "
        "here), 0 completed_by user objects, 0 drafts; changed by this export: 1 predictions, "
        "1 annotations, 0 drafts; unchanged: 38 predictions, 62 annotations, 2 drafts; "
        "dropped (no longer in this export): 0 predictions, 0 annotations, 0 drafts"
    )
    assert (
        "1 replaced" in done.stdout.splitlines()[0]
        and "29 unchanged" in done.stdout.splitlines()[0]
    )


def test_loads_record_their_source(tmp_path):
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    assert (
        run_concord(
            "ingest", "export", str(NER / "export_snapshot.json"), "--source", SERVER, db=db
        ).returncode
        == 0
    )
    assert rows(
        db, "select project_id, source from raw_label_studio.loads order by project_id"
    ) == [(1, f"file:{(BYOS / 'export_snapshot.json').resolve()}"), (3, SERVER)]
    # another file of the same project: files without a known instance count as one source
    assert run_concord("ingest", "export", str(BYOS / "export.json"), db=db).returncode == 0


def test_project_from_another_source_is_refused(tmp_path):
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    before = snapshot(db)
    done = run_concord("ingest", "export", str(BYOS / "export.json"), "--source", SERVER, db=db)
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {BYOS / 'export.json'}: project 1 was loaded from "
        f"file:{(BYOS / 'export_snapshot.json').resolve()}; this load comes from {SERVER}: "
        "load it under another project id (--as-project-id N)\n"
    )
    assert snapshot(db) == before
    # mapped to a new project id, its task ids still collide with the file's: refused too
    done = run_concord(
        "ingest",
        "export",
        str(BYOS / "export.json"),
        "--source",
        SERVER,
        "--as-project-id",
        "101",
        db=db,
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {BYOS / 'export.json'}: task id 1 is already stored from "
        f"file:{(BYOS / 'export_snapshot.json').resolve()} (project 1); this load comes from "
        f"{SERVER}: Label Studio task ids are unique per instance only, keep each instance in its "
        "own warehouse (--db)\n"
    )
    assert snapshot(db) == before


def test_as_project_id_maps_a_project(tmp_path):
    db = tmp_path / "w.duckdb"
    assert run_concord("ingest", "export", str(NER / "export_snapshot.json"), db=db).returncode == 0
    # the server's project 3 holds other tasks (ids shifted): mapped to 103, it loads beside
    tasks = json.loads((NER / "export.json").read_text(encoding="utf-8"))
    for task in tasks:
        task["id"] += 1000
        for annotation in task["annotations"]:
            annotation["id"] += 1000
    other = tmp_path / "server_export.json"
    other.write_text(json.dumps(tasks), encoding="utf-8")
    refused = run_concord("ingest", "export", str(other), "--source", SERVER, db=db)
    assert refused.returncode == 1 and "project 3 was loaded from file:" in refused.stderr
    done = run_concord(
        "ingest", "export", str(other), "--source", SERVER, "--as-project-id", "103", db=db
    )
    assert done.returncode == 0, done.stderr
    assert rows(
        db, "select project_id, count(*) from raw_label_studio.tasks group by 1 order by 1"
    ) == [(3, 24), (103, 24)]
    assert rows(db, "select source from raw_label_studio.loads where project_id = 103") == [
        (SERVER,)
    ]


def test_a_warehouse_without_the_relation_keys_is_widened(tmp_path):
    """Warehouses written before relation items were kept hold a narrower task struct: the next
    load widens it in place and loads relations."""
    import copy

    import duckdb

    from ingest import schema

    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    old_shape = copy.deepcopy(schema.RAW_TASK_SHAPE)
    for kind in ("annotations", "drafts"):
        for key in ("from_id", "to_id", "direction", "labels"):
            old_shape[kind][0]["result"][0].pop(key, None)  # one dict, shared
    con = duckdb.connect(str(db))
    con.execute(f"alter table raw_label_studio.tasks alter task type {schema.sql_type(old_shape)}")
    # a warehouse from before migration 6 (ingest/warehouse.py) has no record of it
    con.execute("delete from concord_meta.schema_migrations where version >= 6")
    con.close()
    cv = (
        Path(__file__).resolve().parents[1]
        / "fixtures"
        / "synthetic"
        / "cv_boxes"
        / "export_snapshot.json"
    )
    done = run_concord("ingest", "export", str(cv), db=db)
    assert done.returncode == 0, done.stderr
    assert rows(
        db,
        """
        select count(*) from (select unnest(task.annotations) as a from raw_label_studio.tasks)
        where list_contains(list_transform(a.result, lambda r: r.from_id is not null), true)""",
    ) == [(1,)]


def test_a_task_id_under_another_project_is_refused(tmp_path):
    """Two exports from two Label Studio instances, both loaded as files (one source): the second
    instance's project 2 reuses task ids 1..30. It must not silently move project 1's tasks into
    project 2 (30 'replaced', project 1 emptied)."""
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    before = snapshot(db)
    tasks = json.loads((BYOS / "export_snapshot.json").read_text(encoding="utf-8"))
    for task in tasks:
        task["project"] = 2
    other = tmp_path / "other_instance.json"
    other.write_text(json.dumps(tasks), encoding="utf-8")
    done = run_concord("ingest", "export", str(other), db=db)
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {other}, task 1: task 1 is stored in project 1, this load puts it in "
        "project 2: a Label Studio task belongs to one project (an export from another Label "
        "Studio instance? keep each instance in its own warehouse (--db))\n"
    )
    assert snapshot(db) == before


def test_an_annotation_id_stored_in_another_task_is_refused(tmp_path):
    """Another instance's project 3 with other task ids but the same annotation ids: loading it
    made `concord build` red (unique annotation_id). Refused, naming both tasks."""
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    before = snapshot(db)
    tasks = json.loads((BYOS / "export_snapshot.json").read_text(encoding="utf-8"))
    for task in tasks:
        task["id"] += 1000
        task["project"] = 3
    other = tmp_path / "other_instance.json"
    other.write_text(json.dumps(tasks), encoding="utf-8")
    done = run_concord("ingest", "export", str(other), db=db)
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {other}, task 1001: annotation 2 is already stored in task 1 "
        "(project 1): an annotation id belongs to one task (an export from another Label Studio "
        "instance? keep each instance in its own warehouse (--db))\n"
    )
    assert snapshot(db) == before


def test_as_project_id_onto_a_loaded_project_is_refused(tmp_path):
    """`--as-project-id 1` for the NER project (3) when project 1 (BYOS) is loaded silently merged
    the two into one project of 54 tasks under two labeling configs."""
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    before = snapshot(db)
    done = run_concord(
        "ingest", "export", str(NER / "export_snapshot.json"), "--as-project-id", "1", db=db
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {NER / 'export_snapshot.json'}: project 1 already holds tasks of "
        f"project 1 (from file:{(BYOS / 'export_snapshot.json').resolve()}); this file's tasks "
        "are project 3: the two would merge into one, load it under an unused id "
        "(--as-project-id N)\n"
    )
    assert snapshot(db) == before
    # an unused id loads, and so does the same mapping again
    assert (
        run_concord(
            "ingest", "export", str(NER / "export_snapshot.json"), "--as-project-id", "103", db=db
        ).returncode
        == 0
    )
    done = run_concord(
        "ingest", "export", str(NER / "export.json"), "--as-project-id", "103", db=db
    )
    assert done.returncode == 0, done.stderr


def test_the_same_bytes_from_another_source_are_refused_not_skipped(tmp_path):
    db = tmp_path / "w.duckdb"
    assert (
        run_concord(
            "ingest", "export", str(NER / "export_snapshot.json"), "--source", SERVER, db=db
        ).returncode
        == 0
    )
    before = snapshot(db)
    again = run_concord(
        "ingest", "export", str(NER / "export_snapshot.json"), "--source", SERVER, db=db
    )
    assert again.returncode == 0 and "nothing to do" in again.stdout  # same source: a no-op
    other = "http://10.0.0.9:8080"
    done = run_concord(
        "ingest", "export", str(NER / "export_snapshot.json"), "--source", other, db=db
    )
    assert done.returncode == 1
    load_id = rows(db, "select load_id from raw_label_studio.loads")[0][0]
    assert done.stderr == (
        f"concord: error: {NER / 'export_snapshot.json'}: these bytes were loaded from {SERVER} "
        f"({load_id}); this load says they come from {other}: one export has one source\n"
    )
    assert snapshot(db) == before
