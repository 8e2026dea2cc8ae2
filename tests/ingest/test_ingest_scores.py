"""`concord ingest scores`: external score tables in CSV, Parquet, JSON and NDJSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
from ingest_test_helpers import DEMO_SCORES, REPO_ROOT, rows, run_concord, snapshot

SCORES = REPO_ROOT / "tests" / "fixtures" / "scores"


def score_rows(db: Path, name: str) -> list[tuple]:
    return rows(
        db,
        "select row_number, key_value, score, model_version, scored_at, extra_json "
        "from raw_scores.score_rows where score_table_name = ? order by row_number",
        [name],
    )


def test_csv_keyed_by_task_id_keeps_duplicates_and_reports_conflicts(tmp_path):
    db = tmp_path / "w.duckdb"
    path = SCORES / "task_scores.csv"
    done = run_concord("ingest", "scores", str(path), "--name", "ext", "--key", "task_id", db=db)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("task_scores.csv: score_csv: 6 rows, 4 distinct keys (load ld_")
    assert lines[1] == "  table 'ext' keyed by task_id; score range 0.12 .. 0.91"
    assert lines[2] == "  1 key(s) have several different scores (kept; flagged downstream)"
    got = score_rows(db, "ext")
    assert [r[:4] for r in got] == [
        (1, "1", 0.91, "ext-v1"),
        (2, "2", 0.12, "ext-v1"),
        (3, "3", 0.5, "ext-v1"),
        (4, "3", 0.5, "ext-v1"),
        (5, "4", 0.25, "ext-v1"),
        (6, "4", 0.75, "ext-v1"),
    ]
    # scored_at to UTC; a date alone is midnight; empty is null
    assert [r[4] for r in got] == [
        dt.datetime(2026, 11, 28, 10, 0),
        dt.datetime(2026, 11, 28, 10, 30),
        dt.datetime(2026, 11, 28),
        dt.datetime(2026, 11, 28),
        None,
        None,
    ]
    assert json.loads(got[1][5]) == {"note": "comma, and\nnewline"}
    assert rows(
        db,
        "select key_kind, key_field, file_name, n_rows from raw_scores.score_tables",
    ) == [("task_id", None, "task_scores.csv", 6)]


def test_json_ndjson_and_parquet(tmp_path):
    db = tmp_path / "w.duckdb"
    done = run_concord(
        "ingest",
        "scores",
        str(SCORES / "prediction_scores.json"),
        "--name",
        "calib",
        "--key",
        "prediction_id",
        db=db,
    )
    assert done.returncode == 0, done.stderr
    assert [r[:4] for r in score_rows(db, "calib")] == [
        (1, "1", 0.8, "calib-1"),
        (2, "2", 0.1, "calib-1"),
        (3, "30", -1.5, "calib-1"),
    ]
    done = run_concord(
        "ingest",
        "scores",
        str(SCORES / "ext_id_scores.ndjson"),
        "--name",
        "by_ext",
        "--key",
        "data.ext_id",
        db=db,
    )
    assert done.returncode == 0, done.stderr
    assert [r[:4] for r in score_rows(db, "by_ext")] == [
        (1, "byos-0000", 0.7, "m"),
        (2, "byos-0001", 3.0, None),
    ]
    assert rows(
        db,
        "select key_kind, key_field from raw_scores.score_tables where score_table_name = 'by_ext'",
    ) == [("data_field", "ext_id")]
    parquet = tmp_path / "scores.parquet"
    pl.DataFrame(
        {
            "task_id": [1, 2, 3],
            "score": [0.5, 0.25, 1.0],
            "scored_at": [dt.datetime(2026, 1, 1, 12), None, dt.datetime(2026, 1, 2)],
            "split": ["a", "b", "a"],
        }
    ).write_parquet(parquet)
    done = run_concord("ingest", "scores", str(parquet), "--name", "pq", "--key", "task_id", db=db)
    assert done.returncode == 0, done.stderr
    assert "scores.parquet: score_parquet: 3 rows" in done.stdout
    got = score_rows(db, "pq")
    assert [r[:3] for r in got] == [(1, "1", 0.5), (2, "2", 0.25), (3, "3", 1.0)]
    assert got[0][4] == dt.datetime(2026, 1, 1, 12) and got[1][4] is None
    assert json.loads(got[2][5]) == {"split": "a"}


def test_parquet_with_non_finite_scores_is_refused(tmp_path):
    db = tmp_path / "w.duckdb"
    parquet = tmp_path / "bad.parquet"
    pl.DataFrame({"task_id": [1, 2, 3], "score": [0.5, float("nan"), float("-inf")]}).write_parquet(
        parquet
    )
    done = run_concord("ingest", "scores", str(parquet), "--name", "pq", "--key", "task_id", db=db)
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: {parquet}: 2 bad rows, nothing loaded: row 2: score nan is not finite; "
        "row 3: score -inf is not finite\n"
    )
    assert not db.exists()  # validated before the warehouse is even opened


def test_reload_is_a_no_op_and_a_new_file_replaces_the_table(tmp_path):
    db = tmp_path / "w.duckdb"
    demo = DEMO_SCORES / "byos_text_scores.csv"
    args = ("ingest", "scores", str(demo), "--name", "demo", "--key", "data.ext_id")
    assert run_concord(*args, db=db).returncode == 0
    before = snapshot(db)
    again = run_concord(*args, db=db)
    assert again.returncode == 0
    assert again.stdout == (
        "byos_text_scores.csv: score table 'demo' already holds exactly these files: nothing to do\n"
    )
    assert snapshot(db) == before
    other = tmp_path / "other.csv"
    other.write_text("ext_id,score\nbyos-0000,0.1\n", encoding="utf-8")
    done = run_concord(
        "ingest", "scores", str(other), "--name", "demo", "--key", "data.ext_id", db=db
    )
    assert done.returncode == 0, done.stderr
    assert "replaced the previous version" in done.stdout
    assert [r[:3] for r in score_rows(db, "demo")] == [(1, "byos-0000", 0.1)]
    # several files make one table, row numbers running on
    done = run_concord(
        "ingest", "scores", str(demo), str(other), "--name", "two", "--key", "data.ext_id", db=db
    )
    assert done.returncode == 0, done.stderr
    assert [r[0] for r in score_rows(db, "two")] == list(range(1, 32))


def test_demo_score_table_matches_the_byos_text_tasks():
    table = pl.read_csv(DEMO_SCORES / "byos_text_scores.csv")
    assert table.columns == ["ext_id", "score", "model_version", "scored_at"]
    assert table["ext_id"].to_list() == [f"byos-{i:04d}" for i in range(30)]
    assert table["score"].is_between(0, 1).all()
    calibrated = pl.read_parquet(DEMO_SCORES / "byos_text_prediction_calibrated.parquet")
    assert calibrated["prediction_id"].to_list() == list(range(1, 40))
