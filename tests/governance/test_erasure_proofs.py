"""Proofs of clean scans (concord/erasure/proof.py): `concord check` does not scan again a table
none of whose rows changed since a clean scan, and nothing else is skipped; `verify-erasure`
scans every table always, and records proofs.

Each test starts from an erasure (ext id byos-0009, task 10) and a first scan that records the
proofs, then changes one thing a proof must notice: a row of a proved table (also the changes
DuckDB's plain `hash` does not see), the proof file itself, the erasure log, the level asked for.
"""

from __future__ import annotations

import json
import os

import duckdb
import pytest

from concord.erasure import ErasureRequest, erase, relation_columns, verify_erasure
from concord.erasure.proof import proof_file, table_fingerprint

from .gov_helpers import connect, finish_erasure, run_concord

ERASED_EXT_ID = "byos-0009"


def _erased(warehouse) -> duckdb.DuckDBPyConnection:
    con = connect(warehouse)
    erase(con, ErasureRequest(ext_ids=[ERASED_EXT_ID]))
    return finish_erasure(con, warehouse)


def _ids_scan(con):
    """What `concord check` runs."""
    return verify_erasure(con, finish_pending=False, texts=False, raw_bytes=False, use_proofs=True)


def _full_scan(con, **kwargs):
    """verify-erasure's scan of the tables, with the proofs used (as a check would)."""
    return verify_erasure(con, raw_bytes=False, use_proofs=True, **kwargs)


def _base_tables(con) -> int:
    (n,) = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database()"
        " and schema_name != 'concord_meta'"
    ).fetchone()
    return n


def _plant_in_a_proved_table(con) -> str:
    """The erased ext id written into one row of an existing mart (a table a proof covers)."""
    table, column = con.execute(
        "select table_name, column_name from duckdb_columns()"
        " where database_name = current_database() and schema_name = 'marts'"
        " and data_type = 'VARCHAR' and table_name = 'dim_tasks' order by column_index limit 1"
    ).fetchone()
    con.execute(
        f'update marts."{table}" set "{column}" = ? where rowid = (select min(rowid)'
        f' from marts."{table}")',
        [ERASED_EXT_ID],
    )
    return f"marts.{table}.{column}"


def test_an_unchanged_warehouse_is_not_scanned_again(warehouse):
    con = _erased(warehouse)
    first = _ids_scan(con)
    assert first.clean and first.n_proven == 0
    assert proof_file(warehouse).is_file()
    again = _ids_scan(con)
    assert again.clean
    assert again.n_proven == _base_tables(con) > 0
    assert any("not scanned again" in line for line in again.lines())


def test_a_changed_row_of_a_proved_table_is_scanned_and_found(warehouse):
    con = _erased(warehouse)
    assert _ids_scan(con).clean
    where = _plant_in_a_proved_table(con)
    found = _ids_scan(con)
    assert [(r.where, r.what) for r in found.residues] == [(where, "erased ext id")]
    assert found.n_proven == _base_tables(con) - 1
    # a table found holding residue keeps no proof: the next scan finds it again
    assert [r.where for r in _ids_scan(con).residues] == [where]


def test_a_proof_file_edited_by_hand_proves_nothing(warehouse):
    con = _erased(warehouse)
    assert _ids_scan(con).clean
    saved = json.loads(proof_file(warehouse).read_text())
    where = _plant_in_a_proved_table(con)
    assert not _ids_scan(con).clean  # records no proof for the planted table
    # hand-edit: the old signed file, every fingerprint set to the table's content now
    for place, entry in saved["proofs"].items():
        entry["fingerprint"] = _fingerprint_now(con, place, entry["fingerprint"])
    proof_file(warehouse).write_text(json.dumps(saved))
    found = _ids_scan(con)
    assert [r.where for r in found.residues] == [where]
    assert found.n_proven == 0  # the signature does not match: no table counts as proved


def _fingerprint_now(con, place: str, old: str) -> str:
    kind, name = place.split(":", 1)
    if kind != "warehouse":
        return old
    schema, table = name.split(".", 1)
    columns = [tuple(c) for c in relation_columns(con, schema, table)]
    return table_fingerprint(con, f'"{schema}"."{table}"', columns)


def test_a_new_erasure_scans_every_table_again(warehouse):
    con = _erased(warehouse)
    assert _ids_scan(con).clean
    assert _ids_scan(con).n_proven > 0
    erase(con, ErasureRequest(ext_ids=["byos-0010"]))
    con = finish_erasure(con, warehouse)
    assert _ids_scan(con).n_proven == 0


