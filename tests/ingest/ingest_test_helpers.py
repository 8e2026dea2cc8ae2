"""Helpers for the ingest tests (imported by the test modules of this folder): the installed
`concord` console script, and raw-table snapshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "label_studio"
BAD = REPO_ROOT / "tests" / "fixtures" / "bad_inputs"
DEMO_SCORES = REPO_ROOT / "demo" / "scores"

RAW_TABLES = (
    "raw_label_studio.loads",
    "raw_label_studio.tasks",
    "raw_label_studio.labeling_configs",
    "raw_label_studio.config_tags",
    "raw_scores.score_tables",
    "raw_scores.score_rows",
)


def concord_script() -> str:
    """The installed console script of this environment (not `python -m`): what users run."""
    candidate = Path(sys.prefix) / "bin" / "concord"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("concord")
    if found is None:
        pytest.fail("the `concord` console script is not installed (pip install -e .)")
    return found


def run_concord(
    *args: str, db: Path | None = None, cwd: Path | None = None, env: dict | None = None
):
    """Run `concord ARGS [--db DB]`; returns the CompletedProcess (text)."""
    command = [concord_script(), *args]
    if db is not None:
        command += ["--db", str(db)]
    env = {**{k: v for k, v in os.environ.items() if k != "CONCORD_DB"}, **(env or {})}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=cwd or REPO_ROOT,
        env=env,
    )


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every raw table's rows, sorted: to compare a warehouse before and after a command."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {}
        for table in RAW_TABLES:
            cursor = con.execute(f"select * from {table}")
            rows = [tuple(str(v) for v in row) for row in cursor.fetchall()]
            out[table] = sorted(rows)
        return out
    finally:
        con.close()


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def without_nulls(value):
    """`value` without its null-valued object keys, at every depth: the raw task struct holds
    every key of the export shape, and a JSON null reads like an absent key."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value
