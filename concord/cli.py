"""The `concord` command line: a thin layer over plain functions.

Every command takes `--db`. User errors (`ConcordError` and subclasses) become one line on stderr
and exit code 1, never a traceback.
"""

from __future__ import annotations

import sys

import click

from concord.commands import build_cmds, extract_cmds, ingest_cmds, ls_cmds, report_cmds
from ingest.errors import ConcordError


class ConcordGroup(click.Group):
    """Turns ConcordError into `concord: error: <message>` and exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConcordError as err:
            click.echo(f"concord: error: {err}", err=True)
            sys.exit(1)


@click.group(cls=ConcordGroup)
@click.version_option(package_name="concord")
def cli() -> None:
    """Concord: a DuckDB + dbt warehouse for human-vs-model evaluation data from Label Studio."""


for module in (ingest_cmds, build_cmds, extract_cmds, ls_cmds, report_cmds):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="concord")


if __name__ == "__main__":
    main()
