"""JSON_MIN and CSV exports -> the canonical task shape (`raw_label_studio.tasks.task_json`).

Both formats hold one row per non-skipped annotation (or one row for a task without annotations):
the task's data flattened at the top level, the task `id`, one key per control (`from_name`) with
a "prettified" value, and `annotator`, `annotation_id`, `created_at`, `updated_at`, `lead_time`.
Rows are regrouped per task into `{id, project, data, annotations: [...], predictions: [],
drafts: []}`; each control value becomes result items `{from_name, to_name, type, value}` typed by
the labeling config (`--config`, else the project's ingested config), else inferred from the
value's shape and marked `"concord_inferred_type": true`.

What these formats lose (printed by the command): skipped annotations (and tasks whose only
annotations were skipped), ground-truth flags, predictions, drafts, region ids, result origins
(prediction / manual), parent prediction, completed_by beyond the id (sync) or email (snapshot),
task meta and timestamps, a data key named `id` (overwritten by the task id) and data keys named
like a control on annotated rows (JSON_MIN). CSV also loses the JSON types of data fields: they
are re-inferred per column (numbers, booleans, JSON lists/objects).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from ingest.configs import ConfigTag, config_tags_for_project, parse_config
from ingest.errors import ExportFormatError, IngestError
from ingest.loading import MAX_DEPTH, LoadResult

META_KEYS = ("annotator", "annotation_id", "created_at", "updated_at", "lead_time")
CSV_DATA_PREFIX = "_data_"
_INT_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)$")
_FLOAT_TEXT = re.compile(r"^-?(0|[1-9][0-9]*)?(\.[0-9]+)?([eE][-+]?[0-9]+)?$")

LOSSES = (
    "skipped annotations (and tasks whose only annotations were skipped), ground-truth flags, "
    "predictions, drafts, region ids, result origins, parent predictions, completed_by beyond "
    "{who}, task meta and timestamps, a data key named 'id'"
)

# the key of each typed control's value object (JSON_MIN writes bare values for some)
_VALUE_KEY = {
    "choices": "choices",
    "textarea": "text",
    "rating": "rating",
    "number": "number",
    "pairwise": "selected",
    "ranker": "ranker",
    "taxonomy": "taxonomy",
    "datetime": "datetime",
}
# keys of a region object that sit at the result-item level in the JSON export
_ITEM_LEVEL_KEYS = ("original_width", "original_height", "image_rotation")


class _Controls:
    """How to type a control column: from a config, or inferred."""

    def __init__(self, tags: list[ConfigTag] | None, source: str) -> None:
        self.source = source
        self.by_name: dict[str, ConfigTag] = {}
        if tags:
            self.by_name = {t.tag_name: t for t in tags if t.tag_role == "control"}
        self.inferred_kinds: dict[str, str] = {}

    @property
    def inferred(self) -> bool:
        return not self.by_name


def stage_min(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    shown: str,
    fmt: str,
    *,
    project_id: int | None,
    config,
    result: LoadResult,
    table: str,
    json_staged: bool,
) -> None:
    """Regroup the file's rows into canonical tasks in `table(record_no, task_json)` (for JSON_MIN,
    `table` already holds the file's records and is replaced)."""
    label = "JSON_MIN" if fmt == "json_min" else "CSV"
    if project_id is None:
        raise ExportFormatError(
            f"{label} exports carry no project id: pass --project-id N", file=shown
        )
    controls = _resolve_controls(con, config, project_id)
    if json_staged:
        rows = _json_min_rows(con, table, shown)
        renamed: set[str] = set()
        n_rows, tasks, notes = _regroup(rows, controls, shown, fmt="json_min", csv_renamed=renamed)
    else:
        rows, renamed = _csv_rows(path, shown)
        n_rows, tasks, notes = _regroup(rows, controls, shown, fmt="csv", csv_renamed=renamed)
    if n_rows == 0:
        raise ExportFormatError(f"the {label} export holds no rows", file=shown)
    task_list = list(tasks.values())
    arrow_tasks = pa.table(
        {
            "record_no": pa.array(range(1, len(task_list) + 1), type=pa.int64()),
            "task_json": pa.array(
                [json.dumps(t, ensure_ascii=False) for t in task_list], type=pa.string()
            ),
        }
    )
    con.register("_concord_min_tasks", arrow_tasks)
    con.execute(
        f"""
        create or replace temp table {table} as
        select record_no, task_json::json as task_json from _concord_min_tasks
        """
    )
    con.unregister("_concord_min_tasks")
    n_ann = sum(len(t["annotations"]) for t in task_list)
    result.counts = {"rows": n_rows, "annotations": n_ann}
    who = "the user id" if fmt == "csv" or not _any_email(task_list) else "the email"
    if controls.inferred:
        kinds = ", ".join(f"{k} ({v})" for k, v in sorted(controls.inferred_kinds.items()))
        result.notes.append(
            "no labeling config: control types inferred from value shapes "
            f"({kinds or 'no controls found'}); pass --config or ingest the config first"
        )
    else:
        result.notes.append(f"controls typed from {controls.source}")
    result.notes.append(f"{label} loses: " + LOSSES.format(who=who) + _extra_losses(fmt))
    result.notes.extend(notes)


