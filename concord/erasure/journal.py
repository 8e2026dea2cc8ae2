"""The erasure journal: finishing what a committed erasure owes the files, and crash recovery.

A committed erasure still owes three things to the file system, all noted in the warehouse
inside the erasure's own transaction, so a crash at any point leaves a note the next command
acts on:

- `concord_meta.pending_file_rewrites`: extract files written again without the erased tasks, to
  temp files. Each is fsynced, renamed over its original, and the directory fsynced BEFORE its
  row is deleted.
- `concord_meta.pending_compaction`: DuckDB never overwrites the bytes of deleted rows
  (`CHECKPOINT`, `FORCE CHECKPOINT` and `VACUUM` leave them in the file: measured with
  `grep -c -F -a`). So the live data is copied into a fresh file (`COPY FROM DATABASE`: tables,
  views, comments, sequences, macros, constraints and concord_meta), the row is deleted INSIDE the
  fresh copy, the copy is fsynced and renamed over the warehouse and the directory fsynced. The
  note disappears exactly when the swap lands: before the rename the old file still has it (and
  the next command compacts again), after it the new file never had it.
- `concord_meta.pending_publish`: the analyst snapshot (concord/publish.py) is published again
  from the compacted warehouse, and only then is the row deleted, so a crash before leaves the
  row and the next command publishes again.

`recover(db)` runs at the start of every command (concord/options.py): it finishes all three,
moves a legacy in-file key out of the warehouse, and removes orphaned temp files a killed process
left: DuckDB spill files in `<db>.tmp/`, a partial `<db>.compact.tmp`, `*.tmp` files in
registered extract folders, partial `ls pull` downloads, temp files of a killed publish (dead
pid). It acts only when it can take the warehouse's write lock, i.e. when no other process has
the warehouse open (so nothing it removes is in use).
"""

from __future__ import annotations

import json
import mmap
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

import duckdb

from concord.erasure.compaction import (  # noqa: F401  (delete.py uses journal.sleep_hook, unlink)
    COMPACT_SUFFIX,
    _table_exists,
    fsync_file,
    owes_compaction,
    owes_publish,
    sleep_hook,
    spill_dir,
    unlink,
)
from ingest.erased import (
    KEY_ENV,
    LEGACY_SALT_SETTING,
    ErasureKeyError,
    fsync_dir,
    key_file,
    log_exists,
    missing_key_error,
    read_key,
    setting,
    write_key_file,
)
from ingest.errors import WarehouseError
from ingest.warehouse import connect

# ---------------------------------------------------------------------------------------------
# extract renames


def _rename_rows(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str]]) -> list[str]:
    done = []
    for target, temp in rows:
        if Path(temp).exists():
            fsync_file(temp)
            os.replace(temp, target)
            fsync_dir(Path(target).parent)  # durable before the row goes
            done.append(target)
        con.execute(
            "delete from concord_meta.pending_file_rewrites where target_path = ?", [target]
        )
    return done


def rename_pending(con: duckdb.DuckDBPyConnection, erasure_id: str) -> list[str]:
    """Rename the extract temp files of this (committed) erasure into place."""
    rows = con.execute(
        "select target_path, temp_path from concord_meta.pending_file_rewrites"
        " where erasure_id = ? order by 1",
        [erasure_id],
    ).fetchall()
    return _rename_rows(con, rows)


