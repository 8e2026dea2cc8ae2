"""`concord build` on an incremental warehouse: when to rebuild everything, and what was rebuilt.

The agreement engine (int_agreement__judgments, __judgment_values, __judgment_regions,
__judgment_pairs_scored) is incremental by task inside dbt (docs/incremental.md): its change feed
(int_agreement__task_digests, __changed_tasks) and its watermark (concord_state.agreement_watermark,
written by an on-run-end hook) live in the warehouse, so a fresh clone of the project against an
existing warehouse still builds incrementally, and plain `dbt build` behaves the same. A changed var
or labeling config shows in the digests (the tasks of the projects it touches are rebuilt).

What the digests cannot see is a change of the SQL itself. `concord build` fingerprints the dbt
project (every file under models/, macros/, seeds/, dbt_project.yml, and the dbt and DuckDB
versions), records it in `concord_meta.settings` after every build that ran the whole engine
(its on-run-end hook recorded the watermark: `watermark_run`), and passes
`--full-refresh` when it differs, saying why. Plain `dbt build` users pass `--full-refresh`
themselves after changing the SQL, as dbt documents for incremental models; a changed column set
fails their build (on_schema_change: fail) rather than going unnoticed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from concord.paths import DBT_PROJECT_DIR

SETTING = "dbt_project_files"
# the models whose tables are rebuilt by task (their existence means a previous build)
ENGINE_TABLE = "intermediate.int_agreement__judgments"
PROJECT_FOLDERS = ("models", "macros", "seeds")


def project_files(project_dir: Path = DBT_PROJECT_DIR) -> dict[str, str]:
    """sha256 of every file the compiled SQL depends on, by path relative to the project, plus
    the dbt-core, dbt-duckdb and DuckDB versions (a new dbt may compile the same SQL otherwise)."""
    import duckdb
    from dbt.adapters.duckdb.__version__ import version as dbt_duckdb_version
    from dbt.version import __version__ as dbt_version

    files = {"dbt_project.yml": project_dir / "dbt_project.yml"}
    for folder in PROJECT_FOLDERS:
        for path in sorted((project_dir / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                files[path.relative_to(project_dir).as_posix()] = path
    digests = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}
    digests["(versions)"] = (
        f"dbt-core {dbt_version}, dbt-duckdb {dbt_duckdb_version}, duckdb {duckdb.__version__}"
    )
    return digests


def _recorded(db_path: Path) -> tuple[dict[str, str] | None, bool]:
    """(the fingerprint recorded by the last complete build, does the engine's table exist)."""
    from ingest.erased import setting
    from ingest.warehouse import connect, relation_exists

    if not db_path.exists():
        return None, False
    con = connect(db_path, read_only=True)
    try:
        value = setting(con, SETTING)
        return (json.loads(value) if value else None), relation_exists(con, ENGINE_TABLE)
    finally:
        con.close()


def full_refresh_reasons(db_path: Path, args: list[str], current: dict[str, str]) -> list[str]:
    """Why this build must rebuild every incremental model ([] = it need not)."""
    if "--full-refresh" in args:
        return ["--full-refresh was given"]
    recorded, built = _recorded(db_path)
    if not built:
        return []  # a first build: dbt builds every table in full anyway
    if recorded is None:
        return ["this warehouse has no record of the dbt project it was built with"]
    changed = sorted(
        name for name in current.keys() | recorded.keys() if current.get(name) != recorded.get(name)
    )
    if not changed:
        return []
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return [f"the dbt project changed since the last build ({shown})"]


def build(db_path: Path, args: list[str], *, quiet: bool = False) -> list[str]:
    """`dbt build <args>` with `--full-refresh` added when the project changed; the fingerprint
    recorded once a build has run the whole engine. Returns the lines that say what was rebuilt
    and why."""
    from concord.dbt import run_dbt

    current = project_files()
    reasons = full_refresh_reasons(db_path, args, current)
    dbt_args = ["build", *args]
    if reasons and "--full-refresh" not in args:
        dbt_args.append("--full-refresh")
    before = watermark_run(db_path)
    run_dbt(dbt_args, db_path, quiet=quiet)
    # only a build whose on-run-end hook recorded the watermark ran every engine model, with
    # --full-refresh when `reasons`; any other (--select, --exclude, --exclude-resource-type model,
    # -sNODE, --empty) leaves the full refresh owed (hostile review: recording after such a build
    # let changed SQL never reach the unchanged tasks)
    complete = watermark_run(db_path) not in (None, before)
    if complete:
        _record(db_path, current)
    return summary(db_path, reasons, complete=complete)


def watermark_run(db_path: Path) -> str | None:
    """The dbt invocation id of the build that last recorded the engine's watermark."""
    from ingest.warehouse import connect, relation_exists

    if not db_path.exists():
        return None
    con = connect(db_path, read_only=True)
    try:
        if not relation_exists(con, "concord_state.agreement_watermark_runs"):
            return None
        row = con.execute(
            "select invocation_id from concord_state.agreement_watermark_runs"
        ).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _record(db_path: Path, current: dict[str, str]) -> None:
    from ingest.warehouse import connection, migrate

    with connection(db_path) as con:
        migrate(con)
        con.execute(
            "insert or replace into concord_meta.settings values (?, ?)",
            [SETTING, json.dumps(current, sort_keys=True)],
        )


def summary(db_path: Path, reasons: list[str], *, complete: bool = True) -> list[str]:
    """One line on the agreement engine: a full refresh and why, or how many tasks it rebuilt."""
    from ingest.warehouse import connect, relation_exists

    if not complete:
        owed = " (the full refresh is still owed)" if reasons else ""
        line = (
            "agreement engine: not every model of the engine ran in this build: the tasks"
            f" changed since the last complete build are rebuilt by the next one{owed}"
        )
        return [line]
    if reasons:
        return ["agreement engine: full refresh: " + "; ".join(reasons)]
    con = connect(db_path, read_only=True)
    try:
        if not relation_exists(con, "intermediate.int_agreement__changed_tasks"):
            return []
        n_tasks = con.execute(
            "select count(*) from intermediate.int_agreement__task_digests"
        ).fetchone()[0]
        by_reason = dict(
            con.execute(
                "select change_reason, count(*) from intermediate.int_agreement__changed_tasks"
                " group by all order by all"
            ).fetchall()
        )
    finally:
        con.close()
    if "no_watermark" in by_reason:
        return [f"agreement engine: every task built ({n_tasks}): no earlier build recorded"]
    if "unknown_state" in by_reason:
        line = (
            f"agreement engine: every task built ({n_tasks}): its state (concord_state) or one"
            " of its tables was missing"
        )
        return [line]
    n_changed = sum(by_reason.values())
    detail = ", ".join(f"{count} {reason.replace('_', ' ')}" for reason, count in by_reason.items())
    return [
        f"agreement engine: incremental, {n_changed} of {n_tasks} tasks rebuilt"
        + (f" ({detail})" if detail else "")
    ]
