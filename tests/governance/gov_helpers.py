"""Helpers of the governance tests: our own warehouses (never the shared `built_warehouse`).

`gov_base` (session scope) builds one warehouse from the real fixtures the way a user would:
byos_text ingested twice (the sync export, then the snapshot export of the same project, so every
byos task came in through two exports), ner_spans (snapshot), both labeling configs, three score
tables keyed three ways (data.ext_id, prediction_id, task_id), then dbt run. Each test gets a copy
(`warehouse`), so tests can erase, purge and extract freely.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "label_studio"
SCORES = REPO_ROOT / "tests" / "fixtures" / "scores"
DEMO_SCORES = REPO_ROOT / "demo" / "scores"

# score tables of the base warehouse: (name, file, key)
SCORE_TABLES = (
    ("ext_scores", DEMO_SCORES / "byos_text_scores.csv", "data.ext_id"),
    ("calibrated", DEMO_SCORES / "byos_text_prediction_calibrated.parquet", "prediction_id"),
    ("task_scores", SCORES / "task_scores.csv", "task_id"),
)


def ingest_base(db: Path, *, with_ner: bool = True) -> None:
    from ingest.configs import ingest_config
    from ingest.exports import ingest_exports
    from ingest.scores import ingest_scores

    byos = FIXTURES / "byos_text"
    ingest_exports(db, [byos / "export.json"])
    ingest_exports(db, [byos / "export_snapshot.json"])
    ingest_config(db, byos / "labeling_config.xml", 1)
    if with_ner:
        ner = FIXTURES / "ner_spans"
        ingest_exports(db, [ner / "export_snapshot.json"])
        ingest_config(db, ner / "labeling_config.xml", 3)
    for name, path, key in SCORE_TABLES:
        ingest_scores(db, [path], name, key)


def dbt_run(db: Path, target: Path) -> None:
    """`dbt seed`, `dbt run`, then the training models' tests, artifacts under `target`; then checkpoint, so
    the file alone holds everything (copies of it are complete)."""
    from concord.dbt import run_dbt

    os.environ.setdefault("DBT_LOG_PATH", str(target / "logs"))
    run_dbt(["seed"], db, target_path=target, quiet=True)
    run_dbt(["run"], db, target_path=target, quiet=True)
    run_dbt(["test", "--select", "path:models/marts/training"], db, target_path=target, quiet=True)
    con = duckdb.connect(str(db))
    con.execute("checkpoint")
    con.close()


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db))


def finish_erasure(con: duckdb.DuckDBPyConnection, db: Path) -> duckdb.DuckDBPyConnection:
    """The step `concord erase` runs after the library's `erase` (the compaction of the file,
    which needs the connection closed): close, finish, reopen."""
    from concord.erasure import finish

    con.close()
    finish(db)
    return connect(db)


def dump_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every base table of the warehouse (incl. concord_meta), rows as sorted text tuples."""
    out: dict[str, list[tuple]] = {}
    for schema, table in con.execute(
        "select table_schema, table_name from information_schema.tables"
        " where table_type = 'BASE TABLE' and table_catalog = current_database()"
        " order by 1, 2"
    ).fetchall():
        rows = con.execute(f'select * from "{schema}"."{table}"').fetchall()
        out[f"{schema}.{table}"] = sorted(tuple(str(v) for v in row) for row in rows)
    return out


def dump_dir(path: Path) -> dict[str, str]:
    """File name -> sha256 of every file in a directory (temp files included)."""
    if not path.is_dir():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir())}


def fixture_tasks(folder: str, name: str = "export_snapshot.json") -> list[dict[str, Any]]:
    with open(FIXTURES / folder / name, encoding="utf-8") as handle:
        return json.load(handle)


def tables_with_task(con: duckdb.DuckDBPyConnection, task_id: int) -> dict[str, int]:
    """Base tables and views with a task_id column: rows for this task."""
    out = {}
    for schema, table in con.execute(
        "select table_schema, table_name from information_schema.columns"
        " where column_name = 'task_id' and table_catalog = current_database()"
        " and table_schema <> 'concord_meta' order by 1, 2"
    ).fetchall():
        n = con.execute(
            f'select count(*) from "{schema}"."{table}" where cast(task_id as varchar) = ?',
            [str(task_id)],
        ).fetchone()[0]
        if n:
            out[f"{schema}.{table}"] = n
    return out


def run_concord(*args: str, db: Path | None = None, env: dict[str, str] | None = None):
    """Run the real `concord` entry point (`concord ARGS [--db DB]`) in a subprocess."""
    import subprocess
    import sys

    script = Path(sys.executable).with_name("concord")
    command = [str(script), *args] + (["--db", str(db)] if db is not None else [])
    full_env = {k: v for k, v in os.environ.items() if k != "CONCORD_DB"}
    full_env.update(env or {})
    return subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO_ROOT,
        env=full_env,
    )
