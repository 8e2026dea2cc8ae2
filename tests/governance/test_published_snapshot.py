"""The analyst snapshot (issue #16 items 7 and 8, concord/publish.py): readers never block a
refresh, the snapshot is erased with the warehouse, and DuckDB 1.4 opens it.

Readers are real: a separate process holds a read-only DuckDB connection on the file analysts
open (inside one process DuckDB shares its instance cache, which would hide a lock conflict).
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from concord.publish import analyst_path

from .gov_helpers import FIXTURES, fixture_tasks, run_concord
from .test_erasure_bytes import grep_count
from .test_kill import kill_at_pause, spawn
from .test_retention import _activity

NEW_TASK = 90001
NEW_EXT = "byos-9001"
NEW_TEXT = "A brand new review, written only for the analyst snapshot test, never seen before."

# analysts' queries: a mart, and staging models that are views in the warehouse (the snapshot
# holds their rows as tables: the raw layer they read is not published)
Q_MART = (
    "select project_id, control_name, n_tasks, mean_pairwise_agreement"
    " from marts.fct_control_summary order by 1, 2"
)
Q_VIEW = "select project_id, control_name, control_type from staging.stg_label_studio__controls order by 1, 2"
Q_LOADS = "select count(*) from staging.stg_label_studio__loads"
Q_NEW_TASK = f"select count(*) from staging.stg_label_studio__tasks where task_id = {NEW_TASK}"

READER = r"""
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
for line in sys.stdin:
    print(repr(con.execute(line).fetchall()), flush=True)
