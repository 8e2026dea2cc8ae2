"""`concord build`, `concord check`, `concord demo` through the installed console script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, query

CONCORD = Path(sys.executable).parent / "concord"


def run_concord(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    env.pop("CONCORD_DB", None)
    return subprocess.run(
        [str(CONCORD), *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
        cwd=tmp_path,
        check=False,
    )


def test_build_passes_arguments_to_dbt(tmp_path):
    db = tmp_path / "w.duckdb"
    ingest = run_concord(
        "ingest",
        "export",
        str(FIXTURES / "ner_spans" / "export.json"),
        "--db",
        str(db),
        tmp_path=tmp_path,
    )
    assert ingest.returncode == 0, ingest.stderr
    result = run_concord("build", "--db", str(db), "--select", "staging", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # only the selected models (and their tests) ran
    assert "stg_label_studio__annotation_results" in result.stdout
    assert "marts." not in result.stdout and "intermediate." not in result.stdout
    assert query(db, "select count(*) from staging.stg_label_studio__tasks") == [(24,)]


def test_build_failure_is_one_line(tmp_path):
    result = run_concord(
        "build", "--db", str(tmp_path / "w.duckdb"), "--threads", "zero", tmp_path=tmp_path
    )
    assert result.returncode == 1
    # exactly one line on stderr, naming the dbt command and dbt's reason; nothing else printed
    assert result.stderr.splitlines() == [
        "concord: error: dbt build --threads zero failed: 'zero' is not a valid integer."
    ]
    assert result.stdout == ""


def test_check_without_a_warehouse(tmp_path):
    missing = tmp_path / "nothing.duckdb"
    result = run_concord("check", "--db", str(missing), tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"concord: error: {missing}: no warehouse here: run `concord ingest` and `concord build` first"
    )


def _summary(stdout: str) -> dict[str, str]:
    # the counts block: from its title to the first blank line (the headline follows)
    block = stdout.split("Concord demo warehouse", 1)[1].split("\n\n", 1)[0]
    return dict(re.findall(r"^  ([a-z ]+|DuckDB file):\s+(\S.*)$", block, flags=re.MULTILINE))


@pytest.mark.slow
def test_demo_runs_and_reruns(tmp_path):
    db = tmp_path / "demo.duckdb"
    first = run_concord("demo", "--db", str(db), tmp_path=tmp_path)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    summary = _summary(first.stdout)
    assert summary == {
        "projects": "2",
        "tasks": "54",
        "annotations": "107",
        "skipped annotations": "4",
        "predictions": "61",
        "controls": "4",
        "score rows": "69",
        "DuckDB file": str(db),
        "analysts open": str(tmp_path / "demo.analyst.duckdb"),
    }
    assert (tmp_path / "demo.analyst.duckdb").is_file()  # the snapshot analysts open (#16)
    assert re.search(
        r"\d+ expectations on \d+ relations: \d+ passed, 0 failed, 0 errors", first.stdout
    )
    # the printed example query works as printed
    lines = first.stdout.strip().splitlines()
    assert lines[-1].startswith("Report: ")  # the demo ends with the report's path
    [python_line] = [line.strip() for line in lines if "import duckdb" in line]
    assert python_line.startswith(str(Path(sys.executable)))
    example = subprocess.run(
        python_line, shell=True, capture_output=True, text=True, timeout=120, check=False
    )
    assert example.returncode == 0, example.stderr
    # the printed query is the per-control summary mart: every demo control is in its output
    for control in ("label", "human_rating", "rationale", "ner"):
        assert control in example.stdout, control

    # re-runnable: the second run loads nothing new and ends with the same warehouse
    second = run_concord("demo", "--db", str(db), tmp_path=tmp_path)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert second.stdout.count("nothing to do") == 6  # 2 exports, 2 configs, 2 score tables
    assert _summary(second.stdout) == summary
