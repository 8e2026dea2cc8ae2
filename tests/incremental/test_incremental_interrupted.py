"""Issue #16 item 6: a build that did not run the whole engine (killed with SIGKILL, or built with
--exclude / --select) leaves a warehouse whose next build equals a full rebuild, even when the
change it applied has been undone since; and it does not record the project fingerprint.

The hard case: task 1 is edited and an engine model commits the edit, but the watermark is not
recorded. The edit is then undone, so the task's digest equals the watermark again: without the
pending tasks the engine models note (concord.record_pending_tasks), the next build would leave
the edited rows in place. The second case is the hostile review's: a build that excluded the
change feed rewrote the tasks of a stale one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from concord.commands.build_cmds import DEMO_EXPORTS
from concord.incremental import build

from .incremental_helpers import changed_tasks, demo_warehouse, differences_from_full_rebuild

BYOS_EXPORT = DEMO_EXPORTS[0][0]
KILL_AFTER = "OK created sql incremental model intermediate.int_agreement__judgment_values "


def _build_killed_after_judgment_values(db: Path) -> list[str]:
    """`concord build` in a subprocess, SIGKILLed once dbt reports the judgment values built."""
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


def _task_1(label_changed: bool) -> list[dict]:
    tasks = json.loads(BYOS_EXPORT.read_text(encoding="utf-8"))
    assert tasks[0]["id"] == 1 and tasks[0]["annotations"][0]["result"][0]["from_name"] == "label"
    if label_changed:
        result = tasks[0]["annotations"][0]["result"][0]
        old = result["value"]["choices"]
        result["value"]["choices"] = ["negative" if old != ["negative"] else "positive"]
    return tasks[:1]


def _ingest(db: Path, tasks: list[dict], path: Path, indent: int | None = None) -> None:
    """Ingest `tasks` from a new file (`indent` changes its bytes, not its tasks: a file whose
    bytes were loaded before is skipped)."""
    from ingest.exports import ingest_exports

    path.write_text(json.dumps(tasks, indent=indent), encoding="utf-8")
    ingest_exports(db, [path])


def test_a_build_without_the_change_feed_then_an_undone_edit_equals_a_full_rebuild(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.duckdb"
    demo_warehouse(db)
    _ingest(db, _task_1(label_changed=True), tmp_path / "edited.json")
    build(db, [], quiet=True)  # complete: the watermark holds the edit
    _ingest(db, _task_1(label_changed=False), tmp_path / "undone.json")
    # the engine runs on the previous build's change feed ({1}) and rewrites task 1 from the
    # undone staging; the watermark is not recorded (not every engine model ran)
    lines = build(db, ["--exclude", "int_agreement__changed_tasks"], quiet=True)
    assert lines[0].startswith("agreement engine: not every model of the engine ran"), lines
    # the edit again (as the watermark has it): only the pending tasks say task 1 is stale
    _ingest(db, _task_1(label_changed=True), tmp_path / "edited_again.json", indent=1)
    lines = build(db, [], quiet=True)
    assert differences_from_full_rebuild(db, tmp_path / "full") == []
    assert lines == ["agreement engine: incremental, 1 of 54 tasks rebuilt (1 interrupted build)"]


def test_a_partial_build_does_not_record_the_project_fingerprint(
    tmp_path: Path, monkeypatch
) -> None:
    from concord import incremental

    db = tmp_path / "w.duckdb"
    demo_warehouse(db)
    real = incremental.project_files()
    changed = {**real, "models/intermediate/agreement/int_agreement__judgments.sql": "edited"}
    monkeypatch.setattr(incremental, "project_files", lambda: changed)
    # no model runs: the full refresh the SQL change asks for is still owed afterwards
    lines = build(db, ["--exclude-resource-type", "model"], quiet=True)
    assert lines[0].endswith("(the full refresh is still owed)"), lines
    lines = build(db, [], quiet=True)
    expected = (
        "agreement engine: full refresh: the dbt project changed since the last build"
        " (models/intermediate/agreement/int_agreement__judgments.sql)"
    )
    assert lines == [expected]
    assert build(db, [], quiet=True)[0].startswith("agreement engine: incremental, 0 of 54")


def test_a_killed_incremental_build_then_an_undone_edit_still_equals_a_full_rebuild(
    tmp_path: Path,
) -> None:
    db = tmp_path / "w.duckdb"
    demo_warehouse(db)
    _ingest(db, _task_1(label_changed=True), tmp_path / "edited.json")
    _build_killed_after_judgment_values(db)
    # the judgment values of task 1 are the edited ones now; the watermark is the one before
    _ingest(db, _task_1(label_changed=False), tmp_path / "undone.json")
    lines = build(db, [], quiet=True)
    assert lines[0].startswith("agreement engine: incremental,"), lines
    assert differences_from_full_rebuild(db, tmp_path / "full") == []
    changed = changed_tasks(db)
    assert changed == {1: "interrupted_build"}, changed