def test_a_check_level_proof_does_not_spare_the_full_scan(warehouse):
    con = _erased(warehouse)
    assert _ids_scan(con).clean  # ids only: proofs at the 'ids' level
    assert _full_scan(con).n_proven == 0
    assert _full_scan(con).n_proven == _base_tables(con)  # 'full' proofs now
    assert _ids_scan(con).n_proven == _base_tables(con)  # and they serve the check too


def test_verify_erasure_scans_every_table_whatever_the_proofs(warehouse):
    """The proof command never rests on the fingerprints; it records them for the check."""
    _erased(warehouse).close()
    for _ in range(2):
        done = run_concord("verify-erasure", db=warehouse)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "not scanned again" not in done.stdout
    con = connect(warehouse)
    assert _ids_scan(con).n_proven == _base_tables(con)


def test_a_column_whose_type_changed_is_scanned_again(warehouse):
    """Same bytes, another type: a BLOB column is not scanned, a VARCHAR one is."""
    con = _erased(warehouse)
    con.execute("create table marts.blobbed as select ?::blob as payload", [ERASED_EXT_ID])
    assert _ids_scan(con).clean  # a BLOB is not read by the scan
    con.execute("alter table marts.blobbed alter payload type varchar")
    found = _ids_scan(con)
    assert [(r.where, r.what) for r in found.residues] == [
        ("marts.blobbed.payload", "erased ext id")
    ]


def test_a_table_holding_only_a_text_keeps_its_check_level_proof(warehouse):
    """verify-erasure finds an erased text in a table, and no id: the check (ids only) still
    counts the table as proved, so a check after verify-erasure does not scan it again."""
    con = connect(warehouse)
    (text,) = con.execute(
        "select task.data ->> 'text' from raw_label_studio.tasks where task_id = 10"
    ).fetchone()
    con.execute("create table marts.quoted as select ? as body", [f"fwd: {text} -- thanks"])
    erase(con, ErasureRequest(ext_ids=[ERASED_EXT_ID]))
    con = finish_erasure(con, warehouse)
    full = verify_erasure(con, raw_bytes=False)
    assert [r.where for r in full.residues] == ["marts.quoted.body"]
    assert _ids_scan(con).n_proven == _base_tables(con)


@pytest.mark.parametrize(
    ("ddl", "before", "after", "what"),
    [
        # DuckDB's hash follows a collation: 'BYOS-0009' and 'byos-0009' hash alike under NOCASE
        ("varchar collate nocase", "'BYOS-0009'", "'byos-0009'", "erased ext id"),
        # and XORs a HUGEINT's halves: 10 << 64 hashes like 10
        ("hugeint", "10::hugeint << 64", "10", "erased task id"),
    ],
)
def test_changes_plain_hash_does_not_see_are_seen(warehouse, ddl, before, after, what):
    con = _erased(warehouse)
    con.execute(f"create table marts.odd (task_id {ddl})")
    con.execute(f"insert into marts.odd select {before} from range(50)")
    assert _ids_scan(con).clean
    con.execute(f"update marts.odd set task_id = {after} where rowid = 0")
    found = _ids_scan(con)
    assert [(r.where, r.what) for r in found.residues] == [("marts.odd.task_id", what)]


def test_a_proof_file_that_is_not_a_plain_file_is_ignored(warehouse, tmp_path):
    con = _erased(warehouse)
    assert _ids_scan(con).clean
    path = proof_file(warehouse)
    path.unlink()
    os.mkfifo(path)  # a read of a FIFO blocks until a writer comes
    assert _ids_scan(con).n_proven == 0
    path.unlink()
    path.write_text("[" * 100_000 + "]" * 100_000)  # nested past Python's recursion limit
    assert _ids_scan(con).n_proven == 0
    path.unlink()
    assert _ids_scan(con).n_proven == 0  # records proofs again
    target = tmp_path / "elsewhere.json"
    target.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(target)  # not followed
    assert _ids_scan(con).n_proven == 0
    assert not list(path.parent.glob("*.tmp"))


def test_a_change_of_the_scan_rules_voids_every_proof(warehouse, monkeypatch):
    """An upgrade that changes what counts as residue scans every table again."""
    from concord.erasure import proof

    con = _erased(warehouse)
    assert _ids_scan(con).clean
    assert _ids_scan(con).n_proven > 0
    rules = proof._rules_digest()
    monkeypatch.setattr(proof, "_rules_digest", lambda: rules + "-upgraded")
    assert _ids_scan(con).n_proven == 0
