"""Erasure: everywhere, logged without personal data, provable, all-or-nothing, never resurrected."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from concord.erasure import (
    FAULT_ENV,
    FAULT_STAGES,
    ErasureError,
    ErasureRequest,
    InjectedFault,
    erase,
    verify_erasure,
)
from concord.extracts import ExtractOptions, default_options, read_extract_rows, write_extract

from .gov_helpers import (
    FIXTURES,
    connect,
    dump_dir,
    dump_warehouse,
    finish_erasure,
    fixture_tasks,
    tables_with_task,
)

HEX64 = re.compile(r"^[0-9a-f]{64}$")
ALL_TASKS = ExtractOptions(min_agreement=None, min_annotations=0)


def _extract_task_ids(directory: Path) -> set[int]:
    return {
        row["task_id"]
        for path in sorted(directory.iterdir())
        if path.name != "manifest.json"
        for row in read_extract_rows(path)
    }


def _score_rows(con, table: str, key: str) -> int:
    return con.execute(
        "select count(*) from raw_scores.score_rows where score_table_name = ? and key_value = ?",
        [table, key],
    ).fetchone()[0]


def test_erase_task_in_two_exports_score_tables_and_extracts(warehouse, tmp_path):
    # task 2 (ext id byos-0001) came in through export.json and export_snapshot.json, has rows in
    # three score tables (by ext id, by its predictions 2 and 31, by task id) and is in both extracts
    con = connect(warehouse)
    loads = con.execute(
        "select file_name from raw_label_studio.loads"
        " where project_id = 1 and command = 'export' order by file_name"
    ).fetchall()
    assert loads == [("export.json",), ("export_snapshot.json",)]
    assert _score_rows(con, "ext_scores", "byos-0001") == 1
    assert _score_rows(con, "calibrated", "2") + _score_rows(con, "calibrated", "31") == 2
    assert _score_rows(con, "task_scores", "2") == 1
    before = tables_with_task(con, 2)
    assert before["raw_label_studio.tasks"] == 1
    assert before["marts.fct_training_candidates"] == 1
    assert before["marts.fct_control_agreement"] >= 2
    n_tasks = con.execute("select count(*) from raw_label_studio.tasks").fetchone()[0]

    default_dir = tmp_path / "default"
    jsonl_dir = tmp_path / "by_control"
    write_extract(con, default_dir, default_options())
    by_control = ExtractOptions(fmt="jsonl", controls=("label", "human_rating"), min_agreement=None)
    write_extract(con, jsonl_dir, by_control)
    assert 2 in _extract_task_ids(default_dir)
    assert 2 in _extract_task_ids(jsonl_dir)

    result = erase(con, ErasureRequest(task_ids=[2]), reason="ticket GDPR-17")

    # gone from raw, from the score tables, from every table and view built on them
    assert tables_with_task(con, 2) == {}
    assert con.execute("select count(*) from raw_label_studio.tasks").fetchone()[0] == n_tasks - 1
    assert _score_rows(con, "ext_scores", "byos-0001") == 0
    assert _score_rows(con, "calibrated", "2") + _score_rows(con, "calibrated", "31") == 0
    assert _score_rows(con, "task_scores", "2") == 0
    assert (
        con.execute(
            "select count(*) from staging.stg_label_studio__predictions where prediction_id in (2, 31)"
        ).fetchone()[0]
        == 0
    )
    # the counts the log keeps: 4 annotations, 2 predictions (2, 31), 4 score rows
    assert result.removed["annotations"] == 4
    assert result.removed["predictions"] == 2
    assert result.removed["tables"]["raw_label_studio.tasks"] == 1
    assert result.removed["tables"]["raw_scores.score_rows"] == 4
    assert result.removed["extract_rows"] == {str(default_dir): 1, str(jsonl_dir): 2}

    # extracts rewritten: the task is gone, the manifest matches the files, and the rewritten
    # extract is byte-identical to a fresh extract of the erased warehouse
    for directory, options in ((default_dir, default_options()), (jsonl_dir, by_control)):
        assert 2 not in _extract_task_ids(directory)
        manifest = json.loads((directory / "manifest.json").read_text())
        for split, entry in manifest["files"].items():
            rows = list(read_extract_rows(directory / entry["file"]))
            assert len(rows) == entry["rows"] == manifest["row_counts"][split]
        fresh = tmp_path / f"fresh_{directory.name}"
        write_extract(con, fresh, options)
        assert dump_dir(fresh) == dump_dir(directory)
    assert not [p for p in default_dir.iterdir() if p.name.endswith(".tmp")]

    # the log: hashes, time, reason, counts; never the identifiers or the text
    log = con.execute(
        "select erasure_trigger, reason, n_tasks, removed_json from concord_meta.erasure_log"
    ).fetchall()
    assert [(t, r, n) for t, r, n, _ in log] == [("erase", "ticket GDPR-17", 1)]
    kinds = con.execute(
        "select identifier_kind, identifier_hash from concord_meta.erased_identifiers order by 1"
    ).fetchall()
    # its text is shared by task 26; its predictions are hashed for score tables keyed by them
    # source_task: the erasure log is scoped by the project's source (raw_label_studio.loads.source)
    assert sorted({k for k, _ in kinds}) == ["ext_id", "prediction_id", "source_task", "task_id"]
    assert all(HEX64.match(h) for _, h in kinds)
    meta_text = json.dumps(
        {k: v for k, v in dump_warehouse(con).items() if k.startswith("concord_meta.")}
    )
    assert "byos-0001" not in meta_text
    assert "The app crashes" not in meta_text
    assert json.loads(log[0][3])["texts_shared_with_remaining_tasks"] == 1

    # and the proof, once the file is compacted (the step `concord erase` runs after `erase`)
    con = finish_erasure(con, warehouse)
    proof = verify_erasure(con)
    assert proof.clean, proof.lines()
    assert (
        proof.n_files == 16
    )  # 4 registered extracts (2 rewritten, 2 fresh) x (3 splits + manifest)
    con.close()


def test_verify_finds_residue_and_says_where(warehouse, tmp_path):
    con = connect(warehouse)
    stale = tmp_path / "stale_copy"
    write_extract(con, tmp_path / "registered", ALL_TASKS)
    shutil.copytree(tmp_path / "registered", stale)  # a copy Concord does not know about
    # two tables without a task_id column that still carry task 10 (ext id byos-0009)
    con.execute(
        "create table marts.leak_copy as select to_json(task) as task_json from raw_label_studio.tasks"
        " where task_id = 10"
    )
    con.execute(
        "create table marts.leak_quote as select 'Customer said: ' || (task.data ->> 'text')"
        " || ' (escalated)' as note from raw_label_studio.tasks where task_id = 10"
    )
    erase(con, ErasureRequest(ext_ids=["byos-0009"]))

    proof = verify_erasure(con, extract_dirs=[stale])
    assert not proof.clean
    table_findings = sorted(
        (r.where, r.what) for r in proof.residues if r.where.startswith("marts.")
    )
    assert table_findings == [
        ("marts.leak_copy.task_json", "erased ext id"),
        ("marts.leak_copy.task_json", "erased task id"),
        ("marts.leak_copy.task_json", "text of an erased task"),
        ("marts.leak_quote.note", "text of an erased task, quoted inside a longer text"),
    ]
    file_findings = {
        r.where.split(":")[0]
        for r in proof.residues
        if not r.where.startswith("marts.") and not r.where.endswith("(raw bytes)")
    }
    # the deleted rows' bytes stay in the file until the compaction `concord erase` runs next
    assert f"{warehouse} (raw bytes)" in {r.where for r in proof.residues}
    assert file_findings == {str(stale / "train.parquet")}  # task 10 is in the train split
    row_hits = {r.what for r in proof.residues if r.where.startswith(str(stale))}
    assert row_hits == {"erased task id", "erased ext id", "text of an erased task"}
    assert proof.lines()[-1] == f"{len(proof.residues)} location(s) still hold erased data"

    con.execute("drop table marts.leak_copy")
    con.execute("drop table marts.leak_quote")
    shutil.rmtree(stale)
    con = finish_erasure(con, warehouse)
    assert verify_erasure(con, extract_dirs=[stale]).clean
    con.close()


@pytest.mark.parametrize("stage", FAULT_STAGES)
def test_interrupted_erasure_leaves_everything_as_it_was(warehouse, tmp_path, monkeypatch, stage):
    con = connect(warehouse)
    extract_dir = tmp_path / "extract"
    write_extract(con, extract_dir, ALL_TASKS)
    erase(con, ErasureRequest(task_ids=[13]))  # a previous erasure: the log is not empty
    tables_before = dump_warehouse(con)
    files_before = dump_dir(extract_dir)
    assert 10 in _extract_task_ids(extract_dir)

    monkeypatch.setenv(FAULT_ENV, stage)
    with pytest.raises(InjectedFault):
        erase(con, ErasureRequest(task_ids=[10], ext_ids=["ner-0003"]), reason="will fail")
    assert dump_warehouse(con) == tables_before
    assert dump_dir(extract_dir) == files_before  # no temp file left, nothing renamed

    monkeypatch.delenv(FAULT_ENV)
    erase(con, ErasureRequest(task_ids=[10], ext_ids=["ner-0003"]))
    assert 10 not in _extract_task_ids(extract_dir)
    con = finish_erasure(con, warehouse)
    assert verify_erasure(con).clean
    con.close()


def test_crash_between_commit_and_rename_is_finished_later(warehouse, tmp_path, monkeypatch):
    import concord.erasure as erasure_module

    con = connect(warehouse)
    extract_dir = tmp_path / "extract"
    write_extract(con, extract_dir, ALL_TASKS)

    def crash(*_args, **_kwargs):
        raise OSError("disk went away")

    monkeypatch.setattr(erasure_module.os, "replace", crash)
    with pytest.raises(OSError, match="disk went away"):
        erase(con, ErasureRequest(task_ids=[10]))
    monkeypatch.undo()
    # committed: the task is gone from the warehouse; the rewrites wait in the journal
    assert tables_with_task(con, 10) == {}
    pending = con.execute("select count(*) from concord_meta.pending_file_rewrites").fetchone()[0]
    assert pending == 4  # three splits and the manifest
    assert 10 in _extract_task_ids(extract_dir)

    proof = verify_erasure(con)  # finishes the journal first, then scans
    assert len(proof.finished_rewrites) == 4
    # what is left: the bytes in the file, until the compaction the journal also owes
    assert {r.where for r in proof.residues} == {f"{warehouse} (raw bytes)"}, proof.lines()
    con = finish_erasure(con, warehouse)
    assert verify_erasure(con).clean
    assert 10 not in _extract_task_ids(extract_dir)
    assert con.execute("select count(*) from concord_meta.pending_file_rewrites").fetchone()[0] == 0
    con.close()


def test_reingesting_an_older_export_does_not_resurrect(warehouse, tmp_path):
    from ingest.exports import ingest_exports

    con = connect(warehouse)
    erase(con, ErasureRequest(ext_ids=["byos-0009"]))  # task 10
    tasks = fixture_tasks("byos_text", "export.json")
    older = tmp_path / "older_export.json"
    older.write_text(json.dumps(tasks, indent=1))  # same tasks, another file (another sha256)
    [result] = ingest_exports(con, [older])
    assert result.counts["skipped erased"] == 1
    # (the other notes say what this poorer sync export kept from the warehouse)
    assert [note for note in result.notes if "skipped" in note] == [
        "1 task(s) skipped: erased earlier (concord_meta.erasure_log): task ids 10"
    ]
    assert (
        con.execute("select count(*) from raw_label_studio.tasks where task_id = 10").fetchone()[0]
        == 0
    )

    # the same item imported again into Label Studio as a new task: caught by its external id
    again = [dict(t, id=9010) for t in tasks if t["data"]["ext_id"] == "byos-0009"]
    again_path = tmp_path / "reimported.json"
    again_path.write_text(json.dumps(again))
    [result] = ingest_exports(con, [again_path])
    assert result.counts["skipped erased"] == 1
    assert (
        con.execute("select count(*) from raw_label_studio.tasks where task_id = 9010").fetchone()[
            0
        ]
        == 0
    )
    con.close()


def test_unknown_identifiers_erase_nothing(warehouse):
    con = connect(warehouse)
    before = dump_warehouse(con)
    with pytest.raises(ErasureError) as err:
        erase(con, ErasureRequest(task_ids=[10, 999999], ext_ids=["nobody"]))
    assert str(err.value) == (
        "task id 999999, ext id nobody: not in the warehouse and never erased; nothing was erased"
    )
    assert dump_warehouse(con) == before
    # erasing twice: the second time says so and changes nothing
    erase(con, ErasureRequest(task_ids=[10]))
    after_first = dump_warehouse(con)
    again = erase(con, ErasureRequest(task_ids=[10]))
    assert again.lines() == ["already erased earlier, nothing left to remove: task id 10"]
    assert dump_warehouse(con) == after_first
    con.close()


def test_fixture_facts_the_tests_rely_on():
    # task 2 and task 26 share their text (so task 2's text is no fingerprint); task 10's is unique
    texts = {t["id"]: t["data"]["text"] for t in fixture_tasks("byos_text")}
    assert texts[2] == texts[26]
    assert list(texts.values()).count(texts[10]) == 1
    assert (FIXTURES / "byos_text" / "export.json").exists()


def test_ext_id_known_only_to_a_score_table(warehouse, tmp_path):
    """A person's external id with scores but no task (yet): its score rows go, and it is logged."""
    from ingest.scores import ingest_scores

    scores = tmp_path / "ghost_scores.csv"
    scores.write_text("ext_id,score\nghost-0001,0.4\nbyos-0000,0.9\n")
    con = connect(warehouse)
    ingest_scores(con, [scores], "ghost_scores", "data.ext_id")
    result = erase(con, ErasureRequest(ext_ids=["ghost-0001"]))
    assert result.task_ids == []
    assert result.removed["tables"] == {"raw_scores.score_rows": 1}
    remaining = con.execute(
        "select key_value from raw_scores.score_rows where score_table_name = 'ghost_scores'"
    ).fetchall()
    assert remaining == [("byos-0000",)]
    assert con.execute(
        "select identifier_kind from concord_meta.erased_identifiers"
    ).fetchall() == [("ext_id",)]
    assert verify_erasure(con).clean
    con.close()
