"""The compaction after an erasure runs in a child whose DuckDB allocator zero-fills memory, and a
copy that still holds erased bytes gets one more copy before the erasure fails
(concord/erasure/zeroed.py says why: a metadata block of the copy once carried an erased ext id
that its buffer had held before)."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from concord.erasure import ErasureRequest, erase, finish
from concord.erasure import zeroed as zeroed_module

from .gov_helpers import run_concord
from .test_erasure_bytes import EXT_7, grep_count

PROBE = "from concord.erasure.rewrite_child import zero_fill_active; print(zero_fill_active())"


def _probe(env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_the_child_environment_makes_duckdb_zero_fill_and_a_plain_process_does_not():
    plain = {k: v for k, v in os.environ.items() if k != zeroed_module.JEMALLOC_ENV}
    assert _probe(plain) == "None"  # the probe is not trivially true
    child = {**plain, zeroed_module.JEMALLOC_ENV: zeroed_module.ZERO_FILL}
    assert _probe(child) == "jemalloc"


def test_residue_after_the_compaction_gets_one_more_copy(warehouse, monkeypatch):
    real_run = zeroed_module.run
    calls = []

    def run_then_leave_residue(db, *, force=False):
        lines = real_run(db, force=force)
        calls.append(force)
        if not force:  # what a copy carrying old bytes leaves: here past the file's last block
            with open(db, "ab") as handle:
                handle.write(b"\x00" + EXT_7.encode() + b"\x00")
        return lines

    monkeypatch.setattr(zeroed_module, "run", run_then_leave_residue)
    con = duckdb.connect(str(warehouse))
    result = erase(con, ErasureRequest(task_ids=[7]))
    con.close()
    assert EXT_7 in result.erased_values
    lines = finish(warehouse, result.erased_values)
    assert calls == [False, True], lines
    assert grep_count(EXT_7, warehouse) == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute(
        "select count(*) from raw_label_studio.tasks where task_id = 7"
    ).fetchone() == (0,)
    assert con.execute("select count(*) from raw_label_studio.tasks").fetchone()[0] > 0
    con.close()


def test_a_reader_between_the_erasure_and_its_compaction_is_an_error_not_a_pass(warehouse):
    """Another process opens the warehouse after the erasure committed and before its compaction:
    the erasure cannot compact, so it says the compaction is owed (exit 1), not that it is done;
    the next command run alone compacts, and the proof is clean."""
    from concord.erasure import ErasureError

    con = duckdb.connect(str(warehouse))
    result = erase(con, ErasureRequest(task_ids=[7]))
    con.close()
    hold = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
    hold += "print('open', flush=True); time.sleep(120)"
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(ErasureError, match="its compaction is still owed"):
            finish(warehouse, result.erased_values)
    finally:
        holder.kill()
        holder.wait()
    assert grep_count(EXT_7, warehouse) > 0  # what the error said: the bytes are still there
    out = run_concord("verify-erasure", db=warehouse)  # any command, alone: compacts, then proves
    assert out.returncode == 0, out.stdout + out.stderr
    assert grep_count(EXT_7, warehouse) == 0
