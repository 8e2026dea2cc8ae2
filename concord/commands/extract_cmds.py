"""`concord extract`, `erase`, `verify-erasure`, `retention`: data out and governance.

Thin click layer over concord/extracts.py, concord/erasure.py and concord/retention.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import click
import duckdb

from concord.options import db_option
from ingest.errors import ConcordError
from ingest.warehouse import connection, migrate, resolve_db


@contextlib.contextmanager
def _open(db: str | None, *, writes: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-write. `writes`: the command writes (extract registry, erasure log),
    so the warehouse is migrated first; verify-erasure only finishes an erasure's journal."""
    path = resolve_db(db)
    if not path.exists():
        raise ConcordError(
            f"warehouse {path} does not exist (ingest and build first, or pass --db)"
        )
    with connection(path) as con:
        if writes:
            for note in migrate(con):
                click.echo(f"{path}: {note}", err=True)
        yield con


def _split_values(values: tuple[str, ...]) -> list[str]:
    """`--x 1 --x 2,3` -> ['1', '2', '3']."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


# ---------------------------------------------------------------------------------------------


def _parse_min_agreement(
    values: tuple[str, ...],
) -> tuple[float | None, tuple[tuple[str, float], ...]]:
    from concord.extracts import ExtractError

    global_value: float | None = None
    per_control: dict[str, float] = {}
    for value in values:
        name, sep, number = value.rpartition("=")
        try:
            threshold = float(number)
        except ValueError:
            raise ExtractError(
                f"--min-agreement {value!r}: expected a number in [0, 1] or CONTROL=NUMBER"
            ) from None
        if not 0.0 <= threshold <= 1.0:
            raise ExtractError(
                f"--min-agreement {value!r}: the agreement threshold must be in [0, 1]"
            )
        if sep:
            if not name:
                raise ExtractError(f"--min-agreement {value!r}: the control name is empty")
            per_control[name] = threshold
        else:
            global_value = threshold
    return global_value, tuple(sorted(per_control.items()))


@click.command("extract")
@click.option(
    "--out", "out", required=True, type=click.Path(file_okay=False), help="Directory to write."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "jsonl"]),
    default="parquet",
    show_default=True,
    help="File format of the split files.",
)
@click.option(
    "--min-agreement",
    "min_agreement",
    multiple=True,
    help="Minimum agreement: X for every control with an agreement metric, or CONTROL=X "
    "(repeatable); given thresholds replace the defaults (dbt vars "
    "concord_extract_min_agreement and concord_extract_min_agreement_by_control).",
)
@click.option(
    "--control",
    "controls",
    multiple=True,
    help="One row per task and this control (repeatable). Default: one row per task.",
)
@click.option(
    "--min-annotations",
    "min_annotations",
    type=int,
    default=None,
    help="Minimum number of (non-skipped) annotations. Default: dbt var "
    "concord_extract_min_annotations.",
)
@click.option(
    "--split",
    "split",
    default=None,
    help="train,validation,test ratios, e.g. 0.8,0.1,0.1. Default: dbt var concord_extract_split.",
)
@click.option(
    "--label",
    "label",
    type=click.Choice(["majority", "weighted"]),
    default=None,
    help="Label of categorical controls: majority (every annotation counts the same) or weighted "
    "(Dawid-Skene, annotators weighted by estimated reliability). Default: dbt var "
    "concord_extract_label.",
)
@click.option(
    "--min-posterior",
    "min_posterior",
    type=float,
    default=None,
    help="Keep only rows whose label has at least this Dawid-Skene posterior on every "
    "categorical control. Default: dbt var concord_extract_min_posterior.",
)
@db_option
def extract_cmd(
    out, fmt, min_agreement, controls, min_annotations, split, label, min_posterior, db
) -> None:
    """Write an agreement-gated training set (train/validation/test files + manifest.json)."""
    from dataclasses import replace

    from concord.extracts import (
        ExtractError,
        default_options,
        parse_label,
        parse_min_posterior,
        parse_split,
        write_extract,
    )

    options = default_options(fmt)
    if min_agreement:
        global_value, per_control = _parse_min_agreement(min_agreement)
        options = replace(options, min_agreement=global_value, min_agreement_by_control=per_control)
    if min_annotations is not None:
        if min_annotations < 0:
            raise ExtractError(f"--min-annotations {min_annotations}: must be 0 or more")
        options = replace(options, min_annotations=min_annotations)
    if split is not None:
        options = replace(options, split=parse_split(split))
    if controls:
        options = replace(options, controls=tuple(sorted(set(_split_values(controls)))))
    if label is not None:
        options = replace(options, label=parse_label(label))
    if min_posterior is not None:
        options = replace(options, min_posterior=parse_min_posterior(min_posterior))
    with _open(db) as con:
        result = write_extract(con, out, options)
    _echo(result.lines())


# ---------------------------------------------------------------------------------------------


@click.command("erase")
@click.option(
    "--task-id", "task_ids", multiple=True, help="Label Studio task id (repeatable, or 1,2,3)."
)
@click.option(
    "--ext-id", "ext_ids", multiple=True, help="External id (task.data field, repeatable)."
)
@click.option(
    "--from-file",
    "from_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV file with a header holding task_id and/or ext_id, one task per row.",
)
@click.option("--reason", "reason", default=None, help="Why (e.g. the request's ticket number).")
@click.option("--dry-run", is_flag=True, default=False, help="Show what would be removed.")
@db_option
def erase_cmd(task_ids, ext_ids, from_file, reason, dry_run, db) -> None:
    """Erase tasks everywhere (raw, every table, every extract) in one transaction, and log it."""
    from concord.erasure import ErasureError, ErasureRequest, erase, read_request_file

    request = ErasureRequest()
    for value in _split_values(task_ids):
        try:
            request.task_ids.append(int(value))
        except ValueError:
            raise ErasureError(f"--task-id {value!r}: not an integer task id") from None
    request.ext_ids += _split_values(ext_ids)
    if from_file is not None:
        from_request = read_request_file(from_file)
        request.task_ids += from_request.task_ids
        request.ext_ids += from_request.ext_ids
    if not request.task_ids and not request.ext_ids:
        raise ErasureError("give at least one --task-id, --ext-id or --from-file")
    from concord.erasure import finish

    with _open(db) as con:
        result = erase(con, request, reason=reason, dry_run=dry_run)
    # compact the file and check its bytes (needs the connection closed: journal.finish)
    lines = finish(resolve_db(db), result.erased_values) if result.erasure_id else []
    _echo(result.lines() + lines)


@click.command("verify-erasure")
@click.option(
    "--extract-dir",
    "extract_dirs",
    multiple=True,
    type=click.Path(file_okay=False),
    help="Also scan this extract directory (registered extracts are always scanned).",
)
@db_option
def verify_erasure_cmd(extract_dirs, db) -> None:
    """Scan every table, view and extract file for erased ids and texts; exit 1 on residue."""
    from concord.erasure import verify_erasure

    with _open(db, writes=False) as con:
        result = verify_erasure(con, extract_dirs=extract_dirs)
    _echo(result.lines()[:-1] if not result.clean else result.lines())
    if not result.clean:
        raise ConcordError(f"{len(result.residues)} location(s) still hold erased data")


@click.command("retention")
@click.option(
    "--older-than",
    "older_than",
    default=None,
    help="Window, e.g. 90d, 12w, 36h. Default: dbt var concord_retention_window.",
)
@click.option(
    "--as-of",
    "as_of",
    default=None,
    help="Reference time (UTC, ISO 8601) instead of now, e.g. 2027-03-01T00:00:00.",
)
@click.option("--reason", "reason", default=None, help="Reason written to the erasure log.")
@click.option("--dry-run", is_flag=True, default=False, help="Show what would be removed.")
@db_option
def retention_cmd(older_than, as_of, reason, dry_run, db) -> None:
    """Purge tasks (with their predictions and scores) and score rows older than the window."""
    from concord.retention import RetentionError, purge_older_than

    reference = None
    if as_of is not None:
        try:
            reference = dt.datetime.fromisoformat(as_of)
        except ValueError:
            raise RetentionError(f"--as-of {as_of!r}: not an ISO 8601 time") from None
        if reference.tzinfo is not None:
            reference = reference.astimezone(dt.UTC).replace(tzinfo=None)
    from concord.erasure import finish

    with _open(db) as con:
        result, cutoff, n_scores = purge_older_than(
            con, older_than, as_of=reference, reason=reason, dry_run=dry_run
        )
    if result.erasure_id:
        compacted = finish(resolve_db(db), result.erased_values)
    else:
        compacted = []
    click.echo(f"cutoff: {cutoff.isoformat(sep=' ')} UTC")
    if n_scores:
        click.echo(f"score rows past the window: {n_scores}")
    _echo(result.lines() + compacted)


COMMANDS: list = [extract_cmd, erase_cmd, verify_erasure_cmd, retention_cmd]
