"""`concord status`: what the warehouse holds (read from the raw layer, so it works before and
without `concord build`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from concord.options import db_option
from ingest.errors import ConcordError
from ingest.warehouse import connect, relation_exists, resolve_db

PROJECTS_SQL = """
with tasks as (
    select
        project_id,
        is_deleted,
        loaded_at,
        coalesce(len(task.annotations), 0) as n_annotations,
        coalesce(len(list_filter(task.annotations, lambda a: a.was_cancelled)), 0) as n_skipped,
        coalesce(len(task.predictions), 0) as n_predictions,
        coalesce(len(task.drafts), 0) as n_drafts,
    from raw_label_studio.tasks
),

per_project as (
    select
        project_id,
        count(*) filter (where not is_deleted) as n_tasks,
        count(*) filter (where is_deleted) as n_deleted_tasks,
        coalesce(sum(n_annotations) filter (where not is_deleted), 0) as n_annotations,
        coalesce(sum(n_skipped) filter (where not is_deleted), 0) as n_skipped,
        coalesce(sum(n_predictions) filter (where not is_deleted), 0) as n_predictions,
        coalesce(sum(n_drafts) filter (where not is_deleted), 0) as n_drafts,
        max(loaded_at) as last_task_load,
    from tasks
    group by project_id
),

configs as (
    select
        labeling_configs.project_id,
        labeling_configs.config_sha256,
        count(config_tags.tag_name) filter (where config_tags.tag_role = 'control') as n_controls,
    from raw_label_studio.labeling_configs as labeling_configs
    left join raw_label_studio.config_tags as config_tags
        on labeling_configs.project_id = config_tags.project_id
    group by all
),

project_ids as (
    select project_id from per_project
    union
    select project_id from configs
)

select
    project_ids.project_id,
    coalesce(per_project.n_tasks, 0) as n_tasks,
    coalesce(per_project.n_deleted_tasks, 0) as n_deleted_tasks,
    coalesce(per_project.n_annotations, 0) as n_annotations,
    coalesce(per_project.n_skipped, 0) as n_skipped,
    coalesce(per_project.n_predictions, 0) as n_predictions,
    coalesce(per_project.n_drafts, 0) as n_drafts,
    configs.config_sha256,
    coalesce(configs.n_controls, 0) as n_controls,
    per_project.last_task_load,
from project_ids
left join per_project
    on project_ids.project_id = per_project.project_id
left join configs
    on project_ids.project_id = configs.project_id
order by project_ids.project_id
"""

LOADS_SQL = """
select load_id, command, file_format, project_id, n_records, is_full_snapshot, file_name,
    file_sha256, file_bytes, loaded_at
from raw_label_studio.loads
order by loaded_at desc, load_id
"""

SCORES_SQL = """
select
    score_tables.score_table_name,
    score_tables.key_kind,
    score_tables.key_field,
    score_tables.n_rows,
    score_tables.file_name,
    score_tables.loaded_at,
    min(score_rows.score) as min_score,
    max(score_rows.score) as max_score,
    count(distinct score_rows.model_version) as n_model_versions,
from raw_scores.score_tables as score_tables
left join raw_scores.score_rows as score_rows
    on score_tables.score_table_name = score_rows.score_table_name
group by all
order by score_tables.score_table_name
"""


def read_status(db_path: Path) -> dict:
    """Everything `concord status` shows, as plain data."""

    if not db_path.exists():
        raise ConcordError(
            f"{db_path}: no warehouse here (nothing loaded yet): run `concord ingest export ...`"
        )
    con = connect(db_path, read_only=True)
    try:
        if not relation_exists(con, "raw_label_studio.loads"):
            raise ConcordError(
                f"{db_path}: no raw layer in this DuckDB file (nothing ingested yet)"
            )

        def rows(sql: str) -> list[dict]:
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

        projects = rows(PROJECTS_SQL)
        loads = rows(LOADS_SQL)
        scores = rows(SCORES_SQL)
    finally:
        con.close()
    return {
        "db": str(db_path),
        "db_bytes": db_path.stat().st_size,
        "projects": projects,
        "loads": loads,
        "score_tables": scores,
        "last_loaded_at": loads[0]["loaded_at"] if loads else None,
    }


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") + " UTC" if value is not None else "-"


def format_status(status: dict, *, max_loads: int | None = 20) -> list[str]:
    lines = [f"warehouse: {status['db']} ({status['db_bytes'] / 1024 / 1024:.1f} MB)"]
    projects = status["projects"]
    lines.append(f"projects: {len(projects)}")
    for p in projects:
        config = (
            f"config {p['config_sha256'][:12]} ({p['n_controls']} controls)"
            if p["config_sha256"]
            else "no config (controls inferred)"
        )
        deleted = f" (+{p['n_deleted_tasks']} deleted)" if p["n_deleted_tasks"] else ""
        lines.append(
            f"  project {p['project_id']}: {p['n_tasks']} tasks{deleted}, "
            f"{p['n_annotations']} annotations ({p['n_skipped']} skipped), "
            f"{p['n_predictions']} predictions, {p['n_drafts']} drafts; {config}; "
            f"last loaded {_when(p['last_task_load'])}"
        )
    loads = status["loads"]
    shown = loads if max_loads is None else loads[:max_loads]
    lines.append(f"loads: {len(loads)} (newest first)")
    for load in shown:
        project = f"project {load['project_id']}" if load["project_id"] is not None else "-"
        full = " full-snapshot" if load["is_full_snapshot"] else ""
        lines.append(
            f"  {load['load_id']}  {_when(load['loaded_at'])}  {load['command']}/"
            f"{load['file_format']}{full}  {project}  {load['n_records']} records  "
            f"{load['file_name']}  sha256 {load['file_sha256'][:16]}"
        )
    if len(shown) < len(loads):
        lines.append(f"  ... {len(loads) - len(shown)} older loads (use --all)")
    scores = status["score_tables"]
    lines.append(f"score tables: {len(scores)}")
    for s in scores:
        key = f"data.{s['key_field']}" if s["key_kind"] == "data_field" else s["key_kind"]
        span = (
            f", scores {s['min_score']:g} .. {s['max_score']:g}"
            if s["min_score"] is not None
            else ""
        )
        lines.append(
            f"  {s['score_table_name']}: {s['n_rows']} rows keyed by {key}{span}, "
            f"{s['n_model_versions']} model version(s); {s['file_name']}; "
            f"loaded {_when(s['loaded_at'])}"
        )
    lines.append(f"last load: {_when(status['last_loaded_at'])}")
    return lines


@click.command("status")
@db_option
@click.option("--all", "show_all", is_flag=True, help="List every load, not only the last 20.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status_cmd(db, show_all: bool, as_json: bool) -> None:
    """What is loaded: projects, loads (files and sha256), tasks, annotations, score tables."""
    status = read_status(resolve_db(db))
    if as_json:
        click.echo(json.dumps(status, default=str, indent=2))
        return
    for line in format_status(status, max_loads=None if show_all else 20):
        click.echo(line)


COMMANDS: list = [status_cmd]