def _extra_losses(fmt: str) -> str:
    if fmt == "csv":
        return "; CSV also loses the JSON types of data fields (re-inferred per column)"
    return "; data keys named like a control are overwritten on annotated rows"


def _any_email(tasks) -> bool:
    for task in tasks:
        for ann in task["annotations"]:
            if isinstance(ann.get("completed_by"), dict):
                return True
    return False


def _resolve_controls(con, config, project_id: int) -> _Controls:
    if config is not None:
        cpath = Path(config)
        if not cpath.exists():
            raise IngestError("no such file", file=str(config))
        tags = parse_config(cpath.read_bytes(), str(config))
        return _Controls(tags, f"--config {cpath.name}")
    tags = config_tags_for_project(con, project_id)
    if tags:
        return _Controls(tags, f"the ingested config of project {project_id}")
    return _Controls(None, "inferred")


# --- reading rows --------------------------------------------------------------------------


def _json_min_rows(
    con: duckdb.DuckDBPyConnection, table: str, shown: str
) -> Iterator[tuple[int, dict]]:
    cursor = con.execute(f"select record_no, task_json::varchar from {table} order by record_no")
    while batch := cursor.fetchmany(10_000):
        for record_no, text in batch:
            try:
                row = json.loads(text)
            except RecursionError:
                raise ExportFormatError(
                    f"record {record_no}: nested deeper than {MAX_DEPTH} levels (the limit)",
                    file=shown,
                ) from None
            if not isinstance(row, dict):
                kind = "list" if isinstance(row, list) else type(row).__name__
                raise ExportFormatError(
                    f"record {record_no} is a JSON {kind}, not a JSON_MIN row", file=shown
                )
            yield int(record_no), row


