"""The `concord_meta` schema: bookkeeping written by concord/ (erasure log, extract registry).

Nothing here ever holds personal data. Identifiers of erased tasks are kept only as HMAC-SHA256
hashes keyed with the erasure key, which never lives in the warehouse file (ingest/erased.py:
`$CONCORD_ERASURE_KEY` or the 0600 key file `<warehouse>.erasure-key` beside it).
"""

from __future__ import annotations

import re
import unicodedata

import duckdb

from concord.dbt_vars import project_var  # noqa: F401  (erasure, retention, extracts read vars here)
from ingest.erased import identifier_hash
from ingest.warehouse import META_DDL, relation_exists

SHINGLE_WORDS = 8
SHINGLES_KEPT = 32


def ensure_meta_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the concord_meta tables if they do not exist (idempotent; the DDL is
    ingest/warehouse.py's). Callers inside a transaction use this; elsewhere `migrate` does it."""
    con.execute(META_DDL)


def meta_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return relation_exists(con, "concord_meta.erased_identifiers")


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
