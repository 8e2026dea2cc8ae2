"""Erasure at the byte level (issue #12): after `concord erase` no byte of an erased value is left
in any file Concord owns, `verify-erasure` finds residue planted in each kind of place, the HMAC
key lives outside the warehouse, and one odd task never blocks the erasure of another.

Bytes are counted the way the issue measured them: `grep -c -F -a VALUE FILE`.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import duckdb
import pytest

from concord.erasure import ErasureRequest, erase, finish, verify_erasure
from ingest.erased import KEY_ENV, key_file

from .gov_helpers import FIXTURES, run_concord

# task 7 (byos-0006): its data text, and one annotation's TextArea text (stored JSON-escaped)
TEXTAREA_7 = 'line two with \\"quotes\\", commas'
EXT_7 = "byos-0006"
# task 63 (ner-0008): span text of its annotations (short, and in no other task)
SPAN_63 = "Zoë Saldaña"
ALL_TASKS = ["--min-annotations", "0"]


def grep_count(value: str, path: Path) -> int:
    """`grep -c -F -a`: lines of the file holding the bytes (0 when the file does not exist)."""
    if not path.exists():
        return 0
    out = subprocess.run(
        ["grep", "-c", "-F", "-a", value, str(path)], capture_output=True, text=True, check=False
    )
    return int(out.stdout.strip() or 0)


def owned(db: Path, extract_dir: Path | None = None) -> list[Path]:
    files = [db, Path(f"{db}.wal")]
    spill = Path(f"{db}.tmp")
    if spill.is_dir():
        files += [p for p in spill.iterdir() if p.is_file()]
    if extract_dir is not None and extract_dir.is_dir():
        files += [p for p in extract_dir.iterdir() if p.is_file()]
    return files


def total(value: str, files: list[Path]) -> int:
    return sum(grep_count(value, f) for f in files)


@pytest.fixture
def text_7(warehouse: Path) -> str:
    con = duckdb.connect(str(warehouse), read_only=True)
    text = con.execute(
        "select task.data ->> 'text' from raw_label_studio.tasks where task_id = 7"
    ).fetchone()[0]
    con.close()
    return text


def test_erase_leaves_no_byte_of_an_erased_value(warehouse, tmp_path, text_7):
    extract_dir = tmp_path / "extract"
    out = run_concord(
        "extract", "--out", str(extract_dir), "--format", "jsonl", *ALL_TASKS, db=warehouse
    )
    assert out.returncode == 0, out.stderr
    files = owned(warehouse, extract_dir)
    values = [text_7, TEXTAREA_7, EXT_7, SPAN_63]
    before = {v: total(v, files) for v in values}
    assert all(before.values()), before  # the test sees the bytes before the erasure

    out = run_concord(
        "erase", "--task-id", "7", "--task-id", "63", "--reason", "ticket 1", db=warehouse
    )
    assert out.returncode == 0, out.stderr
    assert "warehouse compacted" in out.stdout
    files = owned(warehouse, extract_dir)
    after = {v: total(v, files) for v in values}
    assert after == {v: 0 for v in values}, after
    assert not Path(f"{warehouse}.wal").exists()

    out = run_concord("verify-erasure", db=warehouse)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "zero residue" in out.stdout
    # the compacted file keeps what analysts rely on: views, comments, the log
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from concord_meta.erasure_log").fetchone()[0] == 1
    assert con.execute("select count(*) from duckdb_views() where not internal").fetchone()[0] > 0
    assert (
        con.execute("select count(*) from duckdb_columns() where comment is not null").fetchone()[0]
        > 0
    )
    con.close()


def test_checkpoint_and_vacuum_leave_the_bytes(warehouse, text_7):
    # why the erasure compacts: deleted rows stay in the file through every DuckDB maintenance
    con = duckdb.connect(str(warehouse))
    erase(con, ErasureRequest(task_ids=[7]))
    for statement in ("checkpoint", "force checkpoint", "vacuum", "checkpoint"):
        con.execute(statement)
    con.close()
    assert grep_count(text_7, warehouse) > 0
    finish(warehouse)  # the owed compaction
    assert grep_count(text_7, warehouse) == 0


def _erase_without_compaction(db: Path, task_id: int) -> None:
    """An erasure whose compaction never ran (as in a warehouse erased by an older Concord)."""
    con = duckdb.connect(str(db))
    erase(con, ErasureRequest(task_ids=[task_id]))
    con.execute("delete from concord_meta.pending_compaction")
    con.execute("checkpoint")
    con.close()


def test_verify_finds_erased_bytes_in_the_database_file(warehouse, text_7):
    _erase_without_compaction(warehouse, 7)
    assert grep_count(text_7, warehouse) > 0
    out = run_concord("verify-erasure", db=warehouse)
    assert out.returncode == 1
    assert f"residue: {warehouse} (raw bytes): text of an erased task" in out.stdout
    assert f"residue: {warehouse} (raw bytes): erased ext id" in out.stdout
    # the table scan alone sees nothing: the live rows are gone
    assert "raw_label_studio" not in out.stdout


def test_verify_finds_erased_bytes_in_the_wal(warehouse, text_7):
    con = duckdb.connect(str(warehouse))
    erase(con, ErasureRequest(task_ids=[7]))
    con.close()
    finish(warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("pragma disable_checkpoint_on_shutdown")
    con.execute("create table main.scratch (v varchar)")
    con.execute("insert into main.scratch values (?)", [f"copied: {text_7}"])
    con.close()
    wal = Path(f"{warehouse}.wal")
    assert grep_count(text_7, wal) > 0
    con = duckdb.connect(str(warehouse), read_only=True)
    proof = verify_erasure(con, finish_pending=False)
    con.close()
    places = {r.where for r in proof.residues}
    assert f"{wal} (raw bytes)" in places, proof.lines()


def test_verify_finds_erased_bytes_in_spill_files_and_the_next_command_removes_them(
    warehouse, text_7
):
    con = duckdb.connect(str(warehouse))
    erase(con, ErasureRequest(task_ids=[7]))
    con.close()
    finish(warehouse)
    spill = Path(f"{warehouse}.tmp")
    spill.mkdir(exist_ok=True)
    orphan = spill / "duckdb_temp_storage_S32K-0.tmp"  # what a killed process leaves
    orphan.write_bytes(b"\x00\x07" + text_7.encode() + b"\x00" + EXT_7.encode() + b"\x01")
    con = duckdb.connect(str(warehouse), read_only=True)
    proof = verify_erasure(con, finish_pending=False)
    con.close()
    assert {r.what for r in proof.residues if r.where == f"{orphan} (raw bytes)"} == {
        "text of an erased task",
        "erased ext id",
    }, proof.lines()
    out = run_concord("verify-erasure", db=warehouse)  # any command: the orphan goes first
    assert out.returncode == 0, out.stdout + out.stderr
    assert not orphan.exists()


def test_verify_finds_erased_bytes_in_extract_folders(warehouse, tmp_path, text_7):
    extract_dir = tmp_path / "extract"
    assert (
        run_concord("extract", "--out", str(extract_dir), *ALL_TASKS, db=warehouse).returncode == 0
    )
    assert run_concord("erase", "--task-id", "7", db=warehouse).returncode == 0
    stray = extract_dir / "notes.txt"
    stray.write_text(f"reviewed {EXT_7} by hand\n", encoding="utf-8")
    out = run_concord("verify-erasure", db=warehouse)
    assert out.returncode == 1
    assert f"residue: {stray} (raw bytes): erased ext id" in out.stdout
    stray.unlink()
    temp = extract_dir / "train.parquet.er_0000.tmp"
    temp.write_bytes(text_7.encode())
    con = duckdb.connect(str(warehouse), read_only=True)
    proof = verify_erasure(con, finish_pending=False)
    con.close()
    assert f"{temp} (raw bytes)" in {r.where for r in proof.residues}
    out = run_concord("verify-erasure", db=warehouse)
    assert out.returncode == 0, out.stdout
    assert not temp.exists()


# ---------------------------------------------------------------------------------------------
# the key


def test_key_lives_outside_the_warehouse(warehouse):
    out = run_concord("erase", "--task-id", "7", "--reason", "ticket 7", db=warehouse)
    assert out.returncode == 0, out.stderr
    path = key_file(warehouse)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key_hex = path.read_text().strip()
    assert len(bytes.fromhex(key_hex)) == 32
    assert grep_count(key_hex, warehouse) == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select reason from concord_meta.erasure_log").fetchall() == [("ticket 7",)]
    assert (
        con.execute(
            "select count(*) from concord_meta.settings where setting_name = 'erasure_salt'"
        ).fetchone()[0]
        == 0
    )
    con.close()


def test_missing_key_is_a_clear_error(warehouse, tmp_path):
    assert run_concord("erase", "--task-id", "7", db=warehouse).returncode == 0
    path = key_file(warehouse)
    key_hex = path.read_text().strip()
    path.unlink()
    export = tmp_path / "again.json"
    export.write_bytes((FIXTURES / "byos_text" / "export.json").read_bytes() + b"\n")
    for args in (
        ("verify-erasure",),
        ("erase", "--task-id", "8"),
        ("ingest", "export", str(export)),
    ):
        out = run_concord(*args, db=warehouse)
        assert out.returncode == 1, args
        assert out.stderr.startswith(
            "concord: error: the erasure key is missing: set "
            f"{KEY_ENV} or restore the key file {path}"
        ), out.stderr
        assert "Traceback" not in out.stderr
    # the key from the environment works as well as the file
    out = run_concord("verify-erasure", db=warehouse, env={KEY_ENV: key_hex})
    assert out.returncode == 0, out.stdout + out.stderr


def test_a_legacy_in_file_key_is_moved_out(warehouse):
    assert run_concord("erase", "--task-id", "7", db=warehouse).returncode == 0
    path = key_file(warehouse)
    key_hex = path.read_text().strip()
    path.unlink()
    # what an older Concord wrote: the salt in concord_meta.settings
    con = duckdb.connect(str(warehouse))
    con.execute("insert into concord_meta.settings values ('erasure_salt', ?)", [key_hex])
    con.close()
    assert grep_count(key_hex, warehouse) > 0
    out = run_concord("verify-erasure", db=warehouse)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "erasure key moved out of the warehouse" in out.stderr
    assert path.read_text().strip() == key_hex
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert grep_count(key_hex, warehouse) == 0


# ---------------------------------------------------------------------------------------------
# one odd task never blocks the erasure of another


def _add_odd_tasks(db: Path) -> None:
    """Tasks 9001.. whose data is 5,000 levels deep, a 20 MB string, a list, a number."""
    deep = "[" * 5000 + '"deep"' + "]" * 5000
    odd = [deep, json.dumps({"text": "x" * 20_000_000}), "[1, 2, 3]", "42", '{"a": {"b": null}}']
    con = duckdb.connect(str(db))
    for offset, data in enumerate(odd):
        con.execute(
            """
            insert into raw_label_studio.tasks by name
            select * replace (
                ? as task_id,
                struct_update(task, id := ?::json, data := ?::json) as task
            )
            from raw_label_studio.tasks where task_id = 3
            """,
            [9001 + offset, str(9001 + offset), data],
        )
    con.close()


def test_odd_tasks_do_not_block_erase_or_retention(warehouse):
    _add_odd_tasks(warehouse)
    out = run_concord("erase", "--task-id", "7", db=warehouse)  # another task
    assert out.returncode == 0, out.stderr
    # retention reads every task, the odd ones included, and erases them too
    out = run_concord(
        "retention", "--older-than", "1d", "--as-of", "2099-01-01T00:00:00", db=warehouse
    )
    assert out.returncode == 0, out.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from raw_label_studio.tasks").fetchone()[0] == 0
    con.close()
