"""Shared plumbing of every ingest command: one transaction per command, file hashing and
sniffing, and the `raw_label_studio.loads` bookkeeping. The connection is ingest/warehouse.py's."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingest.errors import IngestError
from ingest.warehouse import DEFAULT_MEMORY_LIMIT, memory_limit, migrate  # noqa: F401
from ingest.warehouse import connection as connect  # noqa: F401  (ingest commands' name for it)

Progress = Callable[[str], None]

# files above this size get progress messages (stderr in the CLI)
PROGRESS_MIN_BYTES = 20 * 1024 * 1024

# Deepest nesting accepted in a task (the task object is level 1; Label Studio's own structure
# needs about 8). DuckDB parses any depth, but the Python that reads tasks (the key audit, the
# diagnosis of a bad record, JSON_MIN / CSV regrouping) recurses, and a task nested thousands of
# levels deep ended in a RecursionError traceback (issue #11).
MAX_DEPTH = 100


@dataclass
class LoadResult:
    """What one file did to the warehouse; `lines()` is what the CLI prints."""

    file_name: str
    file_path: str
    command: str
    load_id: str
    file_sha256: str
    file_format: str
    project_id: int | None = None
    n_records: int = 0
    skipped: bool = False  # same file (sha256) already loaded: nothing done
    skipped_reason: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # exports: the Label Studio instance (server URL) or 'file:<resolved path>' (loads.source)
    source: str | None = None

    def lines(self) -> list[str]:
        if self.skipped:
            return [f"{self.file_name}: {self.skipped_reason}"]
        parts = ", ".join(f"{v} {k}" for k, v in self.counts.items())
        head = f"{self.file_name}: {self.file_format}"
        if self.project_id is not None:
            head += f", project {self.project_id}"
        out = [
            f"{head}: {parts} (load {self.load_id})" if parts else f"{head} (load {self.load_id})"
        ]
        out += [f"  {note}" for note in self.notes]
        return out


def utc_now() -> dt.datetime:
    """Naive UTC timestamp (DuckDB `timestamp`)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)\s*", re.IGNORECASE)
_UNIT_BYTES = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
               "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}  # fmt: skip


def size_bytes(value: str) -> float | None:
    """'600MB' -> 600e6, '1.9 GiB' -> bytes; None when it is not a size."""
    match = _SIZE.fullmatch(str(value))
    if not match:
        return None
    return float(match.group(1)) * _UNIT_BYTES[match.group(2).lower()]


