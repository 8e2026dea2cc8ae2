"""`concord ls push`: create (or reuse) the project, import tasks and their predictions.

Idempotent by construction: every step first reads what the server already has, then creates
only what is missing.
- project: keyed by title (several projects with that title is an error, not a guess);
- tasks: keyed by the external id in `task.data[<ext_id_field>]`; a task already there gets its
  data updated in place (PATCH, merged) when the file changed it, never a second copy;
- predictions: keyed by (task, model_version); an existing one is updated when its score or
  result changed.
A creating request that fails with a timeout or 5xx may still have been committed by the server,
so it is never blindly retried: the step re-reads the server state and creates what is still
missing (client.RetryPolicy backoff between attempts).
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concord.labelstudio.client import Client, TransientError
from concord.labelstudio.errors import LabelStudioError, SpecError
from concord.labelstudio.spec import Spec, build_config, build_prediction

log = logging.getLogger("concord.labelstudio")
BATCH = 200


@dataclass
class PushResult:
    project_id: int
    project_title: str
    project_created: bool = False
    config_updated: bool = False
    tasks_created: int = 0
    tasks_updated: int = 0
    tasks_unchanged: int = 0
    predictions_created: int = 0
    predictions_updated: int = 0
    predictions_unchanged: int = 0
    task_ids: dict[str, int] = field(default_factory=dict)  # ext_id -> task id

    def summary(self) -> str:
        return (
            f"project {self.project_id} {self.project_title!r}"
            f"{' (created)' if self.project_created else ''}"
            f"{' (config updated)' if self.config_updated else ''}: "
            f"tasks {self.tasks_created} created, {self.tasks_updated} updated, "
            f"{self.tasks_unchanged} unchanged; predictions {self.predictions_created} created, "
            f"{self.predictions_updated} updated, {self.predictions_unchanged} unchanged"
        )


# ---------------------------------------------------------------------------------------------
# input files
# ---------------------------------------------------------------------------------------------
def read_tasks(path: str | os.PathLike[str], spec: Spec) -> list[dict]:
    """Tasks from a JSON list or JSON Lines file: `{"data": {...}, "meta": {...}}` or bare data.

    Every task needs a unique external id in `data[spec.ext_id_field]`.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{p}: tasks file not found") from None
    records: list[Any] = []
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as err:
            raise SpecError(f"{p}: not valid JSON: {err}") from None
    else:
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise SpecError(f"{p}: line {lineno}: not valid JSON: {err.msg}") from None
    tasks: list[dict] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(records, start=1):
        if not isinstance(rec, dict):
            raise SpecError(f"{p}: task {i}: must be a JSON object")
        data = rec["data"] if isinstance(rec.get("data"), dict) else rec
        meta = rec.get("meta") if data is not rec else None
        ext = data.get(spec.ext_id_field)
        if ext is None or str(ext).strip() == "":
            raise SpecError(
                f"{p}: task {i}: field {spec.ext_id_field!r} (the external id) is missing"
            )
        ext = str(ext)
        if ext in seen:
            raise SpecError(f"{p}: task {i}: {spec.ext_id_field} {ext!r} repeats task {seen[ext]}")
        seen[ext] = i
        missing = [o.field for o in spec.objects if o.field not in data]
        if missing:
            raise SpecError(
                f"{p}: task {i} ({ext}): field {missing[0]!r} shown by the config is missing"
            )
        task = {"data": dict(data)}
        if meta:
            task["meta"] = meta
        tasks.append(task)
    if not tasks:
        raise SpecError(f"{p}: no tasks in the file")
    return tasks


def read_scores(path: str | os.PathLike[str], key_field: str) -> dict[str, dict[str | None, float]]:
    """A score table (CSV, JSON list, JSON Lines or Parquet) keyed by `key_field`.

    Columns: `<key_field>`, `score`, optional `model_version`. Returns
    `{ext_id: {model_version or None: score}}`.
    """
    from ingest.errors import IngestError
    from ingest.scores import read_score_table

    p = Path(path)
    if not p.exists():
        raise SpecError(f"{p}: score table not found")
    try:
        frame, _ = read_score_table(p, str(p))  # the reader `concord ingest scores` uses
    except IngestError as err:
        raise SpecError(str(err)) from None
    rows: list[dict] = frame.to_dicts()
    if not rows:
        raise SpecError(f"{p}: score table is empty")
    for col in (key_field, "score"):
        if col not in rows[0]:
            raise SpecError(f"{p}: score table has no {col!r} column")
    scores: dict[str, dict[str | None, float]] = {}
    for n, row in enumerate(rows, start=1):
        key = row.get(key_field)
        if key is None or str(key).strip() == "":
            raise SpecError(f"{p}: row {n}: field {key_field!r} is empty")
        try:
            score = float(row["score"])
        except (TypeError, ValueError):
            raise SpecError(
                f"{p}: row {n}: field 'score' is not a number: {row['score']!r}"
            ) from None
        if math.isnan(score) or math.isinf(score):
            raise SpecError(f"{p}: row {n}: field 'score' is not finite")
        mv = row.get("model_version") or None
        per_key = scores.setdefault(str(key), {})
        if mv in per_key:
            raise SpecError(f"{p}: row {n}: {key_field} {key!r} model_version {mv!r} repeats")
        per_key[mv] = score
    return scores


