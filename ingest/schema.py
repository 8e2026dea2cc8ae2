"""The shape of a stored Label Studio task (the raw layer's DDL is in ingest/warehouse.py).

Only `ingest/` writes the raw tables (and `concord erase` deletes from them).

Raw tables keep what the source said plus load metadata. A Label Studio task is stored once, as
its most recently ingested version, in `task`: a STRUCT with every key of Label Studio's JSON export
(RAW_TASK_SHAPE below; JSON_MIN / CSV rows are regrouped into that shape by `ingest/exports_min.py`).
The file is parsed once, by DuckDB's reader, straight into that struct: staging casts and unnests it
without parsing the task again (docs/benchmark.md measured storing the JSON text and re-parsing it in
staging at 3-15x a bare flatten of the file).

What the struct keeps: every key Label Studio 1.23.2 writes for a task, annotation, result,
prediction and draft. Keys whose value staging reads are typed; the rest, and every value whose
shape varies (task `data` and `meta`, a result's `value`, `completed_by`, sync-form prediction ids),
are JSON (minified, numbers re-serialised: 1e2 reads back as 100.0). Ids whose JSON type
validation must check (task, project, annotation and draft ids) are JSON too: the reader would turn
"902" or 1.5 into a number silently.
A JSON null and an absent key both read as NULL. Keys not in the shape are reported by
`concord ingest export` (a sample of each file is audited) and are not stored.

`to_json(task)` gives the task as one JSON document. (Not a virtual column: DuckDB evaluates a
generated column on every insert, which tripled the cost of writing the tasks.)
"""

from __future__ import annotations

# --- the shape of a stored task ----------------------------------------------------------------
# DuckDB type names; a dict is a STRUCT, a one-element list a LIST of that. Field order is the order
# of the stored struct (and of `task_json`).

_RESULT = {
    "id": "VARCHAR",
    "type": "VARCHAR",
    "from_name": "VARCHAR",
    "to_name": "VARCHAR",
    "origin": "VARCHAR",
    "score": "DOUBLE",
    "value": "JSON",
    "original_width": "DOUBLE",
    "original_height": "DOUBLE",
    "image_rotation": "DOUBLE",
    "parentID": "JSON",
    "readonly": "JSON",
    "hidden": "JSON",
    "meta": "JSON",
    "item_index": "JSON",
    "concord_inferred_type": "BOOLEAN",  # set by the JSON_MIN / CSV regrouping only
}

_EMBEDDED_PREDICTION = {  # a sync export's copy of the prediction an annotation started from
    "id": "BIGINT",
    "task": "BIGINT",
    "model_version": "VARCHAR",
    "score": "DOUBLE",
    "result": "JSON",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "created_ago": "JSON",
    "project": "JSON",
    "model": "JSON",
    "model_run": "JSON",
    "cluster": "JSON",
    "neighbors": "JSON",
    "mislabeling": "JSON",
}

_ANNOTATION = {
    "id": "JSON",
    "completed_by": "JSON",
    "result": [_RESULT],
    "was_cancelled": "BOOLEAN",
    "ground_truth": "BOOLEAN",
    "lead_time": "DOUBLE",
    "parent_prediction": "BIGINT",
    "parent_annotation": "BIGINT",
    "prediction": _EMBEDDED_PREDICTION,
    "unique_id": "VARCHAR",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "draft_created_at": "VARCHAR",
    "bulk_created": "JSON",
    "import_id": "JSON",
    "last_action": "JSON",
    "last_created_by": "JSON",
    "project": "JSON",
    "result_count": "JSON",
    "task": "JSON",
    "updated_by": "JSON",
}

_DRAFT = {
    "id": "JSON",
    "annotation": "BIGINT",
    "user": "VARCHAR",
    "lead_time": "DOUBLE",
    "was_postponed": "BOOLEAN",
    "result": [_RESULT],
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "created_ago": "JSON",
    "created_username": "JSON",
    "import_id": "JSON",
    "task": "JSON",
}

RAW_TASK_SHAPE = {
    "id": "JSON",
    "project": "JSON",
    "inner_id": "BIGINT",
    "data": "JSON",
    "meta": "JSON",
    "total_annotations": "BIGINT",
    "cancelled_annotations": "BIGINT",
    "total_predictions": "BIGINT",
    "created_at": "VARCHAR",
    "updated_at": "VARCHAR",
    "updated_by": "JSON",
    "allow_skip": "JSON",
    "comment_count": "JSON",
    "unresolved_comment_count": "JSON",
    "last_comment_updated_at": "JSON",
    "comment_authors": "JSON",
    "file_upload": "JSON",
    "annotations": [_ANNOTATION],
    # ids (sync export) or prediction objects (snapshot): each element kept as written
    "predictions": ["JSON"],
    "drafts": [_DRAFT],
}

# the keys of each kind of object, for the audit of keys the shape does not keep
SHAPE_KEYS = {
    "task": frozenset(RAW_TASK_SHAPE),
    "annotation": frozenset(_ANNOTATION),
    "result": frozenset(_RESULT),
    "prediction": frozenset(_EMBEDDED_PREDICTION),
    "draft": frozenset(_DRAFT),
}


def sql_type(shape) -> str:
    """The DuckDB type of a shape: 'STRUCT("id" JSON, ...)'."""
    if isinstance(shape, dict):
        return "STRUCT(" + ", ".join(f'"{k}" {sql_type(v)}' for k, v in shape.items()) + ")"
    if isinstance(shape, list):
        return sql_type(shape[0]) + "[]"
    return shape


def transform_spec(shape) -> str:
    """The same shape as a json_transform structure ('{"id": "JSON", ...}')."""
    if isinstance(shape, dict):
        return "{" + ", ".join(f'"{k}": {transform_spec(v)}' for k, v in shape.items()) + "}"
    if isinstance(shape, list):
        return "[" + transform_spec(shape[0]) + "]"
    return f'"{shape}"'


RAW_TASK_TYPE = sql_type(RAW_TASK_SHAPE)
