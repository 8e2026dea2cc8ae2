"""Erasure (GDPR Article 17): remove a task everywhere it went, down to the bytes of every file
Concord owns, log it without personal data, keep it out, and prove it is gone.

One module per responsibility:

- `request`: what a request names, resolved to tasks and their footprints (ids, free text, emails);
- `delete`: the one transaction that deletes everywhere and writes the log (the steps, in order);
- `journal`: what a committed erasure still owes the files (extract renames, compaction of the
  DuckDB file), crash recovery and orphaned temp files, run by every command;
- `verify`: `verify-erasure`, tables, views, extracts and raw bytes.

The look-ups ingest needs (the key, is this task erased?) live in `ingest/erased.py`, because
`ingest` never imports `concord`.
"""

from __future__ import annotations

import os  # noqa: F401  (tests patch os.replace through this module)

from concord.erasure.delete import (
    _delete_everywhere,
    _keys,
    _log,
    _qi,
    erase,
    erase_footprints,
    relation_columns,
    warehouse_relations,
)
from concord.erasure.journal import byte_residue, complete_pending_rewrites, finish, recover
from concord.erasure.request import (
    FAULT_ENV,
    FAULT_STAGES,
    MIN_TEXT_CHARS,
    ErasureError,
    ErasureRequest,
    ErasureResult,
    InjectedFault,
    TaskFootprint,
    _raw_tasks_exist,
    _resolve,
    _score_tables,
    ext_id_field,
    load_footprints,
    read_request_file,
)
from concord.erasure.verify import (
    _EXPANDS,
    _LEAVES_SQL,
    INTEGER_TYPES,
    UNSCANNED_PREFIXES,
    Residue,
    VerifyResult,
    _Matcher,
    _task_like,
    verify_erasure,
)

__all__ = [
    "FAULT_ENV",
    "FAULT_STAGES",
    "INTEGER_TYPES",
    "MIN_TEXT_CHARS",
    "UNSCANNED_PREFIXES",
    "_EXPANDS",
    "_LEAVES_SQL",
    "ErasureError",
    "ErasureRequest",
    "ErasureResult",
    "InjectedFault",
    "Residue",
    "TaskFootprint",
    "VerifyResult",
    "_Matcher",
    "_delete_everywhere",
    "_keys",
    "_log",
    "_qi",
    "_raw_tasks_exist",
    "_resolve",
    "_score_tables",
    "_task_like",
    "byte_residue",
    "complete_pending_rewrites",
    "erase",
    "erase_footprints",
    "ext_id_field",
    "finish",
    "load_footprints",
    "read_request_file",
    "recover",
    "relation_columns",
    "verify_erasure",
    "warehouse_relations",
]
