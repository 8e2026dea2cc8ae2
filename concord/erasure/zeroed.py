"""The file rewrites an erasure owes (the compaction, the analyst snapshot), in a child process
whose memory allocator hands out zero-filled memory.

Why a child: DuckDB writes whole blocks, and what a block's buffer held before shows in the parts
the writer leaves unwritten. Measured once (two pytest workers side by side): after `concord
erase --task-id 7` the compacted file still held the erased ext id, in the unused tail of an
in-use 4 KiB metadata sub-block (pragma_metadata_info: block 54), next to a column comment of the
old file. Memory that held blocks of the old file (deleted rows, row-group statistics computed
before the delete) had been reused for a block of the new one. The byte check after the compaction
caught it, so the erasure failed loudly rather than silently, but it failed.

DuckDB allocates through a bundled jemalloc: with `DUCKDB_JE_MALLOC_CONF=zero:true` every
allocation is zero-filled, so no buffer carries bytes of an earlier one. jemalloc reads that once,
when the process starts, hence a child process, and only for the rewrites (zero-filling costs
every build and ingest otherwise). Without the bundled jemalloc (another DuckDB build), the child
sets glibc's M_PERTURB instead, which fills every allocation. The child refuses to rewrite when
neither is in effect.

The child (concord/erasure/rewrite_child.py) prints one JSON object on stdout: {"lines": [...]}
or {"error": kind, "message": ...}. Its stderr is the parent's (tests/governance/test_kill.py
waits there for its pause points, and a `kill -9` of the parent's process group reaches the
child).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

JEMALLOC_ENV = "DUCKDB_JE_MALLOC_CONF"
ZERO_FILL = "zero:true"


class RewriteDeferred(Exception):
    """The warehouse was locked by another process: the rewrite stays owed (the next command)."""


def run(db: Path, *, force: bool = False) -> list[str]:
    """Compact the warehouse (when owed, or always with `force`) and publish the analyst snapshot
    (when owed, or with `force` when one exists), in a zero-filling child. Returns the lines to
    show; raises PublishError / ErasureError with the child's message; RewriteDeferred when the
    warehouse is locked."""
    env = dict(os.environ)
    env[JEMALLOC_ENV] = ",".join(filter(None, [env.get(JEMALLOC_ENV), ZERO_FILL]))
    command = [sys.executable, "-m", "concord.erasure.rewrite_child", str(db)]
    proc = subprocess.run(
        command + (["--force"] if force else []),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    try:
        reply = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        reply = {"error": "crash", "message": f"exit {proc.returncode}: {proc.stdout.strip()}"}
    if "lines" in reply and proc.returncode == 0:
        return reply["lines"]
    kind, message = reply.get("error"), reply.get("message", "")
    if kind == "locked":
        raise RewriteDeferred(message)
    if kind == "publish":
        from concord.publish import PublishError

        raise PublishError(message)
    from concord.erasure.request import ErasureError

    raise ErasureError(f"the erasure's rewrite of {db} failed: {message}")
