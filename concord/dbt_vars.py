"""The dbt vars, as Python reads them: one reader, so Python and the models agree.

Python needs some vars too: the score ranges `concord check` holds scores to, the extract gates,
the ext id field erasure hashes, the retention window. They are declared once, under `vars:` in
dbt_project.yml. A build may override them (`concord build --vars '{...}'`): `run_dbt` records the
overrides of the last successful build / run in the warehouse (`concord_meta.settings`, name
`dbt_vars`), and `project_vars(con)` applies them, so the checks and extracts of that warehouse
use the values its marts were built with, not the file's defaults.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import duckdb
import yaml

from concord.paths import DBT_PROJECT_DIR
from ingest.erased import setting
from ingest.errors import ConcordError
from ingest.warehouse import migrate, relation_exists

SETTING = "dbt_vars"


@functools.cache
def declared_vars() -> dict[str, Any]:
    """`vars:` of dbt_project.yml."""
    with open(DBT_PROJECT_DIR / "dbt_project.yml", encoding="utf-8") as handle:
        return dict((yaml.safe_load(handle) or {}).get("vars") or {})


def recorded_overrides(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The `--vars` of the last successful dbt build / run on this warehouse ({} if none)."""
    value = setting(con, SETTING)
    return json.loads(value) if value else {}


def project_vars(con: duckdb.DuckDBPyConnection | None = None) -> dict[str, Any]:
    """The vars in force: dbt_project.yml, overridden by the warehouse's recorded `--vars`."""
    values = dict(declared_vars())
    if con is not None:
        values.update(recorded_overrides(con))
    return values


def project_var(name: str, default: Any, con: duckdb.DuckDBPyConnection | None = None) -> Any:
    """One var (`default` when undeclared or null)."""
    value = project_vars(con).get(name, default)
    return default if value is None else value


def vars_argument(args: list[str]) -> dict[str, Any] | None:
    """The mapping given to dbt as `--vars VALUE` / `--vars=VALUE` (YAML), or None."""
    for index, arg in enumerate(args):
        text = None
        if arg == "--vars" and index + 1 < len(args):
            text = args[index + 1]
        elif arg.startswith("--vars="):
            text = arg.split("=", 1)[1]
        if text is not None:
            value = yaml.safe_load(text) or {}
            if not isinstance(value, dict):
                raise ConcordError(f"--vars must be a mapping, got {text!r}")
            return value
    return None


def record_overrides(con: duckdb.DuckDBPyConnection, overrides: dict[str, Any] | None) -> None:
    """Remember the `--vars` a build ran with (none: forget earlier ones). Called by run_dbt."""
    if not overrides:
        if relation_exists(con, "concord_meta.settings"):
            con.execute("delete from concord_meta.settings where setting_name = ?", [SETTING])
        return
    migrate(con)
    con.execute(
        "insert or replace into concord_meta.settings values (?, ?)",
        [SETTING, json.dumps(overrides, sort_keys=True)],
    )


def declared_range(
    var_name: str, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[float | None, float | None] | None:
    """The [min, max] of var `var_name` (either end may be null), or None if undeclared."""
    value = project_vars(con).get(var_name)
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ConcordError(f"dbt_project.yml: var {var_name} must be [min, max], got {value!r}")
    low, high = value
    return (None if low is None else float(low), None if high is None else float(high))
