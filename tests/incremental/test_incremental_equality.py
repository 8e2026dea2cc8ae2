"""Issue #16 item 2: an incremental build equals a full rebuild of the same raw data, step by step.

The demo data, then a sequence of changes a team makes between two builds: an edited annotation,
a deleted annotation, a new task, a task dropped by a --full-snapshot load, an erasure, a
re-scored score table, a second model version, a prediction whose `task` is in another project,
a changed threshold var, a changed labeling config (single to multiple choice). After each step,
`concord build` (incremental) runs on the warehouse; a copy of it is rebuilt with
`--full-refresh`; every table of staging, intermediate and marts must be equal (EXCEPT ALL both
ways, doubles to 1e-12: concord/devtools/compare_warehouses.py). Each step also checks which
tasks the agreement engine rebuilt: the right ones, and only those (an engine that rebuilt
everything every time would pass the equality and fail this).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import query

from concord.commands.build_cmds import DEMO_EXPORTS, demo_score_files
from concord.incremental import build

from .incremental_helpers import changed_tasks, demo_warehouse, differences_from_full_rebuild

BYOS_EXPORT, BYOS_CONFIG, BYOS_PROJECT = DEMO_EXPORTS[0]
THRESHOLD_VARS = '{"concord_agreement_thresholds": {"ner": 0.5}}'


def _ingest_export(db: Path, tasks: list[dict], path: Path, *, full_snapshot: bool = False) -> None:
    from ingest.exports import ingest_exports

    path.write_text(json.dumps(tasks), encoding="utf-8")
    ingest_exports(db, [path], full_snapshot=full_snapshot)


def run_concord(*args: str, db: Path) -> subprocess.CompletedProcess:
    """The real `concord` entry point, in a subprocess."""
    script = Path(sys.executable).with_name("concord")
    env = {k: v for k, v in os.environ.items() if k != "CONCORD_DB"}
    return subprocess.run(
        [str(script), *args, "--db", str(db)], capture_output=True, text=True, env=env, check=False
    )


def _assert_equal_to_full_rebuild(
    db: Path, tmp_path: Path, step: str, dbt_vars: str | None
) -> None:
    differences = differences_from_full_rebuild(db, tmp_path / f"full_{step}", dbt_vars)
    assert not differences, f"after step {step!r}, incremental != full rebuild:\n" + "\n".join(
        differences
    )


def _new_task(template: dict, task_id: int, offset: int) -> dict:
    task = copy.deepcopy(template)
    task["id"] = task_id
    task["inner_id"] = task_id
    task["data"] = {**task["data"], "ext_id": f"byos-{task_id}"}
    for annotation in task["annotations"]:
        annotation["id"] += offset
        annotation["task"] = task_id
        annotation["unique_id"] = f"new-{annotation['id']}"
        if annotation.get("prediction"):
            annotation["prediction"]["id"] += offset
            annotation["prediction"]["task"] = task_id
    for prediction in task["predictions"]:
        prediction["id"] += offset
        prediction["task"] = task_id
    for draft in task.get("drafts") or []:
        draft["id"] += offset
        draft["task"] = task_id
    return task


def test_incremental_builds_equal_a_full_rebuild_after_every_change(tmp_path: Path) -> None:
    from ingest.configs import ingest_config
    from ingest.scores import ingest_scores

    db = tmp_path / "w.duckdb"
    first = demo_warehouse(db)
    assert first == ["agreement engine: every task built (54): no earlier build recorded"], first

    tasks = json.loads(BYOS_EXPORT.read_text(encoding="utf-8"))
    by_id = {task["id"]: task for task in tasks}
    dbt_vars = None

    def step_build(step: str, expected: dict[int, str]) -> None:
        args = ["--vars", dbt_vars] if dbt_vars else []
        lines = build(db, args, quiet=True)
        assert lines and lines[0].startswith("agreement engine: incremental,"), (step, lines)
        assert changed_tasks(db) == expected, step
        _assert_equal_to_full_rebuild(db, tmp_path, step, dbt_vars)

    # nothing changed: nothing rebuilt
    step_build("no change", {})

    # an edited annotation (the label of task 1's first annotation), the whole file re-ingested:
    # the 29 unchanged tasks get a new load id and are still not rebuilt
    edited = by_id[1]["annotations"][0]
    choice = edited["result"][0]["value"]["choices"]
    choice[:] = ["negative" if choice != ["negative"] else "positive"]
    edited["updated_at"] = "2026-12-01T10:00:00.000000Z"
    _ingest_export(db, tasks, tmp_path / "edited.json")
    step_build("edited annotation", {1: "changed"})

    # a deleted annotation
    del by_id[2]["annotations"][-1]
    _ingest_export(db, [by_id[2]], tmp_path / "deleted_annotation.json")
    step_build("deleted annotation", {2: "changed"})

    # a new task, with annotations and predictions
    new = _new_task(by_id[3], 9001, 100_000)
    tasks.append(new)
    _ingest_export(db, [new], tmp_path / "new_task.json")
    step_build("new task", {9001: "added"})

    # task 4 dropped by a --full-snapshot load of the project
    tasks = [task for task in tasks if task["id"] != 4]
    _ingest_export(db, tasks, tmp_path / "snapshot.json", full_snapshot=True)
    step_build("task dropped by --full-snapshot", {4: "changed"})

    # an erasure (the CLI: compaction and republishing included); the erased task is gone from
    # staging and from the watermark alike, so the next build has nothing to rebuild for it
    erased = run_concord("erase", "--task-id", "5", "--reason", "incremental test", db=db)
    assert erased.returncode == 0, erased.stderr
    assert query(
        db, "select count(*) from concord_state.agreement_watermark where task_id = 5"
    ) == [(0,)]
    step_build("erasure", {})

    # a re-scored score table (agreement reads no score: nothing to rebuild; the score marts are
    # full tables and must still equal the rebuild)
    scores = next(p for p in demo_score_files() if p.suffix == ".csv")
    rows = list(csv.DictReader(scores.open(encoding="utf-8")))
    for row in rows:
        row["score"] = f"{1 - float(row['score']):.4f}"
    rescored = tmp_path / scores.name
    with rescored.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ingest_scores(db, [rescored], scores.stem, "data.ext_id")
    step_build("re-scored score table", {})

    # a second model version's predictions on tasks 6 and 7
    for task_id in (6, 7):
        task = next(task for task in tasks if task["id"] == task_id)
        extra = copy.deepcopy(task["predictions"][0])
        extra["id"] += 200_000
        extra["model_version"] = "sentiment-v3"
        task["predictions"].append(extra)
    _ingest_export(db, [t for t in tasks if t["id"] in (6, 7)], tmp_path / "v3.json")
    step_build("second model version", {6: "changed", 7: "changed"})

    # a prediction found in task 8 (project 1) whose own `task` is task 60 (project 3): staging
    # puts it on task 60 with project id 1, so task 60 now depends on both projects' settings
    stray = copy.deepcopy(by_id[8]["predictions"][0])
    stray["id"] += 300_000
    stray["task"] = 60
    by_id[8]["predictions"].append(stray)
    _ingest_export(db, [by_id[8]], tmp_path / "stray_prediction.json")
    step_build("prediction of another project's task", {60: "project_settings"})

    # a threshold var of project 3's control: its tasks are rebuilt (task 60 too, though one of
    # its rows is project 1's), and only them
    dbt_vars = THRESHOLD_VARS
    project_ids = dict(query(db, "select task_id, project_id from staging.stg_label_studio__tasks"))
    project_1 = {task for task, project in project_ids.items() if project == 1}
    project_3 = {task for task, project in project_ids.items() if project == 3}
    assert 60 in project_3
    step_build("threshold var", dict.fromkeys(sorted(project_3), "project_settings"))

    # a changed labeling config of project 1: the label becomes multiple-choice, which changes
    # its control key and metric (a config change that alters no control setting rebuilds nothing)
    config = BYOS_CONFIG.read_text(encoding="utf-8")
    assert 'name="label" toName="text_data" choice="single"' in config
    changed_config = tmp_path / "labeling_config.xml"
    changed_config.write_text(
        config.replace('choice="single"', 'choice="multiple"'), encoding="utf-8"
    )
    ingest_config(db, changed_config, BYOS_PROJECT)
    # task 60 too: its stray prediction's values are read through project 1's settings
    step_build("labeling config", dict.fromkeys(sorted(project_1 | {60}), "project_settings"))
