"""Helpers of the incremental tests: the demo warehouse built once, the comparison with a full
rebuild of a copy (the equality every test of this folder asserts), the engine's change feed."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import query

from concord.commands.build_cmds import DEMO_EXPORTS, demo_score_files, ingest_demo_score_file
from concord.dbt import run_dbt
from concord.devtools.compare_warehouses import compare
from concord.incremental import build

SCHEMAS = ("staging", "intermediate", "marts")
# differs by design: the tasks one build rebuilt (a full rebuild of the copy rebuilt none)
SKIP = ("int_agreement__changed_tasks",)


def demo_warehouse(db: Path) -> list[str]:
    """Ingest the demo data (exports, configs, score tables) into `db` and `concord build` it;
    returns the build's lines on the agreement engine."""
    from ingest.configs import ingest_config
    from ingest.exports import ingest_exports

    for export, config, project_id in DEMO_EXPORTS:
        ingest_exports(db, [export])
        ingest_config(db, config, project_id)
    for path in demo_score_files():
        ingest_demo_score_file(db, path)
    return build(db, [], quiet=True)


def differences_from_full_rebuild(db: Path, folder: Path, dbt_vars: str | None = None) -> list[str]:
    """Copy `db` into the new `folder`, rebuild the copy with --full-refresh (and `dbt_vars`),
    and list the tables of staging, intermediate and marts that differ (EXCEPT ALL both ways,
    doubles to 1e-12; empty: equal)."""
    reference = folder / "w.duckdb"
    folder.mkdir()
    shutil.copy(db, reference)
    args = ["run", "--full-refresh"] + (["--vars", dbt_vars] if dbt_vars else [])
    run_dbt(args, reference, quiet=True)
    return [
        line
        for schema in SCHEMAS
        for line in compare(
            str(db), str(reference), schema, 12, ("invocation_id",), SKIP, verbose=False
        )
    ]


def changed_tasks(db: Path) -> dict[int, str]:
    """{task id: change reason} of the last build's change feed."""
    return dict(
        query(db, "select task_id, change_reason from intermediate.int_agreement__changed_tasks")
    )
