"""The rules a task of a Label Studio JSON export must follow, defined once (issue #13).

Each `Rule` names a key of one part of a task (the task itself, an annotation, a prediction
object, a draft, a result item, a relation item), the `Kind` of value it must hold and the error
text when it does not. Both validators are generated from this one table:

- the SQL checks of `ingest.exports.validate` (`rules_sql`), which run on every task in one
  vectorised pass, on the JSON text (after `json_transform`) or on the typed reader's struct;
- the Python diagnosis of `ingest.exports.diagnose` (`first_broken`), which runs on the first
  task the SQL refused and names the field and what it holds.

A Kind holds the three forms of one predicate (Python, SQL on a JSON value, SQL on the typed
reader's value) side by side, so that a change to one is made next to the others;
tests/ingest/test_export_rules.py breaks each rule in turn and asserts that the SQL checks and
the diagnosis both refuse the task, with the rule's message. What stays written by hand, in both
validators: the walk over lists (a lambda per list in SQL, a loop in Python), whether an item is a
relation, list elements that are not objects, and a sync export's plain prediction ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

# --- kinds: one predicate in its three forms ---------------------------------------------------

_INT = "('UBIGINT', 'BIGINT')"
_INT_TEXT = "'-?[0-9]+'"
_BIGINT_MIN, _BIGINT_MAX = -(2**63), 2**63 - 1


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        if not _BIGINT_MIN <= value <= _BIGINT_MAX:
            return "integer beyond the 64-bit range"
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object"


def _is_int(value) -> bool:
    """An integer the warehouse can store (a BIGINT), as the SQL checks require."""
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and _BIGINT_MIN <= value <= _BIGINT_MAX
    )


def _is_int_json(expr: str) -> str:
    """SQL: the JSON scalar `expr` is an integer that fits a BIGINT (JSON text like 42, never
    "42", 4.2 or 99999999999999999999)."""
    return (
        f"coalesce(regexp_full_match({expr}::varchar, {_INT_TEXT}) "
        f"and try_cast({expr}::varchar as bigint) is not null, false)"
    )


def _completed_by_ok(value) -> bool:
    """null (imported annotations, deleted users), a user id, or a user object with an integer id
    or an email (the snapshot JSON_MIN): staging derives the annotator from these only."""
    if value is None or _is_int(value):
        return True
    return isinstance(value, dict) and (
        _is_int(value.get("id")) or isinstance(value.get("email"), str)
    )


def _completed_by_ok_sql(expr: str) -> str:
    """SQL twin of _completed_by_ok: `expr` (JSON) is null, an integer fitting a BIGINT, or an
    object with such an integer 'id' or a string 'email'."""
    return (
        f"(coalesce(json_type({expr}), 'NULL') = 'NULL' "
        f"or coalesce(regexp_full_match({expr}::varchar, '-?[0-9]+') "
        f"and try_cast({expr}::varchar as bigint) is not null, false) "
        f"or coalesce(json_type({expr}) = 'OBJECT' and ("
        f"(json_type({expr}, '$.id') in {_INT} "
        f"and try_cast(json_extract_string({expr}, '$.id') as bigint) is not null) "
        f"or json_type({expr}, '$.email') = 'VARCHAR'), false))"
    )


@dataclass(frozen=True)
class Kind:
    """What a value must be, as a Python predicate on the parsed value (an absent key is None) and
    as SQL on the key's expression: `json_sql` after json_transform (an absent key, a JSON null
    and a list or struct of the wrong shape are NULL there), `typed_sql` on the typed reader's
    struct, None where the reader itself refuses every wrong value (the file is then read as JSON
    text and checked by `json_sql`)."""

    name: str
    python: Callable[[object], bool]
    json_sql: Callable[[str], str]
    typed_sql: Callable[[str], str] | None


# the JSON text of an integer, in the BIGINT range (json_type says UBIGINT up to 2**64 - 1)
INTEGER = Kind("an integer", _is_int, _is_int_json, _is_int_json)
INTEGER_OR_NULL = Kind(
    "an integer or null",
    lambda v: v is None or _is_int(v),
    lambda x: f"(coalesce(json_type({x}), 'NULL') = 'NULL' or {_is_int_json(x)})",
    lambda x: f"({x} is null or {_is_int_json(x)})",
)
OBJECT_OR_NULL = Kind(
    "an object or null",
    lambda v: v is None or isinstance(v, dict),
    lambda x: f"coalesce(json_type({x}), 'NULL') in ('OBJECT', 'NULL')",
    # JSON null reads as NULL
    lambda x: f"({x} is null or starts_with({x}::varchar, '{{'))",
)
# the same where the typed reader's shape is a STRUCT: it refuses anything but an object there
STRUCT_OR_NULL = Kind(OBJECT_OR_NULL.name, OBJECT_OR_NULL.python, OBJECT_OR_NULL.json_sql, None)
OBJECT = Kind(
    "an object",
    lambda v: isinstance(v, dict),
    lambda x: f"{x} is not null and json_type({x}) = 'OBJECT'",
    lambda x: f"coalesce(starts_with({x}::varchar, '{{'), false)",
)
# The reader turns a number, boolean, object or array into text where the shape says VARCHAR:
# the typed check `_suspect_items` sends values that look like one to the JSON-text path, where
# json_sql tells a real string ("5") from a number (5).
STRING = Kind(
    "a string",
    lambda v: isinstance(v, str),
    lambda x: f"coalesce(json_type({x}), '') = 'VARCHAR'",
    lambda x: f"{x} is not null",
)
USER = Kind(
    "a user id, a user object or null",
    _completed_by_ok,
    _completed_by_ok_sql,
    _completed_by_ok_sql,
)


def _list_or_null_json(x: str) -> str:
    """A list, or absent / JSON null. json_transform gives NULL for both a missing key and a value
    that is not a list, so the raw task tells them apart (task level only: `task_json`)."""
    key = x.rsplit(".", 1)[-1]
    return f"({x} is not null or coalesce(json_type(task_json, '$.{key}'), 'NULL') = 'NULL')"


LIST_OR_NULL = Kind(
    "a list or null",
    lambda v: v is None or isinstance(v, list),
    _list_or_null_json,
    None,  # the typed reader refuses anything but a list
)


@dataclass(frozen=True)
class Rule:
    """`key` of `part` must be of `kind`. `message` is the error when the value is of another
    kind, `missing` when the key is absent (None: an absent key is checked as null). Both are
    formatted with {key}, {kind} (the value's kind), {got} ('none' when absent, else {kind}),
    {json} (the value as JSON, 40 characters) and the part's place: {record_no}, {index},
    {where} (e.g. 'annotation 12'), {here} (e.g. 'annotation 12: result[0]')."""

    part: str
    key: str
    kind: Kind
    message: str
    missing: str | None = None

    def broken(self, obj: dict, place: dict) -> str | None:
        """The rule's message when `obj` (a dict) breaks it, else None."""
        if self.key not in obj and self.missing is not None:
            return self.missing.format(key=self.key, **place)
        value = obj.get(self.key)
        if self.kind.python(value):
            return None
        kind = _kind(value)
        got = "none" if self.key not in obj else kind
        text = json.dumps(value)[:40]
        return self.message.format(key=self.key, kind=kind, got=got, json=text, **place)


def _results_rule(part: str) -> Rule:
    return Rule(
        part,
        "result",
        RESULTS,
        "{where}: 'result' must be a list, got {kind}",
        missing="{where} has no 'result'",
    )


def _items_ok(items: str) -> str:
    """SQL: `items` (a transformed result list) is a list of well-formed result items."""
    return (
        f"({items} is not null and coalesce(list_bool_and(list_transform({items}, lambda r: "
        "case when r.type ->> '$' = 'relation' "
        f"then {rules_sql('relation', 'r')} else {rules_sql('item', 'r')} end)), true))"
    )


def _typed_items_ok(items: str) -> str:
    """SQL: `items` (a typed result list) is a list of result items with an object `value` and a
    `from_name` and `type` (the reader gives NULL for absent keys and JSON nulls)."""
    return (
        f"({items} is not null and coalesce(list_bool_and(list_transform({items}, lambda r: "
        "r is not null and case when r.type = 'relation' "
        f"then {rules_sql('relation', 'r', typed=True)} "
        f"else {rules_sql('item', 'r', typed=True)} end)), true))"
    )


# a list of result items: each item is checked against the 'relation' or the 'item' rules
RESULTS = Kind("a list", lambda v: isinstance(v, list), _items_ok, _typed_items_ok)

_MUST_BE_STRING = "{here}: '{key}' must be a string, got {kind}"
_HAS_NO = "{here} has no '{key}'"

# In the order the diagnosis checks them: the first broken rule of a part is the one reported.
RULES: tuple[Rule, ...] = (
    Rule(
        "task",
        "id",
        INTEGER,
        "record {record_no}: task 'id' must be an integer, got {kind} {json}",
        missing="record {record_no}: task has no 'id'",
    ),
    Rule("task", "project", INTEGER_OR_NULL, "'project' must be an integer, got {kind}"),
    Rule("task", "data", OBJECT_OR_NULL, "'data' must be an object, got {kind}"),
    Rule("task", "annotations", LIST_OR_NULL, "'{key}' must be a list, got {kind}"),
    Rule("task", "predictions", LIST_OR_NULL, "'{key}' must be a list, got {kind}"),
    Rule("task", "drafts", LIST_OR_NULL, "'{key}' must be a list, got {kind}"),
    Rule("annotation", "id", INTEGER, "annotations[{index}] has no integer 'id' (got {got})"),
    Rule(
        "annotation",
        "completed_by",
        USER,
        "{where}: 'completed_by' must be a user id, a user object or null, got {kind} {json}",
    ),
    _results_rule("annotation"),
    # a sync export's copy of the prediction the annotation started from
    Rule(
        "annotation",
        "prediction",
        STRUCT_OR_NULL,
        "{where}: 'prediction' must be an object, got {kind}",
    ),
    Rule("prediction", "id", INTEGER, "predictions[{index}] has no integer 'id'"),
    _results_rule("prediction"),
    Rule("draft", "id", INTEGER, "drafts[{index}] has no integer 'id'"),
    _results_rule("draft"),
    # a relation item links two regions: no value, no from_name (issue #11)
    Rule("relation", "from_id", STRING, "{here}: relation needs a string '{key}' (got {got})"),
    Rule("relation", "to_id", STRING, "{here}: relation needs a string '{key}' (got {got})"),
    Rule("item", "value", OBJECT, "{here}: 'value' must be an object, got {kind}", missing=_HAS_NO),
    Rule("item", "from_name", STRING, _MUST_BE_STRING, missing=_HAS_NO),
    Rule("item", "type", STRING, _MUST_BE_STRING, missing=_HAS_NO),
)


def part_rules(part: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in RULES if rule.part == part)


def rules_sql(part: str, var: str, *, typed: bool = False) -> str:
    """SQL: the struct `var` follows every rule of `part` (on the typed reader's struct when
    `typed`: the rules the reader enforces itself are left out)."""
    checks = []
    for rule in part_rules(part):
        build = rule.kind.typed_sql if typed else rule.kind.json_sql
        if build is not None:
            checks.append(build(f"{var}.{rule.key}"))
    return " and ".join(checks)


def first_broken(part: str, obj: dict, place: dict, items: Callable[[list, dict], str | None]):
    """The message of the first rule of `part` that `obj` (a dict) breaks, else None. After a
    list of result items passes its rule, `items(the list, place)` checks the items in order."""
    for rule in part_rules(part):
        message = rule.broken(obj, place)
        if message is not None:
            return message
        if rule.kind is RESULTS:
            message = items(obj[rule.key], place)
            if message is not None:
                return message
    return None
