"""ingest/warehouse.py: one owner for connections, probes and DDL; migrations run once, by what
writes, never from the `--db` option, never by a read-only command."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import duckdb
import pytest
from ingest_test_helpers import DEMO_SCORES, FIXTURES, run_concord

from concord.cli import cli
from concord.dbt_vars import declared_range, project_var, record_overrides, vars_argument
from ingest import warehouse
from ingest.errors import WarehouseError

BYOS = FIXTURES / "byos_text"


def _old_layout_warehouse(path) -> None:
    """A warehouse as Concord wrote it before the typed task struct and the migrations table:
    raw tasks as JSON text in `task_json`."""
    con = duckdb.connect(str(path))
    con.execute("create schema raw_label_studio")
    con.execute(
        "create table raw_label_studio.tasks (task_id bigint primary key, project_id bigint, "
        "load_id varchar, source_format varchar, task_json json, is_deleted boolean, "
        "deleted_at timestamp, loaded_at timestamp)"
    )
    con.execute(
        "insert into raw_label_studio.tasks values (7, 1, 'ld_x', 'json', ?, false, null, "
        "timestamp '2026-01-01')",
        [json.dumps({"id": 7, "project": 1, "data": {"text": "hi"}, "annotations": []})],
    )
    con.execute(
        "create table raw_label_studio.loads (load_id varchar primary key, command varchar, "
        "file_name varchar, file_path varchar, file_sha256 varchar, file_bytes bigint, "
        "file_format varchar, project_id bigint, n_records bigint, is_full_snapshot boolean, "
        "loaded_at timestamp)"
    )
    con.close()


def _columns(path, relation):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return warehouse.column_names(con, relation), warehouse.applied_version(con)
    finally:
        con.close()


def test_no_command_migrates_from_the_db_option():
    """The old `--db` callback migrated even for read-only commands: no option has a callback."""

    def params(command):
        yield from command.params
        for sub in getattr(command, "commands", {}).values():
            yield from params(sub)

    db_params = [p for p in params(cli) if isinstance(p, click.Option) and p.name == "db"]
    assert len(db_params) >= 10  # every command takes --db
    assert all(p.callback is None for p in db_params)


def test_read_only_commands_never_migrate_and_writers_migrate_once(tmp_path):
    db = tmp_path / "old.duckdb"
    _old_layout_warehouse(db)

    status = run_concord("status", db=db)
    assert status.returncode == 1
    expected = (
        f"concord: error: {db}: written by an earlier Concord (raw tasks stored as JSON text): "
        "run a command that writes (e.g. `concord build`) once to upgrade it"
    )
    assert status.stderr.splitlines() == [expected]
    columns, version = _columns(db, "raw_label_studio.tasks")
    assert "task_json" in columns and "task" not in columns  # untouched
    assert version == 0  # no migrations table either

    first = run_concord(
        "ingest", "config", str(BYOS / "labeling_config.xml"), "--project-id", "1", db=db
    )
    assert first.returncode == 0, first.stderr
    assert first.stderr.strip() == (
        f"{db}: raw_label_studio.tasks converted from task JSON text to the typed task struct "
        "(one-time upgrade)"
    )
    columns, version = _columns(db, "raw_label_studio.tasks")
    assert "task" in columns and "task_json" not in columns
    assert version == warehouse.LATEST_VERSION
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute(
        "select task.data ->> 'text' from raw_label_studio.tasks where task_id = 7"
    ).fetchone() == ("hi",)
    applied = con.execute(
        "select version, migration_name from concord_meta.schema_migrations order by version"
    ).fetchall()
    con.close()
    assert applied == [(m.version, m.name) for m in warehouse.MIGRATIONS]

    again = run_concord(
        "ingest",
        "scores",
        str(DEMO_SCORES / "byos_text_scores.csv"),
        "--name",
        "s",
        "--key",
        "data.ext_id",
        db=db,
    )
    assert again.returncode == 0, again.stderr
    assert "upgrade" not in again.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*) from concord_meta.schema_migrations").fetchone()[0] == len(
        warehouse.MIGRATIONS
    )
    con.close()


def test_migrate_is_a_no_op_on_a_current_warehouse(tmp_path):
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        assert warehouse.migrate(con) == []
        stamps = con.execute("select * from concord_meta.schema_migrations").fetchall()
        assert len(stamps) == len(warehouse.MIGRATIONS)
        assert warehouse.migrate(con) == []
        assert con.execute("select * from concord_meta.schema_migrations").fetchall() == stamps
        for relation in (
            "raw_label_studio.tasks",
            "raw_scores.score_rows",
            "concord_meta.extracts",
            "concord_meta.ls_pulls",
        ):
            assert warehouse.relation_exists(con, relation), relation
    finally:
        con.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_every_connection_has_the_memory_limit(tmp_path, monkeypatch, read_only):
    monkeypatch.setenv("CONCORD_MEMORY_LIMIT", "321MB")
    db = tmp_path / "w.duckdb"
    warehouse.connect(db).close()
    con = warehouse.connect(db, read_only=read_only)
    try:
        limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
        # DuckDB reports it in its own unit: 321 MB = 306.1 MiB
        assert limit.replace(" ", "") in ("306.1MiB", "321.0MB"), limit
        if read_only:
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute("create table t (x int)")
    finally:
        con.close()


def test_a_locked_warehouse_is_one_line_naming_the_file(tmp_path):
    db = tmp_path / "locked.duckdb"
    warehouse.connect(db).close()
    hold = (
        f"import duckdb, sys; c = duckdb.connect({str(db)!r}); print('held', flush=True); "
        "sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseError) as err:
            warehouse.connect(db, read_only=True)
        message = str(err.value)
        assert message.startswith(f"{db}: cannot open the warehouse: ")
        assert "\n" not in message
        result = run_concord("status", db=db)
        assert result.returncode == 1
        assert result.stderr.count("\n") == 1
        assert result.stderr.startswith(f"concord: error: {db}: cannot open the warehouse: ")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)


def test_build_vars_are_recorded_and_read_back(tmp_path):
    """`--vars` given to a build is what the Python readers (checks, extracts) see afterwards."""
    assert vars_argument(["build", "--vars", "{concord_external_score_range: [0, 0.5]}"]) == {
        "concord_external_score_range": [0, 0.5]
    }
    assert vars_argument(["build", "--vars={a: 1}"]) == {"a": 1}
    assert vars_argument(["build", "--select", "x"]) is None
    con = warehouse.connect(tmp_path / "w.duckdb")
    try:
        assert declared_range("concord_external_score_range", con) is None  # the file's null
        record_overrides(con, {"concord_external_score_range": [0, 0.5], "concord_split_seed": "s"})
        assert declared_range("concord_external_score_range", con) == (0.0, 0.5)
        assert project_var("concord_split_seed", "x", con) == "s"
        assert project_var("concord_split_seed", "x") == "concord"  # no warehouse: the file
        record_overrides(con, None)  # a build without --vars forgets them
        assert declared_range("concord_external_score_range", con) is None
    finally:
        con.close()


@pytest.mark.slow
def test_concord_check_uses_the_ranges_the_build_ran_with(tmp_path):
    db = tmp_path / "w.duckdb"
    loaded = run_concord(
        "ingest",
        "scores",
        str(DEMO_SCORES / "byos_text_scores.csv"),
        "--name",
        "s",
        "--key",
        "data.ext_id",
        db=db,
    )
    assert loaded.returncode == 0, loaded.stderr
    env = {"DBT_TARGET_PATH": str(tmp_path / "target"), "DBT_LOG_PATH": str(tmp_path / "logs")}
    built = run_concord(
        "build",
        "--select",
        "stg_label_studio__loads",
        "--indirect-selection",
        "cautious",
        "--vars",
        "{concord_external_score_range: [0, 0.5]}",
        db=db,
        env=env,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    check = run_concord("check", "--layer", "raw", db=db)
    # the demo scores reach 0.9074: outside the build's [0, 0.5], inside the file's (null) range
    assert check.returncode == 1, check.stdout
    assert "FAIL  raw_scores.score_rows.score_in_range: score within [0.0, 0.5]" in check.stdout
    rebuilt = run_concord(
        "build",
        "--select",
        "stg_label_studio__loads",
        "--indirect-selection",
        "cautious",
        db=db,
        env=env,
    )
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    check = run_concord("check", "--layer", "raw", db=db)
    assert check.returncode == 0, check.stdout
    assert "score_in_range" not in check.stdout
