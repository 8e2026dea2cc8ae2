"""`concord report`: one self-contained HTML file from the marts.

The page holds no script source, stylesheet or font from elsewhere: charts are inline SVG
(report.charts), the style sheet and the small table-sorting script are inline. Numbers come from the
marts as they are (formatted to 3 decimals); the build time appears once, in the footer
(`<time id="build-time">`), so two builds of the same data differ only there.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from concord.report import charts, data
from concord.report.template import render_page
from ingest.errors import ConcordError


class ReportError(ConcordError):
    """The report cannot be built (no warehouse, no marts, unknown project)."""


@dataclass
class ReportResult:
    path: Path
    bytes: int
    project_ids: list[int]
    n_charts: int
    headlines: list[dict] = field(default_factory=list)

    def lines(self) -> list[str]:
        size = f"{self.bytes / 1024:.0f} KiB"
        return [
            f"report: {self.path} ({size}, {len(self.project_ids)} projects, {self.n_charts} charts)"
        ]


def label_studio_url(explicit: str | None = None) -> str | None:
    """Base URL for task links: --ls-url, else $LABEL_STUDIO_URL, else the dbt var
    concord_label_studio_url; None when none is set."""
    for value in (explicit, os.environ.get("LABEL_STUDIO_URL")):
        if value:
            return value.rstrip("/")
    try:
        from concord.dbt_vars import project_var

        value = project_var("concord_label_studio_url", None)
    except (OSError, ValueError):
        value = None
    return value.rstrip("/") if value else None


def build_report(
    db: Path,
    out: Path,
    *,
    projects: list[int] | None = None,
    ls_url: str | None = None,
    top_n: int = 25,
    built_at: dt.datetime | None = None,
) -> ReportResult:
    """Write the report of `db` to `out`; returns what was written."""
    if not db.exists():
        raise ReportError(
            f"{db}: no warehouse here: run `concord ingest` and `concord build` first"
        )
    base_url = label_studio_url(ls_url)
    with data.open_warehouse(db) as con:
        if not data.has_relation(con, "marts", "fct_control_summary"):
            raise ReportError(f"{db}: the marts are not built: run `concord build` first")
        ids = data.project_ids(con, projects)
        missing = sorted(set(projects or []) - set(ids))
        if missing:
            raise ReportError(f"{db}: no project {', '.join(map(str, missing))} in the warehouse")
        sections = [project_section(con, pid, base_url, top_n) for pid in ids]
    built = (built_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M:%S UTC")
    html = render_page(sections=sections, built_at=built, db_name=db.name)
    out = out.expanduser().resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    n_charts = sum(len(s["charts"]) for s in sections)
    return ReportResult(out, len(html.encode()), ids, n_charts, [s["headline"] for s in sections])


def _chart(section: dict, key: str, chart) -> str:
    svg = charts.to_svg(chart, f"p{section['project_id']}-{key}")
    section["charts"].append(key)
    return svg


def project_section(con, project_id: int, base_url: str | None, top_n: int) -> dict[str, Any]:
    s: dict[str, Any] = {"project_id": project_id, "charts": []}
    s["overview"] = data.project_overview(con, project_id)
    s["loads"] = data.load_files(con, project_id)
    summary = data.control_summary(con, project_id)
    s["summary"] = summary

    # agreement per control
    rel_rows, specs = data.reliability(con, project_id)
    s["reliability"], s["coefficients"] = rel_rows, specs
    s["has_ci"] = any(spec["ci"] for spec in specs)
    points = []
    for row in rel_rows:
        label = f"{row['control_name']} (n={charts.fmt_n(row['n_units'])})"
        for spec in specs:
            value = row[spec["column"]]
            if value is None:
                continue
            point = {"control": label, "coefficient": spec["label"], "value": value}
            if spec["ci"]:
                point["ci_low"], point["ci_high"] = row[spec["ci"][0]], row[spec["ci"][1]]
            points.append(point)
    s["reliability_svg"] = (
        _chart(s, "reliability", charts.reliability_chart(points, len(rel_rows)))
        if points
        else None
    )
    s["skipped"] = data.skipped_controls(con, project_id)
    hist = data.task_agreement_histogram(con, project_id)
    n_hist = sum(b["n_tasks"] for b in hist)
    s["task_hist_svg"] = (
        _chart(
            s,
            "task_agreement",
            charts.histogram_chart(
                hist,
                x_title="task agreement (weighted mean over controls, 0–1)",
                y_title="tasks (count)",
                title=f"Distribution of task agreement (n = {charts.fmt_n(n_hist)} tasks)",
                subtitle="tasks with at least one scored pair; bins of 0.1",
                domain=[0, 1],
            ),
        )
        if hist
        else None
    )

    # annotators
    s["leaderboard"] = data.leaderboard(con, project_id)
    cells = data.pair_matrix(con, project_id)
    annotators = sorted({c["annotator_id_1"] for c in cells})
    n_matrix_pairs = sum(c["n_pairs"] for c in cells) // 2
    s["heatmap_svg"] = (
        _chart(s, "heatmap", charts.heatmap_chart(cells, n_matrix_pairs, len(annotators)))
        if cells
        else None
    )
    drift = data.weekly_drift(con, project_id)
    s["drift_svg"] = (
        _chart(
            s,
            "drift",
            charts.drift_chart(
                [{**p, "week_start": p["week_start"].isoformat()} for p in drift],
                sum(p["n_pairs"] for p in drift),
                len({p["week_start"] for p in drift}),
            ),
        )
        if drift
        else None
    )

    # model vs humans
    ceiling = data.ceiling(con, project_id)
    s["ceiling"] = ceiling
    ceiling_points = []
    for row in ceiling:
        label = f"{row['control_name']} · {row['model_version']}"
        ceiling_points.append(
            {
                "row": label,
                "series": "human ceiling",
                "value": row["human_human_agreement"],
                "n": row["n_human_pairs"],
            }
        )
        ceiling_points.append(
            {
                "row": label,
                "series": "model–human",
                "value": row["model_human_agreement"],
                "n": row["n_model_human_pairs"],
            }
        )
    s["ceiling_svg"] = (
        _chart(
            s,
            "ceiling",
            charts.ceiling_chart(
                ceiling_points, sum(r["n_model_human_pairs"] or 0 for r in ceiling)
            ),
        )
        if ceiling
        else None
    )
    s["delta_summary"] = data.delta_summary(con, project_id)
    delta_bins = data.delta_histogram(con, project_id)
    n_delta = sum(b["n_tasks"] for b in delta_bins)
    s["delta_hist_svg"] = (
        _chart(
            s,
            "delta_histogram",
            charts.histogram_chart(
                delta_bins,
                x_title="model score − human consensus (signed, −1 to 1)",
                y_title="task scores (count)",
                title=f"Score deltas (n = {charts.fmt_n(n_delta)} task scores)",
                subtitle="fct_task_score_deltas.signed_delta; > 0: the model scores higher than the people",
                domain=[-1, 1],
                color="control_name",
            ),
        )
        if delta_bins
        else None
    )
    scatter, total = data.delta_scatter(con, project_id)
    s["scatter_svg"] = (
        _chart(s, "scatter", charts.scatter_chart(scatter, total)) if scatter else None
    )
    s["scatter_total"], s["scatter_shown"] = total, len(scatter)
    cal_summary, cal_bins = data.calibration(con, project_id)
    s["calibration"] = cal_summary
    if cal_bins:
        series = {
            (
                r["control_name"],
                r["score_source"],
                r["score_name"],
                r["model_version"],
            ): f"{r['control_name']} · {r['score_name']} · {r['model_version']}"
            for r in cal_summary
        }
        for r in cal_summary:
            key = (r["control_name"], r["score_source"], r["score_name"], r["model_version"])
            ece = "–" if r["ece"] is None else f"{r['ece']:.3f}"
            series[key] = f"{series[key]} (ECE {ece})"
        points = [
            {
                **b,
                "series": series[
                    (b["control_name"], b["score_source"], b["score_name"], b["model_version"])
                ],
            }
            for b in cal_bins
        ]
        s["calibration_svg"] = _chart(
            s,
            "calibration",
            charts.calibration_chart(points, sum(r["n_units"] or 0 for r in cal_summary)),
        )
    else:
        s["calibration_svg"] = None
    exposure_deltas, exposure_agreement = data.anchoring(con, project_id)
    s["exposure_deltas"], s["exposure_agreement"] = exposure_deltas, exposure_agreement
    s["n_anchoring_flagged"] = data.flagged_anchoring(con, project_id)
    anchoring_points = [
        {
            "row": f"{r['control_name']} · {r['score_name']} · {r['model_version']}",
            "exposure": r["exposure"],
            "value": r["mean_abs_delta"],
            "n": r["n_annotations"],
        }
        for r in exposure_deltas
        if r["mean_abs_delta"] is not None
    ]
    s["anchoring_svg"] = (
        _chart(
            s,
            "anchoring",
            charts.anchoring_chart(anchoring_points, sum(p["n"] or 0 for p in anchoring_points)),
        )
        if anchoring_points
        else None
    )

    # review queue
    project_url = base_url or data.label_studio_source_url(con, project_id)
    queue = data.review_queue(con, project_id, top_n)
    for row in queue:
        row["url"] = (
            f"{project_url.rstrip('/')}/projects/{project_id}/data?task={row['task_id']}"
            if project_url
            else None
        )
    s["queue"], s["top_n"], s["has_ls_url"] = queue, top_n, bool(project_url)

    s["headline"] = headline(s)
    return s


def headline(section: dict) -> dict:
    """The workspace-overview row of a project."""
    summary = [r for r in section["summary"] if r["alpha"] is not None]
    worst = min(summary, key=lambda r: (r["alpha"], r["control_name"])) if summary else None
    gaps = [r for r in section["summary"] if r["best_model_agreement_gap"] is not None]
    worst_gap = (
        min(gaps, key=lambda r: (r["best_model_agreement_gap"], r["control_name"]))
        if gaps
        else None
    )
    ov = section["overview"]
    return {
        "project_id": section["project_id"],
        "n_tasks": ov["n_tasks"],
        "n_annotators": ov["n_annotators"],
        "worst_control": worst,
        "model_vs_ceiling": worst_gap,
        "queue_length": ov["queue_length"],
        "last_loaded_at": ov["last_loaded_at"],
    }
