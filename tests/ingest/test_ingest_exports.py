"""`concord ingest export` on the real Label Studio exports, in all five forms, through the
installed console script: counts from the manifests, what each form keeps, idempotency,
replacement of edited tasks, partial exports and --full-snapshot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ingest_test_helpers import FIXTURES, rows, run_concord, snapshot, without_nulls

PROJECTS = {"byos_text": 1, "ner_spans": 3}


def manifest(project: str) -> dict:
    return json.loads((FIXTURES / project / "manifest.json").read_text(encoding="utf-8"))


def expected_ids(project: str) -> dict:
    m = manifest(project)
    cancelled = {a for t in m["tasks"] for a in t["cancelled_annotation_ids"]}
    annotations = {a for t in m["tasks"] for a in t["annotation_ids"]} | cancelled
    tasks = {t["task_id"] for t in m["tasks"]}
    # JSON_MIN / CSV: tasks whose only annotations are skips produce no row
    min_tasks = {
        t["task_id"]
        for t in m["tasks"]
        if not (
            t["annotation_ids"] and set(t["annotation_ids"]) <= set(t["cancelled_annotation_ids"])
        )
    }
    return {
        "tasks": tasks,
        "annotations": annotations,
        "cancelled": cancelled,
        "min_tasks": min_tasks,
        "n_predictions": m["counts"]["predictions"],
        "n_drafts": m["counts"]["drafts"],
    }


def raw_tasks(db: Path, project_id: int) -> dict[int, dict]:
    """The stored tasks as JSON documents (to_json of the raw struct), without null-valued keys."""
    return {
        tid: without_nulls(json.loads(tj))
        for tid, tj in rows(
            db,
            "select task_id, to_json(task) from raw_label_studio.tasks where project_id = ?",
            [project_id],
        )
    }


def results_by_annotation(tasks) -> dict[int, tuple]:
    """annotation id -> (task id, sorted (from_name, type, value) of its results, task data)."""
    out = {}
    for task in tasks:
        for ann in task.get("annotations") or []:
            if ann.get("was_cancelled"):
                continue
            items = sorted(
                (r["from_name"], r["type"], json.dumps(r["value"], sort_keys=True))
                for r in ann["result"]
            )
            out[ann["id"]] = (task["id"], items, task["data"])
    return out


@pytest.mark.parametrize("project", sorted(PROJECTS))
@pytest.mark.parametrize("form", ["export.json", "export_snapshot.json"])
def test_json_forms_keep_everything(project, form, tmp_path):
    project_id = PROJECTS[project]
    want = expected_ids(project)
    db = tmp_path / "w.duckdb"
    path = FIXTURES / project / form
    done = run_concord("ingest", "export", str(path), db=db)
    assert done.returncode == 0, done.stderr
    n_ann = len(want["annotations"])
    assert (
        f"{form}: json, project {project_id}: {len(want['tasks'])} tasks, {n_ann} annotations, "
        f"{len(want['cancelled'])} skipped, {want['n_predictions']} predictions, "
        f"{want['n_drafts']} drafts, {len(want['tasks'])} new, 0 replaced, 0 unchanged"
    ) in done.stdout
    tasks = raw_tasks(db, project_id)
    assert set(tasks) == want["tasks"]
    got_annotations = {a["id"] for t in tasks.values() for a in t["annotations"]}
    assert got_annotations == want["annotations"]
    got_cancelled = {
        a["id"] for t in tasks.values() for a in t["annotations"] if a["was_cancelled"]
    }
    assert got_cancelled == want["cancelled"]
    source = "json_snapshot" if "snapshot" in form else "json"
    assert rows(db, "select distinct source_format from raw_label_studio.tasks") == [(source,)]
    # the raw layer keeps every key and value of the file's task objects (null and absent alike)
    original = {t["id"]: without_nulls(t) for t in json.loads(path.read_text(encoding="utf-8"))}
    assert tasks == original
    assert "not kept in the raw layer" not in done.stdout
    completed_by = [a["completed_by"] for t in tasks.values() for a in t["annotations"]]
    if source == "json_snapshot":
        users = {u["id"]: u["email"] for u in manifest(project)["users"].values()}
        assert all(isinstance(c, dict) for c in completed_by)
        assert all(users[c["id"]] == c["email"] for c in completed_by)
        predictions = [p for t in tasks.values() for p in t["predictions"]]
        assert all(isinstance(p, dict) and "model_version" in p for p in predictions)
    else:
        assert all(isinstance(c, int) for c in completed_by)
        assert all(isinstance(p, int) for t in tasks.values() for p in t["predictions"])
    (load,) = rows(
        db,
        "select command, file_name, file_sha256, file_format, project_id, n_records,"
        " is_full_snapshot from raw_label_studio.loads",
    )
    sha = manifest(project)["files"][form]["sha256"]
    assert load == ("export", form, sha, "json", project_id, len(want["tasks"]), False)


@pytest.mark.parametrize("project", sorted(PROJECTS))
@pytest.mark.parametrize("form", ["export_min.json", "export.csv", "export_snapshot_min.json"])
@pytest.mark.parametrize("typing", ["config", "ingested-config", "inferred"])
def test_min_and_csv_forms_give_the_non_skipped_annotations(project, form, typing, tmp_path):
    project_id = PROJECTS[project]
    want = expected_ids(project)
    db = tmp_path / "w.duckdb"
    config = FIXTURES / project / "labeling_config.xml"
    args = ["ingest", "export", str(FIXTURES / project / form), "--project-id", str(project_id)]
    if typing == "config":
        args += ["--config", str(config)]
    if typing == "ingested-config":
        ok = run_concord("ingest", "config", str(config), "--project-id", str(project_id), db=db)
        assert ok.returncode == 0, ok.stderr
    done = run_concord(*args, db=db)
    assert done.returncode == 0, done.stderr
    label = "csv" if form.endswith(".csv") else "json_min"
    non_skipped = want["annotations"] - want["cancelled"]
    assert f"{form}: {label}, project {project_id}: {len(want['min_tasks'])} tasks, " in done.stdout
    assert f"{len(non_skipped)} annotations" in done.stdout
    assert ("CSV loses: " if label == "csv" else "JSON_MIN loses: ") in done.stdout
    assert "skipped annotations" in done.stdout and "ground-truth flags" in done.stdout
    assert "predictions, drafts, region ids" in done.stdout
    if typing == "inferred":
        assert "no labeling config: control types inferred from value shapes" in done.stdout
    tasks = raw_tasks(db, project_id)
    assert set(tasks) == want["min_tasks"]
    assert rows(db, "select distinct source_format from raw_label_studio.tasks") == [(label,)]
    # every non-skipped annotation, with the same results (from_name, type, value) and task data
    reference = results_by_annotation(
        json.loads((FIXTURES / project / "export.json").read_text(encoding="utf-8"))
    )
    got = results_by_annotation(tasks.values())
    assert set(got) == non_skipped
    assert got == reference
    items = [r for t in tasks.values() for a in t["annotations"] for r in a["result"]]
    inferred = [r.get("concord_inferred_type", False) for r in items]
    assert all(inferred) if typing == "inferred" else not any(inferred)
    if typing != "inferred":
        assert {r["to_name"] for r in items} == {"byos_text": {"text_data"}, "ner_spans": {"text"}}[
            project
        ]
    # what these formats cannot carry is absent, not invented
    assert all(t["predictions"] == [] and t["drafts"] == [] for t in tasks.values())
    annotators = {
        a["completed_by"]
        for t in tasks.values()
        for a in t["annotations"]
        if not isinstance(a["completed_by"], dict)
    }
    if "snapshot" in form:
        emails = {a["completed_by"]["email"] for t in tasks.values() for a in t["annotations"]}
        assert emails <= {u["email"] for u in manifest(project)["users"].values()}
    else:
        assert annotators <= {u["id"] for u in manifest(project)["users"].values()}


def test_csv_is_parsed_with_a_real_csv_parser():
    # byos_text's CSV has 63 records on 481 physical lines (newlines inside cells)
    path = FIXTURES / "byos_text" / "export.csv"
    assert path.read_text(encoding="utf-8").count("\n") == 481


def test_second_ingest_of_the_same_file_is_a_no_op(tmp_path):
    db = tmp_path / "w.duckdb"
    files = [
        FIXTURES / "byos_text" / "export.json",
        FIXTURES / "ner_spans" / "export_snapshot.json",
    ]
    first = run_concord("ingest", "export", *map(str, files), db=db)
    assert first.returncode == 0, first.stderr
    before = snapshot(db)
    again = run_concord("ingest", "export", *map(str, files), db=db)
    assert again.returncode == 0, again.stderr
    lines = again.stdout.splitlines()
    assert lines[0].startswith("export.json: already loaded (ld_")
    assert lines[0].endswith(" UTC, same sha256): nothing to do")
    assert lines[1].startswith("export_snapshot.json: already loaded (ld_")
    assert lines[2] == f"0 file(s) loaded, 2 already loaded (no-op) into {db}"
    assert snapshot(db) == before
    # CSV needs --project-id; it is a no-op the second time too
    csv = FIXTURES / "byos_text" / "export.csv"
    assert run_concord("ingest", "export", str(csv), "--project-id", "1", db=db).returncode == 0
    middle = snapshot(db)
    assert run_concord("ingest", "export", str(csv), "--project-id", "1", db=db).returncode == 0
    assert snapshot(db) == middle


def _edited_copy(tmp_path: Path, name: str, keep_tasks=None) -> tuple[Path, dict]:
    """A copy of byos_text export.json with annotation 14 edited and annotation 26 deleted."""
    tasks = json.loads((FIXTURES / "byos_text" / "export.json").read_text(encoding="utf-8"))
    if keep_tasks is not None:
        tasks = [t for t in tasks if t["id"] in keep_tasks]
    for task in tasks:
        for ann in task["annotations"]:
            if ann["id"] == 14:
                ann["result"][0]["value"]["choices"] = ["positive"]
                ann["updated_at"] = "2026-12-01T00:00:00.000000Z"
        if task["id"] == 9:
            task["annotations"] = [a for a in task["annotations"] if a["id"] != 26]
    path = tmp_path / name
    path.write_text(json.dumps(tasks, indent=1), encoding="utf-8")
    return path, {t["id"]: t for t in tasks}


def test_newer_export_replaces_tasks_with_their_annotations(tmp_path):
    db = tmp_path / "w.duckdb"
    original = FIXTURES / "byos_text" / "export.json"
    assert run_concord("ingest", "export", str(original), db=db).returncode == 0
    edited, _ = _edited_copy(tmp_path, "edited.json")
    done = run_concord("ingest", "export", str(edited), db=db)
    assert done.returncode == 0, done.stderr
    assert "30 tasks" in done.stdout and "0 new, 2 replaced, 28 unchanged" in done.stdout
    tasks = raw_tasks(db, 1)
    ann_ids = {a["id"] for t in tasks.values() for a in t["annotations"]}
    assert 26 not in ann_ids  # deleted in Label Studio: gone
    assert len(ann_ids) == 62
    (ann14,) = [a for a in tasks[5]["annotations"] if a["id"] == 14]
    assert ann14["result"][0]["value"]["choices"] == ["positive"]
    load_ids = dict(rows(db, "select task_id, load_id from raw_label_studio.tasks"))
    edited_load = rows(
        db, "select load_id from raw_label_studio.loads where file_name = 'edited.json'"
    )[0][0]
    assert all(v == edited_load for v in load_ids.values())


def test_partial_export_leaves_other_tasks_and_full_snapshot_marks_them_deleted(tmp_path):
    db = tmp_path / "w.duckdb"
    original = FIXTURES / "byos_text" / "export.json"
    assert run_concord("ingest", "export", str(original), db=db).returncode == 0
    before = raw_tasks(db, 1)
    partial, _ = _edited_copy(tmp_path, "partial.json", keep_tasks={1, 2, 3, 4, 5, 9})
    done = run_concord("ingest", "export", str(partial), db=db)
    assert done.returncode == 0, done.stderr
    after = raw_tasks(db, 1)
    assert set(after) == set(before)
    for task_id in set(before) - {5, 9}:
        assert after[task_id] == before[task_id]
    assert after[9] != before[9]
    assert rows(db, "select count(*) from raw_label_studio.tasks where is_deleted") == [(0,)]
    # the same partial file as a --full-snapshot of project 1 (a new file: other bytes)
    snap = tmp_path / "partial_full.json"
    shutil.copy(partial, snap)
    with open(snap, "a", encoding="utf-8") as handle:
        handle.write("\n")
    done = run_concord("ingest", "export", str(snap), "--full-snapshot", db=db)
    assert done.returncode == 0, done.stderr
    assert "24 marked deleted" in done.stdout
    deleted = {
        r[0] for r in rows(db, "select task_id from raw_label_studio.tasks where is_deleted")
    }
    assert deleted == set(before) - {1, 2, 3, 4, 5, 9}
    assert rows(
        db, "select count(*) from raw_label_studio.tasks where is_deleted and deleted_at is null"
    ) == [(0,)]
    assert rows(
        db,
        "select is_full_snapshot from raw_label_studio.loads where file_name = 'partial_full.json'",
    ) == [(True,)]
    # a later export containing a deleted task brings it back
    done = run_concord(
        "ingest", "export", str(FIXTURES / "byos_text" / "export_snapshot.json"), db=db
    )
    assert done.returncode == 0, done.stderr
    assert "24 undeleted" in done.stdout
    assert rows(db, "select count(*) from raw_label_studio.tasks where is_deleted") == [(0,)]


def test_full_snapshot_spans_every_file_of_the_command(tmp_path):
    db = tmp_path / "w.duckdb"
    assert (
        run_concord(
            "ingest", "export", str(FIXTURES / "byos_text" / "export.json"), db=db
        ).returncode
        == 0
    )
    first, _ = _edited_copy(tmp_path, "a.json", keep_tasks=set(range(1, 16)))
    second, _ = _edited_copy(tmp_path, "b.json", keep_tasks=set(range(16, 31)))
    done = run_concord("ingest", "export", str(first), str(second), "--full-snapshot", db=db)
    assert done.returncode == 0, done.stderr
    assert rows(db, "select count(*) from raw_label_studio.tasks where is_deleted") == [(0,)]
    assert "0 marked deleted" in done.stdout


def test_project_id_must_match_the_tasks(tmp_path):
    db = tmp_path / "w.duckdb"
    path = FIXTURES / "byos_text" / "export.json"
    done = run_concord("ingest", "export", str(path), "--project-id", "2", db=db)
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {path}: tasks belong to project 1 but --project-id 2 was given\n"
    )
    assert not rows(db, "select * from raw_label_studio.tasks")


def test_full_snapshot_of_a_file_loaded_before_still_marks_absent_tasks(tmp_path):
    """Same bytes again with --full-snapshot: nothing is rewritten, but the file still declares
    the project's complete task set (remembered per load in raw_label_studio.load_tasks)."""
    db = tmp_path / "w.duckdb"
    partial, _ = _edited_copy(tmp_path, "partial.json", keep_tasks={1, 2, 3})
    assert run_concord("ingest", "export", str(partial), db=db).returncode == 0
    full = FIXTURES / "byos_text" / "export.json"
    assert run_concord("ingest", "export", str(full), db=db).returncode == 0
    assert rows(db, "select count(*) from raw_label_studio.load_tasks") == [(33,)]
    done = run_concord("ingest", "export", str(partial), "--full-snapshot", db=db)
    assert done.returncode == 0, done.stderr
    assert "same sha256): nothing to do; 27 marked deleted (--full-snapshot)" in done.stdout
    deleted = {
        r[0] for r in rows(db, "select task_id from raw_label_studio.tasks where is_deleted")
    }
    assert deleted == set(range(4, 31))
    # and again: the same state, nothing more changes
    before = snapshot(db)
    done = run_concord("ingest", "export", str(partial), "--full-snapshot", db=db)
    assert done.returncode == 0, done.stderr
    assert "0 marked deleted" in done.stdout
    after = snapshot(db)
    assert after == before
