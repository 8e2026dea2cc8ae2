"""Issue #11 items 6 and 7 through the installed `concord` script: every command gives one line,
never a traceback, on a warehouse locked by another process; file paths are literal (glob
characters are part of the name); CSV width is handled in linear time."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import time

import pytest
from ingest_test_helpers import FIXTURES, rows, run_concord

BYOS = FIXTURES / "byos_text"


@pytest.fixture
def locked_db(tmp_path):
    """A warehouse held open read-write by another process (as a running ingest or build)."""
    db = tmp_path / "w.duckdb"
    assert (
        run_concord("ingest", "export", str(BYOS / "export_snapshot.json"), db=db).returncode == 0
    )
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys, time; con = duckdb.connect({str(db)!r}); print('ready', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready"
    yield db, holder.pid
    holder.kill()
    holder.wait()


LOCKED_COMMANDS = [
    ("ingest", "export", str(BYOS / "export.json")),
    ("ingest", "config", str(BYOS / "labeling_config.xml"), "--project-id", "1"),
    ("status",),
    ("build",),
    ("check",),
    ("extract", "--out", "{tmp}/extracts"),
    ("erase", "--task-id", "5"),
    ("verify-erasure",),
    ("retention", "--older-than", "365d"),
    ("ls", "pull", "--project", "1"),
    ("ls", "push-flags", "--project", "1"),
]


@pytest.mark.parametrize("args", LOCKED_COMMANDS, ids=[" ".join(a[:2]) for a in LOCKED_COMMANDS])
def test_locked_warehouse_is_one_line_from_every_command(locked_db, tmp_path, args):
    db, pid = locked_db
    args = tuple(a.replace("{tmp}", str(tmp_path)) for a in args)
    # a server that is never reached: the warehouse is opened first
    env = {"LABEL_STUDIO_URL": "http://127.0.0.1:9", "LABEL_STUDIO_API_KEY": "x" * 40}
    done = run_concord(*args, db=db, env=env)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        f"concord: error: {db}: cannot open the warehouse: it is in use by another process "
        f"(process {pid}): wait for it to finish (or stop it), then run the command again"
    )


def test_glob_characters_in_file_names_are_literal(tmp_path):
    def export(task_id: int) -> str:
        return f'[{{"id": {task_id}, "project": 1, "data": {{"text": "t"}}}}]'

    (tmp_path / "exp[1].json").write_text(export(1))
    (tmp_path / "exp1.json").write_text(export(2))  # what the glob exp[1].json matches
    (tmp_path / "x*.json").write_text(export(3))
    (tmp_path / "xa.json").write_text(export(4))
    db = tmp_path / "w.duckdb"
    for name, task_id in (("exp[1].json", 1), ("x*.json", 3)):
        done = run_concord("ingest", "export", str(tmp_path / name), db=db)
        assert done.returncode == 0, done.stderr
        assert rows(
            db,
            "select task_id from raw_label_studio.tasks where load_id = "
            "(select load_id from raw_label_studio.loads order by loaded_at desc limit 1)",
        ) == [(task_id,)]
    (tmp_path / "s*.csv").write_text("task_id,score\n1,0.5\n")
    (tmp_path / "sa.csv").write_text("task_id,score\n2,0.7\n")
    done = run_concord(
        "ingest", "scores", str(tmp_path / "s*.csv"), "--name", "s", "--key", "task_id", db=db
    )
    assert done.returncode == 0, done.stderr
    assert rows(db, "select key_value from raw_scores.score_rows") == [("1",)]


def test_csv_width_is_linear(tmp_path):
    """40k columns: the regrouping took 20 s at 10k, 320 s at 40k columns (a list membership test
    per cell); now about a second."""
    from ingest.exports_min import _Controls, _csv_rows, _regroup

    n = 40_000
    path = tmp_path / "wide.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow(
            ["annotation_id", "annotator", "id", "label"] + [f"c{i:06d}" for i in range(n)]
        )
        for t in range(3):
            writer.writerow([100 + t, "2", 1 + t, "positive"] + [f"v{t}"] * n)
    started = time.monotonic()
    row_iter, renamed = _csv_rows(path, str(path))
    n_rows, tasks, _ = _regroup(
        row_iter, _Controls(None, "inferred"), str(path), fmt="csv", csv_renamed=renamed
    )
    elapsed = time.monotonic() - started
    assert (
        n_rows == 3 and len(tasks) == 3 and len(tasks[1]["data"]) == n + 1
    )  # label: one value per task, so data
    assert elapsed < 30, f"{n} columns took {elapsed:.1f} s"


def test_out_of_memory_names_the_limit_and_a_value(tmp_path):
    db = tmp_path / "w.duckdb"
    export = BYOS / "export_snapshot.json"
    done = run_concord("ingest", "export", str(export), db=db, env={"CONCORD_MEMORY_LIMIT": "10MB"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert re.fullmatch(
        rf"concord: error: {re.escape(str(export))}: DuckDB ran out of memory \(Out of Memory "
        r"Error: failed to allocate data of size [^)]*\)\) under CONCORD_MEMORY_LIMIT=10MB: raise "
        r"it, e.g. CONCORD_MEMORY_LIMIT=\d+MB\n",
        done.stderr,
    ), done.stderr
    suggested = re.search(r"CONCORD_MEMORY_LIMIT=(\d+MB)\n", done.stderr).group(1)
    assert int(suggested[:-2]) >= 20  # at least twice the limit
    assert rows(db, "select count(*) from raw_label_studio.loads") == [(0,)]


def test_deep_nesting_anywhere_is_one_line(tmp_path):
    deep = "[" * 3000 + "]" * 3000
    min_first = tmp_path / "min_deep.json"  # the first record, read to tell JSON_MIN from JSON
    min_first.write_text(
        '[{"text": "a", "id": 1, "label": "x", "annotator": 2, "annotation_id": 5, '
        f'"tree": {deep}}}]'
    )
    csv_deep = tmp_path / "deep.csv"  # a nested JSON cell past Python's recursion: kept as text
    csv_deep.write_text(
        '"annotation_id","annotator","id","label","tree"\n5,"2",1,"x","' + deep + '"\n'
    )
    db = tmp_path / "w.duckdb"
    done = run_concord("ingest", "export", str(min_first), "--project-id", "2", db=db)
    assert (
        done.stderr
        == f"concord: error: {min_first}, task 1: nested deeper than 100 levels (the limit)\n"
    )
    done = run_concord("ingest", "export", str(csv_deep), "--project-id", "2", db=db)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
