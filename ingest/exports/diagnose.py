"""Naming what is wrong, in Python, once the fast checks have refused something.

These run on the error path only: `diagnose_task` walks one refused task's JSON and names its
record, task and field; `locate_json_error` finds the byte, line and column of the first JSON
error in a file DuckDB refused; `_json_error` words DuckDB's reader errors; `_too_deep` names a
record too deep for Python's parser; `value_problem` checks a suspect record exactly for what
strict JSON refuses (NaN, Infinity, overflow, nesting past MAX_DEPTH).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from ingest.errors import ExportFormatError
from ingest.loading import MAX_DEPTH

_DUCKDB_JSON_ERROR = re.compile(
    r'Malformed JSON in file "(?P<file>.*)", at byte (?P<byte>\d+) in record/value (?P<rec>\d+): '
    r"(?P<why>.*?)\.?\s*$",
    re.DOTALL,
)


def _too_deep(
    con: duckdb.DuckDBPyConnection, task_json: str, record_no: int, shown: str
) -> ExportFormatError:
    """A record too deep for Python's parser, named by its task id when it has an integer one
    (DuckDB's JSON functions read the id at any depth)."""
    message = f"nested deeper than {MAX_DEPTH} levels (the limit)"
    try:
        task_id = con.execute(
            "select try_cast(json_extract_string(?::json, '$.id') as bigint) "
            "where json_type(?::json, '$.id') in ('UBIGINT', 'BIGINT')",
            [task_json, task_json],
        ).fetchone()
    except duckdb.Error:
        task_id = None
    if task_id is not None and task_id[0] is not None:
        return ExportFormatError(message, file=shown, task_id=task_id[0])
    return ExportFormatError(f"record {record_no}: {message}", file=shown)


# files up to this size get an exact error position (a Python parse, on the error path only)
LOCATE_MAX_BYTES = 64 * 1024 * 1024


def locate_json_error(path: Path, shown: str, size: int) -> ExportFormatError | None:
    """Exact position (byte, line, column, record) of the first JSON error, for files up to
    LOCATE_MAX_BYTES; runs only after DuckDB refused the file. None when nothing is found."""
    if size > LOCATE_MAX_BYTES:
        return None
    data = path.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        text = data[bom:].decode("utf-8")
    except UnicodeDecodeError as err:
        start = err.start + bom
        line = data[:start].count(b"\n") + 1
        return ExportFormatError(
            f"invalid UTF-8 at line {line} (exports must be UTF-8)", file=shown, offset=start
        )

    def where(pos: int) -> tuple[int, int, int]:
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return bom + len(text[:pos].encode("utf-8")), line, column

    def error(pos: int, message: str) -> ExportFormatError:
        offset, line, column = where(pos)
        return ExportFormatError(
            f"{message} (line {line}, column {column})", file=shown, offset=offset
        )

    decoder = json.JSONDecoder()
    n = len(text)

    def skip(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    i = skip(0)
    if i >= n or text[i] != "[":
        return None
    i += 1
    record = 0
    while True:
        i = skip(i)
        if i >= n:
            return error(i, f"truncated JSON: the file ends after record {record}, before ']'")
        if text[i] == "]" and record == 0:
            i += 1
            break
        record += 1
        try:
            _, i = decoder.raw_decode(text, i)
        except json.JSONDecodeError as err:
            # the data ends inside the record (a string never closed, nothing after err.pos, or a
            # \uXXXX escape the end of the file cuts short)
            cut_escape = err.msg.startswith("Invalid \\uXXXX escape") and err.pos + 6 > n
            if skip(err.pos) >= n or err.msg.startswith("Unterminated string") or cut_escape:
                return error(n, f"truncated JSON: the file ends inside record {record}")
            return error(err.pos, f"malformed JSON in record {record}: {err.msg}")
        i = skip(i)
        if i >= n:
            return error(i, f"truncated JSON: the file ends after record {record}, before ']'")
        if text[i] == ",":
            i += 1
            continue
        if text[i] == "]":
            i += 1
            break
        return error(i, f"malformed JSON after record {record}: expected ',' or ']'")
    i = skip(i)
    if i < n:
        return error(i, "malformed JSON: unexpected data after the closing ']'")
    return None


def _json_error(err: Exception, shown: str) -> ExportFormatError:
    text = str(err)
    match = _DUCKDB_JSON_ERROR.search(text)
    if match:
        why = match.group("why").strip()
        rec = match.group("rec")
        # DuckDB's record/byte numbers are approximate (relative to its buffers): say so
        near = f"DuckDB: byte {match.group('byte')} of record/value {rec}"
        if why == "unexpected end of data":
            message = f"truncated JSON ({near})"
        elif "UTF-8" in why:
            message = f"invalid UTF-8 ({near}); exports must be UTF-8"
        else:
            message = f"malformed JSON: {why} ({near})"
        return ExportFormatError(message, file=shown)
    if "Expected top-level JSON array" in text:
        return ExportFormatError("top level is not a JSON array of tasks", file=shown)
    first = text.splitlines()[0] if text else type(err).__name__
    first = re.sub(r"^[A-Za-z ]*Error: ", "", first)
    return ExportFormatError(f"cannot read as JSON: {first}", file=shown)


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class _NotFinite(ValueError):
    pass


def _reject_constant(token: str):
    raise _NotFinite(f"{token} is not valid JSON (NaN and Infinity are not JSON numbers)")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(f"number {text} overflows to infinity")
    return value


def value_problem(text: str) -> str | None:
    """What strict JSON refuses in one task's text that DuckDB accepted: nesting deeper than
    MAX_DEPTH, NaN / Infinity tokens, a number too large for a double. None when it is fine."""
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels (the limit)"
        elif char in "]}":
            depth -= 1
    try:
        json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NotFinite as err:
        return str(err)
    except (ValueError, RecursionError):
        return None  # not this check's business: validation reports malformed records
    return None


# --- precise diagnosis of one bad record (a single task object, never the whole file) ----------


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


def _completed_by_ok(value) -> bool:
    """null (imported annotations, deleted users), a user id, or a user object with an integer id
    or an email (the snapshot JSON_MIN): staging derives the annotator from these only."""
    if value is None or _is_int(value):
        return True
    return isinstance(value, dict) and (
        _is_int(value.get("id")) or isinstance(value.get("email"), str)
    )


def _check_results(items, where: str, shown: str, task_id) -> None:
    if not isinstance(items, list):
        raise ExportFormatError(
            f"{where}: 'result' must be a list, got {_kind(items)}", file=shown, task_id=task_id
        )
    for index, item in enumerate(items):
        here = f"{where}: result[{index}]"
        if not isinstance(item, dict):
            raise ExportFormatError(
                f"{here} must be an object, got {_kind(item)}", file=shown, task_id=task_id
            )
        if item.get("type") == "relation":  # links two regions: no value, no from_name
            for key in ("from_id", "to_id"):
                if not isinstance(item.get(key), str):
                    got = "none" if key not in item else _kind(item[key])
                    raise ExportFormatError(
                        f"{here}: relation needs a string '{key}' (got {got})",
                        file=shown,
                        task_id=task_id,
                    )
            continue
        if "value" not in item:
            raise ExportFormatError(f"{here} has no 'value'", file=shown, task_id=task_id)
        if not isinstance(item["value"], dict):
            raise ExportFormatError(
                f"{here}: 'value' must be an object, got {_kind(item['value'])}",
                file=shown,
                task_id=task_id,
            )
        for key in ("from_name", "type"):
            if key not in item:
                raise ExportFormatError(f"{here} has no '{key}'", file=shown, task_id=task_id)
            if not isinstance(item[key], str):
                raise ExportFormatError(
                    f"{here}: '{key}' must be a string, got {_kind(item[key])}",
                    file=shown,
                    task_id=task_id,
                )


def diagnose_task(task_json: str, record_no: int, shown: str) -> ExportFormatError:
    """The first problem of one staged record, as an error naming task id / field."""
    task = json.loads(task_json)
    if not isinstance(task, dict):
        return ExportFormatError(
            f"record {record_no} is a JSON {_kind(task)}, not a task object", file=shown
        )
    if "id" not in task:
        return ExportFormatError(f"record {record_no}: task has no 'id'", file=shown)
    task_id = task["id"]
    if not _is_int(task_id):
        return ExportFormatError(
            f"record {record_no}: task 'id' must be an integer, got {_kind(task_id)} "
            f"{json.dumps(task_id)[:40]}",
            file=shown,
        )
    project = task.get("project")
    if project is not None and not _is_int(project):
        return ExportFormatError(
            f"'project' must be an integer, got {_kind(project)}", file=shown, task_id=task_id
        )
    if task.get("data") is not None and not isinstance(task["data"], dict):
        return ExportFormatError(
            f"'data' must be an object, got {_kind(task['data'])}", file=shown, task_id=task_id
        )
    for key in ("annotations", "predictions", "drafts"):
        if task.get(key) is not None and not isinstance(task[key], list):
            return ExportFormatError(
                f"'{key}' must be a list, got {_kind(task[key])}", file=shown, task_id=task_id
            )
    try:
        for index, ann in enumerate(task.get("annotations") or []):
            if not isinstance(ann, dict):
                raise ExportFormatError(
                    f"annotations[{index}] must be an object, got {_kind(ann)}",
                    file=shown,
                    task_id=task_id,
                )
            if not _is_int(ann.get("id")):
                got = "none" if "id" not in ann else _kind(ann["id"])
                raise ExportFormatError(
                    f"annotations[{index}] has no integer 'id' (got {got})",
                    file=shown,
                    task_id=task_id,
                )
            where = f"annotation {ann['id']}"
            if not _completed_by_ok(ann.get("completed_by")):
                cb = ann["completed_by"]
                raise ExportFormatError(
                    f"{where}: 'completed_by' must be a user id, a user object or null, got "
                    f"{_kind(cb)} {json.dumps(cb)[:40]}",
                    file=shown,
                    task_id=task_id,
                )
            if "result" not in ann:
                raise ExportFormatError(f"{where} has no 'result'", file=shown, task_id=task_id)
            _check_results(ann["result"], where, shown, task_id)
            embedded = ann.get("prediction")
            if embedded is not None and not isinstance(embedded, dict):
                raise ExportFormatError(
                    f"{where}: 'prediction' must be an object, got {_kind(embedded)}",
                    file=shown,
                    task_id=task_id,
                )
        for index, pred in enumerate(task.get("predictions") or []):
            if _is_int(pred):
                continue
            if not isinstance(pred, dict):
                raise ExportFormatError(
                    f"predictions[{index}] must be an id or an object, got {_kind(pred)}",
                    file=shown,
                    task_id=task_id,
                )
            if not _is_int(pred.get("id")):
                raise ExportFormatError(
                    f"predictions[{index}] has no integer 'id'", file=shown, task_id=task_id
                )
            if "result" not in pred:
                raise ExportFormatError(
                    f"prediction {pred['id']} has no 'result'", file=shown, task_id=task_id
                )
            _check_results(pred["result"], f"prediction {pred['id']}", shown, task_id)
        for index, draft in enumerate(task.get("drafts") or []):
            if not isinstance(draft, dict):
                raise ExportFormatError(
                    f"drafts[{index}] must be an object, got {_kind(draft)}",
                    file=shown,
                    task_id=task_id,
                )
            if not _is_int(draft.get("id")):
                raise ExportFormatError(
                    f"drafts[{index}] has no integer 'id'", file=shown, task_id=task_id
                )
            if "result" not in draft:
                raise ExportFormatError(
                    f"draft {draft['id']} has no 'result'", file=shown, task_id=task_id
                )
            _check_results(draft["result"], f"draft {draft['id']}", shown, task_id)
    except ExportFormatError as err:
        return err
    return ExportFormatError("malformed task", file=shown, task_id=task_id)
