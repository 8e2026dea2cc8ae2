"""`concord report` and `concord docs`: the warehouse for people to read."""

from __future__ import annotations

from pathlib import Path

import click

from concord.options import db_option
from concord.paths import resolve_db


@click.command("report")
@db_option
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    default="report.html",
    show_default=True,
    help="HTML file to write (one self-contained file: no network request when opened).",
)
@click.option(
    "--project",
    "projects",
    type=int,
    multiple=True,
    help="Only this Label Studio project id (repeatable; default: every project).",
)
@click.option(
    "--top",
    "top_n",
    type=click.IntRange(min=1),
    default=25,
    show_default=True,
    help="Tasks of the review queue listed per project.",
)
@click.option(
    "--ls-url",
    default=None,
    help="Label Studio base URL for task links (default: $LABEL_STUDIO_URL, then var concord_label_studio_url).",
)
def report_cmd(db, out: str, projects: tuple[int, ...], top_n: int, ls_url: str | None) -> None:
    """Write the HTML report: workspace overview, then per project agreement, annotators, model vs
    humans and the review queue."""
    from concord.report import build_report

    result = build_report(
        resolve_db(db), Path(out), projects=list(projects) or None, ls_url=ls_url, top_n=top_n
    )
    for line in result.lines():
        click.echo(line)


@click.command("docs")
@db_option
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False),
    default="docs-site",
    show_default=True,
    help="Folder for the static dbt docs site (static_index.html: one file, opens from disk).",
)
def docs_cmd(db, out: str) -> None:
    """Generate the dbt docs of the warehouse (`dbt docs generate --static`) into a folder."""
    from concord.docs_site import generate_docs

    path = generate_docs(resolve_db(db), Path(out))
    click.echo(f"dbt docs: {path}")


COMMANDS: list = [report_cmd, docs_cmd]
