"""Options shared by every command."""

from __future__ import annotations

import click


def recover_before(value) -> None:
    """Every command, of any kind, first finishes what a killed or crashed command left: the
    renames and compaction of a committed erasure, spill files in `<db>.tmp/`, temp extract
    files (concord/erasure/journal.py; issue #12 item 5). Nothing else is changed here: other
    migrations are the writing commands' business (`migrate_before_writing`). Called by the CLI
    before each command's body (concord/cli.py), never from the `--db` option's callback."""
    from concord.erasure.journal import recover
    from concord.paths import resolve_db

    path = resolve_db(value)
    if path.exists():
        for line in recover(path):
            click.echo(line, err=True)


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
