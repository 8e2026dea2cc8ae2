"""What `concord report` shows, read from the marts: every query of the report, aggregated in DuckDB.

Each function returns small lists of dicts (bounded by controls, annotators, bins or a sample), so
the report's memory and size do not grow with the number of tasks: histograms are binned in SQL,
scatters are a deterministic hash sample, the heatmap and drift keep the busiest annotators.
Ordering is explicit everywhere, so a rebuild on the same data renders the same page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

# bounds that keep the page small at any warehouse size
SCATTER_SAMPLE = 1500
HEATMAP_ANNOTATORS = 25
DRIFT_ANNOTATORS = 8
LEADERBOARD_ROWS = 50
HISTOGRAM_BINS = 20

# reliability coefficients shown per control, in this order: (column, label)
COEFFICIENTS = (
    ("mean_pairwise_agreement", "mean pairwise agreement"),
    ("percent_agreement", "percent agreement"),
    ("alpha_nominal", "alpha (nominal)"),
    ("alpha_ordinal", "alpha (ordinal)"),
    ("alpha_interval", "alpha (interval)"),
    ("gwet_ac1", "Gwet AC1"),
    ("gwet_ac2", "Gwet AC2"),
    ("fleiss_kappa", "Fleiss kappa"),
    ("cohen_kappa", "Cohen kappa"),
)
# names a confidence interval may have beside a coefficient column (bootstrap CIs, #14)
CI_SUFFIXES = (("_ci_low", "_ci_high"), ("_ci_lower", "_ci_upper"), ("_lower", "_upper"))


@contextlib.contextmanager
def open_warehouse(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse, read-only, under $CONCORD_MEMORY_LIMIT (ingest/warehouse.py)."""
    from ingest.warehouse import connect

    con = connect(db, read_only=True)
    try:
        yield con
    finally:
        con.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def columns_of(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    ]


