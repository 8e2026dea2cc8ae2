"""Run dbt on the warehouse, in-process, with the project's models and profile.

`concord build` and the tests go through `run_dbt`, so the CLI and `dbt build` from the repo root
do the same thing: both read `$CONCORD_DB` through profiles.yml. Installed from a wheel, the
project is the copy inside the package (concord/paths.py).

dbt's target folder (compiled SQL, run results, and the partial-parse cache) is kept per warehouse,
in `.concord-dbt/<warehouse file name>/target/` beside it (`dbt_state_dir`): dbt throws its
partial-parse cache away whenever the connection settings differ from the ones it was parsed with,
and the warehouse path is one of them. One shared target/ for every warehouse made each build of a
warehouse other than the last one built a full parse (8.4 s against 3.5 s for the demo project,
issue #16); kept beside each warehouse, the daily rebuild of the same warehouse parses only what
changed. dbt's logs go there too when the project is the installed copy (site-packages may not be
writable); in a checkout they stay in the project's logs/.
"""

from __future__ import annotations

import os
from pathlib import Path

from concord.paths import DBT_PROJECT_DIR, IS_CHECKOUT, resolve_db
from ingest.errors import ConcordError


class DbtError(ConcordError):
    """dbt ended with errors or failing tests."""


def build_args(args: list[str]) -> list[str]:
    """`args` with dbt's unit tests left out of a `build`, unless the arguments choose resource
    types themselves (`--resource-type`, `--exclude-resource-type`) or select unit tests
    (`--select test_type:unit`, `--select resource_type:unit_test`).

    Unit tests (`unit_tests:` beside the models) check the SQL on fixed inputs, so their result
    does not depend on the warehouse's data: they belong with the project's own tests (`make
    test` runs them once, tests/architecture/test_dbt_unit_tests.py), not in every build. In the
    demo build they were 8 of 480 nodes and 13 of its 52 s. Plain `dbt build` still runs them.
    """
    if not args or args[0] != "build":
        return list(args)
    selecting = False
    for arg in args[1:]:
        flag = arg.split("=", 1)[0]
        if flag.startswith("--") and "resource-type" in flag:
            return list(args)
        if arg.startswith("-"):
            selecting = flag in ("--select", "-s", "--models", "-m")
            if "=" not in arg:
                continue
            arg = arg.split("=", 1)[1]
        if selecting and ("test_type:unit" in arg or "resource_type:unit_test" in arg):
            return list(args)
    return [*args, "--exclude-resource-type", "unit_test"]


def dbt_state_dir(db_path: Path) -> Path:
    """Where dbt's target/ (and, installed, its logs/) live for the warehouse `db_path`: one folder
    per warehouse file, so each keeps its own partial-parse cache (see the module docstring)."""
    return db_path.parent / ".concord-dbt" / db_path.name


def run_dbt(
    args: list[str],
    db: str | os.PathLike[str] | None = None,
    *,
    target_path: str | os.PathLike[str] | None = None,
    quiet: bool = False,
) -> None:
    """Run `dbt <args>` against the warehouse `db`; raise DbtError when dbt reports failure.

    `target_path` (default `$DBT_TARGET_PATH`, then `dbt_state_dir(db) / "target"`) lets tests
    and parallel runs keep their compiled artifacts apart.
    """
    from dbt.cli.main import dbtRunner  # imported late: dbt import costs ~1 s

    db_path = resolve_db(db)
    if db_path.exists():
        # a warehouse locked by another process: the one-line error of ingest.warehouse.connect
        # here, instead of a dbt error buried in its log
        from ingest.warehouse import connect

        connect(db_path, read_only=True).close()
    os.environ["CONCORD_DB"] = str(db_path)
    full_args = [
        *build_args(args),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    target = target_path or os.environ.get("DBT_TARGET_PATH") or dbt_state_dir(db_path) / "target"
    try:
        Path(target).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DbtError(
            f"{target}: cannot create dbt's state folder (compiled SQL, run results, parse cache;"
            f" DBT_TARGET_PATH=DIR puts it elsewhere): {err.strerror or err}"
        ) from None
    full_args += ["--target-path", str(Path(target).resolve())]
    if not IS_CHECKOUT and not os.environ.get("DBT_LOG_PATH"):
        full_args += ["--log-path", str(dbt_state_dir(db_path) / "logs")]
    if quiet:
        full_args = ["--quiet", *full_args]
    try:
        result = dbtRunner().invoke(full_args)
    finally:
        _release_duckdb()
    if result.exception is not None:
        raise DbtError(f"dbt {' '.join(args)} failed: {result.exception}")
    if not result.success:
        hint = ""
        if _ran_out_of_memory(result):
            hint = (
                "; DuckDB ran out of memory: raise its limit with CONCORD_MEMORY_LIMIT "
                f"(now {os.environ.get('CONCORD_MEMORY_LIMIT') or '600MB, the default'}; "
                "e.g. CONCORD_MEMORY_LIMIT=16GB)"
            )
        raise DbtError(
            f"dbt {' '.join(args)} reported errors or failing tests (see output above){hint}"
        )
    if args and args[0] in ("build", "run"):
        _record_vars(db_path, args)


def _record_vars(db_path: Path, args: list[str]) -> None:
    """Remember the build's `--vars` in the warehouse, for the Python that reads vars."""
    from concord.dbt_vars import record_overrides, vars_argument
    from ingest.warehouse import connection

    overrides = vars_argument(args)
    if overrides is None and not db_path.exists():
        return
    with connection(db_path) as con:
        record_overrides(con, overrides)


def _ran_out_of_memory(result) -> bool:
    """Did a node of this dbt run fail with DuckDB's out-of-memory error?"""
    for node in getattr(result.result, "results", None) or []:
        if "Out of Memory Error" in str(getattr(node, "message", "") or ""):
            return True
    return False


def _release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in this process after a run.

    Otherwise a later `duckdb.connect(db, read_only=True)` in the same process (tests, `concord
    check` after `concord demo`'s build) fails with "Can't open a connection to same database file
    with a different configuration than existing connections".
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # pragma: no cover - dbt-duckdb is a dependency
        return
    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None
