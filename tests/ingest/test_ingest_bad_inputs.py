"""The bad-input corpus (tests/fixtures/bad_inputs/): every file through the installed `concord`
console script, asserting the exact one-line error, exit code 1, no traceback, and that the
warehouse (loaded with good data first) is unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ingest_test_helpers import (
    BAD,
    DEMO_SCORES,
    FIXTURES,
    rows,
    run_concord,
    snapshot,
    without_nulls,
)

BYOS = FIXTURES / "byos_text"

# (corpus file, command, expected message after "concord: error: {file}")
EXPORT_CASES = [
    (
        "truncated.json",
        ", byte 668: truncated JSON: the file ends inside record 2 (line 44, column 15)",
    ),
    (
        "top_level_object.json",
        (
            ": top level is a JSON object; a Label Studio export is a JSON array "
            "of tasks (NDJSON and single tasks are not exports)"
        ),
    ),
    ("task_without_id.json", ": record 2: task has no 'id'"),
    ("task_id_not_integer.json", ": record 2: task 'id' must be an integer, got string \"902\""),
    ("duplicate_task_ids.json", ", task 901: duplicate task id (records 1, 3)"),
    ("result_not_list.json", ", task 902: annotation 9002: 'result' must be a list, got object"),
    ("result_without_value.json", ", task 901: annotation 9001: result[0] has no 'value'"),
    (
        "result_value_not_object.json",
        ", task 901: annotation 9001: result[0]: 'value' must be an object, got integer",
    ),
    ("result_without_from_name.json", ", task 901: annotation 9001: result[0] has no 'from_name'"),
    ("annotations_not_list.json", ", task 901: 'annotations' must be a list, got object"),
    ("annotation_without_id.json", ", task 901: annotations[0] has no integer 'id' (got none)"),
    (
        "prediction_result_not_list.json",
        ", task 901: prediction 77: 'result' must be a list, got string",
    ),
    ("draft_without_id.json", ", task 901: drafts[0] has no integer 'id'"),
    ("invalid_utf8.json", ", byte 48: invalid UTF-8 at line 1 (exports must be UTF-8)"),
    ("empty.json", ": file is empty (0 bytes), expected a Label Studio export"),
    (
        "export.json.gz",
        ": gzip-compressed: decompress it first (gunzip), then ingest the .json / .csv",
    ),
    ("whitespace_only.json", ": file holds only whitespace, expected a Label Studio export"),
    (
        "not_json.json",
        ": not a Label Studio export: expected a JSON array of tasks or a CSV export",
    ),
    (
        "malformed_json.json",
        ", byte 52: malformed JSON in record 2: Expecting ',' delimiter (line 2, column 13)",
    ),
    ("array_of_numbers.json", ": record 1 is a JSON integer, not a task object"),
    ("empty_array.json", ": the export holds no tasks (an empty JSON array)"),
    (
        "mixed_projects.json",
        (
            ": tasks of several projects (1, 2) in one file; a Label Studio "
            "export holds one project: split the file"
        ),
    ),
    (
        "task_without_project.json",
        ", task 902: task has no 'project' while other tasks of the file belong to project 1",
    ),
    (
        "score_table_as_export.json",
        (
            ": record 1 is neither a Label Studio task (no 'id' and 'data') "
            "nor a JSON_MIN row (no 'annotation_id'); keys: score, task_id (a score table? use "
            "`concord ingest scores`)"
        ),
    ),
    (
        "labeling_config_as_export.xml",
        (
            ": this is XML, not a Label Studio export (a labeling "
            "config? use `concord ingest config PATH --project-id N`)"
        ),
    ),
    (
        "json_min_without_project_id.json",
        ": JSON_MIN exports carry no project id: pass --project-id N",
    ),
    ("csv_newlines_in_cells.csv", ": CSV exports carry no project id: pass --project-id N"),
]

# same, with --project-id 1 (JSON_MIN / CSV files)
EXPORT_WITH_PROJECT_CASES = [
    (
        "score_table_as_export.csv",
        ": no 'id' column: not a Label Studio CSV export (a score table? use `concord ingest scores`)",
    ),
    ("csv_ragged.csv", ": row 2 (line 3) has 4 cells where the header has 5"),
    (
        "csv_annotation_id_not_integer.csv",
        ", task 901: row 1: 'annotation_id' must be an integer, got \"abc\"",
    ),
    (
        "mixed_projects.json",
        (
            ": tasks of several projects (1, 2) in one file; a Label Studio "
            "export holds one project: split the file"
        ),
    ),
]

# issue #11 item 8: what strict JSON refuses and DuckDB's reader would accept, and broken ids
EXPORT_CASES += [
    (
        "annotation_id_in_two_tasks.json",
        ": annotation 9001 is in tasks 901 and 903: an annotation id belongs to one task",
    ),
    (
        "relation_without_from_id.json",
        ", task 902: annotation 9002: result[0]: relation needs a string 'from_id' (got none)",
    ),
    ("number_overflows.json", ", task 902: number 1e309 overflows to infinity"),
    ("nan_token.json", ", task 902: NaN is not valid JSON (NaN and Infinity are not JSON numbers)"),
    (
        "infinity_token.json",
        ", task 901: -Infinity is not valid JSON (NaN and Infinity are not JSON numbers)",
    ),
    ("nested_too_deep.json", ", task 902: nested deeper than 100 levels (the limit)"),
    (
        "truncated_in_escape.json",
        ", byte 363: truncated JSON: the file ends inside record 2 (line 25, column 19)",
    ),
    ("nested_too_deep_first_task.json", ", task 901: nested deeper than 100 levels (the limit)"),
    (
        "completed_by_string.json",
        (
            ", task 902: annotation 9002: 'completed_by' must be a user id, a user object or null, "
            'got string "bob"'
        ),
    ),
    (
        "task_id_beyond_bigint.json",
        (
            ": record 2: task 'id' must be an integer, got integer beyond the 64-bit range "
            "9223372036854775808"
        ),
    ),
    (
        "annotation_id_beyond_bigint.json",
        ", task 901: annotations[0] has no integer 'id' (got integer beyond the 64-bit range)",
    ),
    ("nested_past_limit.json", ", task 901: nested deeper than 100 levels (the limit)"),
]

CONFIG_CASES = [
    (
        "config_billion_laughs.xml",
        ": DTD (<!DOCTYPE ...>) refused: labeling configs may not declare DTDs or entities",
    ),
    (
        "config_external_entity.xml",
        ": DTD (<!DOCTYPE ...>) refused: labeling configs may not declare DTDs or entities",
    ),
    ("config_not_xml.xml", ": not well-formed XML at line 1, column 1 (syntax error)"),
    ("config_control_without_name.xml", ": control tag <Choices> has no 'name'"),
    ("config_control_without_to_name.xml", ": control <Rating name='r'> has no 'toName'"),
    ("config_truncated.xml", ": not well-formed XML at line 5, column 1 (no element found)"),
    (
        "config_root_not_view.xml",
        ": root element is <Choices>; a Label Studio labeling config starts with <View>",
    ),
    (
        "config_to_name_unknown.xml",
        ": control 'c' (choices): toName 'txt' names no tag of the config",
    ),
    ("config_max_rating_not_number.xml", ": <Rating name='r'>: maxRating='ten' is not a number"),
    ("config_duplicate_names.xml", ": two tags are named 'c' (<Choices> and <Rating>)"),
    (
        "config_header_named_like_control.xml",
        ": two tags are named 'label' (<Header> and <Choices>)",
    ),
    (
        "config_is_an_export.json",
        (
            ": this is JSON, not a labeling config XML (a Label Studio "
            "export? use `concord ingest export`)"
        ),
    ),
]

# (file, --key, expected)
SCORE_CASES = [
    ("scores_nan.csv", "task_id", ": 1 bad row, nothing loaded: row 2: score 'NaN' is not finite"),
    (
        "scores_inf.csv",
        "task_id",
        (
            ": 2 bad rows, nothing loaded: row 2: score 'inf' is not "
            "finite; row 3: score '-Infinity' is not finite"
        ),
    ),
    (
        "scores_strings.csv",
        "task_id",
        ": 2 bad rows, nothing loaded: row 2: score 'high' is not a number; row 3: score is empty",
    ),
    (
        "scores_strings.json",
        "task_id",
        ": 1 bad row, nothing loaded: row 2: score 'high' is not a number",
    ),
    (
        "scores_nan.ndjson",
        "task_id",
        ": 1 bad row, nothing loaded: row 2: score 'NaN' is not finite",
    ),
    ("scores_missing_key_column.csv", "task_id", ": no 'task_id' column (columns: ext_id, score)"),
    (
        "scores_missing_key_values.csv",
        "data.ext_id",
        ": 2 bad rows, nothing loaded: row 2: ext_id is empty; row 3: ext_id is empty",
    ),
    (
        "scores_key_not_integer.csv",
        "prediction_id",
        (
            ": 2 bad rows, nothing loaded: row 2: "
            "prediction_id '2.5' is not an integer; row 3: prediction_id 'abc' is not an integer"
        ),
    ),
    (
        "scores_bad_scored_at.csv",
        "task_id",
        ": 1 bad row, nothing loaded: row 2: scored_at 'yesterday' is not a timestamp",
    ),
    ("scores_ragged.csv", "task_id", ": row 2: 3 fields where the header has 2; nothing loaded"),
    ("scores_header_only.csv", "task_id", ": the table has no data rows"),
    (
        "scores_many_bad_rows.csv",
        "task_id",
        (
            ": 8 bad rows, nothing loaded: row 1: score 'bad' "
            "is not a number; row 2: score 'bad' is not a number; row 3: score 'bad' is not a number; "
            "row 4: score 'bad' is not a number; row 5: score 'bad' is not a number; and 3 more"
        ),
    ),
]


@pytest.fixture(scope="module")
def good_warehouse(tmp_path_factory) -> Path:
    """A warehouse with good data in every raw table: the failures below must not touch it."""
    db = tmp_path_factory.mktemp("good") / "good.duckdb"
    for args in (
        ["ingest", "export", str(BYOS / "export.json")],
        ["ingest", "config", str(BYOS / "labeling_config.xml"), "--project-id", "1"],
        [
            "ingest",
            "scores",
            str(DEMO_SCORES / "byos_text_scores.csv"),
            "--name",
            "demo",
            "--key",
            "data.ext_id",
        ],
    ):
        done = run_concord(*args, db=db)
        assert done.returncode == 0, done.stderr
    return db


def _fresh_copy(good: Path, tmp_path: Path) -> Path:
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(good, db)
    return db


def _assert_fails_cleanly(done, expected_line: str, db: Path, before) -> None:
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert done.stderr == f"concord: error: {expected_line}\n"
    assert done.stdout == ""
    assert snapshot(db) == before


def test_corpus_has_at_least_20_files():
    files = [p for p in BAD.iterdir() if p.is_file() and p.suffix != ".py"]
    assert len(files) >= 20
    covered = {c[0] for c in EXPORT_CASES + EXPORT_WITH_PROJECT_CASES + CONFIG_CASES}
    covered |= {c[0] for c in SCORE_CASES}
    covered |= {"unknown_control_type.json", "csv_newlines_in_cells.csv"}
    assert {p.name for p in files} <= covered, "every corpus file has a test case"


@pytest.mark.parametrize(("name", "expected"), EXPORT_CASES, ids=[c[0] for c in EXPORT_CASES])
def test_bad_export(name, expected, good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    before = snapshot(db)
    path = BAD / name
    done = run_concord("ingest", "export", str(path), db=db)
    _assert_fails_cleanly(done, f"{path}{expected}", db, before)


@pytest.mark.parametrize(
    ("name", "expected"), EXPORT_WITH_PROJECT_CASES, ids=[c[0] for c in EXPORT_WITH_PROJECT_CASES]
)
def test_bad_export_with_project_id(name, expected, good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    before = snapshot(db)
    path = BAD / name
    done = run_concord("ingest", "export", str(path), "--project-id", "1", db=db)
    _assert_fails_cleanly(done, f"{path}{expected}", db, before)


@pytest.mark.parametrize(("name", "expected"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_bad_config(name, expected, good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    before = snapshot(db)
    path = BAD / name
    done = run_concord("ingest", "config", str(path), "--project-id", "1", db=db)
    _assert_fails_cleanly(done, f"{path}{expected}", db, before)


@pytest.mark.parametrize(("name", "key", "expected"), SCORE_CASES, ids=[c[0] for c in SCORE_CASES])
def test_bad_score_table(name, key, expected, good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    before = snapshot(db)
    path = BAD / name
    # the name of the good table: a failed reload must leave the old version in place
    done = run_concord("ingest", "scores", str(path), "--name", "demo", "--key", key, db=db)
    _assert_fails_cleanly(done, f"{path}{expected}", db, before)


def test_bad_file_after_good_file_in_one_command_loads_nothing(good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    before = snapshot(db)
    good = FIXTURES / "ner_spans" / "export.json"
    bad = BAD / "result_not_list.json"
    done = run_concord("ingest", "export", str(good), str(bad), db=db)
    expected = f"{bad}, task 902: annotation 9002: 'result' must be a list, got object"
    _assert_fails_cleanly(done, expected, db, before)
    assert rows(db, "select count(*) from raw_label_studio.tasks where project_id = 3") == [(0,)]


def test_missing_file_and_bad_key(good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    before = snapshot(db)
    missing = tmp_path / "nope.json"
    _assert_fails_cleanly(
        run_concord("ingest", "export", str(missing), db=db), f"{missing}: no such file", db, before
    )
    _assert_fails_cleanly(
        run_concord(
            "ingest", "scores", str(BAD / "scores_nan.csv"), "--name", "x", "--key", "ext_id", db=db
        ),
        "--key 'ext_id': expected prediction_id, task_id or data.FIELD (e.g. data.ext_id)",
        db,
        before,
    )


def test_unknown_control_types_are_accepted_and_reported(good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    path = BAD / "unknown_control_type.json"
    done = run_concord("ingest", "export", str(path), db=db)
    assert done.returncode == 0, done.stderr
    assert (
        "  result types without typed staging columns, kept as raw value_json: "
        "brushlabels (1), mycustomtag (2)"
    ) in done.stdout.splitlines()
    (task_json,) = rows(db, "select to_json(task) from raw_label_studio.tasks where task_id = 901")[
        0
    ]
    types = [r["type"] for r in json.loads(task_json)["annotations"][0]["result"]]
    assert types == ["brushlabels", "mycustomtag", "mycustomtag", "choices"]


def test_csv_with_newlines_in_cells_loads_exactly(good_warehouse, tmp_path):
    db = _fresh_copy(good_warehouse, tmp_path)
    path = BAD / "csv_newlines_in_cells.csv"
    done = run_concord(
        "ingest",
        "export",
        str(path),
        "--project-id",
        "1",
        "--config",
        str(BYOS / "labeling_config.xml"),
        db=db,
    )
    assert done.returncode == 0, done.stderr
    assert "csv, project 1: 2 tasks, 3 rows, 2 annotations" in done.stdout
    tasks = {
        tid: without_nulls(json.loads(tj))
        for tid, tj in rows(
            db,
            "select task_id, to_json(task) from raw_label_studio.tasks where task_id in (901, 902)",
        )
    }
    assert tasks[901]["data"] == {"text": 'first\ntext with "quotes"\n'}
    assert tasks[902]["data"] == {"text": "second\r\ntext"}
    first, second = tasks[901]["annotations"]
    assert first["id"] == 9001 and second["id"] == 9002
    assert first["completed_by"] == 2
    assert first["result"] == [
        {
            "from_name": "label",
            "to_name": "text_data",
            "type": "choices",
            "value": {"choices": ["positive"]},
        },
        {
            "from_name": "rationale",
            "to_name": "text_data",
            "type": "textarea",
            "value": {"text": ["line one\nline two, with comma"]},
        },
    ]
    assert tasks[902]["annotations"] == []


def test_enormous_string_field_loads(tmp_path):
    """A 50 MB text in one task (over DuckDB's default 16 MB object limit) loads, with progress,
    under the memory limit the user sets; the limit is never raised silently (issue #11): under
    the default, one line says which CONCORD_MEMORY_LIMIT loads it, and nothing is written."""
    text = "ab" * 25_000_000
    path = tmp_path / "huge.json"
    tasks = [
        {"id": 1, "project": 7, "data": {"text": text}, "annotations": []},
        {"id": 2, "project": 7, "data": {"text": "small"}, "annotations": []},
    ]
    path.write_text(json.dumps(tasks), encoding="utf-8")
    db = tmp_path / "w.duckdb"
    refused = run_concord(
        "ingest", "export", str(path), db=db, env={"CONCORD_MEMORY_LIMIT": "600MB"}
    )
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-1] == (
        f"concord: error: {path}: a task of up to 47.7 MB needs a DuckDB memory limit of about "
        "2300MB to be read, over CONCORD_MEMORY_LIMIT=600MB: set CONCORD_MEMORY_LIMIT=2300MB to "
        "load this file"
    )
    assert rows(db, "select count(*) from raw_label_studio.tasks") == [(0,)]
    done = run_concord("ingest", "export", str(path), db=db, env={"CONCORD_MEMORY_LIMIT": "2300MB"})
    assert done.returncode == 0, done.stderr
    assert "huge.json: json, project 7: 2 tasks" in done.stdout
    assert f"{path}: reading 47.7 MB (json)..." in done.stderr
    assert rows(
        db, "select length(task.data ->> '$.text') from raw_label_studio.tasks order by 1"
    ) == [(5,), (50_000_000,)]


def test_enormous_string_in_truncated_file_is_refused(tmp_path):
    path = tmp_path / "huge_truncated.json"
    path.write_text(
        '[{"id": 1, "project": 7, "data": {"text": "' + "x" * 30_000_000, encoding="utf-8"
    )
    db = tmp_path / "w.duckdb"
    done = run_concord("ingest", "export", str(path), db=db)
    assert done.returncode == 1
    assert done.stderr.endswith(
        f"concord: error: {path}, byte 30000043: truncated JSON: the file ends inside record 1 "
        "(line 1, column 30000044)\n"
    )
    assert "Traceback" not in done.stderr
