"""verify-erasure: look for any trace of an erased task, in the tables and views and in the bytes
of every file Concord owns.

1. Tables and views, of the warehouse and of the analyst snapshot (concord/publish.py, attached
   read-only as `concord_analyst`): the distinct leaves of every column are collected in DuckDB; ids and ext ids
   are hashed IN DuckDB (HMAC from two sha256 calls, ingest/erased.py) and joined to the log;
   only leaves long enough to be a text fingerprint go to Python (word normalisation, shingles).
   Columns holding a suspect leaf are then located and judged value by value.
2. Extract files: every row of every registered (and given) extract folder.
3. Raw bytes: the DuckDB file, its WAL, the spill directory `<db>.tmp/`, the analyst snapshot
   and every file in the
   extract folders (temp files included) are read as bytes; every run of text in them is tested
   against the log (ext ids and emails as tokens, texts whole and by shingles). Deleted rows stay
   in a DuckDB file's bytes until the file is rewritten, so this is where an uncompacted erasure
   shows.

Any finding is residue: the command exits 1 naming where it is.
"""

from __future__ import annotations

import hmac
import json
import mmap
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from concord.erasure.journal import complete_pending_rewrites, owned_files
from concord.erasure.proof import (
    Proof,
    log_fingerprint,
    now,
    proof_file,
    read_proofs,
    table_fingerprint,
    write_proofs,
)
from concord.erasure.request import MIN_TEXT_CHARS, _as_int, relation_columns, warehouse_relations
from concord.governance_meta import SHINGLE_WORDS, meta_exists, normalise_text, text_words
from ingest.erased import hmac_sql, reused_task_hashes, warehouse_key, warehouse_path
from ingest.warehouse import quote_identifier as _qi

INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
# types that can hold neither an id nor a text: not scanned
UNSCANNED_PREFIXES = (
    "DOUBLE", "FLOAT", "REAL", "DECIMAL", "BOOLEAN", "DATE", "TIME", "TIMESTAMP", "INTERVAL",
    "UUID", "BLOB", "BIT",
)  # fmt: skip
TASK_ID_KEYS = {"task_id", "task"}
TEXT_FINDING = "text of an erased task"  # every text finding starts so; ids are found otherwise


def _task_like(name: str | None) -> bool:
    if not name:
        return False
    name = name.lower()
    return name in TASK_ID_KEYS or name.endswith("_task_id")


@dataclass
class Residue:
    where: str
    what: str
    count: int = 1

    def line(self) -> str:
        times = f" ({self.count} value(s))" if self.count > 1 else ""
        return f"residue: {self.where}: {self.what}{times}"


@dataclass
class VerifyResult:
    n_erasures: int
    n_relations: int
    n_columns: int
    n_files: int
    residues: list[Residue]
    finished_rewrites: list[str]
    n_byte_files: int = 0  # files whose raw bytes were scanned
    n_views_skipped: int = 0  # views read only scanned tables: their rows were not scanned
    n_proven: int = 0  # tables unchanged since a clean scan: not scanned again (proof.py)
    proof_note: str = ""

    @property
    def clean(self) -> bool:
        return not self.residues

    def lines(self) -> list[str]:
        out = [f"finished an interrupted extract rewrite: {p}" for p in self.finished_rewrites]
        if self.n_erasures == 0:
            out.append("no erasures logged: nothing to verify")
            return out
        out.append(
            f"scanned {self.n_relations} table(s)/view(s), {self.n_columns} column(s), "
            f"{self.n_files} extract file(s), and the raw bytes of {self.n_byte_files} file(s),"
            f" for {self.n_erasures} erasure(s)"
        )
        if self.proof_note:
            out.append(self.proof_note)
        if self.n_views_skipped:
            out.append(
                f"{self.n_views_skipped} view(s) not scanned row by row: they read only scanned"
                " tables and their SQL holds no erased value"
            )
        if self.clean:
            out.append("zero residue")
        else:
            out += [r.line() for r in self.residues]
            out.append(f"{len(self.residues)} location(s) still hold erased data")
        return out