def complete_pending_rewrites(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Finish extract rewrites of an erasure that committed but crashed before its renames."""
    if not _table_exists(con, "pending_file_rewrites"):
        return []
    # an extract killed before its commit: its temp files are dropped, the old extract stays
    for (temp,) in con.execute(
        "select temp_path from concord_meta.pending_file_rewrites"
        " where starts_with(erasure_id, 'extract:')"
    ).fetchall():
        unlink(temp)
    con.execute(
        "delete from concord_meta.pending_file_rewrites where starts_with(erasure_id, 'extract:')"
    )
    rows = con.execute(
        "select target_path, temp_path from concord_meta.pending_file_rewrites order by 1"
    ).fetchall()
    return _rename_rows(con, rows)


# ---------------------------------------------------------------------------------------------
# the key


def migrate_legacy_key(con: duckdb.DuckDBPyConnection, db: Path | None) -> str | None:
    """Warehouses written before the key moved out kept it in `concord_meta.settings`: move it
    to the key file (unless $CONCORD_ERASURE_KEY holds it), delete it from the warehouse and
    owe a compaction, so its bytes leave the file too."""
    legacy = setting(con, LEGACY_SALT_SETTING)
    if legacy is None or db is None:
        return None
    key = bytes.fromhex(legacy)
    current = read_key(db)
    if current is not None and current != key:
        raise ErasureKeyError(
            f"the warehouse still holds its old erasure key and {KEY_ENV} or {key_file(db)}"
            " holds a different one: remove the wrong one (the log was written with the old one)"
        )
    note = None
    if current is None:
        write_key_file(db, key)
        note = f"erasure key moved out of the warehouse into {key_file(db)} (mode 0600)"
    else:
        note = "erasure key removed from the warehouse file (already outside it)"
    con.execute("begin transaction")
    con.execute("delete from concord_meta.settings where setting_name = ?", [LEGACY_SALT_SETTING])
    con.execute(
        "create table if not exists concord_meta.pending_compaction"
        " (erasure_id varchar primary key, requested_at timestamp not null)"
    )
    con.execute(
        "insert or replace into concord_meta.pending_compaction values ('key-migration', now())"
    )
    con.execute("commit")
    return note


def ensure_key(con: duckdb.DuckDBPyConnection, db: Path | None) -> bytes:
    """The key an erasure hashes with: the existing one, or a new one in a new 0600 key file
    when nothing was ever erased. A log without its key is an error (hashes would not match)."""
    migrate_legacy_key(con, db)
    key = read_key(db)
    if key is not None:
        return key
    if log_exists(con) or db is None:
        raise missing_key_error(db)
    key = secrets.token_bytes(32)
    write_key_file(db, key)
    return key


# ---------------------------------------------------------------------------------------------
# compaction


# ---------------------------------------------------------------------------------------------
# orphans and recovery


_LS_PARTIAL = re.compile(r"^project_\d+_export_\d+\.json(\.part)?$")


def clean_orphans(con: duckdb.DuckDBPyConnection, db: Path) -> list[str]:
    """Remove what a killed process left; `con` holds the write lock (nobody else is inside)."""
    from concord.extracts import registered_extract_dirs

    removed = []
    spill = spill_dir(db)
    if spill.is_dir():
        for path in sorted(spill.iterdir()):
            if path.is_file():
                unlink(path)
                removed.append(str(path))
    for path in (db.with_name(db.name + COMPACT_SUFFIX), Path(f"{db}{COMPACT_SUFFIX}.wal")):
        if path.exists():
            unlink(path)
            removed.append(str(path))
    pending = set()
    if _table_exists(con, "pending_file_rewrites"):
        pending = {
            r[0]
            for r in con.execute(
                "select temp_path from concord_meta.pending_file_rewrites"
            ).fetchall()
        }
    for directory in registered_extract_dirs(con):
        folder = Path(directory)
        if folder.is_dir():
            for path in sorted(folder.glob("*.tmp")):
                if str(path) not in pending:
                    unlink(path)
                    removed.append(str(path))
    from concord.publish import analyst_path, clean_stale

    removed += [str(p) for p in clean_stale(analyst_path(db))]  # a killed publish's temp file
    from concord.erasure.proof import proof_file

    removed += [str(p) for p in clean_stale(proof_file(db))]  # a killed check's proof temp file
    ls_exports = db.parent / "ls_exports"  # `ls pull`'s default download folder
    if ls_exports.is_dir():
        for path in sorted(ls_exports.iterdir()):
            if _LS_PARTIAL.match(path.name):
                unlink(path)
                removed.append(str(path))
    return removed


def finish(db: str | os.PathLike[str], erased_values: list[str] | None = None) -> list[str]:
    """Finish every owed step on the warehouse `db` (renames, key move, compaction), remove
    orphaned temp files, and, given the plaintext values an erasure just removed, check every
    file Concord owns byte by byte for them. Returns lines to show; raises on residue."""
    path = Path(db).resolve()
    if not path.exists():
        return []
    lines: list[str] = []
    deferred = None
    try:
        con = connect(path)
    except WarehouseError as err:
        if not erased_values:
            return []  # locked by another process (or not a warehouse): that process finishes
        con, deferred = None, str(err)  # an erasure just committed: its bytes are checked below
    if con is not None:
        try:
            from ingest.warehouse import memory_limit

            con.execute(f"set memory_limit = '{memory_limit()}'")
            owes_publish_now = owes_publish(con)
            done = complete_pending_rewrites(con)
            lines += [f"finished an interrupted extract rewrite: {p}" for p in done]
            note = migrate_legacy_key(con, path)
            if note:
                lines.append(note)
            removed = clean_orphans(con, path)
            owes_rewrite = owes_publish_now or owes_compaction(con)
        finally:
            con.close()
        if removed:
            lines.append(f"removed {len(removed)} orphaned temp file(s) of an interrupted command")
        if owes_rewrite:
            done, deferred = _rewrite(path)
            lines += done
    if erased_values:
        from concord.erasure.request import ErasureError

        hits = byte_residue(path, erased_values)
        if hits and deferred:
            raise ErasureError(
                "the erasure is committed, but its compaction is still owed: another process "
                f"has the warehouse open ({deferred}); the erased bytes stay in "
                f"{'; '.join(hits[:5])} until any concord command runs on it alone "
                "(e.g. `concord verify-erasure`)"
            )
        if hits:
            # once more from the compacted file: its old bytes are only what the first copy
            # wrote (concord/erasure/zeroed.py says how a copy could carry any)
            done, deferred = _rewrite(path, force=True)
            lines += done
            hits = byte_residue(path, erased_values)
        if hits:
            raise ErasureError(
                "erased bytes still found after the compaction: " + "; ".join(hits[:5])
            )
    return lines


def _rewrite(path: Path, *, force: bool = False) -> tuple[list[str], str | None]:
    """The compaction and the snapshot's publish, in the zero-filling child process: (lines,
    None), or ([a line], why) when another process holds the warehouse: the notes stay, and the
    next command does them."""
    from concord.erasure.zeroed import RewriteDeferred, run

    try:
        return run(path, force=force), None
    except RewriteDeferred as err:
        return [f"the compaction is still owed (the next command does it): {err}"], str(err)


def recover(db: str | os.PathLike[str]) -> list[str]:
    """Run at the start of every command: `finish` without values (nothing to print if there
    was nothing to do). A snapshot an erasure still owes that cannot be published is said, not
    raised: the command goes on, and the next one tries again."""
    from concord.publish import PublishError

    try:
        return finish(db)
    except PublishError as err:
        return [f"warning: an erasure's analyst snapshot is still owed: {err}"]


# ---------------------------------------------------------------------------------------------
# the files Concord owns, and the byte check with the plaintext an erasure just removed


def owned_files(db: Path | None, extract_dirs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every file Concord owns that can hold a copy of warehouse data: the DuckDB file, its
    WAL, its spill files, the analyst snapshot (its WAL and temp files of a publish included)
    and every file in the extract folders (temp files included)."""
    from concord.publish import analyst_path, temp_files

    files: list[Path] = []
    if db is not None:
        files += [p for p in (db, Path(f"{db}.wal")) if p.is_file()]
        spill = spill_dir(db)
        if spill.is_dir():
            files += sorted(p for p in spill.rglob("*") if p.is_file())
        snapshot = analyst_path(db)
        files += [p for p in (snapshot, Path(f"{snapshot}.wal")) if p.is_file()]
        files += [p for p in temp_files(snapshot) if p.is_file()]
    for directory in extract_dirs:
        folder = Path(directory)
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.is_file())
    return files


def _needles(value: str) -> set[bytes]:
    """The byte forms a value takes in Concord's files: UTF-8, and JSON-escaped."""
    forms = {
        value.encode("utf-8"),
        json.dumps(value)[1:-1].encode("utf-8"),
        json.dumps(value, ensure_ascii=False)[1:-1].encode("utf-8"),
    }
    return {f for f in forms if len(f) >= 6}


def byte_residue(
    db: Path, values: Iterable[str], extract_dirs: Iterable[str | os.PathLike[str]] = ()
) -> list[str]:
    """With the plaintext an erasure just removed (still in memory): every file Concord owns
    that holds one of them byte for byte (`grep -c -F -a`, done with mmap.find). Values under 6
    bytes are too short to search for without false hits."""
    needles = set().union(*(_needles(v) for v in values)) if values else set()
    hits = []
    for path in owned_files(db, extract_dirs):
        if not path.stat().st_size:
            continue
        with (
            open(path, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm,
        ):
            if any(mm.find(needle) != -1 for needle in needles):
                hits.append(str(path))
    return hits
