"""verify-erasure's two-phase scan finds exactly what a full value-by-value scan finds.

The scan collects the distinct JSON leaves of every column in DuckDB, hashes each distinct leaf
once in Python, and judges only the values that hold a suspect leaf (concord/erasure.py,
`_scan_relations`). The reference below is the scan it replaced: every distinct value of every
column, walked in Python. Both must report the same residues, with the same counts, on residue
planted in every shape the rules know (task ids under task-like keys, task objects, ext ids,
texts, quoted texts; JSON text, JSON type, structs, lists, views) and on near misses that must
stay silent (an erased id under a key that is not task-like, JSON Python cannot parse).
"""

from __future__ import annotations

import duckdb
import pytest

import concord.erasure as erasure_module
from concord.erasure import (
    INTEGER_TYPES,
    UNSCANNED_PREFIXES,
    ErasureRequest,
    Residue,
    _Matcher,
    _qi,
    _task_like,
    erase,
    relation_columns,
    verify_erasure,
    warehouse_relations,
)
from ingest.erased import warehouse_key

from .gov_helpers import connect, finish_erasure

TEXT_OF_10 = "(select task.data ->> 'text' from raw_label_studio.tasks where task_id = 10)"


def _reference_scan(con: duckdb.DuckDBPyConnection) -> tuple[int, list[Residue]]:
    """The scan before the two phases: every distinct value of every column, walked."""
    matcher = _Matcher(con, warehouse_key(con))
    residues: list[Residue] = []
    n_columns = 0
    for schema, table, _type in warehouse_relations(con, include_views=True):
        found_here: list[Residue] = []
        n_here = 0
        try:
            for column, data_type in relation_columns(con, schema, table):
                upper = data_type.upper()
                qualified = f"{_qi(schema)}.{_qi(table)}"
                where = f"{schema}.{table}.{column}"
                if upper in INTEGER_TYPES:
                    n_here += 1
                    if _task_like(column):
                        values = con.execute(
                            f"select distinct {_qi(column)} from {qualified}"
                            f" where {_qi(column)} is not null"
                        ).fetchall()
                        hits = sum(1 for (v,) in values if matcher.task_id(v))
                        if hits:
                            found_here.append(Residue(where, "erased task id", hits))
                    continue
                if upper.startswith(UNSCANNED_PREFIXES):
                    continue
                n_here += 1
                expr = (
                    _qi(column)
                    if upper in ("VARCHAR", "JSON")
                    else f"cast(to_json({_qi(column)}) as varchar)"
                )
                found: dict[str, int] = {}
                for (value,) in con.execute(
                    f"select distinct {expr} from {qualified} where {_qi(column)} is not null"
                ).fetchall():
                    for what in set(matcher.walk(value, column)):
                        found[what] = found.get(what, 0) + 1
                found_here += [Residue(where, w, n) for w, n in sorted(found.items())]
        except duckdb.Error as err:
            first_line = str(err).splitlines()[0]
            residues.append(Residue(f"{schema}.{table}", f"could not be scanned ({first_line})"))
            continue
        n_columns += n_here
        residues += found_here
    return n_columns, residues


def _plant(con: duckdb.DuckDBPyConnection) -> None:
    """Residue of task 10 (ext id byos-0009, a text of its own) in every shape, and near misses."""
    con.execute("create schema leaks")
    con.execute(
        f"""
        create table leaks.json_text as select * from (values
            ('{{"meta": {{"parent_task_id": 10, "ids": [10, 5]}}}}'),
            ('{{"list": [{{"x": "byos-0009"}}], "n": 1}}'),
            ('{{"nested": "{{\\"task\\": \\"10\\"}}"}}'),
            ('{{"id": 10, "data": {{"t": 1}}, "annotations": []}}'),
            ('{{"id": 10, "data": {{"t": 1}}}}'),
            ('{{"count": 10, "task_ids": [10]}}'),
            ('[10,]'),
            ('{{"a": "byos-0009",}}'),
            ('  [{{"task": 10}}]'),
            ('"byos-0009"'),
            ('  byos-0009  '),
            ('{{"s": "\\u0062yos-0009"}}'),
            ('{{"text": ' || to_json({TEXT_OF_10}) || '}}'),
            ('note: ' || {TEXT_OF_10} || ' -- end of the quoted message, thank you')
        ) as v(payload)
        """
    )
    (text,) = con.execute(f"select {TEXT_OF_10}").fetchone()
    quoted = "'" + text.replace("'", "''") + "'"
    con.execute(f"create type leaks.shade as enum ('byos-0009', 'x', {quoted})")
    con.execute(
        "create table leaks.typed as select"
        f" 'byos-0009'::leaks.shade as shade, {quoted}::leaks.shade as long_shade,"
        " json_object('k', json_array(10, 'byos-0009')) as doc,"
        " 10::bigint as source_task_id, 10::bigint as annotation_count,"
        " '10' as task, ['byos-0009', 'other'] as tags,"
        f" [{{'note': 'fwd: ' || {TEXT_OF_10}, 'task_id': 10}}] as notes,"
        " {'inner': {'task': [10, 11]}} as deep"
    )
    con.execute(
        "create view leaks.v_concat as select payload || ' / ' || payload as doubled"
        " from leaks.json_text"
    )
    con.execute("create table leaks.gone as select 'x' as word")
    con.execute("create view leaks.v_broken as select word from leaks.gone")


