"""Staging-shaped tables for testing later models in isolation, generated from the staging
contract: the `stg_` models' YAML (models/staging/**/_*models.yml), where every column has its
`data_type` and dbt enforces it (`contract: {enforced: true}` in dbt_project.yml). A fake made
here has exactly the real staging relation's columns and types, so it cannot drift from it.

tests/agreement/agreement_staging.py and tests/model_eval/staging_fakes.py build on this.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import yaml

REPO = Path(__file__).resolve().parent.parent


@functools.cache
def staging_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """{stg model: ((column, data_type), ...)} in the YAML's (= the relation's) column order."""
    out: dict[str, tuple[tuple[str, str], ...]] = {}
    for path in sorted((REPO / "models" / "staging").rglob("_*models.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models") or []:
            if not model["name"].startswith("stg_"):
                continue
            columns = tuple((c["name"], c["data_type"]) for c in model.get("columns") or [])
            out[model["name"]] = columns
    return out


def staging_ddl(table: str) -> str:
    """`create or replace table staging.<table> (...)` with the contract's columns."""
    columns = ", ".join(f'"{name}" {data_type}' for name, data_type in staging_columns()[table])
    return f"create or replace table staging.{table} ({columns})"


def create_staging(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    """Empty `staging.<table>` tables, one per name in `tables`, typed by the contract."""
    con.execute("create schema if not exists staging")
    for table in tables:
        con.execute(staging_ddl(table))


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Mapping[str, Any]]
) -> None:
    """Insert dict rows into staging.<table> (by column name; missing columns stay null, dicts
    become JSON text). Through one Arrow table: row-by-row inserts are far too slow, and Arrow
    keeps an integer column with nulls an integer column (pandas would make it float)."""
    import pyarrow as pa

    rows = list(rows)
    if not rows:
        return
    columns = sorted({key for row in rows for key in row})
    data = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        values = [json.dumps(v) if isinstance(v, dict) else v for v in values]
        if any(isinstance(v, str) for v in values):  # a text column given numbers as well
            values = [v if v is None or isinstance(v, (str, list)) else str(v) for v in values]
        elif any(isinstance(v, float) for v in values):
            values = [
                float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values
            ]
        data[column] = values
    arrow_rows = pa.table(data)  # noqa: F841 - scanned by name below
    con.execute(f"insert into staging.{table} by name select * from arrow_rows")


def write_staging(
    db: Path, tables: tuple[str, ...], rows: Mapping[str, Iterable[Mapping[str, Any]]]
) -> None:
    """A fresh warehouse file `db` with the staging fakes `tables`, filled with `rows`
    ({table: dict rows})."""
    con = duckdb.connect(str(db))
    try:
        create_staging(con, tables)
        for table, table_rows in rows.items():
            insert_rows(con, table, table_rows)
    finally:
        con.close()
