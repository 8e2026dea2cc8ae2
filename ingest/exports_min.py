"""JSON_MIN and CSV exports -> canonical task_json (filled in by the next commit)."""

from __future__ import annotations

from ingest.errors import ExportFormatError


def stage_min(con, path, shown, fmt, *, project_id, config, result, json_staged):
    raise ExportFormatError(f"{fmt.upper()} exports are not supported yet", file=shown)
