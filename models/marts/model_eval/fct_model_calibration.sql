-- Calibration summary per (project, Choices control, model_version) from fct_model_calibration_bins:
--   ECE = sum_b (n_b / N) * |accuracy_b - mean_score_b|   over non-empty bins, N = binned units
-- (expected calibration error with equal-width bins, Naeini et al. 2015 / Guo et al. 2017).
-- metric_version: ece_equal_width_v1 (B = var model_eval_calibration_bins, default 10)
with

bins as (
    select * from {{ ref('fct_model_calibration_bins') }}
),

prediction_labels as (
    select * from {{ ref('int_model_eval__prediction_labels') }}
),

out_of_range as (
    select
        project_id,
        control_name,
        model_version,
        count(case when confidence is null then 1 end) as n_without_score,
        count(case when confidence < 0 or confidence > 1 then 1 end) as n_out_of_range,
    from prediction_labels
    group by project_id, control_name, model_version
),

summary as (
    select
        bins.project_id,
        bins.control_name,
        bins.model_version,
        cast(sum(bins.n_units) as bigint) as n_units,
        count(case when bins.n_units > 0 then 1 end) as n_nonempty_bins,
        sum(bins.n_units * bins.accuracy) / nullif(sum(bins.n_units), 0) as accuracy,
        sum(bins.n_units * bins.mean_score) / nullif(sum(bins.n_units), 0) as mean_score,
        sum(bins.n_units * bins.calibration_gap) / nullif(sum(bins.n_units), 0) as ece,
    from bins
    group by bins.project_id, bins.control_name, bins.model_version
),

with_counts as (
    select
        summary.*,
        out_of_range.n_without_score,
        out_of_range.n_out_of_range,
        {{ var('model_eval_calibration_bins') }} as n_bins,
        'ece_equal_width_v1' as metric_version,
    from summary
    left join out_of_range
        on summary.project_id = out_of_range.project_id
        and summary.control_name = out_of_range.control_name
        and summary.model_version = out_of_range.model_version
)

select * from with_counts
