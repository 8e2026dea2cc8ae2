"""Options shared by every command."""

from __future__ import annotations

import click

db_option = click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False),
    default=None,
    help="DuckDB warehouse file (default: $CONCORD_DB, then ./concord.duckdb).",
)
