"""Proofs of clean scans: what lets `concord check` skip a table none of whose rows changed
since a scan found no erased data in it.

Why: the scan of every column of every table for erased ids took 64 s at 100k tasks, and
`concord check` runs it. Most checks follow a scan of the same rows (check after check, check
after verify-erasure, a build that changed nothing), and a table whose rows are the ones that were
scanned cannot hold anything the scan did not see.

A clean scan of a table records, per table:
  - its content fingerprint: the row count and the sum of a 64-bit hash of every row over all of
    its columns, plus a digest of the column names and types (computed in DuckDB, about a second
    for every table of a 100k-task warehouse and its analyst snapshot). DuckDB's `hash` is made
    to see what the scan sees: strings are hashed as their bytes (`hash` of a string follows the
    column's collation: 'ABC' and 'abc' hash alike under NOCASE), 128-bit integers as text (`hash`
    of a HUGEINT XORs its halves: 2 and 2<<64 hash alike). An accidental change is missed only
    on a 64-bit collision. It is not a cryptographic digest: a change crafted to collide inside a
    nested value (a collated string or a HUGEINT in a STRUCT or LIST) can keep it, which is why
    `verify-erasure`, the proof, scans every table anyway and only `concord check` skips;
  - the fingerprint of the erasure log it was scanned against (every identifier hash and text
    shingle of the log, and which erased task ids live tasks from another source hold again) and
    of the scan's own rules (the source of the modules that decide what is residue): a new
    erasure, or a Concord upgrade that changes the rules, means every table is scanned again;
  - the level of the scan: 'ids' (task ids, ext ids, emails: what `concord check` looks for) or
    'full' (texts too: `verify-erasure`). A scan accepts a proof of its level or higher.
A later scan that uses proofs skips a table when all three match. Views are not proved: they
store no rows, and the scan already leaves out those that only read scanned (or proved) tables.

The proofs live in a file beside the warehouse (`<db>.erasure-proofs.json`), not in it: check and
verify-erasure open the warehouse read-only. It holds table names and hashes, no data. It is
signed with the erasure key (HMAC-SHA256): without the key, a proof file edited by hand, or copied
from a warehouse with another key, proves nothing: it is ignored and every table is scanned.
Whoever holds the key can sign anything (as they can read the log's hashes): the key is the
secret. A proof file that is not a regular file, is larger than 64 MB or does not parse is
ignored the same way; deleting it only costs time. The raw bytes of the files and the extract
files are always scanned in full.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from concord.publish import TMP_MARK
from ingest.erased import fsync_dir
from ingest.loading import pause_point
from ingest.warehouse import quote_identifier as _qi

PROOF_FILE_SUFFIX = ".erasure-proofs.json"
LEVELS = ("ids", "full")  # a proof of a level satisfies a request of that level or lower
FORMAT = 1
MAX_PROOF_BYTES = 64 * 2**20
# the modules whose rules decide what a scan reports: a change to them voids every proof
_RULE_MODULES = ("verify.py", "proof.py", "request.py")


def proof_file(db: str | os.PathLike[str]) -> Path:
    path = Path(db)
    return path.with_name(path.name + PROOF_FILE_SUFFIX)


def table_fingerprint(
    con: duckdb.DuckDBPyConnection, qualified: str, columns: list[tuple[str, str]]
) -> str:
    """'<rows>:<sum of row hashes>:<digest of the column names and types>' of a table
    (`qualified` is quoted; `columns` are (name, type) pairs). The types count: the scan reads a
    column by its type (a BLOB is not scanned, the same bytes as VARCHAR are), and DuckDB's
    `hash` of a BLOB and of a VARCHAR with the same bytes is the same."""
    hashed = ", ".join(_hashable(name, data_type) for name, data_type in columns)
    rows, total = con.execute(
        f"select count(*), coalesce(sum(hash({hashed})::hugeint), 0) from {qualified}"
    ).fetchone()
    shape = hashlib.sha256(json.dumps(columns).encode()).hexdigest()[:16]
    return f"{rows}:{total}:{shape}"


def _hashable(name: str, data_type: str) -> str:
    """The column as `hash` should see it: a string as its bytes (no collation), a 128-bit
    integer as text (not its two halves XORed)."""
    upper = data_type.upper()
    if upper in ("VARCHAR", "JSON"):
        return f"encode({_qi(name)})"
    if upper in ("HUGEINT", "UHUGEINT"):
        return f"cast({_qi(name)} as varchar)"
    return _qi(name)


def _rules_digest() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for name in _RULE_MODULES:
        digest.update((here / name).read_bytes())
    from concord import governance_meta

    digest.update(Path(governance_meta.__file__).read_bytes())
    return digest.hexdigest()


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
    for part in (identifiers, shingles, ",".join(sorted(reused)), _rules_digest()):
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
        # a regular file, not followed through a link, of a sane size: never a FIFO that blocks
        # the read, nor /dev/zero
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_PROOF_BYTES:
                return {}
            with os.fdopen(fd, "rb", closefd=False) as handle:
                text = handle.read(MAX_PROOF_BYTES + 1).decode("utf-8")
        finally:
            os.close(fd)
        document = json.loads(text)
        entries = document["proofs"]
        if document.get("format") != FORMAT or not hmac.compare_digest(
            str(document.get("signature", "")), _sign(key, entries)
        ):
            return {}
        return {place: Proof(**entry) for place, entry in entries.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return {}


def write_proofs(db: Path, key: bytes, proofs: dict[str, Proof]) -> None:
    """Replace the proof file atomically (a reader sees the old file or the new one)."""
    path = proof_file(db)
    entries = {place: proof.__dict__ for place, proof in sorted(proofs.items())}
    document = {"format": FORMAT, "proofs": entries, "signature": _sign(key, entries)}
    # a temp file of its own (two checks at once do not share one; a link planted at a fixed
    # temp name is not followed), removed when the rename does not happen. Its name carries the
    # pid the way the analyst snapshot's temp files do (`<name>.tmp-<pid>.<random>`), so the next
    # command removes it with `concord.publish.clean_stale` when a kill -9 left it behind
    fd, temp = tempfile.mkstemp(prefix=f"{path.name}{TMP_MARK}{os.getpid()}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        pause_point("proofs_before_rename")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
