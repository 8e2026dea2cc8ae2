"""Options shared by every command."""

from __future__ import annotations

import click


def _upgrade_warehouse(ctx: click.Context, param: click.Parameter, value):
    """Every command first brings a warehouse written by an earlier Concord up to date (today:
    raw task JSON text -> the typed task struct), so status, erase or build never meet the old
    layout. A no-op for new and current warehouses."""
    from concord.erasure.journal import recover
    from concord.paths import resolve_db
    from ingest.schema import upgrade_warehouse

    path = resolve_db(value)
    if path.exists():
        note = upgrade_warehouse(path)
        if note:
            click.echo(note, err=True)
        # finish what a killed or crashed command left (erasure renames and compaction, spill
        # and temp files): concord/erasure/journal.py
        for line in recover(path):
            click.echo(line, err=True)
    return value


db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    callback=_upgrade_warehouse,
    help="DuckDB warehouse file (default: $CONCORD_DB, then ./concord.duckdb).",
)
