"""`concord report`, `concord docs`, the demo headline and fct_control_summary on the demo warehouse
(no browser here: tests/report/test_report_browser.py opens the page)."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from click.testing import CliRunner
from conftest import query

from concord.cli import cli
from concord.report import build_report

BUILD_TIME = re.compile(r'<time id="build-time">[^<]*</time>')


@pytest.fixture(scope="module")
def report_html(built_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("report_cli") / "report.html"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("LABEL_STUDIO_URL", raising=False)
        result = build_report(built_warehouse, out, built_at=dt.datetime(2026, 1, 1, 12, 0, 0))
    return out.read_text(encoding="utf-8"), result


def test_rebuild_is_identical_but_for_the_build_time(
    built_warehouse, tmp_path, report_html, monkeypatch
):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    first, _ = report_html
    again = tmp_path / "again.html"
    build_report(built_warehouse, again, built_at=dt.datetime(2027, 6, 30, 8, 15, 0))
    second = again.read_text(encoding="utf-8")
    assert first != second  # the build time differs ...
    assert BUILD_TIME.sub("", first) == BUILD_TIME.sub("", second)  # ... and nothing else
    assert first.count("<time") == 1


def test_self_contained_no_reference_to_anything_outside(report_html):
    html, _ = report_html
    lowered = html.lower()
    # xmlns attributes of the inline SVG name the SVG namespace, url(#id) points inside the page:
    # neither is a request
    stripped = re.sub(r'xmlns(:\w+)?="[^"]*"', "", lowered).replace("url(#", "")
    for needle in ("<link", "<iframe", "@import", "url(", "<img", "src=", "http://", "https://"):
        assert needle not in stripped, needle
    assert "<script>" in lowered and "<style>" in lowered  # inline only


def test_html_stays_small(report_html):
    _, result = report_html
    assert result.bytes < 5 * 1024 * 1024


def test_workspace_overview_comes_first_and_links_each_section(report_html, built_warehouse):
    html, result = report_html
    projects = [
        r[0]
        for r in query(
            built_warehouse, "select project_id from staging.stg_label_studio__projects order by 1"
        )
    ]
    assert result.project_ids == projects
    overview = html.index('id="workspace"')
    for project_id in projects:
        assert f'href="#project-{project_id}"' in html
        assert overview < html.index(f'id="project-{project_id}"')


def test_no_label_studio_link_without_a_url(report_html, monkeypatch):
    html, _ = report_html
    assert "/data?task=" not in html
    assert "LABEL_STUDIO_URL" in html  # says how to get links


def test_cli_report_one_project(built_warehouse, tmp_path):
    out = tmp_path / "one.html"
    result = CliRunner().invoke(
        cli, ["report", "--db", str(built_warehouse), "--out", str(out), "--project", "3"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"report: {out}")
    html = out.read_text()
    assert 'id="project-3"' in html and 'id="project-1"' not in html


def test_cli_report_unknown_project_is_a_one_line_error(built_warehouse, tmp_path):
    result = CliRunner().invoke(
        cli,
        [
            "report",
            "--db",
            str(built_warehouse),
            "--out",
            str(tmp_path / "x.html"),
            "--project",
            "999",
        ],
    )
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"concord: error: {built_warehouse}: no project 999 in the warehouse"
    )
    assert not (tmp_path / "x.html").exists()


def test_cli_report_without_marts(tmp_path):
    import duckdb

    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    result = CliRunner().invoke(cli, ["report", "--db", str(db), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"concord: error: {db}: the marts are not built: run `concord build` first"
    )


def test_control_summary_says_when_no_model_predicts_a_control(built_warehouse):
    rows = query(
        built_warehouse,
        """
        select summary.project_id, summary.control_name, summary.model_status, summary.n_model_versions,
            count(ceiling.model_version)
        from marts.fct_control_summary as summary
        left join marts.fct_agreement_ceiling as ceiling
            on summary.project_id = ceiling.project_id and summary.control_name = ceiling.control_name
        group by all order by 1, 2
    """,
    )
    assert rows
    for project_id, control, status, n_versions, n_ceiling in rows:
        assert n_versions == n_ceiling, control
        if n_ceiling == 0:
            assert status == "not predicted by any model", control
        else:
            assert status != "not predicted by any model", control
    statuses = {(r[0], r[1]): r[2] for r in rows}
    assert statuses[(1, "human_rating")] == "not predicted by any model"


def test_control_summary_matches_the_marts_it_summarises(built_warehouse):
    mismatches = query(
        built_warehouse,
        """
        with best as (
            select project_id, control_name, max(model_human_agreement) as best
            from marts.fct_agreement_ceiling group by all
        ),
        pairs as (
            -- favg, as the marts average (docs/architecture.md "Deterministic numbers"): avg's
            -- last bit depends on the order of the rows
            select project_id, control_name, favg(agreement) as ceiling, count(*) as n
            from marts.fct_pair_agreement group by all
        )
        select summary.control_name
        from marts.fct_control_summary as summary
        left join marts.fct_control_reliability as reliability using (project_id, control_name)
        left join best using (project_id, control_name)
        left join pairs using (project_id, control_name)
        where summary.best_model_agreement is distinct from best.best
            or summary.human_ceiling is distinct from pairs.ceiling
            or summary.n_human_pairs != coalesce(pairs.n, 0)
            or summary.mean_pairwise_agreement is distinct from reliability.mean_pairwise_agreement
            or summary.alpha is distinct from (case when reliability.value_kind = 'numeric'
                then reliability.alpha_interval else reliability.alpha_nominal end)
            or summary.is_unreliable != coalesce(summary.alpha < 0.667, false)
    """,
    )
    assert mismatches == []


def test_descriptions_are_persisted_into_duckdb(built_warehouse):
    missing = query(
        built_warehouse,
        """
        select column_name from duckdb_columns()
        where schema_name = 'marts' and table_name = 'fct_control_summary' and comment is null
    """,
    )
    assert missing == []


def test_demo_summary_ends_with_headline_query_and_report(built_warehouse, tmp_path, capsys):
    from concord.commands.build_cmds import _print_summary
    from concord.report.headline import MART_QUERY

    report = tmp_path / "report.html"
    analyst_db = tmp_path / "warehouse.analyst.duckdb"
    _print_summary(built_warehouse, report, analyst_db)
    out = capsys.readouterr().out
    lines = out.rstrip().splitlines()
    assert lines[-1] == f"Report: {report}"
    assert f"  {'analysts open:':<21}{analyst_db}" in lines  # the file analysts should open
    assert "Project 1" in out and "Project 3" in out
    alpha = query(
        built_warehouse,
        "select alpha from marts.fct_control_summary where project_id = 1 and control_name = 'label'",
    )[0][0]
    assert f"alpha {alpha:.3f}" in out
    v1 = query(
        built_warehouse,
        """select model_human_agreement, human_human_agreement from marts.fct_agreement_ceiling
        where project_id = 1 and control_name = 'label' and model_version = 'sentiment-v1'""",
    )[0]
    assert f"label · sentiment-v1: model {v1[0]:.3f} vs humans {v1[1]:.3f}" in out
    assert "human_rating: not predicted by any model" in out
    assert MART_QUERY in out
    assert query(built_warehouse, MART_QUERY)  # the query to try runs


def test_docs_static_site_with_exposures(built_warehouse, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, db)
    result = CliRunner().invoke(cli, ["docs", "--db", str(db), "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    site = tmp_path / "site" / "static_index.html"
    assert result.output.strip() == f"dbt docs: {site}"
    html = site.read_text()
    for name in (
        "exposure.concord.concord_report",
        "exposure.concord.concord_extract",
        "exposure.concord.label_studio_push_flags",
        "fct_control_summary",
    ):
        assert name in html, name


def test_confidence_intervals_shown_when_the_warehouse_has_them(built_warehouse, tmp_path):
    """#14's bootstrap intervals (marts.fct_control_reliability_ci, built by dbt here) appear in
    the report and the demo headline; one row's bounds are set to marked values so the test
    knows they came from that mart. Without the mart, no interval is claimed."""
    import duckdb

    from concord.report.headline import headline_lines

    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, db)
    con = duckdb.connect(str(db))
    # a control whose headline alpha is the nominal one (a Rating's is alpha_interval)
    project_id, control = con.execute(
        "select ci.project_id, ci.control_name from marts.fct_control_reliability_ci as ci "
        "join marts.fct_control_summary as summary using (project_id, control_name) "
        "where ci.coefficient = 'alpha_nominal' and ci.ci_lower is not null "
        "and summary.alpha_kind = 'nominal' order by 1, 2 limit 1"
    ).fetchone()
    con.execute(
        "update marts.fct_control_reliability_ci set ci_lower = 0.512, ci_upper = 0.846 "
        "where project_id = ? and control_name = ? and coefficient = 'alpha_nominal'",
        [project_id, control],
    )
    con.close()
    out = tmp_path / "ci.html"
    build_report(db, out)
    html = out.read_text()
    assert "alpha (nominal) [CI]" in html and "[0.512, 0.846]" in html
    assert any(
        control in line and "alpha" in line and "[CI 0.512, 0.846]" in line
        for line in headline_lines(db)
    )
    # and without the mart, no interval is claimed
    plain = tmp_path / "plain.duckdb"
    shutil.copy(built_warehouse, plain)
    con = duckdb.connect(str(plain))
    con.execute("drop table marts.fct_control_reliability_ci")
    con.close()
    build_report(plain, tmp_path / "plain.html")
    assert "[CI]" not in (tmp_path / "plain.html").read_text()
    assert not any("[CI " in line for line in headline_lines(plain))


def test_task_links_from_the_server_a_project_was_pulled_from(
    built_warehouse, tmp_path, monkeypatch
):
    """No --ls-url and no $LABEL_STUDIO_URL: the Label Studio URL recorded with the loads (#11's
    raw_label_studio.loads.source) gives the links; `file:` sources give none."""
    import duckdb

    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, db)
    con = duckdb.connect(str(db))
    con.execute("alter table raw_label_studio.loads add column if not exists source varchar")
    con.execute(
        "update raw_label_studio.loads set source = case when project_id = 1 "
        "then 'http://ls.example:8080' else 'file:/tmp/export.json' end"
    )
    con.close()
    out = tmp_path / "linked.html"
    build_report(db, out)
    html = out.read_text()
    first = query(
        db,
        "select task_id from marts.fct_review_queue where project_id = 1 order by queue_position limit 1",
    )[0][0]
    assert f'href="http://ls.example:8080/projects/1/data?task={first}"' in html
    assert "/projects/3/data?task=" not in html