def out_of_memory_message(detail: str) -> str:
    """The one line for a DuckDB out-of-memory error: names CONCORD_MEMORY_LIMIT, its value, and
    a value to try (twice the current limit, in MB)."""
    current = os.environ.get("CONCORD_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT
    have = size_bytes(current) or size_bytes(DEFAULT_MEMORY_LIMIT)
    # twice the limit, or more when the failed allocation alone was large
    failed = re.search(r"allocate data of size ([\d.]+ ?[KMGT]i?B)", detail)
    alloc = (size_bytes(failed.group(1).replace(" ", "")) or 0) if failed else 0
    wanted = max(2 * have, have + 4 * alloc)
    suggested = f"{max(1, -(-int(wanted) // 1000**2))}MB"
    return (
        f"DuckDB ran out of memory ({detail}) under CONCORD_MEMORY_LIMIT={current}: "
        f"raise it, e.g. CONCORD_MEMORY_LIMIT={suggested}"
    )


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction for a whole command: any exception rolls everything back. The warehouse
    is migrated first (ingest writes: a no-op on a current warehouse)."""
    migrate(con)
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


PAUSE_ENV = "CONCORD_TEST_PAUSE_AT"


def pause_point(point: str) -> None:
    """Tests only: with CONCORD_TEST_PAUSE_AT=<point>, say so on stderr and sleep, so a crash
    test can `kill -9` the process at exactly this point (tests/governance/test_kill.py)."""
    if os.environ.get(PAUSE_ENV) == point:
        os.write(2, f"concord: paused at {point}\n".encode())
        import time

        time.sleep(600)


def file_sha256(path: Path) -> tuple[str, int]:
    """sha256 hex and size of a file, read in chunks (never whole into memory)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def make_load_id(sha256: str, command: str) -> str:
    """'ld_' + the first 16 hex of sha256(file sha256 + command): stable per file and command."""
    return "ld_" + hashlib.sha256(f"{sha256}:{command}".encode()).hexdigest()[:16]


def check_readable(path: Path, shown: str) -> None:
    if not path.exists():
        raise IngestError("no such file", file=shown)
    if path.is_dir():
        raise IngestError("is a directory, expected a file", file=shown)
    if not os.access(path, os.R_OK):
        raise IngestError("permission denied", file=shown)


def sniff(path: Path, n: int = 4096) -> bytes:
    """The first bytes of a file without a UTF-8 BOM and leading whitespace."""
    with open(path, "rb") as handle:
        head = handle.read(n)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return head.lstrip()


def previous_load(con: duckdb.DuckDBPyConnection, sha256: str, command: str):
    """(load_id, loaded_at, file_name) of an earlier load of the same bytes by the same command."""
    return con.execute(
        """
        select load_id, loaded_at, file_name
        from raw_label_studio.loads
        where file_sha256 = ? and command = ?
        order by loaded_at
        limit 1
        """,
        [sha256, command],
    ).fetchone()


def fresh_load_id(con: duckdb.DuckDBPyConnection, load_id: str) -> str:
    """`load_id`, or `load_id`_2, _3, ... when it is taken: the same file loaded again after
    another load of its kind (a config re-applied after a newer one, a score table re-loaded
    after it was replaced) is a new load with its own id."""
    candidate, n = load_id, 1
    while con.execute(
        "select 1 from raw_label_studio.loads where load_id = ?", [candidate]
    ).fetchone():
        n += 1
        candidate = f"{load_id}_{n}"
    return candidate


def record_load(
    con: duckdb.DuckDBPyConnection,
    result: LoadResult,
    *,
    file_bytes: int,
    is_full_snapshot: bool,
    loaded_at: dt.datetime,
) -> None:
    con.execute(
        """
        insert into raw_label_studio.loads (
            load_id, command, file_name, file_path, file_sha256, file_bytes, file_format,
            project_id, n_records, is_full_snapshot, loaded_at, source
        ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
            result.load_id,
            result.command,
            result.file_name,
            result.file_path,
            result.file_sha256,
            file_bytes,
            result.file_format,
            result.project_id,
            result.n_records,
            is_full_snapshot,
            loaded_at,
            result.source,
        ],
    )


# DuckDB's readers expand glob characters in a path: `exp[1].json` read `exp1.json` and `x*.json`
# every file starting with x (issue #11). A path with any of them is read through a symlink with
# a plain name in a private temporary folder (removed by `literal_paths_cleanup`).
_GLOB_CHARS = frozenset("*?[]{}")
_aliases: dict[str, str] = {}
_alias_dir: list[str] = []


def sql_path(path: Path | str) -> str:
    """`path` as a DuckDB reader will read it literally (a string for the SQL literal)."""
    text = str(path)
    if not _GLOB_CHARS.intersection(text):
        return text
    if text not in _aliases:
        import tempfile

        if not _alias_dir:
            _alias_dir.append(tempfile.mkdtemp(prefix="concord-literal-"))
        alias = Path(_alias_dir[0]) / f"file_{len(_aliases)}{Path(text).suffix.strip('*?[]{}')}"
        alias.symlink_to(Path(text).resolve())
        _aliases[text] = str(alias)
    return _aliases[text]


def sql_path_literal(path: Path | str) -> str:
    """`sql_path(path)` as a quoted SQL string literal."""
    return "'" + sql_path(path).replace("'", "''") + "'"


def literal_paths_cleanup() -> None:
    """Remove the symlinks `sql_path` made (end of every command that read files)."""
    import shutil

    _aliases.clear()
    while _alias_dir:
        shutil.rmtree(_alias_dir.pop(), ignore_errors=True)


def human_bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"
