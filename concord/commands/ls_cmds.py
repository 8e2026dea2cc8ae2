"""`concord ls config|push|pull|push-flags`: the Label Studio round trip.

The server comes from LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY in the environment only; no
option takes a URL or token, and neither is ever printed.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from concord.options import db_option


def _logging() -> None:
    # retries are reported as warnings on stderr; the SDK/httpx loggers stay quiet (they could
    # show request details)
    logging.basicConfig(level=logging.WARNING, format="concord: %(message)s")
    for name in ("httpx", "httpcore", "label_studio_sdk"):
        logging.getLogger(name).setLevel(logging.ERROR)


@click.group("ls")
def ls_group() -> None:
    """Label Studio round trip (server from $LABEL_STUDIO_URL, token from $LABEL_STUDIO_API_KEY)."""
    _logging()


@ls_group.command("config")
@click.argument("spec_path", metavar="SPEC.yaml", type=click.Path(dir_okay=False))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Write the XML here instead of stdout.",
)
@click.option(
    "--no-validate", is_flag=True, help="Only build the XML; do not ask the server to validate it."
)
def config_cmd(spec_path: str, output: str | None, no_validate: bool) -> None:
    """Build the labeling config from SPEC.yaml and validate it against the server."""
    from concord.labelstudio.config import validate_config
    from concord.labelstudio.spec import build_config, load_spec

    spec = load_spec(spec_path)
    xml = build_config(spec)
    if not no_validate:
        from concord.labelstudio.client import connect

        validate_config(connect(), xml, spec_path)
    if output:
        Path(output).write_text(xml, encoding="utf-8")
        click.echo(
            f"wrote {output}" + ("" if no_validate else " (validated by the server)"), err=True
        )
    else:
        click.echo(xml, nl=False)
        if not no_validate:
            click.echo("config is valid (checked by the server)", err=True)


@ls_group.command("push")
@click.option(
    "--project",
    "project",
    default=None,
    help="Project title to create or reuse (default: the spec's title).",
)
@click.argument("spec_path", metavar="SPEC.yaml", type=click.Path(dir_okay=False))
@click.argument("tasks_path", metavar="TASKS_FILE", type=click.Path(dir_okay=False))
@click.option(
    "--scores",
    "scores_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Score table (CSV/JSON/JSONL/Parquet) with the ext id, score and optionally "
    "model_version; joined to tasks by the spec's ext_id_field.",
)
def push_cmd(project: str | None, spec_path: str, tasks_path: str, scores_path: str | None) -> None:
    """Create or reuse the project, import tasks and predictions (idempotent)."""
    from concord.labelstudio.client import connect
    from concord.labelstudio.push import apply_scores, push, read_scores, read_tasks
    from concord.labelstudio.spec import load_spec

    spec = load_spec(spec_path)
    tasks = read_tasks(tasks_path, spec)
    scores = None
    if scores_path:
        scores = apply_scores(spec, tasks, read_scores(scores_path, spec.ext_id_field), scores_path)
    result = push(connect(), spec, tasks, title=project, scores=scores)
    click.echo(result.summary())


@ls_group.command("pull")
@db_option
@click.option("--project", "project_id", type=int, required=True, help="Project id.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where the export and config files go (default: ls_exports/ next to the db).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Export every task even when an earlier pull exists (marks tasks gone from the "
    "server as deleted); default: only tasks updated since the previous pull.",
)
@click.option(
    "--keep-export",
    is_flag=True,
    help="Keep the downloaded export file (default: deleted once loaded, so no copy of the "
    "tasks' data lives outside the warehouse, where erasure could not reach it).",
)
@click.option(
    "--as-project-id",
    "as_project_id",
    type=int,
    default=None,
    help="Store the project under this id (when the id was loaded from another source).",
)
def pull_cmd(
    db: str | None,
    project_id: int,
    out_dir: str | None,
    full: bool,
    keep_export: bool,
    as_project_id: int | None,
) -> None:
    """Export the project through the SDK (every task, predictions expanded) and ingest it."""
    from concord.labelstudio.client import connect
    from concord.labelstudio.pull import pull
    from concord.options import migrate_before_writing

    migrate_before_writing(db)
    result = pull(
        connect(),
        project_id,
        db,
        out_dir=out_dir,
        full=full,
        keep_export=keep_export,
        as_project_id=as_project_id,
    )
    click.echo(result.summary())


@ls_group.command("push-flags")
@db_option
@click.option("--project", "project_id", type=int, required=True, help="Project id.")
def push_flags_cmd(db: str | None, project_id: int) -> None:
    """Write review priority, reasons and agreement from the marts into the project's tasks."""
    from concord.labelstudio.client import connect
    from concord.labelstudio.flags import push_flags

    result = push_flags(connect(), project_id, db)
    click.echo(result.summary())


COMMANDS: list = [ls_group]