class _Matcher:
    """Tests candidate values against the HMAC hashes of the log.

    Hashes are compared as raw HMAC digests (`hmac.digest`, OpenSSL's one-shot HMAC): the same
    numbers as `identifier_hash`, about three times cheaper, and verify-erasure computes millions.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, key: bytes) -> None:
        self.salt = key
        rows = con.execute(
            "select identifier_kind, identifier_hash from concord_meta.erased_identifiers"
        ).fetchall()
        # an erased task id that a live task from another source holds is not residue
        self.reused = reused_task_hashes(con, key)
        self.task_ids = {
            bytes.fromhex(h) for k, h in rows if k == "task_id" and h not in self.reused
        }
        self.ext_ids = {bytes.fromhex(h) for k, h in rows if k == "ext_id"}
        self.texts = {bytes.fromhex(h) for k, h in rows if k == "text"}
        self.emails = {bytes.fromhex(h) for k, h in rows if k == "email"}
        self.shingles: dict[bytes, set[bytes]] = {}
        self.shingle_owner: dict[bytes, set[bytes]] = {}
        for text_digest, shingle in con.execute(
            "select text_hash, shingle_hash from concord_meta.erased_text_shingles"
        ).fetchall():
            owner, digest = bytes.fromhex(text_digest), bytes.fromhex(shingle)
            self.shingles.setdefault(owner, set()).add(digest)
            self.shingle_owner.setdefault(digest, set()).add(owner)

    def _digest(self, kind: str, value: Any) -> bytes:
        """`identifier_hash(key, kind, value)` as bytes."""
        return hmac.digest(self.salt, f"{kind}:{value}".encode(), "sha256")

    def task_id(self, value: Any) -> bool:
        number = _as_int(value)
        return number is not None and self._digest("task_id", number) in self.task_ids

    def string(self, value: str, task_like: bool) -> list[str]:
        found = []
        stripped = value.strip()
        if task_like and self.task_id(stripped):
            found.append("erased task id")
        if self.ext_ids and self._digest("ext_id", stripped) in self.ext_ids:
            found.append("erased ext id")
        if (
            self.emails
            and "@" in stripped
            and (self._digest("email", stripped.lower()) in self.emails)
        ):
            found.append("erased annotator email")
        found += self._text(value)
        return found

    def _text(self, value: str) -> list[str]:
        """The text findings of `string` (whole-text hash, else quoted shingles)."""
        if value.isascii() and len(value) < MIN_TEXT_CHARS:
            return []  # ASCII: the normalised form is never longer than the text
        words = text_words(value)
        normalised = " ".join(words) if words else normalise_text(value)
        if len(normalised) < MIN_TEXT_CHARS:
            return []
        if self._digest("text", normalised) in self.texts:
            return [TEXT_FINDING]
        if self.shingle_owner and len(words) >= SHINGLE_WORDS:
            hits: dict[bytes, int] = {}
            seen: set[bytes] = set()
            for i in range(len(words) - SHINGLE_WORDS + 1):
                shingle = self._digest("shingle", " ".join(words[i : i + SHINGLE_WORDS]))
                if shingle in seen:
                    continue
                seen.add(shingle)
                for owner in self.shingle_owner.get(shingle, ()):
                    hits[owner] = hits.get(owner, 0) + 1
            if any(n * 2 >= len(self.shingles[owner]) for owner, n in hits.items()):
                return [f"{TEXT_FINDING}, quoted inside a longer text"]
        return []

    def walk(self, value: Any, key: str | None) -> list[str]:
        """Findings in a value: scalars, JSON text, lists and objects (recursively)."""
        if value is None or isinstance(value, bool | float):
            return []
        if isinstance(value, int):
            return ["erased task id"] if _task_like(key) and self.task_id(value) else []
        if isinstance(value, str):
            text = value.lstrip()
            if text[:1] in ("{", "["):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    parsed = None
                if isinstance(parsed, dict | list):
                    return self.walk(parsed, key)
            return self.string(value, _task_like(key))
        if isinstance(value, dict):
            found = []
            is_task = "data" in value and ("annotations" in value or "predictions" in value)
            for item_key, item in value.items():
                if is_task and item_key == "id":
                    found += ["erased task id"] if self.task_id(item) else []
                else:
                    found += self.walk(item, str(item_key))
            return found
        if isinstance(value, list | tuple):
            found = []
            for item in value:
                found += self.walk(item, key)
            return found
        return self.walk(str(value), key)

    def suspect(self, value: Any) -> bool:
        """Could `walk` find anything in a value, under ANY key? A cheap superset of `walk`:
        every integer is tested as a task id, every string as an id, ext id and text, and a
        string that is JSON also leaf by leaf. Phase 1 of the scan keeps the suspects only."""
        if value is None or isinstance(value, bool | float):
            return False
        if isinstance(value, int):
            return self.task_id(value)
        if isinstance(value, str):
            if self.string(value, True):
                return True
            if value.lstrip()[:1] in ("{", "["):
                try:
                    parsed = json.loads(value)
                except ValueError:
                    return False
                return isinstance(parsed, dict | list) and self.suspect(parsed)
            return False
        if isinstance(value, dict):
            return any(self.suspect(item) for item in value.values())
        if isinstance(value, list | tuple):
            return any(self.suspect(item) for item in value)
        return self.suspect(str(value))


# A value is expanded into its JSON leaves in SQL only when Python's json.loads (what `walk` uses)
# parses it to the same container: it starts with { or [ after JSON whitespace, DuckDB finds it
# valid, and it holds neither a trailing comma nor a raw control character (DuckDB accepts
# `[1,]`; Python rejects both). Every other value goes to Python whole, and `suspect` decides.
_EXPANDS = (
    "(regexp_matches(v, '^[ \\t\\n\\r]*[\\[{]') and json_valid(v)"
    " and not regexp_matches(v, ',[ \\t\\n\\r]*[\\]}]')"
    " and not regexp_matches(v, '[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]'))"
)
# The scalar tokens of a JSON text, left to right: a string literal (consumed whole, so nothing
# inside it is taken for a number) or a number. Object keys come out too: a superset is fine.
_JSON_TOKEN = r'"(?:[^"\\]|\\.)*"|-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?'
# (value, leaf, kind): kind 0 = a string (a JSON string leaf or a whole value), 1 = an integer.
# Tokenising with a regex is ~10x cheaper than json_tree, which renders every subtree as text
# (and runs out of memory on raw task structs at 100k tasks).
_LEAVES_SQL = """
with

