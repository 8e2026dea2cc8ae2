"""The raw task struct (ingest/schema.py RAW_TASK_SHAPE): the typed reader and the JSON-text path
store the same thing, keys outside the shape are reported, and warehouses that stored task JSON
text are converted in place."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from ingest_test_helpers import FIXTURES, rows, run_concord, without_nulls

BYOS = FIXTURES / "byos_text"
NER = FIXTURES / "ner_spans"


def stored(db: Path) -> dict[int, dict]:
    return {
        tid: without_nulls(json.loads(text))
        for tid, text in rows(db, "select task_id, to_json(task) from raw_label_studio.tasks")
    }


def test_reader_and_text_paths_store_the_same_struct(tmp_path):
    """A value the typed reader refuses (a lead_time that is text) sends the file down the JSON
    text path: it still loads, and every task is stored exactly as the reader path stores it."""
    for source in (BYOS / "export.json", NER / "export_snapshot.json"):
        tasks = json.loads(source.read_text(encoding="utf-8"))
        annotated = next(t for t in tasks if t["annotations"])
        annotated["annotations"][0]["lead_time"] = "slow"
        odd = tmp_path / f"odd_{source.name}"
        odd.write_text(json.dumps(tasks), encoding="utf-8")

        fast_db, text_db = (
            tmp_path / f"fast_{source.stem}.duckdb",
            tmp_path / f"text_{source.stem}.duckdb",
        )
        for path, db in ((source, fast_db), (odd, text_db)):
            done = run_concord("ingest", "export", str(path), db=db)
            assert done.returncode == 0, done.stderr
        fast, text = stored(fast_db), stored(text_db)
        assert set(fast) == set(text) == {t["id"] for t in tasks}
        assert "lead_time" in fast[annotated["id"]]["annotations"][0]
        # the refused value reads as null; everything else is identical
        del fast[annotated["id"]]["annotations"][0]["lead_time"]
        assert fast == text
        assert rows(text_db, "select distinct source_format from raw_label_studio.tasks") == rows(
            fast_db, "select distinct source_format from raw_label_studio.tasks"
        )


def test_keys_outside_the_shape_are_reported(tmp_path):
    tasks = json.loads((BYOS / "export.json").read_text(encoding="utf-8"))
    for task in tasks:
        task["review_state"] = "pending"  # a key a newer Label Studio might add
    annotated = next(t for t in tasks if t["annotations"])
    annotated["annotations"][0]["reviewed_by"] = 7
    path = tmp_path / "newer.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    done = run_concord("ingest", "export", str(path), db=tmp_path / "w.duckdb")
    assert done.returncode == 0, done.stderr
    assert (
        "  keys outside Label Studio 1.23.2's export schema, not kept in the raw layer (seen in "
        f"the first {len(tasks)} tasks): annotation.reviewed_by (1), task.review_state "
        f"({len(tasks)})"
    ) in done.stdout.splitlines()


def test_a_warehouse_with_task_json_text_is_converted(tmp_path):
    """Warehouses written before the struct stored `task_json` text: the next command that writes
    converts them in place (a read-only one never changes the file), and ingest then finds the
    same tasks."""
    db = tmp_path / "old.duckdb"
    tasks = json.loads((BYOS / "export.json").read_text(encoding="utf-8"))
    con = duckdb.connect(str(db))
    con.execute("create schema raw_label_studio")
    con.execute(
        """
        create table raw_label_studio.tasks (
            task_id bigint primary key, project_id bigint not null, load_id varchar not null,
            source_format varchar not null, task_json json not null,
            is_deleted boolean not null default false, deleted_at timestamp,
            loaded_at timestamp not null
        )
        """
    )
    for task in tasks:
        con.execute(
            "insert into raw_label_studio.tasks values (?, 1, 'ld_old', 'json', ?, false, null, "
            "timestamp '2026-11-01 00:00:00')",
            [task["id"], json.dumps(task)],
        )
    con.close()
    # a read-only command leaves the old layout as it is (issue #13: read-only never migrates)
    before = (db.stat().st_mtime_ns, db.read_bytes())
    done = run_concord("status", db=db)
    assert done.returncode == 1 and "written by an earlier Concord" in done.stderr
    assert (db.stat().st_mtime_ns, db.read_bytes()) == before
    # the first command that writes converts it, once
    config = ("ingest", "config", str(BYOS / "labeling_config.xml"), "--project-id", "1")
    done = run_concord(*config, db=db)
    assert done.returncode == 0, done.stderr
    assert "converted from task JSON text to the typed task struct" in done.stderr
    done = run_concord(*config, db=db)
    assert done.returncode == 0, done.stderr
    assert "converted" not in done.stderr  # once
    done = run_concord("status", db=db)
    assert done.returncode == 0, done.stderr
    assert str(len(tasks)) in done.stdout
    columns = [
        r[0]
        for r in rows(
            db,
            "select column_name from duckdb_columns() where "
            "schema_name = 'raw_label_studio' and table_name = 'tasks'",
        )
    ]
    assert "task" in columns and "task_json" not in columns
    assert stored(db) == {t["id"]: without_nulls(t) for t in tasks}
    assert rows(db, "select distinct load_id, loaded_at::varchar from raw_label_studio.tasks") == [
        ("ld_old", "2026-11-01 00:00:00")
    ]
    # a re-ingest of the same export finds every task unchanged
    done = run_concord("ingest", "export", str(BYOS / "export.json"), db=db)
    assert done.returncode == 0, done.stderr
    assert f"{len(tasks)} unchanged" in done.stdout


def test_non_string_from_name_and_huge_ids_are_refused_as_before(tmp_path):
    """The reader turns a number into text where the shape says VARCHAR and does not range-check
    JSON ids: both still get the exact errors of the JSON-text path, and a real string that looks
    like a number ("5") still loads."""
    base = json.loads((BYOS / "export.json").read_text(encoding="utf-8"))
    task = next(t for t in base if t["annotations"] and t["annotations"][0]["result"])
    ann = task["annotations"][0]

    def ingest(mutate, name):
        tasks = json.loads(json.dumps([task]))
        mutate(tasks[0])
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(tasks), encoding="utf-8")
        return run_concord("ingest", "export", str(path), db=tmp_path / f"{name}.duckdb")

    done = ingest(lambda t: t["annotations"][0]["result"][0].update(from_name=5), "int_name")
    assert done.returncode != 0
    assert (
        f", task {task['id']}: annotation {ann['id']}: result[0]: 'from_name' must be a string, "
        "got integer"
    ) in done.stderr
    done = ingest(lambda t: t["annotations"][0]["result"][0].update(type=True), "bool_type")
    assert done.returncode != 0
    assert "'type' must be a string, got boolean" in done.stderr
    done = ingest(lambda t: t["annotations"][0].update(id=99999999999999999999), "huge_id")
    assert done.returncode != 0
    assert "annotations[0] has no integer 'id'" in done.stderr or "malformed task" in done.stderr
    done = ingest(lambda t: t.update(predictions=[None]), "null_prediction")
    assert done.returncode != 0
    assert "predictions[0] must be an id or an object, got null" in done.stderr
    done = ingest(lambda t: t["annotations"][0]["result"][0].update(from_name="5"), "str_name")
    assert done.returncode == 0, done.stderr
    got = rows(
        tmp_path / "str_name.duckdb",
        "select task.annotations[1].result[1].from_name from raw_label_studio.tasks",
    )
    assert got == [("5",)]
