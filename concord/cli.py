"""The `concord` command line: a thin layer over plain functions.

Every command takes `--db`. User errors (`ConcordError` and subclasses) become one line on stderr
and exit code 1, never a traceback.
"""

from __future__ import annotations

import functools
import sys

import click
import duckdb

from concord.commands import build_cmds, extract_cmds, ingest_cmds, ls_cmds, report_cmds
from concord.options import recover_before
from ingest.errors import ConcordError, locked_warehouse_message
from ingest.loading import out_of_memory_message


def one_line(err: BaseException) -> str | None:
    """The one-line message for an error no command turned into a ConcordError itself, or None
    for a real bug (which keeps its traceback). Here, once, for every command: a warehouse locked
    by another process, DuckDB running out of memory, input nested deeper than Python recurses.
    A DuckDB error wrapped by SQLAlchemy / Great Expectations (the checks) is judged by itself."""
    if isinstance(err, ConcordError):
        return str(err)
    if not isinstance(err, duckdb.Error):  # a DuckDB error wrapped by SQLAlchemy / GX?
        cause = getattr(err, "orig", None) or err.__cause__
        while cause is not None and not isinstance(cause, duckdb.Error):
            cause = getattr(cause, "orig", None) or cause.__cause__
        if cause is not None:
            return one_line(cause)
    first = (str(err).strip().splitlines() or [type(err).__name__])[0]
    if isinstance(err, duckdb.Error) and (locked := locked_warehouse_message(str(err))):
        return locked
    if isinstance(err, duckdb.OutOfMemoryException | MemoryError):
        return out_of_memory_message(first if isinstance(err, duckdb.Error) else "MemoryError")
    if isinstance(err, duckdb.Error):
        return f"DuckDB: {first}"
    if isinstance(err, RecursionError):
        return "input nested too deeply to process (Python's recursion limit): flatten it"
    return None


class ConcordGroup(click.Group):
    """Turns ConcordError (and the errors `one_line` knows) into `concord: error: <message>` and
    exit 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as err:
            message = one_line(err)
            if message is None:
                raise
            click.echo(f"concord: error: {message}", err=True)
            sys.exit(1)


@click.group(cls=ConcordGroup)
@click.version_option(package_name="concord")
def cli() -> None:
    """Concord: a DuckDB + dbt warehouse for human-vs-model evaluation data from Label Studio."""


def _with_recovery(command: click.Command) -> click.Command:
    """Every leaf command with `--db` first finishes what a killed command left (issue #12)."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _with_recovery(sub)
        return command
    body = command.callback
    if body is None or not any(p.name == "db" for p in command.params):
        return command

    @functools.wraps(body)
    def recovered(*args, **kwargs):
        recover_before(kwargs.get("db"))
        return body(*args, **kwargs)

    command.callback = recovered
    return command


for module in (ingest_cmds, build_cmds, extract_cmds, ls_cmds, report_cmds):
    for command in module.COMMANDS:
        cli.add_command(_with_recovery(command))


def main() -> None:
    cli(prog_name="concord")


if __name__ == "__main__":
    main()