vals as (
    select {expr} as v from {relation} where {column} is not null
),

classified as (
    select v, {expands} as expands from vals
),

tokens as (
    select v, unnest(regexp_extract_all(v, '{token}')) as token from classified where expands
),

leaves as (
    select v, v as leaf, 0 as kind from classified where not expands
    union all
    select
        v,
        case
            when token[1] != '"' then token
            when contains(token, '\\') then json_extract_string(token, '$')
            else token[2:-2]
        end,
        case when token[1] = '"' then 0 else 1 end
    from tokens
    where token[1] = '"' or regexp_full_match(token, '-?[0-9]+')
)
""".replace("{token}", _JSON_TOKEN)


@dataclass
class _Column:
    col_id: int
    relation: int
    schema: str
    table: str
    column: str
    integer: bool
    expr: str
    container: bool = False  # a struct, list or map: to_json makes an object or array
    catalog: str | None = None  # the analyst snapshot's alias; None: the warehouse
    label: str = ""  # how a location in the snapshot is named ("<path>: ")

    @property
    def qualified(self) -> str:
        prefix = f"{_qi(self.catalog)}." if self.catalog else ""
        return f"{prefix}{_qi(self.schema)}.{_qi(self.table)}"

    @property
    def where(self) -> str:
        return f"{self.label}{self.schema}.{self.table}.{self.column}"

    def leaves_sql(self) -> str:
        # to_json of a struct, list or map is always a valid object or array; any other value
        # (text, JSON, an enum: to_json makes a JSON string) is tested
        expands = "true" if self.container else _EXPANDS
        return _LEAVES_SQL.format(
            expr=self.expr, relation=self.qualified, column=_qi(self.column), expands=expands
        )


def _scan_columns(
    con: duckdb.DuckDBPyConnection,
    relation: int,
    schema: str,
    table: str,
    first_id: int,
    catalog: str | None = None,
    label: str = "",
) -> tuple[int, list[_Column]]:
    """(number of columns counted as scanned, the columns to collect) of one relation, by the
    same type rules as always: task-like integer columns; text, JSON, list, struct, ...."""
    n_columns = 0
    columns = []
    where = {"catalog": catalog, "label": label}
    for column, data_type in relation_columns(con, schema, table, catalog):
        upper = data_type.upper()
        if upper in INTEGER_TYPES:
            n_columns += 1
            if _task_like(column):
                columns.append(
                    _Column(
                        first_id + len(columns), relation, schema, table, column, True, "", **where
                    )
                )
            continue
        if upper.startswith(UNSCANNED_PREFIXES):
            continue
        n_columns += 1
        text = upper in ("VARCHAR", "JSON")
        container = upper.startswith(("STRUCT", "MAP")) or upper.endswith("]")
        expr = (
            f"cast({_qi(column)} as varchar)"
            if text
            else f"cast(to_json({_qi(column)}) as varchar)"
        )
        columns.append(
            _Column(
                first_id + len(columns),
                relation,
                schema,
                table,
                column,
                False,
                expr,
                container,
                **where,
            )
        )
    return n_columns, columns


def _collect(con: duckdb.DuckDBPyConnection, col: _Column) -> None:
    """Phase 1: the distinct leaves of one column into the temp table `_verify_leaves`."""
    if col.integer:
        con.execute(
            f"insert into _verify_leaves select distinct {col.col_id}, cast({_qi(col.column)}"
            f" as varchar), 1 from {col.qualified} where {_qi(col.column)} is not null"
        )
        return
    con.execute(
        f"insert into _verify_leaves {col.leaves_sql()}"
        f" select distinct {col.col_id}, leaf, kind from leaves"
    )


# leaf text per partition of the global distinct: its hash table must fit the memory limit
# (one `group by` over all leaves of a 1M-task warehouse ran out of memory under 600MB)
_PARTITION_BYTES = 48 * 2**20


def _suspect_leaves(
    con: duckdb.DuckDBPyConnection, matcher: _Matcher, batch: int = 20_000, texts: bool = True
) -> int:
    """Keep in `_verify_hits` every distinct leaf that could be erased data; returns how many.

    The leaves of all columns are made distinct first (per hash partition of ~48 MB of leaf
    text, so the hash table fits the memory limit), and each distinct leaf is tested once: the
    same string sits in many columns (the raw struct, staging, marts, the snapshot's copies), and
    hashing every column's copy was most of this step. Ids are hashed in DuckDB: every integer
    leaf and digit string as a task id, every string as an ext id and (with an @) an email,
    joined to the log's hashes. Only strings that can be a text fingerprint (20+ characters,
    non-ASCII, or JSON) go to Python for word normalisation and shingles."""
    key = matcher.salt
    task_sql, task_params = hmac_sql(
        key, "'task_id:' || cast(try_cast(trim(leaf) as hugeint) as varchar)"
    )
    ext_sql, ext_params = hmac_sql(key, "'ext_id:' || trim(leaf)")
    mail_sql, mail_params = hmac_sql(key, "'email:' || lower(trim(leaf))")
    con.execute(
        """
        create or replace temp table _verify_log as
        select identifier_kind as kind, identifier_hash as hash
        from concord_meta.erased_identifiers
        where identifier_kind in ('task_id', 'ext_id', 'email')
            and not list_contains(?, identifier_hash)
        """,
        [sorted(matcher.reused)],
    )
    do_texts = texts and bool(matcher.texts or matcher.shingles)
    # on `con` itself: temp tables are private to a connection (a cursor is another one)
    text_leaf = (
        "kind = 0 and (strlen(leaf) >= ? or not regexp_full_match(leaf, '[\\x00-\\x7f]*')"
        " or regexp_matches(leaf, '^[ \\t\\n\\r]*[\\[{]'))"
    )
    (n_bytes,) = con.execute("select coalesce(sum(strlen(leaf)), 0) from _verify_leaves").fetchone()
    n_parts = 1 + int(n_bytes) // _PARTITION_BYTES
    hits: list[tuple[str, int]] = []
    try:
        for part in range(n_parts):
            con.execute(
                "create or replace temp table _verify_distinct as select distinct leaf, kind"
                " from _verify_leaves where hash(leaf) % ? = ?",
                [n_parts, part],
            )
            con.execute(
                f"""
                insert into _verify_hits
                select leaf, kind from _verify_distinct
                where (
                        (kind = 1 or regexp_full_match(trim(leaf), '-?[0-9]+'))
                        and {task_sql} in (select hash from _verify_log where kind = 'task_id')
                    )
                    or (
                        kind = 0
                        and {ext_sql} in (select hash from _verify_log where kind = 'ext_id')
                    )
                    or (
                        kind = 0 and contains(leaf, '@')
                        and {mail_sql} in (select hash from _verify_log where kind = 'email')
                    )
                """,
                [*task_params, *ext_params, *mail_params],
            )
            if not do_texts:
                continue
            con.execute(f"select leaf from _verify_distinct where {text_leaf}", [MIN_TEXT_CHARS])
            while rows := con.fetchmany(batch):
                for (leaf,) in rows:
                    if leaf.lstrip()[:1] in ("{", "["):
                        if matcher.suspect(leaf):
                            hits.append((leaf, 0))
                    elif matcher._text(leaf):
                        hits.append((leaf, 0))
    finally:
        con.execute("drop table if exists _verify_log")
        con.execute("drop table if exists _verify_distinct")
    if hits:
        # a leaf found by both tests is kept twice: harmless (hits are only joined against)
        con.executemany("insert into _verify_hits values (?, ?)", hits)
    (n_hits,) = con.execute("select count(*) from _verify_hits").fetchone()
    return int(n_hits)


# at most this many suspect leaves are searched for as substrings in phase 2; more fall back to
# tokenizing the whole column again
_MAX_NEEDLES = 64


def _locate(con: duckdb.DuckDBPyConnection, matcher: _Matcher, col: _Column) -> list[Residue]:
    """Phase 2, for a column holding a suspect leaf: the distinct values holding one, judged by
    `walk` exactly as a full scan would (same findings, same counts of distinct values).

    A value holds a suspect leaf only if it contains the leaf's text or a backslash: a leaf is
    the whole value, a number token, a JSON string token without escapes (its text appears as
    is) or one with escapes (the value then holds a backslash). So the column is not tokenized
    again: values containing a suspect leaf go to `walk` directly, and only values with a
    backslash are tokenized to see whether one of their unescaped leaves is a suspect. Not for
    structs, lists and maps: rendering every row with `to_json` costs more than the tokenizing
    saved (measured on the raw task struct at 100k tasks: 11 s for the one query, 16 s for the
    two), and the two passes ran out of memory under 600MB there."""
    if col.integer:
        (hits,) = con.execute(
            f"select count(distinct {_qi(col.column)}) from {col.qualified}"
            f" where cast({_qi(col.column)} as varchar) in"
            " (select leaf from _verify_hits where kind = 1)"
        ).fetchone()
        return [Residue(col.where, "erased task id", hits)] if hits else []
    needles = [
        leaf
        for (leaf,) in con.execute("select distinct leaf from _verify_hits order by 1").fetchall()
    ]
    semi_join = (
        " select distinct leaves.v from leaves semi join _verify_hits"
        " on leaves.leaf = _verify_hits.leaf and leaves.kind = _verify_hits.kind"
    )
    queries: list[tuple[str, list[str]]]
    if col.container or len(needles) > _MAX_NEEDLES or "" in needles:
        # a struct, list or map: `to_json` of every row is most of the cost either way
        queries = [(col.leaves_sql() + semi_join, [])]
    else:
        holds = " or ".join(["contains(v, ?)"] * len(needles))
        values = (
            f"(select {col.expr} as v from {col.qualified} where {_qi(col.column)} is not null)"
        )
        escaped = _LEAVES_SQL.format(
            expr="v",
            relation=f"(select v from {values} where contains(v, '\\') and not ({holds}))",
            column="v",
            expands="true" if col.container else _EXPANDS,
        )
        # two disjoint sets of values: no value is judged (counted) twice
        queries = [
            (f"select distinct v from {values} where {holds}", needles),
            (escaped + semi_join, needles),
        ]
    found: dict[str, int] = {}
    for sql, params in queries:
        for (value,) in con.execute(sql, params).fetchall():
            for what in set(matcher.walk(value, col.column)):
                found[what] = found.get(what, 0) + 1
    return [Residue(col.where, what, n) for what, n in sorted(found.items())]


def _scan_relations(
    con: duckdb.DuckDBPyConnection,
    matcher: _Matcher,
    relations: list[tuple[int, tuple]],
    texts: bool = True,
) -> tuple[int, dict[int, list[Residue]]]:
    """The given (index, relation) pairs, tables or views: distinct leaves collected in DuckDB
    (phase 1), each distinct leaf tested once, then only the columns holding a suspect leaf
    located (phase 2). Returns the columns counted and the residues by relation index."""
    con.execute(
        "create or replace temp table _verify_leaves (col_id integer, leaf varchar, kind tinyint)"
    )
    con.execute("create or replace temp table _verify_hits (leaf varchar, kind tinyint)")
    try:
        columns: list[_Column] = []
        broken: dict[int, Residue] = {}
        n_columns = 0
        for index, (schema, table, _type, *where) in relations:
            # a relation of the analyst snapshot: (schema, table, type, catalog, label)
            catalog, label = (where[0], where[1]) if where else (None, "")
            try:
                n, cols = _scan_columns(con, index, schema, table, len(columns), catalog, label)
                for col in cols:
                    _collect(con, col)
            except duckdb.Error as err:  # a broken view proves nothing: say so, do not pass
                first_line = str(err).splitlines()[0]
                broken[index] = Residue(
                    f"{label}{schema}.{table}", f"could not be scanned ({first_line})"
                )
                con.execute("delete from _verify_leaves where col_id >= ?", [len(columns)])
                continue
            n_columns += n
            columns += cols
        residues: dict[int, list[Residue]] = {i: [r] for i, r in broken.items()}
        if columns and _suspect_leaves(con, matcher, texts=texts):
            flagged = {
                col_id
                for (col_id,) in con.execute(
                    "select distinct col_id from _verify_leaves semi join _verify_hits"
                    " on _verify_leaves.leaf = _verify_hits.leaf"
                    " and _verify_leaves.kind = _verify_hits.kind"
                ).fetchall()
            }
            for col in columns:
                if col.col_id in flagged:
                    found = _locate(con, matcher, col)
                    if found:
                        residues.setdefault(col.relation, []).extend(found)
    finally:
        con.execute("drop table if exists _verify_leaves")
        con.execute("drop table if exists _verify_hits")
    return n_columns, residues


# ---------------------------------------------------------------------------------------------
# views: which need their rows scanned

# leaves of a query plan that read no stored data of their own: a VALUES list (its literals are
# in the view's SQL, which is checked), no row at all, or the rows of a CTE / a join's other side
# computed elsewhere in the same plan
_DATA_FREE_SCANS = {
    "DUMMY_SCAN",
    "EMPTY_RESULT",
    "COLUMN_DATA_SCAN",
    "CTE_SCAN",
    "DELIM_SCAN",
    "CHUNK_SCAN",
    "RECURSIVE_CTE_SCAN",
    "RECURSIVE_RECURRING_CTE_SCAN",
}
_SQL_STRING = re.compile(r"'((?:[^']|'')*)'")


def _plan_tables(con: duckdb.DuckDBPyConnection, qualified: str) -> set[str] | None:
    """The stored tables (`catalog.schema.table`) a query of the relation reads, from DuckDB's
    plan (views and macros expanded), or None when the plan reads anything else: a file, a table
    function, a scan it does not name a table for. Raises duckdb.Error when it does not bind."""
    (plan,) = con.execute(f"explain (format json) select * from {qualified}").fetchall()
    tables: set[str] = set()

    def pure(node: dict) -> bool:
        children = node.get("children") or []
        table = (node.get("extra_info") or {}).get("Table")
        if not children:
            if table:
                tables.add(table)
            elif node.get("name") not in _DATA_FREE_SCANS:
                return False
        return all(pure(child) for child in children)

    return tables if all(pure(node) for node in json.loads(plan[1])) else None


def _definition_suspect(matcher: _Matcher, sql: str) -> bool:
    """Could a view's (or a macro's) SQL text hold erased data? Its string literals as values
    (`suspect`: ids, ext ids, emails, texts, JSON with its task ids), its tokens as ext ids and
    emails and the whole text by shingles, like a run of raw bytes. A bare integer literal is
    not tested as a task id: SQL is full of small numbers (`round(x, 10)`), and a number in
    code is not a row of an erased task (a text, ext id or email in code is its data)."""
    for literal in _SQL_STRING.findall(sql):
        if matcher.suspect(literal.replace("''", "'")):
            return True
    return bool(_text_findings(sql, matcher) or _token_findings(set(_tokens(sql)), matcher))


def _views_to_skip(
    con: duckdb.DuckDBPyConnection,
    matcher: _Matcher,
    relations: list[tuple],
    scanned_tables: set[str],
) -> set[int]:
    """The views whose rows need no scan (indexes into `relations`), each by this argument: a
    view stores no rows, only its SQL. What a query of it returns is computed, at that moment,
    from (a) the rows of the relations its plan reads and (b) the constants of its SQL and of the
    macros it calls. So erased data a view shows was STORED in one of those places. A view is
    skipped when (a) every leaf of its plan is a table the scan reads anyway (a file, a table
    function or a table outside the scan keeps it in the scan) and (b) its SQL and every macro's
    hold nothing suspect; a view that does not bind is scanned (and reported as such). The rows
    of skipped views are still scanned when the scan finds residue anywhere (`verify_erasure`):
    then the report names every place an analyst would see it."""
    macros = con.execute(
        "select coalesce(macro_definition, '') from duckdb_functions()"
        " where not internal and function_type in ('macro', 'table_macro')"
    ).fetchall()
    if any(_definition_suspect(matcher, text) for (text,) in macros):
        return set()
    skip = set()
    for index, (schema, table, kind, *where) in enumerate(relations):
        if kind != "VIEW":
            continue
        catalog = where[0] if where else None
        prefix = f"{_qi(catalog)}." if catalog else ""
        qualified = f"{prefix}{_qi(schema)}.{_qi(table)}"
        try:
            reads = _plan_tables(con, qualified)
            (sql,) = con.execute(
                "select coalesce(sql, '') from duckdb_views() where database_name ="
                " coalesce(?, current_database()) and schema_name = ? and view_name = ?",
                [catalog, schema, table],
            ).fetchone()
        except duckdb.Error:
            continue  # the scan says it could not be scanned
        if reads is not None and reads <= scanned_tables and not _definition_suspect(matcher, sql):
            skip.add(index)
    return skip


SNAPSHOT_ALIAS = "concord_analyst"


def _attach_snapshot(con: duckdb.DuckDBPyConnection) -> Path | None:
    """The analyst snapshot, attached read-only (readers holding it open do not matter), or
    None when the warehouse has none."""
    from concord.publish import analyst_path

    db = warehouse_path(con)
    if db is None:
        return None
    path = analyst_path(db)
    if not path.is_file():
        return None
    literal = str(path).replace("'", "''")
    con.execute(f"attach '{literal}' as {SNAPSHOT_ALIAS} (read_only)")
    return path


def verify_erasure(
    con: duckdb.DuckDBPyConnection,
    *,
    extract_dirs: Iterable[str | os.PathLike[str]] = (),
    finish_pending: bool = True,
    texts: bool = True,
    raw_bytes: bool = True,
    use_proofs: bool = False,
) -> VerifyResult:
    """Scan every table and view, every extract file and the raw bytes of every file Concord
    owns (the DuckDB file, its WAL, the spill directory, the extract folders) for erased ids,
    emails and texts (see the module doc).

    With `finish_pending` (the default) extract rewrites of a committed erasure that crashed
    before its renames are finished first. `concord check` passes `texts=False,
    raw_bytes=False`: ids, ext ids and emails everywhere, all hashed in DuckDB, in seconds; the
    text fingerprints (Python) and the raw bytes are `verify-erasure`'s.

    Every scan records proofs of the tables it found clean (concord/erasure/proof.py). With
    `use_proofs` (what `concord check` passes) tables none of whose rows changed since a clean
    scan of at least this level, for the same erasure log, are not scanned again; without it
    (`verify-erasure`, the proof) every table is.
    """
    from concord.extracts import extract_data_files, read_extract_rows, registered_extract_dirs

    finished = complete_pending_rewrites(con) if finish_pending else []
    n_erasures = (
        con.execute("select count(*) from concord_meta.erasure_log").fetchone()[0]
        if meta_exists(con)
        else 0
    )
    if not n_erasures:
        return VerifyResult(0, 0, 0, 0, [], finished)
    key = warehouse_key(con)
    if key is None:
        from ingest.erased import missing_key_error

        raise missing_key_error(warehouse_path(con))
    matcher = _Matcher(con, key)
    relations = warehouse_relations(con, include_views=True)
    snapshot = _attach_snapshot(con)
    if snapshot is not None:
        relations += [
            (schema, table, kind, SNAPSHOT_ALIAS, f"{snapshot}: ")
            for schema, table, kind in warehouse_relations(
                con, include_views=True, catalog=SNAPSHOT_ALIAS
            )
        ]
    try:
        (database,) = con.execute("select current_database()").fetchone()
        scanned_tables = {
            f"{where[0] if where else database}.{schema}.{table}"
            for schema, table, kind, *where in relations
            if kind == "BASE TABLE"
        }
        skip = _views_to_skip(con, matcher, relations, scanned_tables)
        proofs = _Proofs(con, matcher, relations, "full" if texts else "ids", use_proofs)
        first = [
            (i, r) for i, r in enumerate(relations) if i not in skip and i not in proofs.proven
        ]
        n_columns, found = _scan_relations(con, matcher, first, texts=texts)
        proofs.record(found)
        if found and skip:
            # residue somewhere: the views that show it are places too, name them all
            rest = [(i, relations[i]) for i in sorted(skip)]
            n_more, found_more = _scan_relations(con, matcher, rest, texts=texts)
            n_columns += n_more
            found.update(found_more)
            skip = set()
        residues = [r for index in sorted(found) for r in found[index]]
    finally:
        if snapshot is not None:
            con.execute(f"detach {SNAPSHOT_ALIAS}")
    dirs = list(dict.fromkeys([*registered_extract_dirs(con), *(str(d) for d in extract_dirs)]))
    n_files = 0
    for directory in dirs:
        for path in extract_data_files(directory):
            n_files += 1
            for row_number, row in enumerate(read_extract_rows(path), start=1):
                for column, value in row.items():
                    for what in sorted(set(matcher.walk(value, column))):
                        residues.append(Residue(f"{path}: row {row_number}, column {column}", what))
    db = warehouse_path(con)
    files = owned_files(db, dirs) if raw_bytes else []
    for path in files:
        for what in scan_file_bytes(path, matcher):
            residues.append(Residue(f"{path} (raw bytes)", what))
    result = VerifyResult(
        int(n_erasures),
        len(relations) - len(skip) - len(proofs.proven),
        n_columns,
        n_files,
        residues,
        finished,
    )
    result.n_byte_files = len(files)
    result.n_views_skipped = len(skip)
    result.n_proven = len(proofs.proven)
    result.proof_note = proofs.note
    return result


class _Proofs:
    """The tables of `relations` a clean scan already proved (concord/erasure/proof.py): their
    indexes in `proven`; `record` writes the proofs of this scan."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        matcher: _Matcher,
        relations: list[tuple],
        level: str,
        use: bool,
    ) -> None:
        self.db = warehouse_path(con)
        self.key = matcher.salt
        self.level = level
        self.note = ""
        self.proven: set[int] = set()
        self.places: dict[int, tuple[str, str]] = {}  # index -> (place, fingerprint)
        if self.db is None:
            return
        self.log = log_fingerprint(con, matcher.reused)
        for index, (schema, table, kind, *where) in enumerate(relations):
            if kind != "BASE TABLE":
                continue
            catalog = where[0] if where else None
            prefix = f"{_qi(catalog)}." if catalog else ""
            columns = [tuple(c) for c in relation_columns(con, schema, table, catalog)]
            fingerprint = table_fingerprint(con, f"{prefix}{_qi(schema)}.{_qi(table)}", columns)
            place = f"{'snapshot' if catalog else 'warehouse'}:{schema}.{table}"
            self.places[index] = (place, fingerprint)
        self.old = read_proofs(self.db, self.key) if use else {}
        for index, (place, fingerprint) in self.places.items():
            proof = self.old.get(place)
            if proof is not None and proof.covers(fingerprint, self.log, level):
                self.proven.add(index)

    def record(self, found: dict[int, list[Residue]]) -> None:
        """Keep the proofs still valid, add one for every table this scan found clean."""
        if self.db is None:
            return
        stamp = now()
        proofs = {}
        for index, (place, fingerprint) in self.places.items():
            if index in self.proven:
                proofs[place] = self.old[place]
            elif index not in found:
                proofs[place] = Proof(fingerprint, self.log, self.level, stamp)
            elif self.level == "full" and all(
                r.what.startswith(TEXT_FINDING) for r in found[index]
            ):
                # texts found, no id: the full scan looked for ids too, so the check's level holds
                proofs[place] = Proof(fingerprint, self.log, "ids", stamp)
        try:
            write_proofs(self.db, self.key, proofs)
        except OSError as err:  # a proof only saves time: without it the next scan is full
            self.note = f"could not record the scan's proofs ({err}); the next scan is full"
            return
        if self.proven:
            self.note = (
                f"{len(self.proven)} table(s) not scanned again: no row changed since a clean"
                f" scan for the same erasures ({proof_file(self.db)})"
            )


