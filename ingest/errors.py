"""Named errors. Every user-facing failure is one of these; the CLI prints `str(err)` on one line.

The message always names where the problem is: the file, and the task id, record number, row
number, field or byte offset when they are known.
"""

from __future__ import annotations


class ConcordError(Exception):
    """Base class for every error the CLI reports without a traceback."""


class IngestError(ConcordError):
    """Bad input: the load is rolled back and nothing is written."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        task_id: int | str | None = None,
        field: str | None = None,
        offset: int | None = None,
        row: int | None = None,
    ) -> None:
        self.file = file
        self.task_id = task_id
        self.field = field
        self.offset = offset
        self.row = row
        where = []
        if file is not None:
            where.append(str(file))
        if task_id is not None:
            where.append(f"task {task_id}")
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        if offset is not None:
            where.append(f"byte {offset}")
        prefix = ": ".join([", ".join(where)]) if where else ""
        super().__init__(f"{prefix}: {message}" if prefix else message)


class WarehouseError(IngestError):
    """The warehouse file cannot be opened (locked by another process, not a DuckDB file, ...)."""


class ExportFormatError(IngestError):
    """The file is not a Label Studio export we understand (or is malformed JSON / CSV)."""


class ConfigError(IngestError):
    """A labeling config that cannot be parsed safely."""


class ScoreTableError(IngestError):
    """An external score table with missing columns or bad rows."""
