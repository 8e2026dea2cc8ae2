"""Crash safety (issue #12 item 5, issue #11 item 9): a real `kill -9` of `concord erase`,
`extract`, `ingest export` and `build` leaves the previous state intact (or, after an erasure's
commit, a state the next command finishes), and the next command of any kind removes what the
killed one left: spill files in `<db>.tmp/`, temp extract files, a half-written compacted copy.

The process is stopped at a named point (`CONCORD_TEST_PAUSE_AT`, ingest/loading.py
`pause_point`) and killed there, so each test is deterministic; `build` is killed while dbt
writes (its first WAL bytes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from .gov_helpers import REPO_ROOT, dump_dir, dump_warehouse, run_concord
from .test_erasure_bytes import grep_count

ALL_TASKS = ["--min-annotations", "0"]


def spawn(args: list[str], db: Path, pause_at: str | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "CONCORD_DB"}
    if pause_at:
        env["CONCORD_TEST_PAUSE_AT"] = pause_at
    script = Path(sys.executable).with_name("concord")
    return subprocess.Popen(
        [str(script), *args, "--db", str(db)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: kill -9 reaches dbt's threads too
    )


def kill_at_pause(proc: subprocess.Popen, point: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if f"paused at {point}" in line:
            break
        if not line and proc.poll() is not None:
            pytest.fail(f"process ended (exit {proc.returncode}) before pausing at {point}")
    else:
        pytest.fail(f"never paused at {point}")
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL


def plant_spill(db: Path) -> Path:
    """A spill file as DuckDB leaves it when its process is killed."""
    spill = Path(f"{db}.tmp")
    spill.mkdir(exist_ok=True)
    path = spill / "duckdb_temp_storage_DEFAULT-0.tmp"
    path.write_bytes(os.urandom(4096))
    return path


def snapshot(db: Path) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return dump_warehouse(con)
    finally:
        con.close()


def without_tmp(listing: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in listing.items() if not k.endswith(".tmp")}


@pytest.fixture
def with_extract(warehouse: Path, tmp_path: Path) -> tuple[Path, Path]:
    extract_dir = tmp_path / "extract"
    out = run_concord("extract", "--out", str(extract_dir), *ALL_TASKS, db=warehouse)
    assert out.returncode == 0, out.stderr
    return warehouse, extract_dir


def test_kill_erase_before_commit_keeps_everything(with_extract):
    db, extract_dir = with_extract
    before, files_before = snapshot(db), dump_dir(extract_dir)
    proc = spawn(["erase", "--task-id", "10"], db, "erase_before_commit")
    kill_at_pause(proc, "erase_before_commit")
    assert any(name.endswith(".tmp") for name in dump_dir(extract_dir))  # killed mid-way
    orphan = plant_spill(db)
    assert snapshot(db) == before
    assert without_tmp(dump_dir(extract_dir)) == files_before
    out = run_concord("status", db=db)  # any command
    assert out.returncode == 0, out.stderr
    assert dump_dir(extract_dir) == files_before  # the temp files are gone
    assert not orphan.exists()


@pytest.mark.parametrize("point", ["erase_committed", "compact_copy", "compact_swap"])
def test_kill_erase_after_commit_is_finished_by_the_next_command(with_extract, point):
    db, extract_dir = with_extract
    con = duckdb.connect(str(db), read_only=True)
    text = con.execute(
        "select task.data ->> 'text' from raw_label_studio.tasks where task_id = 10"
    ).fetchone()[0]
    con.close()
    proc = spawn(["erase", "--task-id", "10"], db, point)
    kill_at_pause(proc, point)
    # committed: gone from the tables; the bytes wait for the compaction the journal owes
    assert grep_count(text, db) + grep_count(text, Path(f"{db}.wal")) > 0
    out = run_concord("status", db=db)
    assert out.returncode == 0, out.stderr
    assert "warehouse compacted" in out.stderr
    assert not Path(f"{db}.compact.tmp").exists()
    assert grep_count(text, db) == 0 and not Path(f"{db}.wal").exists()
    for path in extract_dir.iterdir():
        assert grep_count(text, path) == 0 and not path.name.endswith(".tmp")
    out = run_concord("verify-erasure", db=db)
    assert out.returncode == 0, out.stdout + out.stderr


def test_kill_check_leaves_no_proof_temp_file(warehouse):
    """A check killed while it writes its proofs of clean scans (concord/erasure/proof.py) leaves
    a temp file beside the warehouse; the next command removes it, the old proofs stay."""
    assert run_concord("erase", "--task-id", "10", db=warehouse).returncode == 0
    assert run_concord("verify-erasure", db=warehouse).returncode == 0  # writes the proofs
    proofs = warehouse.with_name(warehouse.name + ".erasure-proofs.json")
    kept = proofs.read_bytes()
    proc = spawn(["check"], warehouse, "proofs_before_rename")
    kill_at_pause(proc, "proofs_before_rename")
    temps = [p for p in warehouse.parent.iterdir() if p.name.startswith(proofs.name + ".")]
    assert temps, "the killed check left no temp file: the test no longer kills mid-write"
    assert proofs.read_bytes() == kept
    out = run_concord("status", db=warehouse)  # any command
    assert out.returncode == 0, out.stderr
    assert [p for p in warehouse.parent.iterdir() if p.name.startswith(proofs.name + ".")] == []
    assert proofs.read_bytes() == kept


def test_kill_extract_keeps_the_previous_extract(with_extract):
    db, extract_dir = with_extract
    files_before = dump_dir(extract_dir)
    proc = spawn(
        ["extract", "--out", str(extract_dir), "--format", "jsonl"], db, "extract_before_rename"
    )
    kill_at_pause(proc, "extract_before_rename")
    assert any(name.endswith(".tmp") for name in dump_dir(extract_dir))
    assert without_tmp(dump_dir(extract_dir)) == files_before
    assert run_concord("status", db=db).returncode == 0
    assert dump_dir(extract_dir) == files_before


def test_kill_ingest_keeps_the_raw_layer(warehouse, tmp_path):
    export = tmp_path / "again.json"
    export.write_bytes(
        (REPO_ROOT / "tests/fixtures/label_studio/ner_spans/export.json").read_bytes() + b"\n"
    )
    before = snapshot(warehouse)
    proc = spawn(["ingest", "export", str(export)], warehouse, "ingest_before_commit")
    kill_at_pause(proc, "ingest_before_commit")
    orphan = plant_spill(warehouse)
    assert snapshot(warehouse) == before
    assert run_concord("status", db=warehouse).returncode == 0
    assert not orphan.exists()
    assert snapshot(warehouse) == before


def test_kill_build_keeps_the_raw_layer(warehouse):
    def raw(dump: dict) -> dict:
        return {k: v for k, v in dump.items() if k.startswith(("raw_", "concord_meta."))}

    before = snapshot(warehouse)
    proc = spawn(["build", "--select", "staging"], warehouse)
    wal = Path(f"{warehouse}.wal")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (wal.exists() and wal.stat().st_size):
        if proc.poll() is not None:
            pytest.fail(f"build ended (exit {proc.returncode}) before it wrote anything")
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    orphan = plant_spill(warehouse)
    after = snapshot(warehouse)  # opens: the WAL of the killed build replays or is dropped
    assert raw(after) == raw(before)
    assert run_concord("status", db=warehouse).returncode == 0
    assert not orphan.exists()
