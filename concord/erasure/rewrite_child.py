"""The child process of concord/erasure/zeroed.py: the compaction and the analyst snapshot's
publish an erasure owes, with DuckDB's allocator zero-filling memory (zeroed.py says why). It
refuses to rewrite when zero-filling is not in effect. Prints one JSON object on stdout."""

from __future__ import annotations

import ctypes
import glob
import json
import os
import sys
from pathlib import Path

_M_PERTURB = -6  # glibc mallopt parameter: fill allocated (and freed) memory


def zero_fill_active() -> str | None:
    """How this process's allocations are zero-filled ('jemalloc' / 'glibc'), or None."""
    import duckdb

    package = os.path.dirname(duckdb.__file__)
    for so in glob.glob(os.path.join(package, "..", "_duckdb*.so")):
        lib = ctypes.CDLL(so)
        mallctl = getattr(lib, "duckdb_je_mallctl", None)
        if mallctl is None:
            break
        value, size = ctypes.c_bool(), ctypes.c_size_t(ctypes.sizeof(ctypes.c_bool))
        if mallctl(b"opt.zero", ctypes.byref(value), ctypes.byref(size), None, 0) == 0:
            return "jemalloc" if value.value else None
    try:  # no bundled jemalloc: DuckDB uses the C library's malloc
        libc = ctypes.CDLL(None)
        if libc.mallopt(_M_PERTURB, 0x5A) == 1:
            return "glibc"
    except (OSError, AttributeError):
        pass
    return None


def rewrite(db: Path, force: bool) -> dict:
    from concord.erasure.compaction import compact, owes_publish, publish_owed, spill_dir, unlink
    from concord.publish import PublishError, analyst_path
    from ingest.errors import WarehouseError
    from ingest.warehouse import connect, memory_limit

    if zero_fill_active() is None:
        return {
            "error": "zero-fill",
            "message": "cannot make DuckDB's allocator zero-fill memory (no bundled jemalloc, no "
            "glibc M_PERTURB): the rewrite could carry bytes of erased rows, so it was not done",
        }
    lines = []
    try:
        con = connect(db)
    except WarehouseError as err:
        return {"error": "locked", "message": str(err)}
    try:
        con.execute(f"set memory_limit = '{memory_limit()}'")
        republish = owes_publish(con) or (force and analyst_path(db).exists())
        if compact(con, db, force=force):
            lines.append("warehouse compacted: erased bytes are gone from the file")
    finally:
        con.close()
    spill = spill_dir(db)  # files our own connection spilled during the copy
    if spill.is_dir():
        for leftover in spill.iterdir():
            if leftover.is_file():
                unlink(leftover)
    if republish:
        try:
            line = publish_owed(db)
        except PublishError as err:
            return {"error": "publish", "message": str(err)}
        if line:
            lines.append(line)
    return {"lines": lines}


if __name__ == "__main__":
    reply = rewrite(Path(sys.argv[1]), "--force" in sys.argv[2:])
    print(json.dumps(reply), flush=True)
    sys.exit(0 if "lines" in reply else 1)