def _csv_rows(path: Path, shown: str) -> tuple[Iterator[tuple[int, dict]], set[str]]:
    """Rows of a CSV export as dicts of typed cells; also the `_data_<key>` renames."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed by generator)
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        handle.close()
        raise ExportFormatError("the CSV export is empty", file=shown) from None
    except UnicodeDecodeError:
        handle.close()
        raise ExportFormatError(
            "invalid UTF-8 in line 1 (exports must be UTF-8)", file=shown
        ) from None
    except csv.Error as err:
        handle.close()
        raise ExportFormatError(f"malformed CSV in line 1 ({err})", file=shown) from None
    if "id" not in header:
        handle.close()
        hint = ""
        if "score" in header or "task_id" in header or "prediction_id" in header:
            hint = " (a score table? use `concord ingest scores`)"
        raise ExportFormatError(f"no 'id' column: not a Label Studio CSV export{hint}", file=shown)
    missing = [k for k in ("annotation_id", "annotator") if k not in header]
    if missing:
        handle.close()
        raise ExportFormatError(
            f"no {' or '.join(repr(m) for m in missing)} column: not a Label Studio CSV export",
            file=shown,
        )
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        handle.close()
        raise ExportFormatError(f"duplicate CSV columns: {', '.join(dupes)}", file=shown)
    renamed = {h[len(CSV_DATA_PREFIX) :] for h in header if h.startswith(CSV_DATA_PREFIX)}

    def generate() -> Iterator[tuple[int, dict]]:
        row_no = 0
        try:
            for cells in reader:
                row_no += 1
                if not cells:
                    continue
                if len(cells) != len(header):
                    raise ExportFormatError(
                        f"row {row_no} (line {reader.line_num}) has {len(cells)} cells where "
                        f"the header has {len(header)}",
                        file=shown,
                    )
                yield row_no, dict(zip(header, cells, strict=True))
        except UnicodeDecodeError:
            raise ExportFormatError(
                f"invalid UTF-8 after line {reader.line_num} (exports must be UTF-8)", file=shown
            ) from None
        except csv.Error as err:
            raise ExportFormatError(
                f"malformed CSV in line {reader.line_num} ({err})", file=shown
            ) from None
        finally:
            handle.close()

    return generate(), renamed


def _csv_cell(text: str):
    """A CSV cell as JSON would have it: nested values are JSON text, numbers are bare."""
    stripped = text.strip()
    if stripped[:1] in ("[", "{"):
        try:
            return json.loads(stripped)
        except (ValueError, RecursionError):  # not JSON, or nested past Python's recursion
            return text
    return text


def _number_text(text: str):
    if _INT_TEXT.match(text):
        return int(text)
    if text and text not in ("-", ".") and _FLOAT_TEXT.match(text):
        return float(text)
    return None


# --- regrouping -----------------------------------------------------------------------------


def _regroup(rows, controls: _Controls, shown: str, *, fmt: str, csv_renamed: set[str]):
    """Group rows by task id into canonical tasks; returns (n_rows, tasks by id, notes)."""
    tasks: dict[int, dict] = {}
    pending: dict[int, list[tuple[int, dict]]] = {}
    seen_annotations: dict[int, int] = {}
    n_rows = 0
    all_rows: list[tuple[int, dict]] = []
    for row_no, row in rows:
        n_rows += 1
        all_rows.append((row_no, row))
    where = "record" if fmt == "json_min" else "row"
    # columns of the file (CSV: every row has every column, "" = empty), in first-seen order.
    # A dict, not a list: `key not in list` made this quadratic in the width (40k columns took
    # minutes; issue #11)
    keys_seen: dict[str, None] = {}
    for _, row in all_rows:
        for key in row:
            if key not in keys_seen:
                keys_seen[key] = None
    keys_in_file = list(keys_seen)
    if fmt == "csv":
        _retype_csv(all_rows, keys_in_file, controls, csv_renamed)
    control_keys = _control_keys(all_rows, keys_in_file, controls, fmt, csv_renamed)
    notes: list[str] = []
    for row_no, row in all_rows:
        raw_id = row.get("id")
        if raw_id is None or raw_id == "":
            raise ExportFormatError(f"{where} {row_no} has no task 'id'", file=shown)
        if isinstance(raw_id, bool) or not isinstance(raw_id, int):
            raise ExportFormatError(
                f"{where} {row_no}: task 'id' must be an integer, got {json.dumps(raw_id)[:40]}",
                file=shown,
            )
        pending.setdefault(raw_id, []).append((row_no, row))
    collided: set[str] = set()
    for task_id, task_rows in pending.items():
        data: dict = {}
        data_from_unannotated = None
        for _, row in task_rows:
            if _is_empty(row.get("annotation_id")):
                data_from_unannotated = row
        base = data_from_unannotated or task_rows[0][1]
        for key, value in base.items():
            if key in META_KEYS or key == "id":
                continue
            if fmt == "csv" and key.startswith(CSV_DATA_PREFIX):
                data[key[len(CSV_DATA_PREFIX) :]] = value
                continue
            if key in control_keys:
                if fmt == "csv" and key in csv_renamed:
                    continue
                if data_from_unannotated is not None and not _is_empty(value):
                    data[key] = value  # an unannotated row: the same-named key is data
                    collided.add(key)
                continue
            data[key] = value
        annotations = []
        for row_no, row in task_rows:
            ann_id = row.get("annotation_id")
            if _is_empty(ann_id):
                continue
            if isinstance(ann_id, bool) or not isinstance(ann_id, int):
                raise ExportFormatError(
                    f"{where} {row_no}: 'annotation_id' must be an integer, "
                    f"got {json.dumps(ann_id)[:40]}",
                    file=shown,
                    task_id=task_id,
                )
            if ann_id in seen_annotations:
                raise ExportFormatError(
                    f"annotation {ann_id} appears in {where}s {seen_annotations[ann_id]} and "
                    f"{row_no}",
                    file=shown,
                    task_id=task_id,
                )
            seen_annotations[ann_id] = row_no
            result = []
            for key in control_keys:
                if key not in row or _is_empty(row[key]):
                    continue
                result.extend(_result_items(key, row[key], controls, shown, task_id, ann_id))
            annotations.append(
                {
                    "id": ann_id,
                    "completed_by": _completed_by(row.get("annotator")),
                    "result": result,
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": _none_if_empty(row.get("created_at")),
                    "updated_at": _none_if_empty(row.get("updated_at")),
                    "lead_time": _none_if_empty(row.get("lead_time")),
                }
            )
        annotations.sort(key=lambda a: a["id"])
        tasks[task_id] = {
            "id": task_id,
            "data": data,
            "annotations": annotations,
            "predictions": [],
            "drafts": [],
        }
    if collided:
        notes.append(
            "data keys named like a control ("
            + ", ".join(sorted(collided))
            + "): JSON_MIN keeps the data value only on unannotated rows"
        )
    if csv_renamed:
        notes.append(
            "CSV `_data_<key>` columns restored as data keys: " + ", ".join(sorted(csv_renamed))
        )
    return n_rows, tasks, notes


def _is_empty(value) -> bool:
    return value is None or value == ""


def _none_if_empty(value):
    return None if _is_empty(value) else value


def _completed_by(annotator):
    if _is_empty(annotator):
        return None
    if isinstance(annotator, int) and not isinstance(annotator, bool):
        return annotator
    if isinstance(annotator, str):
        if _INT_TEXT.match(annotator.strip()):
            return int(annotator.strip())
        if "@" in annotator:
            return {"email": annotator}
    return annotator


def _retype_csv(all_rows, keys, controls: _Controls, renamed: set[str]) -> None:
    """CSV cells are text: parse nested JSON, and numbers / booleans per column."""
    for key in keys:
        cells = [row[key] for _, row in all_rows]
        non_empty = [c for c in cells if c != ""]
        if key in ("id", "annotation_id", "lead_time"):
            kind = "number"
        elif key in ("annotator", "created_at", "updated_at"):
            kind = "text"
        elif non_empty and all(
            _number_text(c) is not None and not re.match(r"^-?0[0-9]", c) for c in non_empty
        ):
            kind = "number"
        elif non_empty and all(c in ("True", "False") for c in non_empty):
            kind = "bool"
        else:
            kind = "json"
        for _, row in all_rows:
            cell = row[key]
            if kind == "number":
                number = _number_text(cell.strip())
                row[key] = number if number is not None else (None if cell == "" else cell)
            elif kind == "bool":
                row[key] = None if cell == "" else cell == "True"
            elif kind == "json":
                row[key] = _csv_cell(cell)


def _control_keys(all_rows, keys, controls: _Controls, fmt: str, renamed: set[str]) -> list[str]:
    """Which keys are controls: the config's control names, else inferred."""
    candidates = [k for k in keys if k not in META_KEYS and k != "id"]
    if not controls.inferred:
        return [k for k in candidates if k in controls.by_name]
    if fmt == "csv":
        candidates = [k for k in candidates if not k.startswith(CSV_DATA_PREFIX)]
    chosen = []
    for key in candidates:
        if fmt == "csv" and key in renamed:
            chosen.append(key)
            continue
        values_by_task: dict = {}
        is_control = False
        for _, row in all_rows:
            annotated = not _is_empty(row.get("annotation_id"))
            present = key in row and not _is_empty(row[key])
            value = row.get(key)
            if present and annotated and _looks_like_result(value):
                is_control = True
                break
            if not annotated and present:
                continue  # an unannotated row carrying the key: data (or a collision)
            bucket = values_by_task.setdefault(row.get("id"), [])
            bucket.append(json.dumps(value, sort_keys=True) if present else None)
        if not is_control:
            # a data key has one value per task, in every row; a control varies or is absent
            for values in values_by_task.values():
                if None in values or len(set(values)) > 1:
                    is_control = True
                    break
        if is_control:
            chosen.append(key)
    for key in chosen:
        controls.inferred_kinds[key] = _infer_kind(key, all_rows)
    return chosen


