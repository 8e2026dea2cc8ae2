"""`concord report` opened in a real headless Chromium (Debian's `chromium`, driven by Playwright
through executable_path: no browser download) with the network cut off.

Asserts: no console error, no page error, no failed request, no request other than the file itself;
every chart container holds rendered SVG marks; every number marked with data-mart equals the
mart; a full-page screenshot is saved as a test artifact ($CONCORD_TEST_ARTIFACTS, default
test-artifacts/ in the repo root).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, query

from concord.report import build_report
from concord.report.template import num

ARTIFACTS = Path(os.environ.get("CONCORD_TEST_ARTIFACTS") or REPO_ROOT / "test-artifacts")

# how each data-mart attribute of the page maps back to the warehouse: (sql, key columns)
MART_LOOKUPS = {
    "fct_control_summary": (
        "select {col} from marts.fct_control_summary where project_id = ? and control_name = ?",
        (int, str),
    ),
    "fct_control_reliability": (
        "select {col} from marts.fct_control_reliability where project_id = ? and control_name = ?",
        (int, str),
    ),
    "fct_agreement_ceiling": (
        "select {col} from marts.fct_agreement_ceiling where project_id = ? and control_name = ? and model_version = ?",
        (int, str, str),
    ),
    "fct_model_calibration": (
        (
            "select {col} from marts.fct_model_calibration where project_id = ? and control_name = ? "
            "and score_source = ? and score_name = ? and model_version = ?"
        ),
        (int, str, str, str, str),
    ),
    "fct_review_queue": ("select {col} from marts.fct_review_queue where task_id = ?", (int,)),
}
# the project overview counts, straight from staging / marts
OVERVIEW_SQL = {
    "n_tasks": "select count(*) from staging.stg_label_studio__tasks where project_id = ? and not is_deleted",
    "n_annotations": "select count(*) from staging.stg_label_studio__annotations where project_id = ? and not is_cancelled",
    "n_skipped": "select count(*) from staging.stg_label_studio__annotations where project_id = ? and is_cancelled",
    "n_annotators": "select count(distinct annotator_id) from staging.stg_label_studio__annotations where project_id = ? and not is_cancelled",
    "n_controls": "select count(*) from marts.dim_agreement_controls where project_id = ?",
    "n_scored_controls": "select count(*) from marts.dim_agreement_controls where project_id = ? and is_scored",
    "n_model_versions": "select count(distinct model_version) from marts.fct_model_scores where project_id = ?",
    "n_score_tables": "select count(distinct score_name) from marts.fct_model_scores where project_id = ? and score_source = 'external'",
    "n_loads": "select count(*) from staging.stg_label_studio__loads where project_id = ?",
    "queue_length": "select count(*) from marts.fct_review_queue where project_id = ?",
}


def chromium_path() -> str:
    path = (
        os.environ.get("CONCORD_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    assert path, (
        "no chromium on PATH: `make test` installs Debian's chromium (apt-get install -y chromium)"
    )
    return path


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    # nothing resolves and nothing can be proxied: any request to the network fails
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
]


@pytest.fixture(scope="module")
def report_file(built_warehouse, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = build_report(built_warehouse, out, ls_url="http://label-studio.invalid:8080")
    return out, result


@pytest.fixture(scope="module")
def page_run(report_file, tmp_path_factory):
    """Open the report once in headless Chromium, offline; collect everything the tests look at."""
    from playwright.sync_api import sync_playwright

    path, result = report_file
    seen = {"console": [], "page_errors": [], "failed": [], "requests": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
            headless=True,
        )
        try:
            context = browser.new_context(
                offline=True,
                viewport={"width": 1280, "height": 900},
                user_agent="concord-report-test",
            )
            page = context.new_page()
            page.on("console", lambda m: seen["console"].append((m.type, m.text)))
            page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))
            page.on("requestfailed", lambda r: seen["failed"].append((r.url, r.failure)))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            charts = page.eval_on_selector_all(
                "figure.chart",
                """figures => figures.map(f => {
                    const svg = f.querySelector('svg');
                    const marks = svg ? svg.querySelectorAll('g[class*="mark-"] path, g[class*="mark-"] rect, '
                        + 'g[class*="mark-"] circle, g[class*="mark-"] line, g[class*="mark-"] text') : [];
                    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
                    const visible = Array.from(marks).filter(m => {
                        const b = m.getBoundingClientRect(); return b.width > 0 || b.height > 0; });
                    return {chart: f.dataset.chart, marks: visible.length, width: box.width, height: box.height,
                            titles: svg ? Array.from(svg.querySelectorAll('g.role-title text')).map(t => t.textContent) : [],
                            axes: svg ? Array.from(svg.querySelectorAll('g.role-axis-title text')).map(t => t.textContent) : []};
                })""",
            )
            numbers = page.eval_on_selector_all(
                "[data-mart]",
                "els => els.map(e => ({mart: e.dataset.mart, key: e.dataset.key, col: e.dataset.col, "
                "text: e.textContent.trim()}))",
            )
            links = page.eval_on_selector_all(
                "a[href]", "els => els.map(e => e.getAttribute('href'))"
            )
            # sorting works and raises nothing: click a numeric header of the leaderboard twice
            header = page.locator("table[id$='-leaderboard'] th").nth(4)
            header.click()
            header.click()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            screenshot = ARTIFACTS / "report-full-page.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {
        **seen,
        "charts": charts,
        "numbers": numbers,
        "links": links,
        "screenshot": screenshot,
        "result": result,
        "path": path,
    }


def test_no_console_error_and_no_failed_request(page_run):
    errors = [m for m in page_run["console"] if m[0] in ("error", "warning")]
    assert errors == []
    assert page_run["page_errors"] == []
    assert page_run["failed"] == []


def test_no_request_but_the_file_itself(page_run):
    others = [
        u
        for u in page_run["requests"]
        if u != page_run["path"].as_uri() and not u.startswith("data:")
    ]
    assert others == []


def test_every_chart_container_holds_rendered_marks(page_run):
    charts = page_run["charts"]
    assert len(charts) == page_run["result"].n_charts >= 10
    for chart in charts:
        assert chart["width"] > 100 and chart["height"] > 80, chart
        assert chart["marks"] > 0, chart
        # every chart is titled and says its n
        assert any("n = " in title for title in chart["titles"]), chart
        # axes carry their unit in parentheses: "(0–1)", "(count)", "(Label Studio user id)", ...
        assert chart["axes"] and any(re.search(r"\(.+\)", axis) for axis in chart["axes"]), chart


def test_numbers_in_the_page_equal_the_marts(page_run, built_warehouse):
    numbers = page_run["numbers"]
    marts = {n["mart"] for n in numbers}
    assert {
        "fct_control_summary",
        "fct_agreement_ceiling",
        "fct_review_queue",
        "project_overview",
    } <= marts
    checked = 0
    for item in numbers:
        if item["mart"] == "project_overview":
            expected = query(built_warehouse, OVERVIEW_SQL[item["col"]], [int(item["key"])])[0][0]
        else:
            sql, types = MART_LOOKUPS[item["mart"]]
            key = [t(v) for t, v in zip(types, item["key"].split("|"), strict=True)]
            found = query(built_warehouse, sql.format(col=item["col"]), key)
            assert len(found) == 1, item
            expected = found[0][0]
        assert item["text"] == num(expected), (item, expected)
        checked += 1
    assert checked >= 30


def test_review_queue_links_to_label_studio(page_run, built_warehouse):
    links = [h for h in page_run["links"] if h.startswith("http://label-studio.invalid:8080/")]
    first = query(
        built_warehouse,
        "select project_id, task_id from marts.fct_review_queue order by queue_position limit 1",
    )[0]
    assert f"http://label-studio.invalid:8080/projects/{first[0]}/data?task={first[1]}" in links


def test_full_page_screenshot_saved(page_run):
    shot = page_run["screenshot"]
    assert shot.exists() and shot.stat().st_size > 50_000
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    height = int.from_bytes(header[20:24], "big")
    assert height > 3000  # the whole page, not the 900 px viewport
