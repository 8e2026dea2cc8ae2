"""The `concord_meta` schema: bookkeeping written by concord/ (erasure log, extract registry).

Nothing here ever holds personal data. Identifiers of erased tasks are kept only as HMAC-SHA256
hashes keyed with the erasure key, which never lives in the warehouse file (ingest/erased.py:
`$CONCORD_ERASURE_KEY` or the 0600 key file `<warehouse>.erasure-key` beside it).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import duckdb
import yaml

from concord.paths import PROJECT_ROOT
from ingest.erased import identifier_hash

META_DDL = """
create schema if not exists concord_meta;

-- small key/value settings of this warehouse (the ext-id field the erasure log hashed)
create table if not exists concord_meta.settings (
    setting_name varchar primary key,
    setting_value varchar not null
);

-- one row per erasure (concord erase) or retention purge (concord retention)
create table if not exists concord_meta.erasure_log (
    erasure_id varchar primary key,     -- 'er_' + 16 random hex
    erased_at timestamp not null,       -- UTC
    erasure_trigger varchar not null,   -- erase | retention
    reason varchar,                     -- as given by the operator (never the data itself)
    n_tasks bigint not null,            -- tasks removed
    removed_json json not null          -- counts: rows per table, annotations, predictions, ...
);

-- salted hashes of every erased identifier: task ids, external ids, text fingerprints
create table if not exists concord_meta.erased_identifiers (
    identifier_kind varchar not null,   -- task_id | ext_id | text
    identifier_hash varchar not null,   -- hex HMAC-SHA256(key, kind || ':' || value)
    erasure_id varchar not null,
    primary key (identifier_kind, identifier_hash)
);

-- sampled word-shingle hashes of erased texts, to find a text quoted inside a longer string
create table if not exists concord_meta.erased_text_shingles (
    text_hash varchar not null,         -- identifier_hash of the text (kind 'text')
    shingle_hash varchar not null,
    primary key (text_hash, shingle_hash)
);

-- every extract `concord extract` wrote, so erasure can rewrite it
create table if not exists concord_meta.extracts (
    extract_dir varchar primary key,    -- absolute path
    extract_format varchar not null,    -- parquet | jsonl
    options_json json not null,         -- the extract's options (filters, split, grain)
    content_sha256 varchar not null,    -- manifest content hash when last written
    n_rows bigint not null
);

-- an erasure committed but its compaction (fresh copy of the file swapped in) not yet done: the
-- row is deleted inside the fresh copy, so it disappears exactly when the swap (a rename) lands
create table if not exists concord_meta.pending_compaction (
    erasure_id varchar primary key,
    requested_at timestamp not null
);

-- extract files rewritten by an erasure: written to temp_path before the commit, renamed after;
-- rows left here mean a crash between commit and rename (`complete_pending_rewrites` finishes)
create table if not exists concord_meta.pending_file_rewrites (
    erasure_id varchar not null,
    target_path varchar not null,
    temp_path varchar not null,
    primary key (target_path)
);
"""

SHINGLE_WORDS = 8
SHINGLES_KEPT = 32


def ensure_meta_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the concord_meta schema and tables if they do not exist (idempotent)."""
    con.execute(META_DDL)


def meta_exists(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'concord_meta' and table_name = 'erased_identifiers'"
    ).fetchone()
    return bool(row and row[0])


_WORD = re.compile(r"\w+")


def text_words(text: str) -> list[str]:
    """Normalised words of a text: NFKC, case-folded, punctuation and spacing ignored."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def normalise_text(text: str) -> str:
    """The form a text fingerprint hashes: its words joined by one space (or the NFKC text)."""
    words = text_words(text)
    if words:
        return " ".join(words)
    return unicodedata.normalize("NFKC", text).casefold().strip()


def text_hash(salt: bytes, text: str) -> str:
    return identifier_hash(salt, "text", normalise_text(text))


def shingle_hashes(salt: bytes, text: str) -> list[str]:
    """Hashes of every run of SHINGLE_WORDS consecutive words (none for shorter texts)."""
    words = text_words(text)
    return [
        identifier_hash(salt, "shingle", " ".join(words[i : i + SHINGLE_WORDS]))
        for i in range(len(words) - SHINGLE_WORDS + 1)
    ]


def sampled_shingles(salt: bytes, text: str) -> list[str]:
    """The SHINGLES_KEPT smallest shingle hashes (a bottom-k sample: same text, same sample)."""
    return sorted(set(shingle_hashes(salt, text)))[:SHINGLES_KEPT]


@functools.cache
def _project_vars() -> dict[str, Any]:
    with open(PROJECT_ROOT / "dbt_project.yml", encoding="utf-8") as handle:
        return (yaml.safe_load(handle) or {}).get("vars") or {}


def project_var(name: str, default: Any) -> Any:
    """A `vars:` value of dbt_project.yml (the one place defaults are configured)."""
    value = _project_vars().get(name, default)
    return default if value is None else value
