"""Keys and required columns of contracted tables are NOT NULL constraints, enforced by DuckDB
while dbt fills the table (one check in the insert, where a `not_null` data test was one more dbt
node: 154 of them, 7.4 s of the demo build's node time). Views and intermediate models keep data
tests, since a view has no constraints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import query


def _manifest(built_warehouse: Path) -> dict:
    """The manifest of the build that made `built_warehouse` (conftest.build_warehouse)."""
    return json.loads((built_warehouse.parent / "target" / "manifest.json").read_text())


def _declared_not_null(manifest: dict) -> set[tuple[str, str, str]]:
    declared = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        for column in node["columns"].values():
            if any(c["type"] == "not_null" for c in column.get("constraints") or []):
                declared.add((node["schema"], node["alias"], column["name"]))
    return declared


def test_every_declared_constraint_is_in_the_warehouse(built_warehouse: Path) -> None:
    declared = _declared_not_null(_manifest(built_warehouse))
    assert len(declared) >= 150
    not_null = set(
        query(
            built_warehouse,
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where not is_nullable",
        )
    )
    assert declared - not_null == set()


def test_constraints_sit_only_on_contracted_tables(built_warehouse: Path) -> None:
    """dbt accepts a constraint on a view or an uncontracted model and enforces nothing: such a
    column must keep its not_null data test."""
    manifest = _manifest(built_warehouse)
    loose = [
        (node["name"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and not (
            node["config"]["materialized"] == "table" and node["config"]["contract"]["enforced"]
        )
        for column in node["columns"].values()
        if column.get("constraints")
    ]
    assert loose == []


def test_a_null_key_is_refused(built_warehouse: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(built_warehouse, db)
    con = duckdb.connect(str(db))
    try:
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed"):
            con.execute(
                "insert into marts.fct_control_summary (project_id, control_name) values (null, 'x')"
            )
    finally:
        con.close()
