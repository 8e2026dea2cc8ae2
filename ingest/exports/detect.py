"""What an export file is, and how it is read: format detection and the readers' sources.

`detect_format` tells JSON from CSV (and names the files that are neither); the JSON envelope
check, the first record (JSON vs JSON_MIN), the reader relations (`_json_source` as JSON text,
`_typed_source` into the raw task struct), the object-size limit that grows only when a task
needs it (`_grow_object_limit`, `_ensure_memory_for`), the key audit of the first tasks, and
`_Prepared`, a file as read. Nothing here validates tasks or writes the warehouse.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.errors import ExportFormatError, IngestError
from ingest.exports.diagnose import _json_error, _too_deep, locate_json_error
from ingest.loading import (
    LoadResult,
    Progress,
    human_bytes,
    memory_limit,
    size_bytes,
    sniff,
    sql_path_literal,
)
from ingest.schema import RAW_TASK_TYPE, SHAPE_KEYS
from ingest.warehouse import scratch


def _typed_source(path: Path, max_object: int) -> str:
    """SQL relation (record_no, task) streaming the file's tasks, parsed by DuckDB's reader
    straight into RAW_TASK_TYPE. Raises on anything that does not fit the shape."""
    literal = sql_path_literal(path)  # never a glob: exp[1].json is that file
    return (
        "(select ordinality as record_no, task "
        f"from read_json({literal}, format = 'array', records = false, "
        f"columns = {{'task': '{RAW_TASK_TYPE}'}}, "
        f"maximum_object_size = {max_object}) with ordinality)"
    )


def _ensure_memory_for(con: duckdb.DuckDBPyConnection, max_object: int, shown: str) -> None:
    """DuckDB reserves about 24 N bytes to parse and check a task of N bytes (measured: a 50 MB
    text needs a ~2 GB limit, ~650 MB resident). The limit is the user's (CONCORD_MEMORY_LIMIT)
    and is never raised behind their back (issue #11: a 2 GB field asked for 49 GiB): when it is
    too low, a clear error says which value loads the file."""
    wanted = 24 * max_object + 1024**3
    # the setting as written: DuckDB's current_setting rounds it ("2.1 GiB")
    setting = memory_limit()
    have = size_bytes(setting)
    if have is not None and have >= wanted:
        return
    suggested = -(-wanted // (100 * 1000**2)) * 100  # MB, rounded up to 100
    raise IngestError(
        f"a task of up to {human_bytes(max_object)} needs a DuckDB memory limit of about "
        f"{suggested}MB to be read, over CONCORD_MEMORY_LIMIT={setting}: set "
        f"CONCORD_MEMORY_LIMIT={suggested}MB to load this file",
        file=shown,
    )


@dataclass
class _Prepared:
    result: LoadResult
    table: str  # temp table holding the file's tasks: (record_no, task) or (record_no, task_json)
    shown: str
    size: int
    say: Progress | None
    started: float
    path: Path | None = None
    typed: bool = False  # the table holds (record_no, task): read by the typed reader
    max_object: int = 0
    as_project_id: int | None = None  # store the file's project under this id


def detect_format(path: Path, shown: str) -> str:
    """'json' (JSON or JSON_MIN: told apart after reading) or 'csv'; clear errors otherwise."""
    head = sniff(path)
    if not head:
        if path.stat().st_size == 0:
            raise ExportFormatError(
                "file is empty (0 bytes), expected a Label Studio export", file=shown
            )
        raise ExportFormatError(
            "file holds only whitespace, expected a Label Studio export", file=shown
        )
    if head.startswith(b"\x1f\x8b"):
        raise ExportFormatError(
            "gzip-compressed: decompress it first (gunzip), then ingest the .json / .csv",
            file=shown,
        )
    if head.startswith(b"PK\x03\x04"):
        raise ExportFormatError(
            "a ZIP archive (Label Studio zips some exports): unzip it and ingest the file inside",
            file=shown,
        )
    if head.startswith(b"PAR1"):
        raise ExportFormatError(
            "this is a Parquet file, not a Label Studio export "
            "(a score table? use `concord ingest scores`)",
            file=shown,
        )
    if head.startswith(b"<"):
        raise ExportFormatError(
            "this is XML, not a Label Studio export "
            "(a labeling config? use `concord ingest config PATH --project-id N`)",
            file=shown,
        )
    if head.startswith(b"{"):
        raise ExportFormatError(
            "top level is a JSON object; a Label Studio export is a JSON array of tasks "
            "(NDJSON and single tasks are not exports)",
            file=shown,
        )
    if head.startswith(b"["):
        return "json"
    first_line = head.split(b"\n", 1)[0]
    if path.suffix.lower() in (".csv", ".tsv") or (b"," in first_line and b'"' in first_line):
        return "csv"
    raise ExportFormatError(
        "not a Label Studio export: expected a JSON array of tasks or a CSV export", file=shown
    )


def _ends_with_bracket(path: Path) -> bool:
    """Does the file end with ']' (after whitespace)? DuckDB accepts an array cut after a comma."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        handle.seek(max(0, end - 4096))
        tail = handle.read()
    return tail.rstrip(b" \t\r\n").endswith(b"]")


def _check_json_envelope(path: Path, shown: str, size: int) -> None:
    if not _ends_with_bracket(path):
        located = locate_json_error(path, shown, size)
        raise located or ExportFormatError(
            "truncated JSON: the file does not end with the ']' that closes the task array",
            file=shown,
        )


def _json_source(path: Path, max_object: int) -> str:
    """SQL relation (record_no, task_json) streaming the file's array elements."""
    literal = sql_path_literal(path)  # never a glob: exp[1].json is that file
    return (
        "(select ordinality as record_no, json as task_json "
        f"from read_json_objects({literal}, format = 'array', "
        f"maximum_object_size = {max_object}) with ordinality)"
    )


_OBJECT_TOO_LARGE = re.compile(
    r'"maximum_object_size" of \d+ bytes exceeded.*?\(>(\d+) bytes\)', re.DOTALL
)


DEFAULT_MAX_OBJECT = 16 * 1024 * 1024


def _grow_object_limit(size: int, read, on_bad_json):
    """Run `read(max_object)` from a 16 MB object limit, retrying with a larger one only when a
    task is bigger (a 50 MB text field must load): DuckDB's reader buffers about twice
    `maximum_object_size`, so a file-sized limit would ask for gigabytes of memory up front.
    Returns (read's result, the limit used). Any other reader error goes to `on_bad_json`,
    which returns the exception to raise; out-of-memory is raised as it is (the command's one
    line names CONCORD_MEMORY_LIMIT)."""
    max_object = min(DEFAULT_MAX_OBJECT, size + 1)
    while True:
        try:
            return read(max_object), max_object
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.Error as err:
            too_large = _OBJECT_TOO_LARGE.search(str(err))
            if too_large and max_object < size + 1:
                needed = int(too_large.group(1))
                max_object = min(size + 1, max(max_object * 4, needed * 2))
                continue
            raise on_bad_json(err) from None


def _stage_json(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, shown: str, size: int
) -> int:
    """Stream the file's array elements into `table(record_no, task_json)`. Runs outside the
    command's transaction, so a refused attempt can be retried. Returns the object limit used."""

    def read(max_object: int) -> None:
        con.execute(
            f"create or replace temp table {table} as "
            f"select * from {_json_source(path, max_object)}"
        )

    return _grow_object_limit(
        size, read, lambda err: locate_json_error(path, shown, size) or _json_error(err, shown)
    )[1]


def _first_record(con: duckdb.DuckDBPyConnection, path: Path, shown: str, size: int):
    """The file's first array element (parsed), to tell JSON_MIN from JSON, and the object size
    limit that reading it needed."""

    def read(max_object: int):
        return con.execute(
            f"select task_json::varchar from {_json_source(path, max_object)} limit 1"
        ).fetchone()

    row, max_object = _grow_object_limit(
        size, read, lambda err: locate_json_error(path, shown, size) or _json_error(err, shown)
    )
    try:
        return (json.loads(row[0]) if row else None), max_object
    except RecursionError:
        raise _too_deep(con, row[0], 1, shown) from None


def count_tasks(path: Path) -> int:
    """How many tasks a JSON export file holds, read in the bounded memory an ingest reads it in
    (`concord ls pull` counts a snapshot before loading it)."""
    path = Path(path)
    shown = str(path)
    size = path.stat().st_size
    con = scratch()
    try:

        def read(max_object: int) -> int:
            return int(
                con.execute(f"select count(*) from {_json_source(path, max_object)}").fetchone()[0]
            )

        return _grow_object_limit(
            size, read, lambda err: locate_json_error(path, shown, size) or _json_error(err, shown)
        )[0]
    finally:
        con.close()


AUDIT_RECORDS = 200


def _listed(value) -> list:
    """A list as it is; anything else (a wrong type, which validation names) as no elements."""
    return value if isinstance(value, list) else []


def _audit_keys(con: duckdb.DuckDBPyConnection, prep: _Prepared) -> None:
    """Keys the raw task struct does not keep, found in the file's first AUDIT_RECORDS tasks, go
    into the load's notes (a newer Label Studio may add some): the typed reader drops them."""
    assert prep.path is not None
    rows = con.execute(
        f"select task_json::varchar from {_json_source(prep.path, prep.max_object)} "
        f"limit {AUDIT_RECORDS}"
    ).fetchall()
    unknown: dict[str, int] = {}

    def see(kind: str, obj) -> None:
        if isinstance(obj, dict):
            for key in obj:
                if key not in SHAPE_KEYS[kind]:
                    unknown[f"{kind}.{key}"] = unknown.get(f"{kind}.{key}", 0) + 1

    for (text,) in rows:
        try:
            task = json.loads(text)
        except RecursionError:
            continue  # nested too deep: validation names the task (value_problem)
        see("task", task)
        if not isinstance(task, dict):
            continue
        for ann in _listed(task.get("annotations")):
            see("annotation", ann)
            if isinstance(ann, dict):
                see("prediction", ann.get("prediction"))
                for item in _listed(ann.get("result")):
                    see("result", item)
        for pred in _listed(task.get("predictions")):
            see("prediction", pred)
            if isinstance(pred, dict):
                for item in _listed(pred.get("result")):
                    see("result", item)
        for draft in _listed(task.get("drafts")):
            see("draft", draft)
    if unknown:
        listed = ", ".join(f"{key} ({n})" for key, n in sorted(unknown.items())[:12])
        prep.result.notes.append(
            f"keys outside Label Studio 1.23.2's export schema, not kept in the raw layer "
            f"(seen in the first {len(rows)} tasks): {listed}"
        )


def _is_json_min(first, shown: str) -> bool:
    """JSON_MIN records carry annotation_id/annotator at the top and no data/annotations."""
    if not isinstance(first, dict):
        return False  # an empty array or a non-object: reported by validation
    if isinstance(first.get("data"), dict) or "annotations" in first:
        return False
    if "annotation_id" in first and "annotator" in first:
        return True
    if "id" not in first:
        keys = list(first)
        lowered = {k.lower() for k in keys}
        hint = ""
        if "score" in lowered or "prediction_id" in lowered or "task_id" in lowered:
            hint = " (a score table? use `concord ingest scores`)"
        raise ExportFormatError(
            "record 1 is neither a Label Studio task (no 'id' and 'data') nor a JSON_MIN row "
            f"(no 'annotation_id'); keys: {', '.join(sorted(keys)[:8])}{hint}",
            file=shown,
        )
    return False
