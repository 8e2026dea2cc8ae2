"""Staging-shaped tables for testing later models in isolation, generated from the staging
contract: the `stg_` models' YAML (models/staging/**/_*models.yml), where every column has its
`data_type` and dbt enforces it (`contract: {enforced: true}` in dbt_project.yml). A fake made
here has exactly the real staging relation's columns and types, so it cannot drift from it.

tests/agreement/agreement_staging.py and tests/model_eval/staging_fakes.py build on this.
"""

from __future__ import annotations

import functools
from pathlib import Path

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