def has_relation(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(columns_of(con, schema, table))


def ci_columns(available: list[str], column: str) -> tuple[str, str] | None:
    """The (low, high) CI columns of a coefficient when the mart has them."""
    for low, high in CI_SUFFIXES:
        if f"{column}{low}" in available and f"{column}{high}" in available:
            return f"{column}{low}", f"{column}{high}"
    return None


def project_ids(con: duckdb.DuckDBPyConnection, wanted: list[int] | None) -> list[int]:
    known = [
        r[0]
        for r in con.execute(
            "select project_id from staging.stg_label_studio__projects order by project_id"
        ).fetchall()
    ]
    if not wanted:
        return known
    return [p for p in wanted if p in known]


# ---------------------------------------------------------------- workspace and project overview


def project_overview(con: duckdb.DuckDBPyConnection, project_id: int) -> dict:
    sql = """
    with
    tasks as (
        select count(*) filter (where not is_deleted) as n_tasks
        from staging.stg_label_studio__tasks where project_id = $1
    ),
    annotations as (
        select
            count(*) filter (where not is_cancelled) as n_annotations,
            count(*) filter (where is_cancelled) as n_skipped,
            count(distinct annotator_id) filter (where not is_cancelled) as n_annotators,
        from staging.stg_label_studio__annotations where project_id = $1
    ),
    controls as (
        select count(*) as n_controls, count(*) filter (where is_scored) as n_scored_controls,
        from marts.dim_agreement_controls where project_id = $1
    ),
    models as (
        select count(distinct model_version) as n_model_versions
        from marts.fct_model_scores where project_id = $1
    ),
    score_tables as (
        select count(distinct score_name) as n_score_tables
        from marts.fct_model_scores where project_id = $1 and score_source = 'external'
    ),
    loads as (
        select count(*) as n_loads, count(distinct file_name) as n_files, max(loaded_at) as last_loaded_at,
        from staging.stg_label_studio__loads where project_id = $1
    ),
    queue as (
        select count(*) as queue_length from marts.fct_review_queue where project_id = $1
    )
    select * from tasks, annotations, controls, models, score_tables, loads, queue
    """
    return rows(con, sql, [project_id])[0]


def load_files(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    return rows(
        con,
        """
        select command, file_name, file_format, n_records, loaded_at
        from staging.stg_label_studio__loads
        where project_id = $1
        order by loaded_at desc, load_id desc
        limit 10
    """,
        [project_id],
    )


def control_summary(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    return rows(
        con,
        """
        select * from marts.fct_control_summary
        where project_id = $1
        order by is_scored desc, alpha nulls last, mean_pairwise_agreement nulls last, control_name
    """,
        [project_id],
    )


# ---------------------------------------------------------------- agreement per control


def reliability(con: duckdb.DuckDBPyConnection, project_id: int) -> tuple[list[dict], list[dict]]:
    """Per control: each coefficient with its CI when the warehouse has one.

    CIs come from marts.fct_control_reliability_ci (one row per project, control, coefficient with
    ci_lower / ci_upper: #14's bootstrap) or from `<coefficient>_ci_lower` / `_ci_upper` columns
    beside the coefficient; neither is required. Returns (rows, coefficient specs), a spec being
    {column, label, ci: (low key, high key) | None}, for the coefficients not null on some control."""
    available = columns_of(con, "marts", "fct_control_reliability")
    specs = []
    select = ["control_name", "control_type", "n_units", "n_annotators", "n_pairs"]
    for column, label in COEFFICIENTS:
        if column not in available:
            continue
        ci = ci_columns(available, column)
        specs.append({"column": column, "label": label, "ci": ci})
        select.append(column)
        if ci:
            select += list(ci)
    reasons = [
        c
        for c in ("alpha_reason", "gwet_reason", "fleiss_reason", "cohen_reason")
        if c in available
    ]
    select += reasons
    result = rows(
        con,
        f"""
        select {", ".join(select)} from marts.fct_control_reliability
        where project_id = $1 order by control_name
    """,
        [project_id],
    )
    long_cis = interval_rows(con, project_id)
    if long_cis:
        for spec in specs:
            if spec["ci"] is None and any(c["coefficient"] == spec["column"] for c in long_cis):
                spec["ci"] = (f"{spec['column']}_ci_lower", f"{spec['column']}_ci_upper")
        for row in result:
            for spec in specs:
                if spec["ci"] and spec["ci"][0] not in row:
                    found = [
                        c
                        for c in long_cis
                        if c["control_name"] == row["control_name"]
                        and c["coefficient"] == spec["column"]
                    ]
                    row[spec["ci"][0]] = found[0]["ci_lower"] if found else None
                    row[spec["ci"][1]] = found[0]["ci_upper"] if found else None
    specs = [s for s in specs if any(r[s["column"]] is not None for r in result)]
    return result, specs


def interval_rows(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    """The project's rows of marts.fct_control_reliability_ci (#14), [] when the mart is absent."""
    available = columns_of(con, "marts", "fct_control_reliability_ci")
    if not {"control_name", "coefficient", "ci_lower", "ci_upper"} <= set(available):
        return []
    return rows(
        con,
        """
        select control_name, coefficient, ci_lower, ci_upper from marts.fct_control_reliability_ci
        where project_id = $1 order by control_name, coefficient
    """,
        [project_id],
    )


def skipped_controls(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    return rows(
        con,
        """
        select control_name, control_type, skip_reason from marts.dim_skipped_controls
        where project_id = $1 order by control_name
    """,
        [project_id],
    )


def task_agreement_histogram(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    """fct_task_agreement.agreement in 10 bins of width 0.1 over [0, 1] (1.0 in the last bin)."""
    return rows(
        con,
        """
        with binned as (
            select least(floor(agreement * 10), 9)::integer as bin
            from marts.fct_task_agreement
            where project_id = $1 and agreement is not null
        )
        select bin / 10.0 as bin_start, (bin + 1) / 10.0 as bin_end, count(*) as n_tasks
        from binned group by bin order by bin
    """,
        [project_id],
    )


# ---------------------------------------------------------------- annotators


def leaderboard(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    """Per annotator over the project's scored controls: pair-weighted agreement with others and
    with ground truth (the same pairs as fct_annotator_agreement), n, median lead time. Lowest
    agreement first: when there are more than LEADERBOARD_ROWS annotators, the ones who disagree
    with everyone are the ones kept."""
    return rows(
        con,
        f"""
        select
            annotator_id,
            max(n_annotations) as n_annotations,
            max(n_skipped) as n_skipped,
            sum(n_pairs) as n_pairs,
            sum(agreement_with_others * n_pairs) / nullif(sum(n_pairs) filter (where agreement_with_others is not null), 0)
                as agreement_with_others,
            sum(n_ground_truth_pairs) as n_ground_truth_pairs,
            sum(agreement_with_ground_truth * n_ground_truth_pairs)
                / nullif(sum(n_ground_truth_pairs) filter (where agreement_with_ground_truth is not null), 0)
                as agreement_with_ground_truth,
            max(median_lead_time_seconds) as median_lead_time_seconds,
        from marts.fct_annotator_agreement
        where project_id = $1
        group by annotator_id
        order by agreement_with_others nulls last, annotator_id
        limit {LEADERBOARD_ROWS}
    """,
        [project_id],
    )


def pair_matrix(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    """fct_annotator_pair_matrix over all controls (pair-weighted), for the busiest annotators."""
    return rows(
        con,
        f"""
        with
        busiest as (
            select annotator_id_1 as annotator_id
            from marts.fct_annotator_pair_matrix where project_id = $1
            group by annotator_id_1
            order by sum(n_pairs) desc, annotator_id_1
            limit {HEATMAP_ANNOTATORS}
        )
        select
            matrix.annotator_id_1,
            matrix.annotator_id_2,
            sum(matrix.n_pairs) as n_pairs,
            sum(matrix.agreement * matrix.n_pairs) / sum(matrix.n_pairs) as agreement,
        from marts.fct_annotator_pair_matrix as matrix
        inner join busiest as row_annotator on matrix.annotator_id_1 = row_annotator.annotator_id
        inner join busiest as col_annotator on matrix.annotator_id_2 = col_annotator.annotator_id
        where matrix.project_id = $1
        group by matrix.annotator_id_1, matrix.annotator_id_2
        order by matrix.annotator_id_1, matrix.annotator_id_2
    """,
        [project_id],
    )


def weekly_drift(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    """Each busy annotator's mean agreement with the others per ISO week (marts.fct_annotator_weekly_agreement)."""
    return rows(
        con,
        f"""
        with
        busiest as (
            select annotator_id from marts.fct_annotator_weekly_agreement
            where project_id = $1
            group by annotator_id
            order by sum(n_pairs) desc, annotator_id
            limit {DRIFT_ANNOTATORS}
        )
        select
            weekly.week_start,
            weekly.annotator_id,
            sum(weekly.n_pairs) as n_pairs,
            sum(weekly.agreement_with_others * weekly.n_pairs) / sum(weekly.n_pairs) as agreement,
        from marts.fct_annotator_weekly_agreement as weekly
        inner join busiest on weekly.annotator_id = busiest.annotator_id
        where weekly.project_id = $1
        group by weekly.week_start, weekly.annotator_id
        order by weekly.week_start, weekly.annotator_id
    """,
        [project_id],
    )


# ---------------------------------------------------------------- model vs humans


def ceiling(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    return rows(
        con,
        """
        select control_name, model_version, n_tasks, n_human_pairs, human_human_agreement,
            n_model_human_pairs, model_human_agreement, agreement_gap
        from marts.fct_agreement_ceiling
        where project_id = $1
        order by control_name, model_version
    """,
        [project_id],
    )


def delta_histogram(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    """fct_task_score_deltas.signed_delta (model - human consensus) in 20 bins over [-1, 1]."""
    return rows(
        con,
        f"""
        with binned as (
            select
                control_name,
                least(greatest(floor((signed_delta + 1) * {HISTOGRAM_BINS} / 2), 0), {HISTOGRAM_BINS - 1})::integer as bin,
            from marts.fct_task_score_deltas
            where project_id = $1 and signed_delta is not null
        )
        select control_name, bin * 2.0 / {HISTOGRAM_BINS} - 1 as bin_start,
            (bin + 1) * 2.0 / {HISTOGRAM_BINS} - 1 as bin_end, count(*) as n_tasks
        from binned group by control_name, bin order by control_name, bin
    """,
        [project_id],
    )


def delta_summary(con: duckdb.DuckDBPyConnection, project_id: int) -> list[dict]:
    return rows(
        con,
        """
        select control_name, score_source, score_name, model_version, n, mae, mean_signed_bias, pearson
        from marts.fct_score_delta_summary
        where project_id = $1 and comparison_level = 'task'
        order by control_name, score_source, score_name, model_version
    """,
        [project_id],
    )


def delta_scatter(con: duckdb.DuckDBPyConnection, project_id: int) -> tuple[list[dict], int]:
    """A deterministic sample (hash of the key) of (model score, human consensus) points, and the
    total number of points."""
    total = con.execute(
        """
        select count(*) from marts.fct_task_score_deltas
        where project_id = $1 and consensus_value is not null and model_score is not null
    """,
        [project_id],
    ).fetchone()[0]
    sample = rows(
        con,
        f"""
        select task_id, control_name, model_version, model_score, consensus_value
        from marts.fct_task_score_deltas
        where project_id = $1 and consensus_value is not null and model_score is not null
        order by hash(task_id, control_name, score_source, score_name, model_version), task_id, control_name
        limit {SCATTER_SAMPLE}
    """,
        [project_id],
    )
    sample.sort(key=lambda r: (r["task_id"], r["control_name"], r["model_version"]))
    return sample, total


def calibration(con: duckdb.DuckDBPyConnection, project_id: int) -> tuple[list[dict], list[dict]]:
    summary = rows(
        con,
        """
        select control_name, score_source, score_name, model_version, n_units, accuracy, mean_score, ece
        from marts.fct_model_calibration
        where project_id = $1
        order by control_name, score_source, score_name, model_version
    """,
        [project_id],
    )
    bins = rows(
        con,
        """
        select control_name, score_source, score_name, model_version, bin_index, bin_lower, bin_upper,
            n_units, mean_score, accuracy
        from marts.fct_model_calibration_bins
        where project_id = $1 and n_units > 0
        order by control_name, score_source, score_name, model_version, bin_index
    """,
        [project_id],
    )
    return summary, bins


def anchoring(con: duckdb.DuckDBPyConnection, project_id: int) -> tuple[list[dict], list[dict]]:
    """Exposed vs not exposed: score deltas (fct_exposure_score_deltas) and agreement with the model
    (fct_model_agreement_by_exposure), project scope."""
    deltas = rows(
        con,
        """
        select control_name, score_source, score_name, model_version, exposure, n_annotations,
            mean_abs_delta, mean_signed_delta
        from marts.fct_exposure_score_deltas
        where project_id = $1 and scope = 'project'
        order by control_name, score_source, score_name, model_version, exposure
    """,
        [project_id],
    )
    agreement = rows(
        con,
        """
        select control_name, model_version, exposure, n_pairs, n_annotations, mean_agreement
        from marts.fct_model_agreement_by_exposure
        where project_id = $1 and scope = 'project'
        order by control_name, model_version, exposure
    """,
        [project_id],
    )
    return deltas, agreement


def flagged_anchoring(con: duckdb.DuckDBPyConnection, project_id: int) -> int:
    return con.execute(
        """
        select count(distinct annotator_id) from marts.fct_anchoring_index
        where project_id = $1 and is_anchoring_flagged
    """,
        [project_id],
    ).fetchone()[0]


# ---------------------------------------------------------------- review queue


def review_queue(con: duckdb.DuckDBPyConnection, project_id: int, top_n: int) -> list[dict]:
    return rows(
        con,
        f"""
        select queue_position, task_id, ext_id, reasons, priority, n_annotations, max_abs_delta
        from marts.fct_review_queue
        where project_id = $1
        order by queue_position
        limit {int(top_n)}
    """,
        [project_id],
    )


def label_studio_source_url(con: duckdb.DuckDBPyConnection, project_id: int) -> str | None:
    """The Label Studio server a project was pulled from, when the loads record one (#11's
    raw_label_studio.loads.source; absent on older warehouses)."""
    if "source" not in columns_of(con, "raw_label_studio", "loads"):
        return None
    row = con.execute(
        """
        select source from raw_label_studio.loads
        where project_id = $1 and source like 'http%'
        order by loaded_at desc limit 1
    """,
        [project_id],
    ).fetchone()
    return row[0] if row else None
