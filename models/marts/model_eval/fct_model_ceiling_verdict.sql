-- Is the model below the human ceiling? One row per (project, control, model_version) of
-- fct_agreement_ceiling with percentile bootstrap intervals (#14) for the model-human agreement,
-- the like-for-like human-human agreement (the ceiling, on the tasks the model predicted) and
-- their gap, all three from the same resamples of tasks (Poisson(1) weights from a hash of
-- (concord_bootstrap_seed, replicate, task), the weights the reliability intervals use), so the
-- gap's interval accounts for the correlation of both means over the same tasks.
--   verdict  below_human_ceiling   the gap's interval lies below 0 (upper bound < 0)
--            within_human_ceiling  the interval reaches 0 or above (includes "above the ceiling")
--            insufficient_data     no interval: see ci_reason (no pairs on either side, fewer than
--                                  concord_bootstrap_min_units tasks, too many undefined replicates)
-- docs/model_eval.md "Model vs the human ceiling" explains how to read it.
{%- set replicates = var('concord_bootstrap_replicates') %}
with

unit_profiles as (
    select * from {{ ref('int_model_eval__ceiling_unit_profiles') }}
),

profiles as (
    select
        project_id,
        control_name,
        model_version,
        profile_id,
        min(n_model_pairs) as n_model_pairs,
        min(sum_model_agreement) as sum_model_agreement,
        min(n_human_pairs) as n_human_pairs,
        min(sum_human_agreement) as sum_human_agreement
    from unit_profiles
    group by project_id, control_name, model_version, profile_id
),

weights as (
    {{ reliability_profile_weights('unit_profiles', 0, ['project_id', 'control_name', 'model_version']) }}
    union all
    {{ reliability_profile_weights(
        'unit_profiles', replicates, ['project_id', 'control_name', 'model_version']
    ) }}
),

replicate_means as (
    select
        weights.replicate_id,
        weights.project_id,
        weights.control_name,
        weights.model_version,
        sum(weights.weight) as n_tasks,
        cast(sum(cast(weights.weight * profiles.sum_model_agreement as decimal(38, 18))) as double)
        / nullif(sum(weights.weight * profiles.n_model_pairs), 0) as model_human_agreement,
        cast(sum(cast(weights.weight * profiles.sum_human_agreement as decimal(38, 18))) as double)
        / nullif(sum(weights.weight * profiles.n_human_pairs), 0) as human_human_agreement
    from weights
    inner join profiles
        on weights.project_id = profiles.project_id
        and weights.control_name = profiles.control_name
        and weights.model_version = profiles.model_version
        and weights.profile_id = profiles.profile_id
    group by weights.replicate_id, weights.project_id, weights.control_name, weights.model_version
),

with_gap as (
    select
        *,
        model_human_agreement - human_human_agreement as agreement_gap
    from replicate_means
),

intervals as (
    select
        project_id,
        control_name,
        model_version,
        count(agreement_gap) as n_valid_replicates,
        -- a Jinja loop whose last column has no comma: sqlfluff cannot lay it out
        -- noqa: disable=LT02
        {%- for measure in ['model_human_agreement', 'human_human_agreement', 'agreement_gap'] %}
            {{ bootstrap_lower(measure) }} as {{ measure }}_lower,
            {{ bootstrap_upper(measure) }} as {{ measure }}_upper{{ ',' if not loop.last }}
        {%- endfor %}
    -- noqa: enable=LT02
    from with_gap
    where replicate_id > 0
    group by project_id, control_name, model_version
),

ceiling as (
    select * from {{ ref('fct_agreement_ceiling') }}
),

estimates as (
    select
        ceiling.project_id,
        ceiling.control_name,
        ceiling.model_version,
        ceiling.control_type,
        ceiling.metric_name,
        cast(ceiling.n_tasks as bigint) as n_tasks,
        ceiling.n_model_human_pairs,
        ceiling.n_human_pairs,
        ceiling.model_human_agreement,
        ceiling.human_human_agreement,
        ceiling.agreement_gap,
        coalesce(intervals.n_valid_replicates, 0) as n_valid_replicates,
        intervals.* exclude (project_id, control_name, model_version, n_valid_replicates),
        {{ bootstrap_null_reason('ceiling.agreement_gap',
            "case when ceiling.n_human_pairs = 0 then 'no human-human pair on the tasks the model predicted'
                  when ceiling.n_model_human_pairs = 0 then 'no model-human pair' end",
            'ceiling.n_tasks', 'coalesce(intervals.n_valid_replicates, 0)') }} as ci_reason
    from ceiling
    left join with_gap as point
        on ceiling.project_id = point.project_id
        and ceiling.control_name = point.control_name
        and ceiling.model_version = point.model_version
        and point.replicate_id = 0
    left join intervals
        on ceiling.project_id = intervals.project_id
        and ceiling.control_name = intervals.control_name
        and ceiling.model_version = intervals.model_version
)

select
    project_id,
    control_name,
    model_version,
    control_type,
    metric_name,
    n_tasks,
    n_model_human_pairs,
    n_human_pairs,
    model_human_agreement,
    case when ci_reason is null then model_human_agreement_lower end as model_human_agreement_lower,
    case when ci_reason is null then model_human_agreement_upper end as model_human_agreement_upper,
    human_human_agreement,
    case when ci_reason is null then human_human_agreement_lower end as human_human_agreement_lower,
    case when ci_reason is null then human_human_agreement_upper end as human_human_agreement_upper,
    agreement_gap,
    case when ci_reason is null then agreement_gap_lower end as agreement_gap_lower,
    case when ci_reason is null then agreement_gap_upper end as agreement_gap_upper,
    case
        when ci_reason is not null then 'insufficient_data'
        when agreement_gap_upper < 0 then 'below_human_ceiling'
        else 'within_human_ceiling'
    end as verdict,
    ci_reason,
    cast({{ var('concord_bootstrap_level') }} as double) as ci_level,
    cast({{ replicates }} as bigint) as n_replicates,
    cast(n_valid_replicates as bigint) as n_valid_replicates,
    'poisson_bootstrap_percentile_v1' as ci_method,
    cast({{ var('concord_bootstrap_seed') }} as bigint) as bootstrap_seed
from estimates
