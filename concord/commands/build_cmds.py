"""`concord build`, `concord check`, `concord demo`: the warehouse after ingest."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from concord.options import db_option, migrate_before_writing
from concord.paths import DEMO_DATA_DIR, resolve_db

# package data (concord/demo_data/), so that an installed `concord demo` needs no checkout; the
# test fixtures of the same name are links to these files
DEMO_LABEL_STUDIO = DEMO_DATA_DIR / "label_studio"
DEMO_EXPORTS = (
    # (export, labeling config, Label Studio project id)
    (
        DEMO_LABEL_STUDIO / "byos_text" / "export_snapshot.json",
        DEMO_LABEL_STUDIO / "byos_text" / "labeling_config.xml",
        1,
    ),
    (
        DEMO_LABEL_STUDIO / "ner_spans" / "export_snapshot.json",
        DEMO_LABEL_STUDIO / "ner_spans" / "labeling_config.xml",
        3,
    ),
)
DEMO_SCORES = DEMO_DATA_DIR / "scores"


@click.command(
    "build",
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@db_option
@click.pass_context
def build_cmd(ctx: click.Context, db) -> None:
    """Run `dbt build` on the warehouse (extra arguments go to dbt, e.g. --select staging).

    The agreement engine rebuilds only the tasks that changed since the last build; the build
    adds --full-refresh itself when the dbt project changed, and says which it did."""
    from concord.incremental import build

    migrate_before_writing(db)
    for line in build(resolve_db(db), list(ctx.args)):
        click.echo(line, err=True)
    _publish_after_build(db)


def _publish_after_build(db) -> None:
    """Publish the analyst snapshot (concord/publish.py) once the warehouse has marts, and say
    where it is on stderr. A failure raises PublishError (exit 1): the build is committed, the
    warehouse and the previous snapshot are intact, and the message says what failed."""
    from concord.publish import has_marts, publish

    path = resolve_db(db)
    if not has_marts(path):
        click.echo("analyst snapshot not published: the warehouse has no marts yet", err=True)
        return
    click.echo(publish(path).line(), err=True)


@click.command("check")
@db_option
@click.option("-v", "--verbose", is_flag=True, help="List passing expectations too.")
@click.option(
    "--layer",
    "layers",
    multiple=True,
    type=click.Choice(["raw", "staging", "marts"]),
    help="Only the checks of this layer (repeatable; default: all).",
)
def check_cmd(db, verbose: bool, layers: tuple[str, ...]) -> None:
    """Run the data-quality expectations (Great Expectations); exit 1 when any fails."""
    report = _run_checks(resolve_db(db), verbose=verbose, layers=list(layers) or None)
    if not report.ok:
        sys.exit(1)


def _run_checks(db_path: Path, *, verbose: bool = False, layers: list[str] | None = None):
    from concord.checks.runner import format_report, run_checks
    from ingest.errors import ConcordError

    if not db_path.exists():
        raise ConcordError(
            f"{db_path}: no warehouse here: run `concord ingest` and `concord build` first"
        )
    report = run_checks(db_path, layers=layers)
    for line in format_report(report, verbose=verbose):
        click.echo(line)
    return report


SCORE_SUFFIXES = (".csv", ".parquet", ".json", ".ndjson", ".jsonl")


def demo_score_files() -> list[Path]:
    """The bundled demo score tables (concord/demo_data/scores/*), each loaded under its file stem."""
    if not DEMO_SCORES.is_dir():
        return []
    return sorted(p for p in DEMO_SCORES.iterdir() if p.suffix.lower() in SCORE_SUFFIXES)


def score_key_for(path: Path) -> str:
    """The --key of a demo score table, from its columns: prediction_id, task_id, else data.<first
    column that is not score / model_version / scored_at> (demo/make_scores.py: data.ext_id)."""
    from ingest.warehouse import scratch

    con = scratch()
    try:
        columns = [row[0] for row in con.execute(f"describe select * from '{path}'").fetchall()]
    finally:
        con.close()
    for key in ("prediction_id", "task_id"):
        if key in columns:
            return key
    for column in columns:
        if column not in ("score", "model_version", "scored_at"):
            return f"data.{column}"
    from ingest.errors import ConcordError

    raise ConcordError(f"{path}: no key column among {columns}")


def ingest_demo_score_file(db: Path, path: Path) -> list[str]:
    """Ingest one demo score table under its file stem; returns the lines to print."""
    from ingest.scores import ingest_scores

    result = ingest_scores(db, [path], path.stem, score_key_for(path))
    results = result if isinstance(result, list) else [result]
    return [line for r in results for line in r.lines()]


@click.command("demo")
@db_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Where to write the HTML report (default: report.html beside the warehouse).",
)
def demo_cmd(db, report_path: str | None) -> None:
    """Load the bundled demo data, build the warehouse, run the checks, write the HTML report and
    print a summary ending with each project's headline."""
    from concord.incremental import build
    from ingest.configs import ingest_config
    from ingest.errors import ConcordError
    from ingest.exports import ingest_exports

    db_path = resolve_db(db)
    click.echo(f"concord demo: warehouse {db_path}")
    migrate_before_writing(db_path)
    for export, config, project_id in DEMO_EXPORTS:
        for result in ingest_exports(db_path, [export]):
            for line in result.lines():
                click.echo(f"  {line}")
        for line in ingest_config(db_path, config, project_id).lines():
            click.echo(f"  {line}")
    score_files = demo_score_files()
    if not score_files:
        raise ConcordError(f"{DEMO_SCORES}: no demo score table found")
    for path in score_files:
        for line in ingest_demo_score_file(db_path, path):
            click.echo(f"  {line}")
    # the checks run in a child process (concord/checks/deferred.py) that imports Great
    # Expectations on the other core while dbt builds, and checks the built warehouse (read-only)
    # while this process publishes the analyst snapshot and writes the report
    from concord.checks import deferred

    checks = deferred.start(db_path)
    try:
        click.echo("dbt build ...")
        build_lines = build(db_path, [], quiet=True)
        click.echo("dbt build: ok")
        for line in build_lines:
            click.echo(f"  {line}")
        checks.go()
        from concord.publish import publish
        from concord.report import build_report

        published = publish(db_path)
        html = build_report(
            db_path, Path(report_path) if report_path else db_path.with_name("report.html")
        )
    except BaseException:
        checks.cancel()
        raise
    check_lines, checks_ok = checks.result()
    for line in check_lines:
        click.echo(line)
    _print_summary(db_path, html.path, published.path)
    if not checks_ok:
        sys.exit(1)


def _print_summary(db_path: Path, report_path: Path, analyst_db: Path) -> None:
    from ingest.warehouse import connect

    con = connect(db_path, read_only=True)
    try:
        counts = {
            name: con.execute(f"select count(*) from {relation}").fetchone()[0]
            for name, relation in (
                ("projects", "staging.stg_label_studio__projects"),
                ("tasks", "staging.stg_label_studio__tasks where not is_deleted"),
                ("annotations", "staging.stg_label_studio__annotations where not is_cancelled"),
                ("skipped annotations", "staging.stg_label_studio__annotations where is_cancelled"),
                ("predictions", "staging.stg_label_studio__predictions"),
                ("controls", "staging.stg_label_studio__controls"),
                ("score rows", "staging.stg_scores__external_scores"),
            )
        }
    finally:
        con.close()
    click.echo("")
    click.echo("Concord demo warehouse")
    for name, value in counts.items():
        click.echo(f"  {name + ':':<21}{value}")
    click.echo(f"  {'DuckDB file:':<21}{db_path}")
    click.echo(f"  {'analysts open:':<21}{analyst_db}")
    click.echo(
        "  (read-only snapshot of the marts and staging as the last build left them, republished"
        " by every build and erasure: open it in notebooks, the DuckDB CLI >= 1.4, BI tools; never the"
        " warehouse, whose readers would block the next refresh)"
    )
    from concord.report.headline import MART_QUERY, headline_lines

    click.echo("")
    for line in headline_lines(db_path):
        click.echo(line)
    click.echo("")
    click.echo(
        "Try a query on a mart (reliability, human ceiling and model side by side, per control):"
    )
    click.echo(f"  {MART_QUERY};")
    click.echo("from Python:")
    click.echo(
        f'  {Path(sys.executable)} -c "import duckdb; '
        f"print(duckdb.connect('{analyst_db}', read_only=True).sql('{MART_QUERY}'))\""
    )
    click.echo("")
    click.echo(f"Report: {report_path}")


@click.command("publish")
@db_option
def publish_cmd(db) -> None:
    """Publish the analyst snapshot now (every build and erasure does it too)."""
    from concord.publish import publish

    path = resolve_db(db)
    if not path.exists():
        from ingest.errors import ConcordError

        raise ConcordError(f"{path}: no warehouse here: run `concord ingest` first")
    click.echo(publish(path).line())


COMMANDS: list = [build_cmd, check_cmd, demo_cmd, publish_cmd]
