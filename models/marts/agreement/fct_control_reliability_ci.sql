-- One row per (project, control, coefficient): each coefficient of fct_control_reliability and
-- the control's mean pairwise agreement, with a percentile bootstrap interval over tasks (#14).
-- Units (tasks) are resampled with Poisson(1) weights from a hash of (seed, replicate, task):
-- int_reliability__bootstrap_replicates. The interval is NULL with ci_reason when the estimate is
-- NULL, when there are fewer than concord_bootstrap_min_units units, or when the coefficient is
-- undefined in more than concord_bootstrap_max_undefined_share of the replicates.
-- docs/agreement.md "Confidence intervals" explains the method and when not to trust it.
with

pair_units as (
    select
        project_id,
        control_name,
        count(*) as n_pair_units
    from {{ ref('int_reliability__unit_pair_sums') }}
    group by project_id, control_name
),

estimates as (
    select
        reliability.*,
        coalesce(pair_units.n_pair_units, 0) as n_pair_units
    from {{ ref('fct_control_reliability') }} as reliability
    left join pair_units
        on reliability.project_id = pair_units.project_id
        and reliability.control_name = pair_units.control_name
)

select * from (
    {{ reliability_intervals('estimates', ref('int_reliability__bootstrap_replicates')) }}
) as intervals
