-- Calibration summary per (project, Choices control, confidence score, model_version) from
-- fct_model_calibration_bins:
--   ECE = sum_b (n_b / N) * |accuracy_b - mean_score_b|   over non-empty bins, N = binned units
-- (expected calibration error with equal-width bins, Naeini et al. 2015 / Guo et al. 2017).
-- metric_version: ece_equal_width_v1 (B = var model_eval_calibration_bins, default 10)
with

bins as (
    select * from {{ ref('fct_model_calibration_bins') }}
),

confidences as (
    select * from {{ ref('int_model_eval__prediction_confidences') }}
),

not_binned as (
    select
        project_id,
        control_name,
        score_source,
        score_name,
        model_version,
        count(case when has_conflict then 1 end) as n_conflicting,
        count(case when confidence < 0 or confidence > 1 then 1 end) as n_out_of_range
    from confidences
    group by project_id, control_name, score_source, score_name, model_version
),

summary as (
    select
        bins.project_id,
        bins.control_name,
        bins.score_source,
        bins.score_name,
        bins.model_version,
        cast(sum(bins.n_units) as bigint) as n_units,
        count(case when bins.n_units > 0 then 1 end) as n_nonempty_bins,
        fsum(bins.n_units * bins.accuracy) / nullif(sum(bins.n_units), 0) as accuracy,
        fsum(bins.n_units * bins.mean_score) / nullif(sum(bins.n_units), 0) as mean_score,
        fsum(bins.n_units * bins.calibration_gap) / nullif(sum(bins.n_units), 0) as ece
    from bins
    group by bins.project_id, bins.control_name, bins.score_source, bins.score_name, bins.model_version
),

with_counts as (
    select
        summary.*,
        not_binned.n_conflicting,
        not_binned.n_out_of_range,
        {{ var('model_eval_calibration_bins') }} as n_bins,
        'ece_equal_width_v1' as metric_version
    from summary
    left join not_binned
        on summary.project_id = not_binned.project_id
        and summary.control_name = not_binned.control_name
        and summary.score_source = not_binned.score_source
        and summary.score_name = not_binned.score_name
        and summary.model_version = not_binned.model_version
)

select * from with_counts
