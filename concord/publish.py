"""The analyst snapshot: what analysts open, so that their readers never block a refresh.

DuckDB lets one process write a file, and a read-only connection held by another process (a
notebook, the DuckDB CLI with `-readonly`, a BI tool) keeps every writer out ("Could not set lock
on file"). So analysts do not open the warehouse: every successful `ingest`, `build`, `demo`,
`ls pull`, erasure and retention publishes `<warehouse stem>.analyst.duckdb` beside it
($CONCORD_ANALYST_DB overrides the path), and `concord publish` does it by hand.

How (README, "Where analysts read"; docs/governance.md for erasure):
- the relations analysts query are copied: every table and view of `marts` (facts and dims) and
  the documented `staging` models (`stg_*`; the internal `base_*` views are not). Views read the
  raw layer, which is not published (it is most of the file), so a view is published as a table
  of its rows; the staging and mart tables are copied as they are. Table and column comments
  (dbt's descriptions) come along, and `concord_snapshot.published` says when and from what;
- it is written in the storage version analysts' DuckDB builds read ($CONCORD_ANALYST_STORAGE_
  VERSION, default v1.4.0: DuckDB 1.4 and later), to `<target>.tmp-<pid>`, checkpointed,
  fsynced, then renamed over the target (`os.replace`) and the directory fsynced. A reader that
  has the previous file open keeps it (its inode) until it reconnects; a new connection sees the
  new one; nobody ever sees half a file;
- a publish that fails removes its temp file and leaves the warehouse and the previous snapshot
  as they were, and says what failed. Temp files of a killed publish (dead pid) are removed by
  the next publish and by every command's recovery step (concord/erasure/journal.py).

An erasure or retention purge republishes as part of finishing (the row it commits in
`concord_meta.pending_publish` is deleted only once the snapshot without the erased tasks is in
place, so a crash is finished by the next command), and `verify-erasure` scans the snapshot.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.erased import fsync_dir
from ingest.errors import ConcordError
from ingest.warehouse import quote_identifier as _qi

ANALYST_DB_ENV = "CONCORD_ANALYST_DB"
STORAGE_VERSION_ENV = "CONCORD_ANALYST_STORAGE_VERSION"
DEFAULT_STORAGE_VERSION = "v1.4.0"
# schemas analysts query; in staging only the documented models (stg_*), not the base_ views
PUBLISHED_SCHEMAS = ("marts", "staging")
INFO_SCHEMA = "concord_snapshot"
TMP_MARK = ".tmp-"


class PublishError(ConcordError):
    """The analyst snapshot could not be written (the warehouse is unchanged)."""


@dataclass
class PublishResult:
    path: Path
    n_tables: int
    n_views: int  # views of the warehouse, published as tables of their rows
    storage_version: str
    seconds: float
    size_bytes: int

    def line(self) -> str:
        return (
            f"analyst snapshot: {self.path} ({self.n_tables} tables, {self.n_views} views"
            f" materialized; storage {self.storage_version}; {self.seconds:.1f} s)"
        )


def analyst_path(db: str | os.PathLike[str]) -> Path:
    """The file analysts open: $CONCORD_ANALYST_DB, else `<warehouse stem>.analyst.duckdb`
    beside the warehouse (DuckDB names its catalog after the file name up to its first dot, so
    both files show the same catalog name)."""
    value = os.environ.get(ANALYST_DB_ENV, "").strip()
    if value:
        return Path(value).expanduser().resolve()
    db = Path(db).resolve()
    return db.with_name(f"{db.name.split('.')[0]}.analyst.duckdb")


def storage_version() -> str:
    value = os.environ.get(STORAGE_VERSION_ENV, "").strip() or DEFAULT_STORAGE_VERSION
    if not re.fullmatch(r"v\d+\.\d+\.\d+|latest", value):
        raise PublishError(
            f"{STORAGE_VERSION_ENV}={value!r}: expected a DuckDB storage version such as v1.4.0"
        )
    return value


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def temp_files(target: Path) -> list[Path]:
    """Every temp file of a publish of `target` (any pid), with its WAL."""
    if not target.parent.is_dir():
        return []
    return sorted(target.parent.glob(f"{target.name}{TMP_MARK}*"))


def clean_stale(target: Path) -> list[Path]:
    """Remove the temp files of publishes whose process is gone (killed mid-copy)."""
    removed = []
    for path in temp_files(target):
        pid = path.name[len(target.name) + len(TMP_MARK) :].split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def published_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str, str | None]]:
    """(schema, name, 'table' | 'view', comment) of what analysts are given, sorted."""
    return con.execute(
        """
        select schema_name, table_name, 'table', comment from duckdb_tables()
        where database_name = current_database() and schema_name in (select unnest(?))
            and (schema_name <> 'staging' or starts_with(table_name, 'stg_'))
        union all
        select schema_name, view_name, 'view', comment from duckdb_views()
        where database_name = current_database() and not internal
            and schema_name in (select unnest(?))
            and (schema_name <> 'staging' or starts_with(view_name, 'stg_'))
        order by 1, 2
        """,
        [list(PUBLISHED_SCHEMAS), list(PUBLISHED_SCHEMAS)],
    ).fetchall()


def has_marts(db: str | os.PathLike[str]) -> bool:
    from ingest.warehouse import connect

    con = connect(db, read_only=True)
    try:
        return bool(
            con.execute(
                "select count(*) from duckdb_tables() where database_name = current_database()"
                " and schema_name = 'marts'"
            ).fetchone()[0]
        )
    finally:
        con.close()


def _copy(con: duckdb.DuckDBPyConnection, alias: str, db: Path, version: str) -> tuple[int, int]:
    relations = published_relations(con)
    source = con.execute("select current_database()").fetchone()[0]
    for schema in sorted({r[0] for r in relations} | {INFO_SCHEMA}):
        con.execute(f"create schema {alias}.{_qi(schema)}")
    n_tables = n_views = 0
    for schema, name, kind, comment in relations:
        target = f"{alias}.{_qi(schema)}.{_qi(name)}"
        con.execute(
            f"create table {target} as select * from {_qi(source)}.{_qi(schema)}.{_qi(name)}"
        )
        if kind == "table":
            n_tables += 1
        else:
            n_views += 1
        if comment:
            con.execute(f"comment on table {target} is {_lit(comment)}")
        for column, column_comment in con.execute(
            "select column_name, comment from duckdb_columns() where database_name = ?"
            " and schema_name = ? and table_name = ? and comment is not null",
            [source, schema, name],
        ).fetchall():
            con.execute(f"comment on column {target}.{_qi(column)} is {_lit(column_comment)}")
    con.execute(
        f"create table {alias}.{INFO_SCHEMA}.published as select"
        " ?::timestamp as published_at, ? as warehouse, ? as storage_version,"
        " ?::integer as n_relations",
        [dt.datetime.now(dt.UTC).replace(tzinfo=None), str(db), version, len(relations)],
    )
    con.execute(
        f"comment on table {alias}.{INFO_SCHEMA}.published is"
        " 'When this analyst snapshot was published (UTC), from which warehouse, in which"
        " DuckDB storage version'"
    )
    return n_tables, n_views


def publish(db: str | os.PathLike[str]) -> PublishResult:
    """Write the analyst snapshot of the warehouse `db` and rename it into place (module doc).
    Raises PublishError, with the warehouse and the previous snapshot unchanged, on failure."""
    from ingest.warehouse import connect

    started = time.perf_counter()
    db = Path(db).resolve()
    target = analyst_path(db)
    version = storage_version()
    if target == db:
        raise PublishError(f"{ANALYST_DB_ENV} names the warehouse itself ({db})")
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(target)
    temp = target.with_name(f"{target.name}{TMP_MARK}{os.getpid()}")
    leftovers = (temp, Path(f"{temp}.wal"))
    for path in leftovers:
        path.unlink(missing_ok=True)
    alias = "concord_publish"
    try:
        con = connect(db, read_only=True)
        try:
            con.execute(
                f"attach {_lit(str(temp))} as {alias} (read_write, storage_version {_lit(version)})"
            )
            try:
                n_tables, n_views = _copy(con, alias, db, version)
                con.execute(f"checkpoint {alias}")
            finally:
                con.execute(f"detach {alias}")
        finally:
            con.close()
        if Path(f"{temp}.wal").exists():
            raise PublishError(f"{temp}.wal left after the copy")
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
        fsync_dir(target.parent)
    except BaseException as err:
        for path in leftovers:
            path.unlink(missing_ok=True)
        if isinstance(err, duckdb.Error | OSError):
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise PublishError(
                f"analyst snapshot {target} not published ({first}); the warehouse is intact"
                " and analysts keep the previous snapshot: `concord publish` tries again"
            ) from None
        raise
    return PublishResult(
        target, n_tables, n_views, version, time.perf_counter() - started, target.stat().st_size
    )
