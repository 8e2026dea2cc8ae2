"""Issue #16 item 6: an incremental build killed with SIGKILL leaves a warehouse whose next build
equals a full rebuild, even when the change it was applying has been undone since.

The hard case: task 1 is edited and `concord build` is killed right after the first engine model
committed the edit (int_agreement__judgments holds the edited task, the watermark does not). The
edit is then undone, so the task's digest equals the watermark again: without the carried-over
changed tasks of the interrupted build, the next build would leave the edited rows in place.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from conftest import query

from concord.commands.build_cmds import DEMO_EXPORTS, demo_score_files, ingest_demo_score_file
from concord.dbt import run_dbt
from concord.devtools.compare_warehouses import compare
from concord.incremental import build

BYOS_EXPORT = DEMO_EXPORTS[0][0]
KILL_AFTER = "OK created sql incremental model intermediate.int_agreement__judgment_values "


def _demo_warehouse(db: Path) -> None:
    from ingest.configs import ingest_config
    from ingest.exports import ingest_exports

    for export, config, project_id in DEMO_EXPORTS:
        ingest_exports(db, [export])
        ingest_config(db, config, project_id)
    for path in demo_score_files():
        ingest_demo_score_file(db, path)
    build(db, [], quiet=True)


def _build_killed_after_judgments(db: Path) -> list[str]:
    """`concord build` in a subprocess, SIGKILLed once dbt reports the judgments model built."""
    env = {k: v for k, v in os.environ.items() if k != "CONCORD_DB"}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("concord")), "build", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    seen = []
    for line in process.stdout:
        seen.append(line)
        if KILL_AFTER in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL, "".join(seen[-20:])
    return seen


def test_a_killed_incremental_build_then_an_undone_edit_still_equals_a_full_rebuild(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.duckdb"
    _demo_warehouse(db)
    original = BYOS_EXPORT.read_text(encoding="utf-8")
    tasks = json.loads(original)
    annotation = tasks[0]["annotations"][0]
    assert tasks[0]["id"] == 1 and annotation["result"][0]["from_name"] == "label"
    old_label = annotation["result"][0]["value"]["choices"]
    annotation["result"][0]["value"]["choices"] = [
        "negative" if old_label != ["negative"] else "positive"
    ]

    from ingest.exports import ingest_exports

    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(tasks[:1]), encoding="utf-8")
    ingest_exports(db, [edited])
    _build_killed_after_judgments(db)
    # the judgments of task 1 may be the edited ones now; the watermark is the one before the edit
    undone = tmp_path / "undone.json"
    undone.write_text(json.dumps(json.loads(original)[:1]), encoding="utf-8")
    ingest_exports(db, [undone])

    lines = build(db, [], quiet=True)
    assert lines[0].startswith("agreement engine: incremental,"), lines
    reference = tmp_path / "full" / "w.duckdb"
    reference.parent.mkdir()
    shutil.copy(db, reference)
    run_dbt(["run", "--full-refresh"], reference, quiet=True)
    differences = [
        line
        for schema in ("staging", "intermediate", "marts")
        for line in compare(
            str(db),
            str(reference),
            schema,
            12,
            ("invocation_id",),
            ("int_agreement__changed_tasks",),
            verbose=False,
        )
    ]
    assert differences == []
    changed = dict(
        query(db, "select task_id, change_reason from intermediate.int_agreement__changed_tasks")
    )
    assert changed == {1: "interrupted_build"}, changed
