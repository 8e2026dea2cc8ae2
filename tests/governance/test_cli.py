"""The four governance commands as a user runs them: output, exit codes, exact error text."""

from __future__ import annotations

import json

import duckdb

from concord.erasure import FAULT_ENV

from .gov_helpers import connect, dump_warehouse, run_concord


def test_extract_cli(warehouse, tmp_path):
    out = tmp_path / "extract"
    done = run_concord("extract", "--out", str(out), db=warehouse)
    assert done.returncode == 0, done.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["row_counts"]
    assert done.stdout.splitlines() == [
        (
            f"wrote {counts['total']} row(s) to {out}: train {counts['train']},"
            f" validation {counts['validation']}, test {counts['test']}"
        ),
        f"manifest: {out / 'manifest.json'} (content sha256 {manifest['content_sha256']})",
    ]
    done = run_concord(
        "extract", "--out", str(tmp_path / "c"), "--format", "jsonl", "--control", "label",
        "--min-agreement", "label=0.9", "--min-annotations", "2", "--split", "0.5,0.25,0.25",
        db=warehouse,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert manifest["options"]["controls"] == ["label"]
    assert manifest["options"]["min_agreement_by_control"] == {"label": 0.9}
    assert manifest["options"]["min_agreement"] is None  # given thresholds replace the defaults
    assert manifest["options"]["split"]["ratios"] == {
        "train": 0.5,
        "validation": 0.25,
        "test": 0.25,
    }
    rows = [json.loads(line) for s in ("train", "validation", "test")
            for line in (tmp_path / "c" / f"{s}.jsonl").read_text().splitlines()]  # fmt: skip
    assert rows and all(r["control_name"] == "label" and r["agreement"] >= 0.9 for r in rows)
    assert all(r["n_annotations"] >= 2 for r in rows)


def test_extract_cli_errors(warehouse, tmp_path):
    cases = [
        (["--split", "0.8,0.1"], "--split '0.8,0.1': expected three ratios >= 0 that sum to 1 (e.g. 0.8,0.1,0.1)"),
        (["--split", "a,b,c"], "--split 'a,b,c': expected three numbers train,validation,test (e.g. 0.8,0.1,0.1)"),
        (["--min-agreement", "1.5"], "--min-agreement '1.5': the agreement threshold must be in [0, 1]"),
        (["--min-agreement", "label=high"], "--min-agreement 'label=high': expected a number in [0, 1] or CONTROL=NUMBER"),
        (["--min-annotations", "-1"], "--min-annotations -1: must be 0 or more"),
        (["--control", "nope"], "control 'nope' is not in the warehouse (controls: human_rating, label, ner, rationale)"),
    ]  # fmt: skip
    for args, message in cases:
        done = run_concord("extract", "--out", str(tmp_path / "x"), *args, db=warehouse)
        assert (done.returncode, done.stderr) == (1, f"concord: error: {message}\n"), args
    assert not (tmp_path / "x").exists()
    done = run_concord("extract", "--out", str(tmp_path / "x"), db=tmp_path / "missing.duckdb")
    assert done.returncode == 1
    assert done.stderr == (
        f"concord: error: warehouse {tmp_path / 'missing.duckdb'} does not exist"
        " (ingest and build first, or pass --db)\n"
    )


def test_erase_and_verify_cli(warehouse, tmp_path):
    request = tmp_path / "request.csv"
    request.write_text("task_id,ext_id\n10,\n,byos-0012\n")
    done = run_concord("erase", "--from-file", str(request), "--reason", "DSR-4", db=warehouse)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("erased 2 task(s) (erasure er_")
    assert "  raw_label_studio.tasks: 2 row(s)" in lines
    done = run_concord("verify-erasure", db=warehouse)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "zero residue"

    con = connect(warehouse)
    con.execute(
        "create table marts.leak as select 'byos-0009' as ext_id_copy"
    )  # an ext id left behind in a table erase does not know
    con.close()
    done = run_concord("verify-erasure", db=warehouse)
    assert done.returncode == 1
    assert "residue: marts.leak.ext_id_copy: erased ext id" in done.stdout.splitlines()
    # the same bytes sit in the DuckDB file: the raw-byte scan names it too
    assert f"residue: {warehouse} (raw bytes): erased ext id" in done.stdout.splitlines()
    assert done.stderr == "concord: error: 2 location(s) still hold erased data\n"


def test_erase_cli_errors(warehouse, tmp_path):
    bad_header = tmp_path / "bad_header.csv"
    bad_header.write_text("id\n10\n")
    bad_row = tmp_path / "bad_row.csv"
    bad_row.write_text("task_id,ext_id\n10,\n,\nseven,\n")
    empty_row = tmp_path / "empty_row.csv"
    empty_row.write_text("task_id,ext_id,note\n,,why\n")
    cases = [
        ([], "give at least one --task-id, --ext-id or --from-file"),
        (["--task-id", "ten"], "--task-id 'ten': not an integer task id"),
        (["--task-id", "10,999999"], "task id 999999: not in the warehouse and never erased; nothing was erased"),
        (["--ext-id", "nobody"], "ext id nobody: not in the warehouse and never erased; nothing was erased"),
        (["--from-file", str(tmp_path / "none.csv")], f"{tmp_path / 'none.csv'}: no such file"),
        (["--from-file", str(bad_header)], f"{bad_header}: the header must have a task_id or ext_id column"),
        (["--from-file", str(bad_row)], f"{bad_row}: line 4: task_id 'seven' is not an integer"),
        (["--from-file", str(empty_row)], f"{empty_row}: line 2: neither task_id nor ext_id given"),
    ]  # fmt: skip
    con = connect(warehouse)
    before = dump_warehouse(con)
    con.close()
    for args, message in cases:
        done = run_concord("erase", *args, db=warehouse)
        assert (done.returncode, done.stderr) == (1, f"concord: error: {message}\n"), args
    con = connect(warehouse)
    assert dump_warehouse(con) == before
    con.close()


def test_erase_cli_interrupted(warehouse):
    con = connect(warehouse)
    before = dump_warehouse(con)
    con.close()
    done = run_concord("erase", "--task-id", "10", db=warehouse, env={FAULT_ENV: "after_log"})
    assert done.returncode == 1
    assert "injected failure at stage 'after_log'" in done.stderr
    con = connect(warehouse)
    assert dump_warehouse(con) == before
    con.close()


def test_dry_run_cli(warehouse):
    con = connect(warehouse)
    before = dump_warehouse(con)
    con.close()
    done = run_concord("erase", "--task-id", "2", "--dry-run", db=warehouse)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "would erase 1 task(s)",
        "  annotations: 4",
        "  drafts: 0",
        "  predictions: 2",
        "  region_scores: 2",
    ]
    con = connect(warehouse)
    assert dump_warehouse(con) == before
    con.close()


def test_retention_cli(warehouse):
    done = run_concord(
        "retention", "--older-than", "30d", "--as-of", "2026-12-29T00:00:00", db=warehouse
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "cutoff: 2026-11-29 00:00:00 UTC"
    # 30 ext_scores rows (2026-11-20..26) and 4 task_scores rows scored on 2026-11-28
    assert lines[1] == "score rows past the window: 34"
    assert lines[2].startswith("erased 54 task(s) (erasure er_")
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("select count(*) from raw_label_studio.tasks").fetchone()[0] == 0
    con.close()
    cases = [
        (["--older-than", "soon"], "--older-than 'soon': expected a number and a unit d, w or h (e.g. 90d)"),
        (["--older-than", "1d", "--as-of", "yesterday"], "--as-of 'yesterday': not an ISO 8601 time"),
        ([], "no --older-than given and dbt var concord_retention_window is not set"),
    ]  # fmt: skip
    for args, message in cases:
        done = run_concord("retention", *args, db=warehouse)
        assert (done.returncode, done.stderr) == (1, f"concord: error: {message}\n"), args
