"""The headline of each project as text lines: what `concord demo` ends with.

Per control: mean pairwise agreement and Krippendorff's alpha (with its confidence interval when the
reliability mart has one), then each model version's agreement beside the human ceiling
(fct_agreement_ceiling), and the controls no model predicts (fct_control_summary).
"""

from __future__ import annotations

from pathlib import Path

from concord.report import data
from concord.report.template import num

# no quotes inside, so it pastes into a shell one-liner as is
MART_QUERY = (
    "select project_id, control_name, mean_pairwise_agreement, alpha, human_ceiling, "
    "best_model_version, best_model_agreement, model_status "
    "from marts.fct_control_summary order by alpha nulls last"
)


def headline_lines(db: Path) -> list[str]:
    lines: list[str] = []
    with data.open_warehouse(db) as con:
        available = data.columns_of(con, "marts", "fct_control_reliability")
        for project_id in data.project_ids(con, None):
            lines.append(f"Project {project_id}")
            summary = data.control_summary(con, project_id)
            ci_by_control = _alpha_cis(con, project_id, available)
            lines.append("  agreement per control (mean pairwise agreement; Krippendorff's alpha):")
            width = max((len(r["control_name"]) for r in summary), default=0)
            for row in summary:
                name = row["control_name"].ljust(width)
                if not row["is_scored"]:
                    lines.append(f"    {name}  not scored: {row['skip_reason']}")
                    continue
                alpha = num(row["alpha"])
                ci = ci_by_control.get(row["control_name"])
                if ci and ci[0] is not None:
                    alpha += f" [CI {num(ci[0])}, {num(ci[1])}]"
                if row["alpha"] is None and row["alpha_reason"]:
                    alpha += f" ({row['alpha_reason']})"
                flag = "  < 0.667: unreliable" if row["is_unreliable"] else ""
                lines.append(
                    f"    {name}  agreement {num(row['mean_pairwise_agreement'])}, "
                    f"alpha {alpha}{flag}  (n = {row['n_tasks']} tasks)"
                )
            lines.append("  model agreement beside the human ceiling:")
            ceiling = data.ceiling(con, project_id)
            for row in ceiling:
                verdict = (
                    "below the ceiling"
                    if (row["agreement_gap"] or 0) < 0
                    else "at or above the ceiling"
                )
                lines.append(
                    f"    {row['control_name']} · {row['model_version']}: model {num(row['model_human_agreement'])} "
                    f"vs humans {num(row['human_human_agreement'])} ({verdict}; "
                    f"n = {row['n_model_human_pairs']} model-human pairs)"
                )
            for row in summary:
                if row["is_scored"] and not row["is_predicted_by_model"]:
                    lines.append(f"    {row['control_name']}: {row['model_status']}")
            if not ceiling and not summary:
                lines.append("    no scored control")
    return lines


def _alpha_cis(con, project_id: int, available: list[str]) -> dict[str, tuple]:
    """control -> (low, high) of the alpha shown in the summary, when the warehouse has CIs
    (data.reliability: #14's fct_control_reliability_ci, or CI columns beside the coefficient)."""
    rel_rows, specs = data.reliability(con, project_id)
    ci_of = {spec["column"]: spec["ci"] for spec in specs if spec["ci"]}
    result = {}
    kinds = {r["control_name"]: r["alpha_kind"] for r in data.control_summary(con, project_id)}
    for row in rel_rows:
        ci = ci_of.get(f"alpha_{kinds.get(row['control_name'], 'nominal')}")
        if ci and row.get(ci[0]) is not None:
            result[row["control_name"]] = (row[ci[0]], row[ci[1]])
    return result