def _looks_like_result(value) -> bool:
    if isinstance(value, dict):
        return any(k in value for k in ("choices", "text")) and len(value) == 1
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        first = value[0]
        return any(
            k in first
            for k in ("rating", "number", "selected", "ranker", "taxonomy", "start", "x", "labels")
        ) or any(k.endswith("labels") for k in first)
    return False


def _infer_kind(key: str, all_rows) -> str:
    """A control's type from the shapes of its values across the file."""
    strings: list[str] = []
    for _, row in all_rows:
        value = row.get(key)
        if _is_empty(value) or _is_empty(row.get("annotation_id")):
            continue
        if isinstance(value, dict):
            if "choices" in value:
                return "choices"
            if "text" in value:
                return "textarea"
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            kind = _kind_of_region(value[0])
            if kind:
                return kind
        elif isinstance(value, str):
            strings.append(value)
    if strings:
        distinct = set(strings)
        average = sum(len(s) for s in strings) / len(strings)
        if len(distinct) <= 20 and average <= 40 and not any("\n" in s for s in distinct):
            return "choices"
        return "textarea"
    return "unknown"


def _kind_of_region(region: dict) -> str | None:
    for key in ("rating", "number", "ranker", "taxonomy"):
        if key in region:
            return key
    if "selected" in region:
        return "pairwise"
    for key in region:
        if key.endswith("labels"):
            return key
    if "choices" in region:
        return "choices"
    if "text" in region and isinstance(region["text"], list):
        return "textarea"
    return None


