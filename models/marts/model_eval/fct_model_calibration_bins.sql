-- Reliability diagram per (project, Choices control, confidence score, model_version): var
-- model_eval_calibration_bins (default 10) equal-width bins over [0, 1] of a confidence score of
-- the model's label (int_model_eval__prediction_confidences: prediction.score, the choice's region
-- score, score tables keyed by prediction_id), every bin listed (empty ones with n_units = 0).
-- Bin b (0-based) holds lower_b <= score < upper_b, the last bin also score = 1:
--   bin_index = least(floor(score * B), B - 1). Scores outside [0, 1] are not binned (counted in
--   fct_model_calibration.n_out_of_range).
-- accuracy = share of units whose model label equals the human consensus label.
-- Unit: one prediction's confidence score on a task with a defined consensus label.
{%- set n_bins = var('model_eval_calibration_bins') | int %}
with

confidences as (
    select * from {{ ref('int_model_eval__prediction_confidences') }}
),

consensus as (
    select * from {{ ref('int_model_eval__human_consensus') }}
    where
        control_type = 'choices'
        and consensus_key is not null
),

bins as (
    {%- for bin_index in range(n_bins) %}
        select
            {{ bin_index }} as bin_index,
            cast({{ bin_index }} as {{ concord.type_double() }}) / {{ n_bins }} as bin_lower,
            cast({{ bin_index + 1 }} as {{ concord.type_double() }}) / {{ n_bins }} as bin_upper
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

units as (
    select
        confidences.project_id,
        confidences.control_name,
        confidences.score_source,
        confidences.score_name,
        confidences.model_version,
        confidences.confidence,
        case when confidences.model_label = consensus.consensus_key then 1.0 else 0.0 end as is_correct,
        least(floor(confidences.confidence * {{ n_bins }}), {{ n_bins - 1 }}) as bin_index
    from confidences
    inner join consensus
        on confidences.task_id = consensus.task_id
        and confidences.control_name = consensus.control_name
    where confidences.confidence between 0 and 1
),

groups as (
    select distinct
        project_id,
        control_name,
        score_source,
        score_name,
        model_version
    from confidences
),

per_bin as (
    select
        project_id,
        control_name,
        score_source,
        score_name,
        model_version,
        bin_index,
        count(*) as n_units,
        favg(confidence) as mean_score,
        favg(is_correct) as accuracy
    from units
    group by project_id, control_name, score_source, score_name, model_version, bin_index
),

all_bins as (
    select
        groups.project_id,
        groups.control_name,
        groups.score_source,
        groups.score_name,
        groups.model_version,
        bins.bin_index,
        bins.bin_lower,
        bins.bin_upper,
        coalesce(per_bin.n_units, 0) as n_units,
        per_bin.mean_score,
        per_bin.accuracy,
        abs(per_bin.accuracy - per_bin.mean_score) as calibration_gap
    from groups
    cross join bins
    left join per_bin
        on groups.project_id = per_bin.project_id
        and groups.control_name = per_bin.control_name
        and groups.score_source = per_bin.score_source
        and groups.score_name = per_bin.score_name
        and groups.model_version = per_bin.model_version
        and bins.bin_index = per_bin.bin_index
)

select * from all_bins
