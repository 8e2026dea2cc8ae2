"""The export validators cannot drift apart (issue #13): for every rule of the rule table
(`ingest.exports.rules.RULES`), a task that breaks it is refused by the SQL check on JSON text, by
the typed reader's pass (its reader, its check, or its hand-over to the JSON-text path) and by the
Python diagnosis, which names it with the rule's message; a whole load refuses it with that message.
A new rule is covered as soon as it is in the table (a kind without a bad value here fails)."""

from __future__ import annotations

import copy
import json

import duckdb
import pytest

from ingest.errors import ExportFormatError
from ingest.exports import diagnose_task, ingest_exports
from ingest.exports.detect import DEFAULT_MAX_OBJECT, _typed_source
from ingest.exports.rules import (
    INTEGER,
    INTEGER_OR_NULL,
    LIST_OR_NULL,
    OBJECT,
    OBJECT_OR_NULL,
    RESULTS,
    RULES,
    STRING,
    STRUCT_OR_NULL,
    USER,
    Rule,
    _kind,
)
from ingest.exports.validate import _check_sql, _typed_check_sql

_ITEM = {"from_name": "label", "to_name": "text", "type": "choices", "value": {"choices": ["a"]}}
_RELATION = {"type": "relation", "from_id": "r1", "to_id": "r2", "direction": "right"}
TASK = {
    "id": 1,
    "project": 3,
    "data": {"text": "a"},
    "annotations": [
        {
            "id": 10,
            "completed_by": 2,
            "result": [_ITEM, _RELATION],
            "prediction": {"id": 20, "result": []},
        }
    ],
    "predictions": [{"id": 20, "result": [_ITEM]}],
    "drafts": [{"id": 30, "result": [_ITEM]}],
}

# each part of the task: how to reach it, and its place in the messages
PARTS = {
    "task": (lambda t: t, {"record_no": 1}),
    "annotation": (lambda t: t["annotations"][0], {"index": 0, "where": "annotation 10"}),
    "prediction": (lambda t: t["predictions"][0], {"index": 0, "where": "prediction 20"}),
    "draft": (lambda t: t["drafts"][0], {"index": 0, "where": "draft 30"}),
    "item": (lambda t: t["annotations"][0]["result"][0], {"here": "annotation 10: result[0]"}),
    "relation": (
        lambda t: t["annotations"][0]["result"][1],
        {"here": "annotation 10: result[1]"},
    ),
}

# values each kind refuses (a JSON string that reads like a number, a number where a string is
# due, ...): the table of rules is walked with every one of them
BAD = {
    INTEGER: ["7", 1.5, None, True, 2**63],
    INTEGER_OR_NULL: ["3", 3.5, {"id": 3}],
    OBJECT_OR_NULL: ["text", [1], 5],
    STRUCT_OR_NULL: [7, "x", [1], True],
    OBJECT: ["a", [1], None],
    STRING: [5, True, None, {"a": 1}],
    USER: ["bob", 1.5, {"name": "bob"}, [2]],
    LIST_OR_NULL: [{"a": 1}, "x", 5],
    RESULTS: [{"a": 1}, "x", None],
}
MISSING = object()


def _cases():
    for rule in RULES:
        assert rule.part in PARTS, f"a part the test does not know: {rule.part}"
        assert rule.kind in BAD, f"no bad values for the kind of {rule.part}.{rule.key}"
        values = list(BAD[rule.kind])
        if rule.missing is not None or not rule.kind.python(None):
            values.append(MISSING)
        for value in values:
            shown = "absent" if value is MISSING else json.dumps(value)
            yield pytest.param(rule, value, id=f"{rule.part}.{rule.key}={shown}")


def broken_task(rule: Rule, value):
    task = copy.deepcopy(TASK)
    obj = PARTS[rule.part][0](task)
    if value is MISSING:
        del obj[rule.key]
    else:
        obj[rule.key] = value
    return task


def expected_message(rule: Rule, value) -> str:
    place = PARTS[rule.part][1]
    if value is MISSING:
        if rule.missing is not None:
            return rule.missing.format(key=rule.key, **place)
        return rule.message.format(key=rule.key, kind="null", got="none", json="null", **place)
    kind = _kind(value)
    return rule.message.format(
        key=rule.key, kind=kind, got=kind, json=json.dumps(value)[:40], **place
    )


def json_text_check(con, task) -> bool:
    """is_ok of the SQL check on the task's JSON text (the fallback path)."""
    con.execute(
        "create or replace temp table _src as select 1 as record_no, ?::json as task_json",
        [json.dumps(task)],
    )
    con.execute(_check_sql("_src"))
    return con.execute("select is_ok from _concord_checked").fetchone()[0]


def typed_check(con, task, path) -> bool:
    """True when the typed reader's pass accepts the task as it is: the reader reads it, the
    check finds it ok and nothing sends it to the JSON-text path."""
    path.write_text(json.dumps([task]), encoding="utf-8")
    try:
        row = con.execute(
            f"select is_ok, needs_text_check from ({_typed_check_sql(_typed_source(path, DEFAULT_MAX_OBJECT))})"
        ).fetchone()
    except duckdb.Error:
        return False  # the reader refused it: read as JSON text instead
    return bool(row[0]) and not row[1]


@pytest.fixture(scope="module")
def con():
    con = duckdb.connect()
    yield con
    con.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return tmp_path_factory.mktemp("rules") / "w.duckdb"


def test_the_valid_task_passes_every_check(con, tmp_path, warehouse):
    assert json_text_check(con, TASK) is True
    assert typed_check(con, TASK, tmp_path / "ok.json") is True
    assert diagnose_task(json.dumps(TASK), 1, "ok.json").args[0].endswith("malformed task")
    path = tmp_path / "ok.json"
    path.write_text(json.dumps([TASK]), encoding="utf-8")
    [result] = ingest_exports(tmp_path / "other.duckdb", [path])
    assert result.counts["tasks"] == 1


@pytest.mark.parametrize(("rule", "value"), list(_cases()))
def test_sql_and_diagnosis_refuse_what_breaks_a_rule(rule, value, con, tmp_path, warehouse):
    task = broken_task(rule, value)
    message = expected_message(rule, value)
    assert json_text_check(con, task) is False, f"the JSON-text SQL check accepts: {message}"
    assert typed_check(con, task, tmp_path / "t.json") is False, (
        f"the typed pass accepts: {message}"
    )
    error = diagnose_task(json.dumps(task), 1, "t.json")
    assert message in str(error)
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task]), encoding="utf-8")
    with pytest.raises(ExportFormatError) as refused:
        ingest_exports(warehouse, [path], project_id=3)
    assert message in str(refused.value)
