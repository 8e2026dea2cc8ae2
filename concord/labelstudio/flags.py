"""`concord ls push-flags`: write review priority, reasons and agreement back into the tasks.

Where they go (checked against Label Studio 1.23.2): into **task.data**, as extra fields
`concord_review_priority`, `concord_review_reasons`, `concord_in_review_queue`,
`concord_agreement`. The Data Manager lists every data key as a column (`data.<key>`) that can be
sorted (`ordering: ["-tasks:data.concord_review_priority"]`) and filtered
(`filter:tasks:data.concord_review_reasons contains divergence`). `task.meta` is stored too but the
Data Manager can neither show nor sort it (ordering on `tasks:meta.*` answers HTTP 500), so meta is
not used.

Values, per task of the project in the warehouse (not deleted):
- concord_review_priority: `marts.fct_review_queue.priority` (>= 1 for queued tasks), 0.0 for a task
  not in the queue, so a descending sort puts the queue first on every database backend;
- concord_review_reasons: the queue's reasons joined with ", " ("" when not queued);
- concord_in_review_queue: true / false;
- concord_agreement: `marts.fct_task_agreement.agreement` (null when no pair could be scored).

Idempotent: a task whose data already holds these values is not touched; the rest is PATCHed
with the task's current data merged (PATCH replaces `data` as a whole).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from concord.labelstudio.client import Client
from concord.labelstudio.errors import LabelStudioError
from ingest.warehouse import connect, relation_exists, resolve_db

FIELDS = (
    "concord_review_priority",
    "concord_review_reasons",
    "concord_in_review_queue",
    "concord_agreement",
)


@dataclass
class FlagsResult:
    project_id: int
    n_tasks: int
    n_in_queue: int
    n_updated: int
    n_unchanged: int
    n_missing_on_server: int

    def summary(self) -> str:
        text = (
            f"project {self.project_id}: flags for {self.n_tasks} tasks "
            f"({self.n_in_queue} in the review queue): {self.n_updated} updated, "
            f"{self.n_unchanged} unchanged"
        )
        if self.n_missing_on_server:
            text += f", {self.n_missing_on_server} no longer on the server"
        return text


def read_flags(db: str | os.PathLike[str] | None, project_id: int) -> dict[int, dict[str, Any]]:
    """task_id -> the flag fields, from the marts of the warehouse `db`."""
    path = resolve_db(db)
    if not path.exists():
        raise LabelStudioError(
            f"{path}: no warehouse here; run `concord ls pull` and `concord build` first"
        )
    con = connect(path, read_only=True)
    try:
        for schema, name in (
            ("staging", "stg_label_studio__tasks"),
            ("marts", "fct_review_queue"),
            ("marts", "fct_task_agreement"),
        ):
            if not relation_exists(con, f"{schema}.{name}"):
                raise LabelStudioError(
                    f"{path}: {schema}.{name} is missing; run `concord build` first"
                )
        rows = con.execute(
            """
            select
                tasks.task_id,
                queue.priority,
                queue.reasons,
                queue.task_id is not null as in_queue,
                agreement.agreement,
            from staging.stg_label_studio__tasks as tasks
            left join marts.fct_review_queue as queue
                on tasks.task_id = queue.task_id
            left join marts.fct_task_agreement as agreement
                on tasks.task_id = agreement.task_id
            where tasks.project_id = ?
                and not coalesce(tasks.is_deleted, false)
            order by tasks.task_id
            """,
            [project_id],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise LabelStudioError(
            f"{path}: project {project_id} has no tasks in the warehouse; "
            f"run `concord ls pull --project {project_id}` first"
        )
    flags: dict[int, dict[str, Any]] = {}
    for task_id, priority, reasons, in_queue, agreement in rows:
        if isinstance(reasons, str):
            reasons = [r.strip() for r in reasons.split(",") if r.strip()]
        flags[int(task_id)] = {
            "concord_review_priority": round(float(priority), 6) if in_queue else 0.0,
            "concord_review_reasons": ", ".join(reasons or []) if in_queue else "",
            "concord_in_review_queue": bool(in_queue),
            "concord_agreement": (
                None if agreement is None or math.isnan(agreement) else round(float(agreement), 6)
            ),
        }
    return flags


def _same(current: dict, wanted: dict) -> bool:
    for key, value in wanted.items():
        have = current.get(key, "<missing>")
        if (
            isinstance(value, float)
            and isinstance(have, (int, float))
            and not isinstance(have, bool)
        ):
            if not math.isclose(value, float(have), rel_tol=0, abs_tol=1e-9):
                return False
        elif have != value:
            return False
    return True


def push_flags(client: Client, project_id: int, db: str | os.PathLike[str] | None) -> FlagsResult:
    flags = read_flags(db, project_id)
    client.get_project(project_id)  # a clear 404 for a wrong id before anything else
    on_server = {int(t["id"]): t for t in client.iter_tasks(project_id)}
    updated = unchanged = missing = 0
    for task_id, wanted in flags.items():
        task = on_server.get(task_id)
        if task is None:
            missing += 1
            continue
        data = task.get("data") or {}
        if _same(data, wanted):
            unchanged += 1
            continue
        client.call(
            f"write review flags into task {task_id}",
            client.ls.tasks.update,
            id=str(task_id),
            data={**data, **wanted},
        )
        updated += 1
    return FlagsResult(
        project_id=project_id,
        n_tasks=len(flags),
        n_in_queue=sum(f["concord_in_review_queue"] for f in flags.values()),
        n_updated=updated,
        n_unchanged=unchanged,
        n_missing_on_server=missing,
    )
