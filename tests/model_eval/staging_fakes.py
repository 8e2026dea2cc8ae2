"""Staging-shaped tables for testing the model-eval models in isolation.

The model-eval models read only the staging contract of docs/architecture.md. These helpers create
`staging.stg_*` tables with exactly the contract's column names (the subset model_eval reads plus
the keys) in a fresh DuckDB file, so a test can write hand-worked or randomized rows and then run
just the model-eval models (`run_model_eval`): dbt resolves `ref('stg_...')` to these tables
because the staging models themselves are not selected.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import staging_contract
from conftest import query_dicts  # noqa: F401  (the one query_dicts; tests import it from here)

# the staging relations the model-eval models read; their columns and types come from the staging
# contract (tests/staging_contract.py), never copied here
STAGING_TABLES = (
    "stg_label_studio__projects",
    "stg_label_studio__tasks",
    "stg_label_studio__annotations",
    "stg_label_studio__annotation_results",
    "stg_label_studio__predictions",
    "stg_label_studio__prediction_results",
    "stg_label_studio__controls",
    "stg_scores__external_scores",
)

# every model-eval model and its ancestors (the agreement engine, seeds), but not staging: the
# staging relations are the tables written by `write_staging`
MODEL_EVAL_SELECTOR = [
    "label_values",
    "+path:models/intermediate/model_eval",
    "+path:models/marts/model_eval",
]
# not rebuilt: staging (the fakes stand in for it); not run: the agreement area's own data and unit
# tests (tests/agreement covers them; here its models are only inputs)
STAGING_EXCLUDE = [
    "path:models/staging",
    "path:models/intermediate/agreement,resource_type:test",
    "path:models/intermediate/agreement,resource_type:unit_test",
    "path:models/marts/agreement,resource_type:test",
    "path:models/marts/agreement,resource_type:unit_test",
]


def write_staging(db: Path, rows: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
    """A fresh warehouse file with the model-eval staging fakes, filled with `rows`."""
    staging_contract.write_staging(db, STAGING_TABLES, rows)


def run_model_eval(
    db: Path,
    target_path: Path,
    *,
    exclude: list[str] | None = None,
    dbt_vars: Mapping[str, Any] | None = None,
    command: str = "build",
    select: list[str] | None = None,
) -> None:
    """Seed label_values and build every model-eval model (with its data tests) on `db`.

    `select` replaces the default selection; staging models are always excluded.
    """
    from concord.dbt import run_dbt

    args = [command, "--select", *(select or MODEL_EVAL_SELECTOR)]
    args += ["--exclude", *STAGING_EXCLUDE, *(exclude or [])]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    os.environ.setdefault("DBT_LOG_PATH", str(target_path / "logs"))
    run_dbt(args, db, target_path=target_path, quiet=True)
