"""The compaction of the warehouse file and the republish of the analyst snapshot that an
erasure owes (the why and the crash protocol: concord/erasure/journal.py's module doc), with the
small file helpers they share. They run in the zero-filling child process
(concord/erasure/rewrite_child.py, started by concord/erasure/zeroed.py); journal.py finishes
everything else an erasure owes."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from ingest.erased import fsync_dir
from ingest.loading import pause_point
from ingest.warehouse import connect
from ingest.warehouse import quote_identifier as _qi

COMPACT_SUFFIX = ".compact.tmp"


def sleep_hook(point: str) -> None:
    """Tests only: pause here for a `kill -9` (ingest/loading.py `pause_point`)."""
    pause_point(point)


def unlink(path: str | os.PathLike[str]) -> None:
    Path(path).unlink(missing_ok=True)


def fsync_file(path: str | os.PathLike[str]) -> None:
    """Make a file's contents durable: the same open-read-only-and-fsync as a directory's."""
    fsync_dir(path)


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database()"
            " and schema_name = 'concord_meta' and table_name = ?",
            [name],
        ).fetchone()[0]
    )


# compaction


def owes_compaction(con: duckdb.DuckDBPyConnection) -> bool:
    return _table_exists(con, "pending_compaction") and bool(
        con.execute("select count(*) from concord_meta.pending_compaction").fetchone()[0]
    )


def compact(con: duckdb.DuckDBPyConnection, db: Path, *, force: bool = False) -> bool:
    """Copy the live data into a fresh file and swap it in (see the module doc), when owed or
    with `force`. Runs in the zero-filling child of concord/erasure/zeroed.py, which closes `con`
    right after (it holds the write lock until then, so no one opens the old file)."""
    if not (force or owes_compaction(con)):
        return False
    fresh = db.with_name(db.name + COMPACT_SUFFIX)
    for stale in (fresh, Path(f"{fresh}.wal")):
        unlink(stale)
    name = con.execute("select current_database()").fetchone()[0]
    con.execute("checkpoint")
    sleep_hook("compact_copy")
    path_literal = str(fresh).replace("'", "''")
    con.execute(f"attach '{path_literal}' as concord_compact")
    try:
        con.execute(f"copy from database {_qi(name)} to concord_compact")
        con.execute("delete from concord_compact.concord_meta.pending_compaction")
        con.execute("checkpoint concord_compact")
    finally:
        con.execute("detach concord_compact")
    if Path(f"{fresh}.wal").exists():  # never expected after detach: do not swap in half a file
        raise RuntimeError(f"{fresh}.wal left after the copy; the warehouse was not swapped")
    fsync_file(fresh)
    sleep_hook("compact_swap")
    os.replace(fresh, db)
    fsync_dir(db.parent)
    return True


def spill_dir(db: Path) -> Path:
    """DuckDB's default temp directory of a file database."""
    return db.with_name(db.name + ".tmp")


def owes_publish(con: duckdb.DuckDBPyConnection) -> bool:
    return _table_exists(con, "pending_publish") and bool(
        con.execute("select count(*) from concord_meta.pending_publish").fetchone()[0]
    )


def publish_owed(db: Path) -> str | None:
    """Publish the analyst snapshot again after an erasure (the warehouse is compacted by now),
    then delete the `pending_publish` rows: a crash before that leaves them, and the next
    command publishes again, so an erased value never outlives the erasure in the snapshot.
    No snapshot, nothing to rewrite (a warehouse never published: the rows just go).
    Raises PublishError when it cannot (the rows stay)."""
    from concord.publish import analyst_path, publish

    sleep_hook("erase_before_publish")
    result = publish(db) if analyst_path(db).exists() else None
    con = connect(db)
    try:
        con.execute("delete from concord_meta.pending_publish")
        con.execute("checkpoint")
    finally:
        con.close()
    return result.line() if result is not None else None
