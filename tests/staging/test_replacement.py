"""A later export replaces tasks in staging: an annotation edited in Label Studio is edited in
staging, one deleted is gone, and `--full-snapshot` tasks absent from the export are flagged
deleted with nothing hanging off them."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, build_warehouse, query

S = "staging.stg_label_studio__"


@pytest.fixture(scope="module")
def replaced_warehouse(tmp_path_factory):
    from ingest.exports import ingest_exports

    root = tmp_path_factory.mktemp("replaced")
    db = root / "warehouse.duckdb"
    source = FIXTURES / "byos_text" / "export_snapshot.json"
    ingest_exports(db, [source])

    # the "next export": task 1 gone, annotation 15 (task 5) relabelled, annotation 16 deleted
    tasks = json.loads(source.read_text(encoding="utf-8"))  # 145 KB fixture
    later = []
    for task in tasks:
        if task["id"] == 1:
            continue
        if task["id"] == 5:
            task["annotations"] = [a for a in task["annotations"] if a["id"] != 16]
            task["total_annotations"] -= 1  # as Label Studio's counter would say
            for annotation in task["annotations"]:
                if annotation["id"] == 15:
                    annotation["result"][0]["value"]["choices"] = ["positive"]
                    annotation["updated_at"] = "2026-11-28T07:00:00.000000Z"
        later.append(task)
    later_path = root / "export_later.json"
    later_path.write_text(json.dumps(later), encoding="utf-8")
    ingest_exports(db, [later_path], full_snapshot=True)
    build_warehouse(db, root / "target", select=["staging"])
    return db


def test_absent_task_is_flagged_deleted(replaced_warehouse):
    db = replaced_warehouse
    assert query(db, f"select is_deleted from {S}tasks where task_id = 1") == [(True,)]
    for relation in (
        "annotations",
        "annotation_results",
        "predictions",
        "prediction_results",
        "drafts",
    ):
        assert query(db, f"select count(*) from {S}{relation} where task_id = 1") == [(0,)], (
            relation
        )
    assert query(db, f"select n_tasks, n_deleted_tasks from {S}projects") == [(29, 1)]


def test_edited_and_deleted_annotations_follow_the_latest_export(replaced_warehouse):
    db = replaced_warehouse
    assert query(db, f"select annotation_id from {S}annotations where task_id = 5 order by 1") == [
        (14,),
        (15,),
    ]
    assert query(
        db,
        f"select choices from {S}annotation_results where annotation_id = 15 and control_name = 'label'",
    ) == [(["positive"],)]
    assert query(db, f"select is_edited from {S}annotations where annotation_id = 15") == [(True,)]
    assert query(db, f"select count(*) from {S}annotation_results where annotation_id = 16") == [
        (0,)
    ]
