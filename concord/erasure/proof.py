"""Proofs of clean scans: what lets `concord check`, and `verify-erasure` run again, skip a table
none of whose rows changed since a scan found no erased data in it.

Why: the scan of every column of every table for erased ids took 64 s at 100k tasks, and
`concord check` runs it. Most checks follow a scan of the same rows (check after check, check
after verify-erasure, a build that changed nothing), and a table whose rows are the ones that were
scanned cannot hold anything the scan did not see.

A clean scan of a table records, per table:
  - its content fingerprint: the row count and the sum of DuckDB's `hash` of every row over all
    of its columns (nested values included; computed in DuckDB, under a second for every table
    of a 100k-task warehouse and its analyst snapshot). Any change of any value, any inserted or
    deleted row changes it (up to a 64-bit hash collision, not a concern for changes that are
    not crafted to collide);
  - the fingerprint of the erasure log it was scanned against (every identifier hash and text
    shingle of the log, and which erased task ids live tasks from another source hold again): a
    new erasure means every table is scanned again;
  - the level of the scan: 'ids' (task ids, ext ids, emails: what `concord check` looks for) or
    'full' (texts too: `verify-erasure`). A check accepts either, verify-erasure only 'full'.
A later scan skips a table when all three match. Views are not proved: they store no rows, and
the scan already leaves out those that only read scanned (or proved) tables (verify.py).

The proofs live in a file beside the warehouse (`<db>.erasure-proofs.json`), not in it: check and
verify-erasure open the warehouse read-only. It holds table names and hashes, no data. It is
signed with the erasure key (HMAC-SHA256), so a proof file edited by hand, or copied from a
warehouse with another key, proves nothing: it is ignored and every table is scanned. Deleting it
only costs time. The raw bytes of the files and the extract files are always scanned in full.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ingest.erased import fsync_dir

PROOF_FILE_SUFFIX = ".erasure-proofs.json"
LEVELS = ("ids", "full")  # a proof of a level satisfies a request of that level or lower
FORMAT = 1


def proof_file(db: str | os.PathLike[str]) -> Path:
    path = Path(db)
    return path.with_name(path.name + PROOF_FILE_SUFFIX)


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_fingerprint(
    con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]]
) -> str:
    """'<rows>:<sum of row hashes>:<digest of the column names and types>' of a table
    (`qualified` is quoted; `columns` are (name, type) pairs). The types count: the scan reads a
    column by its type (a BLOB is not scanned, the same bytes as VARCHAR are), and DuckDB's
    `hash` of a BLOB and of a VARCHAR with the same bytes is the same."""
    hashed = ", ".join(_qi(name) for name, _type in columns)
    rows, total = con.execute(
        f"select count(*), coalesce(sum(hash({hashed})::hugeint), 0) from {qualified}"
    ).fetchone()
    shape = hashlib.sha256(json.dumps(columns).encode()).hexdigest()[:16]
    return f"{rows}:{total}:{shape}"


def log_fingerprint(con: duckdb.DuckDBPyConnection, reused: set[str]) -> str:
    """A digest of everything a scan looks for: the log's identifier hashes and text shingles,
    and the erased task ids that are not residue because a live task holds them again."""
    identifiers = con.execute(
        "select coalesce(string_agg(identifier_kind || ':' || identifier_hash, ','"
        " order by identifier_kind, identifier_hash), '')"
        " from concord_meta.erased_identifiers"
    ).fetchone()[0]
    shingles = con.execute(
        "select coalesce(string_agg(text_hash || ':' || shingle_hash, ','"
        " order by text_hash, shingle_hash), '')"
        " from concord_meta.erased_text_shingles"
    ).fetchone()[0]
    digest = hashlib.sha256()
    for part in (identifiers, shingles, ",".join(sorted(reused))):
        digest.update(part.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _sign(key: bytes, entries: dict) -> str:
    body = json.dumps(entries, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"concord-erasure-proofs:" + body.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Proof:
    fingerprint: str
    log: str
    level: str
    proved_at: str

    def covers(self, fingerprint: str, log: str, level: str) -> bool:
        return (
            self.fingerprint == fingerprint
            and self.log == log
            and self.level in LEVELS
            and LEVELS.index(self.level) >= LEVELS.index(level)
        )


def read_proofs(db: Path, key: bytes) -> dict[str, Proof]:
    """The signed proofs beside `db`, by place; {} when there is no file, or it does not parse,
    or its signature is not this key's (then it proves nothing)."""
    path = proof_file(db)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries = document["proofs"]
        if document.get("format") != FORMAT or not hmac.compare_digest(
            str(document.get("signature", "")), _sign(key, entries)
        ):
            return {}
        return {place: Proof(**entry) for place, entry in entries.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def write_proofs(db: Path, key: bytes, proofs: dict[str, Proof]) -> None:
    """Replace the proof file atomically (a reader sees the old file or the new one)."""
    path = proof_file(db)
    entries = {place: proof.__dict__ for place, proof in sorted(proofs.items())}
    document = {"format": FORMAT, "proofs": entries, "signature": _sign(key, entries)}
    temp = path.with_name(path.name + ".tmp")
    with open(temp, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
