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
from ingest.exports.rules import _is_int, _kind, first_broken
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
# The rules themselves are in ingest.exports.rules (the SQL checks are generated from them too);
# this walk visits the parts of a task in order and reports the first rule broken.


def _results_problem(items: list, place: dict) -> str | None:
    """The first broken rule of a result list's items (`place['where']`: whose list it is)."""
    for index, item in enumerate(items):
        here = f"{place['where']}: result[{index}]"
        if not isinstance(item, dict):
            return f"{here} must be an object, got {_kind(item)}"
        part = "relation" if item.get("type") == "relation" else "item"  # relation: no value
        problem = first_broken(part, item, {"here": here}, _results_problem)
        if problem is not None:
            return problem
    return None


def diagnose_task(task_json: str, record_no: int, shown: str) -> ExportFormatError:
    """The first problem of one staged record, as an error naming task id / field."""
    task = json.loads(task_json)
    if not isinstance(task, dict):
        return ExportFormatError(
            f"record {record_no} is a JSON {_kind(task)}, not a task object", file=shown
        )
    # a broken 'id' is named by the record number: the task id only once it is an integer
    task_id = task["id"] if _is_int(task.get("id")) else None
    problem = first_broken("task", task, {"record_no": record_no}, _results_problem)
    if problem is None:
        problem = _parts_problem(task)
    return ExportFormatError(problem or "malformed task", file=shown, task_id=task_id)


def _parts_problem(task: dict) -> str | None:
    """The first broken rule of the task's annotations, predictions and drafts (lists by now)."""
    for index, ann in enumerate(task.get("annotations") or []):
        if not isinstance(ann, dict):
            return f"annotations[{index}] must be an object, got {_kind(ann)}"
        place = {"index": index, "where": f"annotation {ann.get('id')}"}
        if problem := first_broken("annotation", ann, place, _results_problem):
            return problem
    for index, pred in enumerate(task.get("predictions") or []):
        if _is_int(pred):  # a sync export holds the prediction ids only
            continue
        if not isinstance(pred, dict):
            return f"predictions[{index}] must be an id or an object, got {_kind(pred)}"
        place = {"index": index, "where": f"prediction {pred.get('id')}"}
        if problem := first_broken("prediction", pred, place, _results_problem):
            return problem
    for index, draft in enumerate(task.get("drafts") or []):
        if not isinstance(draft, dict):
            return f"drafts[{index}] must be an object, got {_kind(draft)}"
        place = {"index": index, "where": f"draft {draft.get('id')}"}
        if problem := first_broken("draft", draft, place, _results_problem):
            return problem
    return None