# ---------------------------------------------------------------------------------------------
# raw bytes


# a run of bytes that can be text: no control bytes (UTF-8 multibyte sequences included)
_RUN = re.compile(rb"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]{6,}")
_TOKEN_SPLIT = re.compile(r"[\s\"',;:{}\[\]()<>|=\\]+")
_CHUNK = 32 * 2**20
_OVERLAP = 64 * 2**10
_TOKEN_BATCH = 100_000


def _byte_runs(path: Path) -> set[str]:
    """The distinct text runs of a file, read in chunks (a run cut by a chunk edge is seen
    whole in the overlap of the next chunk, up to 64 KiB)."""
    runs: set[str] = set()
    size = path.stat().st_size
    if not size:
        return runs
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        start = 0
        while start < size:
            chunk = mm[start : start + _CHUNK + _OVERLAP]
            for match in _RUN.finditer(chunk):
                runs.add(match.group().decode("utf-8", "ignore"))
            start += _CHUNK
    return runs


def _tokens(run: str) -> list[str]:
    return [token for token in _TOKEN_SPLIT.split(run) if token]


def _text_findings(run: str, matcher: _Matcher) -> list[str]:
    """A run of text (raw bytes, SQL) as a text: whole, or by shingles."""
    if (matcher.texts or matcher.shingles) and matcher._text(run):
        return [TEXT_FINDING]
    return []


