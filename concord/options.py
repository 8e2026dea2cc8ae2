"""Options shared by every command."""

from __future__ import annotations

import click

# No callback: resolving and opening the warehouse is the command's business. Commands that
# write migrate it first (`ingest.warehouse.migrate_file`); read-only commands never change it.
db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    help="DuckDB warehouse file (default: $CONCORD_DB, then ./concord.duckdb).",
)


def migrate_before_writing(db) -> None:
    """Bring a warehouse written by an earlier Concord up to date before a command writes to it
    (e.g. raw task JSON text -> the typed task struct); says so on stderr when it did something."""
    from ingest.warehouse import migrate_file

    for note in migrate_file(db):
        click.echo(note, err=True)