def test_two_phase_scan_equals_full_scan(warehouse):
    con = connect(warehouse)
    _plant(con)
    erase(con, ErasureRequest(ext_ids=["byos-0009"]))
    con.execute("drop table leaks.gone")  # the view breaks

    proof = verify_erasure(con)
    n_columns, expected = _reference_scan(con)
    assert proof.n_columns == n_columns
    # the reference scans tables and views; the raw bytes are a third scan of their own
    assert [r for r in proof.residues if not r.where.endswith("(raw bytes)")] == expected
    where = {(r.where, r.what): r.count for r in proof.residues}
    # a sample of what the planted shapes must give (all of it: `expected`)
    assert where[("leaks.json_text.payload", "erased task id")] >= 4
    assert ("leaks.json_text.payload", "text of an erased task") in where
    assert ("leaks.typed.source_task_id", "erased task id") in where
    assert ("leaks.typed.deep", "erased task id") in where
    assert ("leaks.typed.notes", "text of an erased task, quoted inside a longer text") in where
    assert ("leaks.typed.annotation_count", "erased task id") not in where
    assert ("leaks.typed.long_shade", "text of an erased task") in where  # an enum
    assert (
        "leaks.v_concat.doubled",
        "text of an erased task, quoted inside a longer text",
    ) in where
    assert any(r.where == "leaks.v_broken" and "could not be scanned" in r.what for r in expected)
    con.close()


def test_suspects_are_judged_exactly(warehouse):
    # an erased id under keys that are not task-like is a suspect leaf in phase 1, and phase 2
    # must find nothing in it
    con = connect(warehouse)
    con.execute("create schema leaks")
    con.execute(
        'create table leaks.near as select \'{"count": 10, "ids": [10]}\' as payload,'
        " {'n': 10} as counts"
    )
    erase(con, ErasureRequest(ext_ids=["byos-0009"]))
    con = finish_erasure(con, warehouse)
    assert verify_erasure(con).clean
    con.close()


@pytest.mark.parametrize(
    "value",
    ['{"a": "x"}', "[1, 2]", "plain", '{"a": 1,}', '["\\u00e9"]', '{"a": "b\\"c"}'],
)
def test_leaves_sql_matches_python(value):
    # the SQL tokens of a JSON text (strings unescaped, integers) are the strings and integers
    # json.loads gives, plus object keys
    con = duckdb.connect()
    con.execute("create table t (payload varchar)")
    con.execute("insert into t values (?)", [value])
    sql = erasure_module._LEAVES_SQL.format(
        expr="payload",
        relation="t",
        column="payload",
        expands=erasure_module._EXPANDS,
    )
    leaves = {
        (leaf, kind)
        for leaf, kind in con.execute(f"{sql} select leaf, kind from leaves").fetchall()
    }
    expected = {
        '{"a": "x"}': {("a", 0), ("x", 0)},
        "[1, 2]": {("1", 1), ("2", 1)},
        "plain": {("plain", 0)},
        '{"a": 1,}': {('{"a": 1,}', 0)},  # Python rejects the trailing comma: whole, to Python
        '["\\u00e9"]': {("\u00e9", 0)},
        '{"a": "b\\"c"}': {("a", 0), ('b"c', 0)},
    }[value]
    assert leaves == expected


def _views(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(
        "select count(*) from duckdb_views() where not internal"
        " and database_name = current_database()"
    ).fetchone()[0]


def test_a_clean_scan_skips_the_views_that_read_only_scanned_tables(warehouse):
    # the staging views read the raw tables (scanned) and hold no erased constant: their rows
    # are not read again, and the proof says so
    con = connect(warehouse)
    erase(con, ErasureRequest(ext_ids=["byos-0009"]))
    con = finish_erasure(con, warehouse)
    n_views = _views(con)
    assert n_views > 0
    proof = verify_erasure(con)
    assert proof.clean, proof.lines()
    assert proof.n_views_skipped == n_views
    assert f"{n_views} view(s) not scanned row by row" in proof.lines()[1]
    con.close()


@pytest.mark.parametrize("place", ["file", "literal", "macro"])
def test_views_that_read_a_file_or_hold_an_erased_constant_are_scanned(warehouse, tmp_path, place):
    # the tables are clean: the only copy left is in a file outside the warehouse that a view
    # reads, a literal in a view's SQL or a macro a view calls; that view is scanned, and then
    # (residue found) every other view too, so the report names every place an analyst sees it
    con = connect(warehouse)
    erase(con, ErasureRequest(ext_ids=["byos-0009"]))
    con = finish_erasure(con, warehouse)
    con.execute("create schema leaks")
    con.execute("create view leaks.v_pure as select task_id, task from raw_label_studio.tasks")
    if place == "file":
        outside = tmp_path / "outside.csv"
        outside.write_text("ext_id,note\nbyos-0009,kept by hand\n")
        con.execute(f"create view leaks.v_leak as select * from read_csv('{outside}')")
    elif place == "literal":
        con.execute("create view leaks.v_leak as select 'byos-0009' as ext_id")
    else:
        con.execute("create macro leaks.hidden() as 'byos-0009'")
        con.execute("create view leaks.v_leak as select leaks.hidden() as ext_id")
    proof = verify_erasure(con)
    found = {(r.where, r.what) for r in proof.residues if not r.where.endswith("(raw bytes)")}
    assert found == {("leaks.v_leak.ext_id", "erased ext id")}
    assert proof.n_views_skipped == 0
    con.close()