def _token_findings(tokens: Iterable[str], matcher: _Matcher) -> set[str]:
    """Tokens of a run of text as ext ids and emails."""
    found: set[str] = set()
    for token in tokens:
        if matcher.ext_ids and matcher._digest("ext_id", token) in matcher.ext_ids:
            found.add("erased ext id")
        if (
            matcher.emails
            and "@" in token
            and (matcher._digest("email", token.lower()) in matcher.emails)
        ):
            found.add("erased annotator email")
    return found


def scan_file_bytes(path: Path, matcher: _Matcher) -> list[str]:
    """What of the log a file's raw bytes hold: ext ids and emails as tokens of a text run,
    texts as whole runs or by their shingles (a text glued to its neighbours in a DuckDB string
    block still shows its inner shingles)."""
    found: set[str] = set()
    tokens: set[str] = set()
    runs = list(_byte_runs(path))
    for start in range(0, len(runs), _TOKEN_BATCH):
        # one split over many runs joined by a space (a separator): the same tokens as a split
        # per run, without a Python call per run
        tokens.update(_TOKEN_SPLIT.split(" ".join(runs[start : start + _TOKEN_BATCH])))
    tokens.discard("")
    for run in runs:
        found.update(_text_findings(run, matcher))
    return sorted(found | _token_findings(tokens, matcher))
