"""`concord ingest export`: Label Studio exports -> raw_label_studio.loads / tasks.

JSON exports (sync or snapshot form) are streamed by DuckDB, never `json.load`-ed: the reader parses
each file once, straight into the typed task struct of the raw layer (`ingest.schema.RAW_TASK_SHAPE`),
and validation runs on that struct without parsing again. Only when the reader refuses a file, or
a task fails the checks, is the file read again as JSON text (`read_json_objects`) and checked task
by task, to name the record, task and field that is wrong. JSON_MIN and CSV exports are regrouped
into the same task shape by `ingest.exports_min`. All files of one command share one transaction.

Replacement rule: a task is stored once, as its version in the most recently ingested export that
contains it (annotations, predictions and drafts included). Tasks absent from a partial export stay
as they were; with `full_snapshot=True` the project's tasks absent from every file of the command
are marked `is_deleted` (a task that shows up again later is undeleted).

The package holds the steps by responsibility: `detect` (what a file is, how it is read),
`validate` (the checks before anything is written), `diagnose` (naming what is wrong, on the
error path), `write` (the replacement rule) and `load` (the command's order of work). The names
other modules use are re-exported here.
"""

from __future__ import annotations

from ingest.exports.detect import DEFAULT_MAX_OBJECT, count_tasks, detect_format
from ingest.exports.diagnose import diagnose_task, locate_json_error, value_problem
from ingest.exports.load import ingest_exports
from ingest.exports.validate import TYPED_RESULT_TYPES, check_project_source
from ingest.exports.write import COMMAND

__all__ = [
    "COMMAND",
    "DEFAULT_MAX_OBJECT",
    "TYPED_RESULT_TYPES",
    "check_project_source",
    "count_tasks",
    "detect_format",
    "diagnose_task",
    "ingest_exports",
    "locate_json_error",
    "value_problem",
]