def _result_items(key: str, value, controls: _Controls, shown: str, task_id, ann_id) -> list[dict]:
    """A prettified JSON_MIN / CSV control value -> result items of the JSON export."""
    tag = controls.by_name.get(key)
    if tag is not None:
        kind = tag.tag_type
        to_name = key if kind == "pairwise" else tag.to_name
        inferred = False
    else:
        kind = controls.inferred_kinds.get(key, "unknown")
        to_name = None
        inferred = True
    items: list[dict] = []
    regions: list = value if isinstance(value, list) else [value]
    if kind in ("choices", "textarea") and not (
        isinstance(value, list) and value and isinstance(value[0], dict)
    ):
        inner = _VALUE_KEY[kind]
        if isinstance(value, dict) and inner in value:
            payload = {inner: value[inner]}
        elif isinstance(value, list):
            payload = {inner: value}
        else:
            payload = {inner: [value]}
        regions = [payload]
    for region in regions:
        if isinstance(region, dict):
            value_obj = {k: v for k, v in region.items() if k not in _ITEM_LEVEL_KEYS}
            item_extra = {k: region[k] for k in _ITEM_LEVEL_KEYS if k in region}
        else:
            inner = _VALUE_KEY.get(kind, kind)
            value_obj = {inner: region}
            item_extra = {}
        if kind == "unknown" and isinstance(region, dict):
            kind_here = _kind_of_region(region) or "unknown"
        else:
            kind_here = kind
        item = {
            "from_name": key,
            "to_name": to_name if to_name is not None else None,
            "type": kind_here,
            "value": value_obj,
            **item_extra,
        }
        if inferred:
            item["concord_inferred_type"] = True
        items.append(item)
    return items
