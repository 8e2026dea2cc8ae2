"""Shared pytest harness: one warehouse built from the real Label Studio fixtures, once per session.

`built_warehouse` (session scope) is the path of a temporary DuckDB file holding:
  - both real projects ingested from their snapshot JSON exports (predictions as objects,
    `completed_by` expanded): byos_text (project 1, tasks 1-30) and ner_spans (project 3,
    tasks 55-78), with their labeling configs;
  - the demo score tables under demo/scores/ (score table name = file stem), as `concord demo`;
  - everything `dbt build` makes (staging, intermediate, marts, seeds), with all dbt tests run.

Read it with `query(db, sql)` (a plain function, also available as the `query` fixture), which
opens the file read-only and returns a list of tuples. Do not write to it: it is shared by every
test in the session. Tests that need their own warehouse use `tmp_path` and `build_warehouse`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "label_studio"
DEMO_SCORES = REPO_ROOT / "demo" / "scores"

# the two real projects: (fixture folder, Label Studio project id)
REAL_PROJECTS = (("byos_text", 1), ("ner_spans", 3))


def _open_to_read(db: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """Read-only, or read-write when this process already holds the file open read-write
    (in-process dbt, a test's own connection): DuckDB refuses the other mode then."""
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.ConnectionException:
        return duckdb.connect(str(db))


def query(db: str | os.PathLike[str], sql: str, params: list[Any] | None = None) -> list[tuple]:
    """Run `sql` on the warehouse file `db` (read-only) and return all rows as tuples."""
    con = _open_to_read(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def query_dicts(
    db: str | os.PathLike[str], sql: str, params: list[Any] | None = None
) -> list[dict]:
    """Like `query`, rows as {column: value} dicts (the one query_dicts of the suite)."""
    con = _open_to_read(db)
    try:
        cursor = con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    finally:
        con.close()


def ingest_real_fixtures(db: Path, export_name: str = "export_snapshot.json") -> None:
    """Ingest both real projects (`export_name` form) with their labeling configs into `db`."""
    from ingest.configs import ingest_config
    from ingest.exports import ingest_exports

    for folder, project_id in REAL_PROJECTS:
        ingest_exports(db, [FIXTURES / folder / export_name])
        ingest_config(db, FIXTURES / folder / "labeling_config.xml", project_id)


def ingest_demo_scores(db: Path) -> list[Path]:
    """Ingest every demo score table (demo/scores/*, as `concord demo` does); returns the files."""
    from concord.commands.build_cmds import demo_score_files, ingest_demo_score_file

    files = demo_score_files()
    assert files, f"no demo score tables under {DEMO_SCORES}"
    for path in files:
        ingest_demo_score_file(db, path)
    return files


def build_warehouse(
    db: Path, target_path: Path, *, select: list[str] | None = None, command: str = "build"
) -> None:
    """`dbt build` (or `command`, e.g. "run"; optionally `--select ...`) on `db`, artifacts under
    `target_path`."""
    from concord.dbt import run_dbt

    args = [command] + (["--select", *select] if select else [])
    os.environ.setdefault("DBT_LOG_PATH", str(target_path / "logs"))
    run_dbt(args, db, target_path=target_path, quiet=True)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the group marks
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`): a test module runs whole on
    one worker, so its module-scoped warehouse is built once, and every test that needs the Label
    Studio server runs on one worker, so one server starts. Without xdist the marks do nothing."""
    for item in items:
        if "label_studio" in getattr(item, "fixturenames", ()):
            group = "live-label-studio"
        else:
            group = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session", autouse=True)
def _dbt_artifacts_per_session(tmp_path_factory: pytest.TempPathFactory):
    """dbt's target/ and logs/ in this session's temp folder, for in-process dbt and for every
    `concord` subprocess (they inherit the environment): never the checkout's target/, which
    the developer's own builds use and which a second pytest worker (`-n 2`) would write too.
    A test that needs its own sets DBT_TARGET_PATH / DBT_LOG_PATH itself."""
    root = tmp_path_factory.mktemp("dbt_artifacts")
    saved = {key: os.environ.get(key) for key in ("DBT_TARGET_PATH", "DBT_LOG_PATH")}
    os.environ["DBT_TARGET_PATH"] = str(root / "target")
    os.environ["DBT_LOG_PATH"] = str(root / "logs")
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with both real projects, their configs and the demo scores, after `dbt build`."""
    root = tmp_path_factory.mktemp("built_warehouse")
    db = root / "warehouse.duckdb"
    ingest_real_fixtures(db)
    ingest_demo_scores(db)
    build_warehouse(db, root / "target")
    return db


@pytest.fixture(scope="session")
def query_fn():
    """The `query(db, sql)` helper as a fixture (for tests that prefer injection)."""
    return query


# short alias: `def test_x(built_warehouse, query): query(built_warehouse, "select 1")`
query_fixture = pytest.fixture(name="query", scope="session")(lambda: query)


def compile_inline(sql: str) -> str:
    """`sql` with its Jinja (the project's macros, refs) compiled by dbt: `dbt compile --inline`.
    For testing a macro's SQL, or DDL the build runs, without building anything."""
    import tempfile

    from dbt.cli.main import dbtRunner

    from concord.paths import DBT_PROJECT_DIR

    target = tempfile.mkdtemp(prefix="concord-compile-")
    result = dbtRunner().invoke(
        ["--quiet", "compile", "--inline", sql, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", target]
    )  # fmt: skip
    assert result.success, result.exception
    return result.result.results[0].node.compiled_code
