"""`concord ingest export|config|scores`: thin click layer over `ingest/`."""

from __future__ import annotations

import click

from concord.options import db_option, migrate_before_writing
from ingest.warehouse import resolve_db


def _stderr(message: str) -> None:
    click.echo(message, err=True)


@click.group("ingest")
def ingest_group() -> None:
    """Load Label Studio exports, labeling configs and score tables into the raw layer."""


@ingest_group.command("export")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    default=None,
    help="Labeling config XML used to re-type JSON_MIN / CSV columns "
    "(default: the project's ingested config).",
)
@click.option(
    "--project-id",
    "project_id",
    type=int,
    default=None,
    help="Project id for JSON_MIN / CSV exports (their rows carry none).",
)
@click.option(
    "--full-snapshot",
    is_flag=True,
    default=False,
    help="The files hold every task of the project: mark the project's other tasks deleted.",
)
@click.option(
    "--source",
    "source",
    default=None,
    help="The Label Studio instance the files come from (its URL, as `concord ls pull` records "
    "it); default: the file's path, instance unknown.",
)
@click.option(
    "--as-project-id",
    "as_project_id",
    type=int,
    default=None,
    help="Store the files' project under this id (when the id is taken by another source).",
)
@db_option
def export_cmd(paths, config, project_id, full_snapshot, source, as_project_id, db) -> None:
    """Ingest Label Studio exports (JSON, snapshot JSON, JSON_MIN, CSV) in one transaction."""
    from ingest.exports import ingest_exports

    db_path = resolve_db(db)
    migrate_before_writing(db_path)
    results = ingest_exports(
        db_path,
        paths,
        config=config,
        project_id=project_id,
        full_snapshot=full_snapshot,
        progress=_stderr,
        source=source,
        as_project_id=as_project_id,
    )
    for result in results:
        for line in result.lines():
            click.echo(line)
    loaded = sum(not r.skipped for r in results)
    skipped = len(results) - loaded
    summary = f"{loaded} file(s) loaded"
    if skipped:
        summary += f", {skipped} already loaded (no-op)"
    click.echo(f"{summary} into {db_path}")


@ingest_group.command("config")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option(
    "--project-id", "project_id", type=int, required=True, help="The Label Studio project id."
)
@db_option
def config_cmd(path, project_id, db) -> None:
    """Ingest a labeling config XML (parsed safely: no DTDs, no entities)."""
    from ingest.configs import ingest_config

    db_path = resolve_db(db)
    migrate_before_writing(db_path)
    result = ingest_config(db_path, path, project_id)
    for line in result.lines():
        click.echo(line)


@ingest_group.command("scores")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--name", "name", required=True, help="Score table name (loading it again replaces it)."
)
@click.option(
    "--key",
    "key",
    required=True,
    help="What a row's key column holds: prediction_id, task_id or data.FIELD (e.g. data.ext_id).",
)
@db_option
def scores_cmd(paths, name, key, db) -> None:
    """Ingest external score tables (CSV, Parquet, JSON, NDJSON): key + score [+ model_version, scored_at]."""
    from ingest.scores import ingest_scores

    db_path = resolve_db(db)
    migrate_before_writing(db_path)
    result = ingest_scores(db_path, paths, name, key)
    for line in result.lines():
        click.echo(line)


from concord.commands.status_cmd import status_cmd

COMMANDS: list = [ingest_group, status_cmd]