# ---------------------------------------------------------------------------------------------
# what the server should hold
# ---------------------------------------------------------------------------------------------
def desired_predictions(
    spec: Spec, task: dict, ext: str, scores: dict[str | None, float] | None
) -> list[dict]:
    """The predictions one task should carry: one per model_version."""
    if not spec.model_version:
        return []
    if not scores:
        pred = build_prediction(spec, task["data"], ext)
        return [pred] if pred else []
    preds = []
    for mv, score in scores.items():
        data = {**task["data"], spec.score_field: score} if spec.score_field else task["data"]
        pred = build_prediction(spec, data, ext)
        if pred:
            pred["model_version"] = mv or spec.model_version
            pred["score"] = score
            preds.append(pred)
    return preds


def apply_scores(
    spec: Spec, tasks: list[dict], scores: dict[str, dict[str | None, float]], scores_path: str
) -> dict[str, dict[str | None, float]]:
    """Put each task's score (for the spec's model_version) into data[score_field] for the banner."""
    by_ext: dict[str, dict[str | None, float]] = {}
    for task in tasks:
        ext = str(task["data"][spec.ext_id_field])
        row = scores.get(ext)
        if row is None:
            continue
        by_ext[ext] = row
        banner_score = row.get(spec.model_version, row.get(None))
        if banner_score is None and len(row) == 1:
            banner_score = next(iter(row.values()))
        if spec.score_field and banner_score is not None:
            task["data"][spec.score_field] = banner_score
    unknown = sorted(set(scores) - {str(t["data"][spec.ext_id_field]) for t in tasks})
    if unknown:
        log.warning(
            "%s: %d score rows match no task in the tasks file (e.g. %s)",
            scores_path,
            len(unknown),
            unknown[0],
        )
    return by_ext


# ---------------------------------------------------------------------------------------------
# the push
# ---------------------------------------------------------------------------------------------
def _create_once(client: Client, what: str, step: Callable[[], Any]) -> Any:
    """Run a read-then-create `step`; after a transient failure, re-run it (it re-reads first)."""
    attempts = client.retry.attempts
    for attempt in range(attempts):
        try:
            return client.once(what, step)
        except TransientError as err:
            if attempt + 1 == attempts:
                raise LabelStudioError(f"{err} (gave up after {attempts} attempts)") from None
            delay = client.retry.delay(attempt)
            log.warning("%s; re-reading the server state and retrying in %.1f s", err, delay)
            client._sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def ensure_project(client: Client, spec: Spec, title: str, config: str) -> tuple[int, bool, bool]:
    """(project id, created?, config updated?) for the project titled `title`."""
    created = False
    first_look = True

    def step() -> int:
        nonlocal created, first_look
        found = client.find_projects(title)
        if first_look:
            # absent at the first look = created by this push, even when the create call
            # timed out after the server committed it and a later look found it
            created = not found
            first_look = False
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise LabelStudioError(
                f"several projects are titled {title!r} (ids {ids}); rename "
                f"all but one or push with another --project"
            )
        if found:
            return found[0].id
        project = client.ls.projects.create(
            title=title, description=spec.description, label_config=config
        )
        return project.id

    project_id = _create_once(client, f"create project {title!r}", step)
    updated = False
    if not created:
        current = client.get_project(project_id)
        if (current.label_config or "").strip() != config.strip():
            client.call(
                f"update the labeling config of project {project_id}",
                client.ls.projects.update,
                id=project_id,
                label_config=config,
            )
            updated = True
    return project_id, created, updated


def _server_tasks(client: Client, project_id: int, ext_field: str) -> dict[str, dict]:
    by_ext: dict[str, dict] = {}
    for task in client.iter_tasks(project_id):
        ext = (task.get("data") or {}).get(ext_field)
        if ext is None:
            continue  # a task made outside concord: not ours to manage
        ext = str(ext)
        if ext in by_ext:
            raise LabelStudioError(
                f"project {project_id} holds two tasks with {ext_field} {ext!r} (ids "
                f"{by_ext[ext]['id']} and {task['id']}); delete one before pushing"
            )
        by_ext[ext] = task
    return by_ext


