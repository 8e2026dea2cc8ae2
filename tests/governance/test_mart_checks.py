"""The mart checks `concord check` runs: they pass on a good warehouse and catch planted defects."""

from __future__ import annotations

import shutil

from concord.checks.marts import run_python_checks
from concord.checks.runner import run_checks
from concord.erasure import ErasureRequest, erase
from concord.extracts import ExtractOptions, write_extract

from .gov_helpers import connect


def _status(report) -> dict[str, str]:
    return {r.check.check_id: r.status for r in report.results}


def test_gx_mart_checks_catch_planted_defects(warehouse, gov_base, tmp_path):
    relations = [
        "marts.fct_control_agreement",
        "marts.fct_training_candidates",
        "marts.fct_score_deltas",
    ]
    # plant the defects in a second copy first: GX keeps its read-only connection open
    defective = tmp_path / "defective.duckdb"
    shutil.copy(gov_base, defective)
    con = connect(defective)
    con.execute(
        "update marts.fct_control_agreement set agreement = 1.25"
        " where task_id = 1 and control_name = 'label'"
    )
    con.execute(
        "update marts.fct_control_agreement set agreement = null"
        " where task_id = 2 and control_name = 'label'"
    )  # n_pairs > 0: a NULL without a reason
    con.execute(
        "update marts.fct_training_candidates set annotation_ids = [5, 424242] where task_id = 2"
    )
    con.execute(
        "update marts.fct_score_deltas set annotation_id = 434343"
        " where annotation_id = (select min(annotation_id) from marts.fct_score_deltas)"
    )
    con.close()

    wanted = {
        "marts.fct_control_agreement.agreement_in_range",
        "marts.fct_control_agreement.agreement_null_has_reason",
        "marts.fct_training_candidates.annotation_ids_in_staging",
        "marts.fct_training_candidates.prediction_ids_in_staging",
        "marts.fct_score_deltas.annotation_id_in_staging",
    }
    good = _status(run_checks(warehouse, relations=relations))
    assert wanted <= set(good)
    assert {good[c] for c in wanted} == {"pass"}

    report = run_checks(defective, relations=relations)
    bad = _status(report)
    assert {c: bad[c] for c in wanted} == {c: "fail" for c in wanted} | {
        "marts.fct_training_candidates.prediction_ids_in_staging": "pass"
    }
    failed = {r.check.check_id: r for r in report.results}
    assert failed["marts.fct_control_agreement.agreement_in_range"].unexpected_count == 1
    sample = failed["marts.fct_training_candidates.annotation_ids_in_staging"]
    assert [row[0] for row in sample.sample_rows] == [2]


def test_python_checks_extract_manifest_and_residue(warehouse, tmp_path):
    con = connect(warehouse)
    out = tmp_path / "extract"
    write_extract(con, out, ExtractOptions(fmt="jsonl", min_agreement=None))
    erase(con, ErasureRequest(task_ids=[13]))
    con.close()
    results = {r.check.check_id: r for r in run_python_checks(warehouse)}
    assert {k: r.status for k, r in results.items()} == {
        "concord_meta.extracts.files_match_manifest": "pass",
        "concord_meta.erasure_log.no_erased_identifier_anywhere": "pass",
    }

    # drop a line from a split file: counts and bytes no longer match the manifest
    train = out / "train.jsonl"
    lines = train.read_text().splitlines(keepends=True)
    train.write_text("".join(lines[:-1]))
    # and leave an erased ext id in a table
    con = connect(warehouse)
    con.execute("create table marts.leak as select 'byos-0012' as note")
    con.close()
    results = {r.check.check_id: r for r in run_python_checks(warehouse)}
    extract = results["concord_meta.extracts.files_match_manifest"]
    assert extract.status == "fail"
    assert extract.sample_rows == [
        (str(out), "train.jsonl", f"{len(lines)} rows", f"{len(lines) - 1} rows"),
        (str(out), "train.jsonl", "sha256 of the manifest", "other bytes"),
    ]
    residue = results["concord_meta.erasure_log.no_erased_identifier_anywhere"]
    assert residue.status == "fail"
    assert residue.sample_rows == [("marts.leak.note", "erased ext id", 1)]