"""


class Reader:
    """An analyst's session in another process: one read-only connection, kept open."""

    def __init__(self, path: Path, python: str = sys.executable) -> None:
        self.proc = subprocess.Popen(
            [python, "-c", READER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def ask(self, sql: str):
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(sql.replace("\n", " ") + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"reader died: {self.proc.stderr.read()}")
        return ast.literal_eval(line)  # the reader's repr of DuckDB rows

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


def fresh(path: Path, sql: str):
    """A new connection, as an analyst opening the file now."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def new_task_export(tmp_path: Path) -> Path:
    """One new byos task (no annotations, so no id of it is shared with a fixture task)."""
    with open(FIXTURES / "byos_text" / "export_snapshot.json", encoding="utf-8") as handle:
        task = json.load(handle)[0]
    task.update(id=NEW_TASK, annotations=[], predictions=[], drafts=[])
    task["data"] = {**task["data"], "ext_id": NEW_EXT, "text": NEW_TEXT}
    path = tmp_path / "new_task.json"
    path.write_text(json.dumps([task]), encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """dbt artifacts of this test's builds kept apart from the checkout's."""
    return {"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}


@pytest.fixture
def published(warehouse: Path) -> Path:
    out = run_concord("publish", db=warehouse)
    assert out.returncode == 0, out.stderr
    path = analyst_path(warehouse)
    assert out.stdout.startswith(f"analyst snapshot: {path} ("), out.stdout
    return path


def test_readers_never_block_ingest_build_or_erase(warehouse, published, tmp_path, env):
    """An analyst holds the snapshot open (read-only, another process) while `ingest export`,
    `build` and `erase` run: all three succeed; the reader keeps reading the file it opened; a
    new connection sees each new state a build or an erasure publishes (an ingest alone does
    not republish: marts and staging of the snapshot come from the same build)."""
    reader = Reader(published)
    try:
        before = (reader.ask(Q_MART), reader.ask(Q_LOADS)[0][0], reader.ask(Q_NEW_TASK))
        assert before[0] and before[2] == [(0,)]

        out = run_concord("ingest", "export", str(new_task_export(tmp_path)), db=warehouse, env=env)
        assert out.returncode == 0, out.stderr
        # the snapshot is what the last build produced: an ingest alone leaves it as it was
        assert "analyst snapshot" not in out.stdout + out.stderr
        assert fresh(published, Q_LOADS)[0][0] == before[1]
        assert reader.ask(Q_LOADS)[0][0] == before[1]

        out = run_concord("build", "--select", "stg_label_studio__tasks", db=warehouse, env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"analyst snapshot: {published}" in out.stderr
        assert fresh(published, Q_NEW_TASK) == [(1,)]
        assert fresh(published, Q_LOADS)[0][0] == before[1] + 1  # staging: the new load
        assert reader.ask(Q_LOADS)[0][0] == before[1]  # the open session: its own file
        assert reader.ask(Q_NEW_TASK) == [(0,)]

        out = run_concord("erase", "--task-id", str(NEW_TASK), "--reason", "t-16", db=warehouse)
        assert out.returncode == 0, out.stderr
        assert f"analyst snapshot: {published}" in out.stdout
        assert fresh(published, Q_NEW_TASK) == [(0,)]
        assert fresh(published, Q_MART) == before[0]
        assert reader.ask(Q_MART) == before[0]  # still reading, undisturbed
    finally:
        reader.close()
    # the erased task's text is in no byte of the snapshot, and verify-erasure says clean
    assert grep_count(NEW_TEXT, published) == 0
    assert grep_count(NEW_EXT, published) == 0
    assert not list(published.parent.glob(f"{published.name}.tmp-*"))
    out = run_concord("verify-erasure", db=warehouse)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "zero residue" in out.stdout


def test_erase_rewrites_the_snapshot_and_verify_erasure_scans_it(warehouse, published):
    """Erasing a task of the snapshot removes it from the snapshot's rows and bytes; a value
    planted in the snapshot afterwards is found by verify-erasure, in its tables and its bytes."""
    ext = "byos-0006"
    assert fresh(
        published, "select ext_id from staging.stg_label_studio__tasks where task_id = 7"
    ) == [(ext,)]
    assert grep_count(ext, published) > 0  # the test sees the value before
    out = run_concord("erase", "--task-id", "7", "--reason", "t-16", db=warehouse)
    assert out.returncode == 0, out.stderr
    assert grep_count(ext, published) == 0
    assert fresh(published, "select count(*) from marts.dim_tasks where task_id = 7") == [(0,)]

    con = duckdb.connect(str(published))  # no reader holds it: plant residue in a new table
    con.execute("create table marts.planted as select ? as note", [ext])
    con.execute("create table marts.planted_id as select 7 as task_id")
    con.close()
    out = run_concord("verify-erasure", db=warehouse)
    assert out.returncode == 1
    assert f"{published}: marts.planted.note" in out.stdout, out.stdout
    assert f"{published}: marts.planted_id.task_id" in out.stdout, out.stdout
    assert f"{published} (raw bytes)" in out.stdout, out.stdout


def test_a_crash_before_the_republish_is_finished_by_the_next_command(warehouse, published):
    """`kill -9` after the erasure's compaction, before the snapshot is rewritten: the snapshot
    still holds the task (the erasure owes it), and the next command of any kind rewrites it."""
    assert grep_count("byos-0006", published) > 0
    proc = spawn(["erase", "--task-id", "7"], warehouse, pause_at="erase_before_publish")
    kill_at_pause(proc, "erase_before_publish")
    assert grep_count("byos-0006", published) > 0
    out = run_concord("status", db=warehouse)
    assert out.returncode == 0, out.stderr
    assert f"analyst snapshot: {published}" in out.stderr
    assert grep_count("byos-0006", published) == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from concord_meta.pending_publish").fetchone() == (0,)
    con.close()


def test_a_failed_publish_leaves_the_warehouse_and_the_snapshot(warehouse, published):
    """A storage version this DuckDB cannot write: one line saying what failed, exit 1, no temp
    file, the previous snapshot and the warehouse unchanged."""
    snapshot_bytes = published.read_bytes()
    warehouse_bytes = warehouse.read_bytes()
    out = run_concord("publish", db=warehouse, env={"CONCORD_ANALYST_STORAGE_VERSION": "v0.0.1"})
    assert out.returncode == 1
    assert out.stderr.startswith(f"concord: error: analyst snapshot {published} not published")
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert published.read_bytes() == snapshot_bytes
    assert warehouse.read_bytes() == warehouse_bytes
    assert not list(published.parent.glob(f"{published.name}.tmp-*"))


def test_stale_temp_file_of_a_killed_publish_is_removed(warehouse, published):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = published.with_name(f"{published.name}.tmp-{dead.pid}")
    stale.write_bytes(b"half a snapshot")
    out = run_concord("status", db=warehouse)
    assert out.returncode == 0, out.stderr
    assert not stale.exists()


def test_duckdb_14_opens_the_snapshot(warehouse, published):
    """The DuckDB 1.4 line (what many notebooks and SQL clients bundle) opens the snapshot and
    answers a mart query and a query on a staging view exactly as the warehouse does."""
    venv = os.environ.get("DUCKDB14_VENV")
    if not venv:
        pytest.skip("DUCKDB14_VENV is not set (make test sets it: make install-duckdb14)")
    python = Path(venv) / "bin" / "python"
    assert python.exists(), f"DUCKDB14_VENV={venv}: no {python} (run make install-duckdb14)"
    version = subprocess.run(
        [str(python), "-c", "import duckdb; print(duckdb.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version.startswith("1.4."), version
    reader = Reader(published, python=str(python))
    try:
        mart, view = reader.ask(Q_MART), reader.ask(Q_VIEW)
    finally:
        reader.close()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert mart == con.execute(Q_MART).fetchall() and mart
        assert view == con.execute(Q_VIEW).fetchall() and view
    finally:
        con.close()


def test_the_analyst_path_and_storage_version_are_configurable(warehouse, tmp_path):
    target = tmp_path / "shared" / "analysts.duckdb"
    out = run_concord(
        "publish",
        db=warehouse,
        env={"CONCORD_ANALYST_DB": str(target), "CONCORD_ANALYST_STORAGE_VERSION": "v1.2.0"},
    )
    assert out.returncode == 0, out.stderr
    assert "storage v1.2.0" in out.stdout
    con = duckdb.connect(str(target), read_only=True)
    try:
        row = con.execute("select storage_version from concord_snapshot.published").fetchone()
    finally:
        con.close()
    assert row == ("v1.2.0",)
    assert not analyst_path(warehouse).exists()


def test_retention_rewrites_the_snapshot(warehouse, published):
    """A retention purge goes through the erasure's machinery: the snapshot loses the tasks."""
    tasks = fixture_tasks("byos_text") + fixture_tasks("ner_spans")
    cutoff = sorted(_activity(t) for t in tasks)[6]  # the 6 earliest-touched tasks go
    gone = sorted(t["id"] for t in tasks if _activity(t) < cutoff)
    query = f"select count(*) from marts.dim_tasks where task_id in ({','.join(map(str, gone))})"
    assert fresh(published, query) == [(6,)]
    as_of = (cutoff + dt.timedelta(days=90)).isoformat()
    out = run_concord("retention", "--older-than", "90d", "--as-of", as_of, db=warehouse)
    assert out.returncode == 0, out.stderr
    assert f"analyst snapshot: {published}" in out.stdout
    assert fresh(published, query) == [(0,)]
