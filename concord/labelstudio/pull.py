"""`concord ls pull`: export a project through the SDK and ingest it with its labeling config.

The export is an export *snapshot* (`projects.exports.create` + `projects.exports.download`) with
predictions, drafts and `completed_by` expanded and no annotation filter, so every task comes back:
unannotated, prediction-only, skipped and ground-truth ones included (a `{"usual": true}` filter
would drop ground truth and skips; the sync endpoint drops unannotated tasks unless
`download_all_tasks=true`). The download is streamed to a file chunk by chunk.

Incremental pulls (what Label Studio Community 1.23 allows): snapshots accept
`task_filter_options.view`, a Data Manager view whose filters select the tasks. The second and
later pulls create a temporary view filtered on `tasks:updated_at` > the previous snapshot's
creation time (server clock, minus an overlap), export only those tasks and delete the view.
The server bumps `task.updated_at` on annotation create / update / delete, prediction create and
task data changes, but NOT on drafts, and a deleted task simply stops appearing. Raw tasks are
stored with replacement semantics (the latest ingested version of each task wins), so an
incremental load of the changed tasks gives the same warehouse as a full one, except for
deletions and draft-only changes: `--full` (also the first pull) re-exports everything and marks
the tasks absent from it as deleted.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concord.labelstudio.client import Client
from concord.labelstudio.errors import LabelStudioError
from ingest.warehouse import connect, migrate, relation_exists, resolve_db

log = logging.getLogger("concord.labelstudio")

SERIALIZATION_OPTIONS = {
    "drafts": {"only_id": False},
    "predictions": {"only_id": False},
    "annotations__completed_by": {"only_id": False},
    "include_annotation_history": False,
}
# the incremental window starts this long before the previous snapshot was created (same server
# clock as task.updated_at; covers writes committing while the snapshot was taken): re-exporting
# a task twice is harmless (replacement semantics), missing one is not
OVERLAP = dt.timedelta(seconds=5)


@dataclass
class PullResult:
    project_id: int
    mode: str
    export_id: int
    file_path: Path
    config_path: Path
    n_tasks: int
    since: dt.datetime | None = None
    loads: list[Any] = field(default_factory=list)
    export_kept: bool = False

    def summary(self) -> str:
        head = (
            f"project {self.project_id}: {self.mode} pull, export {self.export_id}, "
            f"{self.n_tasks} tasks -> {self.file_path}"
        )
        if self.since is not None:
            head += f" (tasks updated since {self.since.isoformat()}Z)"
        lines = [head]
        if not self.export_kept:
            lines.append(
                "  export file removed after loading (it holds the tasks' data, which "
                "`concord erase` could not reach there); --keep-export keeps it"
            )
        for load in self.loads:
            lines += load.lines() if hasattr(load, "lines") else [str(load)]
        return "\n".join(lines)


def _utc_naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def last_pull(db: Path, server_url: str, project_id: int) -> dt.datetime | None:
    """The export_created_at of the latest pull of this project from this server, if any."""
    if not db.exists():
        return None
    con = connect(db, read_only=True)
    try:
        if not relation_exists(con, "concord_meta.ls_pulls"):
            return None
        row = con.execute(
            "select max(export_created_at) from concord_meta.ls_pulls "
            "where server_url = ? and project_id = ?",
            [server_url, project_id],
        ).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _record_pull(db: Path, client: Client, result: PullResult, created_at: dt.datetime) -> None:
    con = connect(db)
    try:
        migrate(con)
        pull_id = hashlib.sha256(
            f"{client.url}|{result.project_id}|{result.export_id}".encode()
        ).hexdigest()[:16]
        con.execute(
            "insert or replace into concord_meta.ls_pulls values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                pull_id,
                client.url,
                result.project_id,
                result.export_id,
                created_at,
                result.mode,
                result.since,
                result.n_tasks,
                str(result.file_path),
                dt.datetime.now(dt.UTC).replace(tzinfo=None),
            ],
        )
    finally:
        con.close()


def _updated_since_view(client: Client, project_id: int, since: dt.datetime) -> int:
    """A Data Manager view selecting tasks with updated_at > since; returns its id."""
    value = since.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
    view = client.call(
        f"create an updated-since view in project {project_id}",
        client.ls.views.create,
        project=project_id,
        data={
            "title": "concord incremental pull (temporary)",
            "filters": {
                "conjunction": "and",
                "items": [
                    {
                        "filter": "filter:tasks:updated_at",
                        "operator": "greater",
                        "type": "Datetime",
                        "value": value,
                    }
                ],
            },
        },
    )
    return int(view.id)


def _download(client: Client, project_id: int, export_id: int, dest: Path) -> int:
    """Stream the snapshot to `dest` (via a .part file); return bytes written."""
    part = dest.with_suffix(dest.suffix + ".part")

    def once() -> int:
        written = 0
        with open(part, "wb") as handle:
            for chunk in client.ls.projects.exports.download(
                id=project_id, export_pk=export_id, export_type="JSON"
            ):
                handle.write(chunk)
                written += len(chunk)
        return written

    try:
        written = client.retrying(f"download export {export_id} of project {project_id}", once)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)  # a failed download leaves no copy of the tasks behind
    return written


def pull(
    client: Client,
    project_id: int,
    db: str | os.PathLike[str] | None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    full: bool = False,
    wait_timeout: float = 600.0,
    keep_export: bool = False,
    as_project_id: int | None = None,
) -> PullResult:
    """Export `project_id` and ingest it (and its labeling config) into the warehouse `db`.

    The downloaded export file is deleted once loaded unless `keep_export`: the warehouse holds
    its content, and a copy outside it would escape erasure requests (GDPR Art. 17)."""
    from ingest.configs import ingest_config
    from ingest.exports import check_project_source, count_tasks, ingest_exports

    db_path = resolve_db(db)
    # the project id the warehouse keeps (--as-project-id maps it when the id is taken by
    # another source); refused before anything is exported when it came from elsewhere
    target_id = as_project_id if as_project_id is not None else project_id
    check_project_source(db_path, target_id, client.url)
    out = Path(out_dir) if out_dir else db_path.parent / "ls_exports"
    out.mkdir(parents=True, exist_ok=True)
    project = client.get_project(project_id)

    previous = None if full else last_pull(db_path, client.url, project_id)
    since = (_utc_naive(previous) - OVERLAP) if previous is not None else None
    mode = "incremental" if since is not None else "full"

    view_id = _updated_since_view(client, project_id, since) if since is not None else None
    try:
        options: dict[str, Any] = {
            "title": f"concord {mode} pull",
            "serialization_options": SERIALIZATION_OPTIONS,
        }
        if view_id is not None:
            options["task_filter_options"] = {"view": view_id}
        export = client.call(
            f"create an export snapshot of project {project_id}",
            client.ls.projects.exports.create,
            id=project_id,
            **options,
        )
        deadline = time.monotonic() + wait_timeout
        while export.status not in ("completed", "failed"):
            if time.monotonic() > deadline:
                raise LabelStudioError(
                    f"export {export.id} of project {project_id} still "
                    f"{export.status} after {wait_timeout:.0f} s"
                )
            time.sleep(1.0)
            export = client.call(
                f"get export {export.id}",
                client.ls.projects.exports.get,
                id=project_id,
                export_pk=export.id,
            )
        if export.status == "failed":
            raise LabelStudioError(
                f"Label Studio failed to build export {export.id} of project {project_id}"
            )
        dest = out / f"project_{project_id}_export_{export.id}.json"
        _download(client, project_id, int(export.id), dest)
    finally:
        if view_id is not None:
            client.call(
                f"delete the temporary view {view_id}", client.ls.views.delete, id=str(view_id)
            )

    config_path = out / f"project_{project_id}_label_config.xml"
    config_path.write_text(project.label_config or "", encoding="utf-8")
    try:
        n_tasks = count_tasks(dest)
    except BaseException:
        dest.unlink(missing_ok=True)  # see below: no copy outside the warehouse
        raise
    result = PullResult(
        project_id=project_id,
        mode=mode,
        export_id=int(export.id),
        file_path=dest,
        config_path=config_path,
        n_tasks=n_tasks,
        since=since,
    )
    try:
        if project.label_config:
            result.loads.append(ingest_config(db_path, config_path, target_id))
        if n_tasks:
            result.loads += ingest_exports(
                db_path,
                [dest],
                project_id=project_id,
                full_snapshot=(mode == "full"),
                source=client.url,
                as_project_id=as_project_id,
            )
        created_at = _utc_naive(export.created_at or dt.datetime.now(dt.UTC))
        _record_pull(db_path, client, result, created_at)
    except BaseException:
        # the export is a copy of the tasks outside the warehouse, where no erasure reaches it:
        # deleted on every path, a failed load included (even with keep_export)
        dest.unlink(missing_ok=True)
        raise
    result.export_kept = keep_export
    if not keep_export:
        dest.unlink(missing_ok=True)
    return result