def _prediction_key(pred: Any) -> tuple[int, str]:
    return int(pred.task), str(pred.model_version or "")


def _same_prediction(existing: Any, wanted: dict) -> bool:
    score = existing.score
    same_score = (score is None and wanted.get("score") is None) or (
        score is not None
        and wanted.get("score") is not None
        and math.isclose(float(score), float(wanted["score"]), rel_tol=0, abs_tol=1e-12)
    )
    return same_score and _canon(existing.result) == _canon(wanted["result"])


def _canon(result: Any) -> str:
    items = [r if isinstance(r, dict) else r.dict() for r in (result or [])]
    return json.dumps(items, sort_keys=True, default=str)


def push(
    client: Client,
    spec: Spec,
    tasks: list[dict],
    *,
    title: str | None = None,
    scores: dict[str, dict[str | None, float]] | None = None,
) -> PushResult:
    """Make the server hold `tasks` (and their predictions) in the project titled `title`."""
    config = build_config(spec)
    title = title or spec.title
    project_id, created, updated = ensure_project(client, spec, title, config)
    result = PushResult(
        project_id=project_id, project_title=title, project_created=created, config_updated=updated
    )
    ext_field = spec.ext_id_field
    scores = scores or {}
    wanted_preds = {
        str(t["data"][ext_field]): desired_predictions(
            spec, t, str(t["data"][ext_field]), scores.get(str(t["data"][ext_field]))
        )
        for t in tasks
    }

    # 1. tasks: update changed ones in place, import the missing ones with their predictions
    existing = _server_tasks(client, project_id, ext_field)
    for task in tasks:
        ext = str(task["data"][ext_field])
        have = existing.get(ext)
        if have is None:
            continue
        merged = {**(have.get("data") or {}), **task["data"]}
        if merged != have.get("data"):
            client.call(
                f"update task {have['id']} ({ext_field} {ext})",
                client.ls.tasks.update,
                id=str(have["id"]),
                data=merged,
            )
            result.tasks_updated += 1
        else:
            result.tasks_unchanged += 1

    def import_missing() -> int:
        present = _server_tasks(client, project_id, ext_field)
        missing = [t for t in tasks if str(t["data"][ext_field]) not in present]
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            payload = [{**t, "predictions": wanted_preds[str(t["data"][ext_field])]} for t in batch]
            client.ls.projects.import_tasks(id=project_id, request=payload, return_task_ids=True)
        return len(missing)

    before_preds = {_prediction_key(p) for p in client.list_predictions(project_id)}
    _create_once(client, f"import tasks into project {project_id}", import_missing)
    present = _server_tasks(client, project_id, ext_field)
    for task in tasks:
        ext = str(task["data"][ext_field])
        if ext not in present:
            raise LabelStudioError(
                f"task {ext_field} {ext!r} is still missing from project "
                f"{project_id} after the import"
            )
        result.task_ids[ext] = int(present[ext]["id"])

    # counted from the server state before and after, so a create that timed out but was
    # committed still counts as created (and is never made twice)
    result.tasks_created = sum(1 for ext in result.task_ids if ext not in existing)

    # 2. predictions: one per (task, model_version); create missing, update changed
    updated: set[tuple[int, str]] = set()

    def sync_predictions() -> None:
        have: dict[tuple[int, str], Any] = {}
        for pred in client.list_predictions(project_id):
            key = _prediction_key(pred)
            if key in have:
                log.warning("task %s has several %s predictions", key[0], key[1])
                continue
            have[key] = pred
        to_create = []
        for ext, preds in wanted_preds.items():
            task_id = result.task_ids[ext]
            for pred in preds:
                key = (task_id, pred["model_version"])
                if key not in have:
                    to_create.append({**pred, "task": task_id})
                elif not _same_prediction(have[key], pred):
                    client.call(
                        f"update prediction {have[key].id}",
                        client.ls.predictions.update,
                        id=have[key].id,
                        result=pred["result"],
                        score=pred["score"],
                        model_version=pred["model_version"],
                    )
                    updated.add(key)
        for start in range(0, len(to_create), BATCH):
            batch = to_create[start : start + BATCH]
            client.ls.projects.import_predictions(id=project_id, request=batch)

    _create_once(client, f"import predictions into project {project_id}", sync_predictions)
    n_wanted = sum(len(p) for p in wanted_preds.values())
    created = {
        (result.task_ids[ext], p["model_version"])
        for ext, preds in wanted_preds.items()
        for p in preds
    } - before_preds
    result.predictions_created = len(created)
    result.predictions_updated = len(updated - created)
    result.predictions_unchanged = (
        n_wanted - result.predictions_created - result.predictions_updated
    )
    return result
