-- One row per (project, Rating / Number control, annotator): the annotator's signed bias against
-- the consensus of the other annotators, with a t-based confidence interval (docs/agreement.md,
-- "ICC and bias").
--   difference (per rating): the annotator's number - the median of the OTHER annotators' numbers
--     on the task (leave-one-out: with the annotator's own number in the median, the bias would
--     shrink toward 0, to exactly half with two annotators); tasks no one else rated are left out
--   mean_bias: mean difference; bias_ci_lower / bias_ci_upper: mean +- t(level, n - 1) * sd / sqrt(n),
--     level var concord_bias_ci_level; NULL with ci_null_reason for fewer than 2 differences
--   t quantiles: seed student_t_quantiles (scipy.stats.t.ppf) for df <= 1000; above, the
--     Cornish-Fisher expansion (error < 1e-9 there)
-- The CI treats the annotator's differences as independent draws; it ignores that a task's
-- consensus is shared by its annotators (docs: when it is unreliable).
{%- set level = var('concord_bias_ci_level') %}
with

ratings as (
    select * from {{ ref('int_agreement__numeric_ratings') }}
),

quantiles as (
    select
        df,
        t_quantile
    from {{ ref('student_t_quantiles') }}
    where abs(level - {{ level }}) < 1e-12
),

normal_quantile as (
    select t_quantile as z from {{ ref('student_t_quantiles') }}
    where abs(level - {{ level }}) < 1e-12 and df = 0
),

other_ratings as (
    select
        own.project_id,
        own.control_name,
        own.annotation_id,
        own.rater_id,
        own.number_value as own_value,
        other.number_value as other_value
    from ratings as own
    inner join ratings as other
        on own.task_id = other.task_id
        and own.project_id = other.project_id
        and own.control_name = other.control_name
        and own.rater_id <> other.rater_id
),

loo_medians as (
    {{ concord_grouped_median(
        'other_ratings', ['project_id', 'control_name', 'annotation_id', 'rater_id', 'own_value'],
        'other_value', 'others_median'
    ) }}
),

differences as (
    select
        project_id,
        control_name,
        rater_id,
        own_value - others_median as difference
    from loo_medians
),

rater_totals as (
    select
        project_id,
        control_name,
        rater_id,
        min(control_type) as control_type,
        count(*) as n_ratings
    from ratings
    group by project_id, control_name, rater_id
),

means as (
    select
        project_id,
        control_name,
        rater_id,
        count(*) as n_compared,
        favg(difference) as mean_bias
    from differences
    group by project_id, control_name, rater_id
),

-- the sample standard deviation in two passes over fsum, not stddev_samp: its streaming update
-- depends on the order the rows arrive in, and two 100k builds differed in the last bits of 22
-- rows (docs/architecture.md "Deterministic numbers"); NULL for one difference, as stddev_samp
stats as (
    select
        means.project_id,
        means.control_name,
        means.rater_id,
        means.n_compared,
        means.mean_bias,
        case
            when means.n_compared > 1
                then sqrt(
                    fsum(pow(differences.difference - means.mean_bias, 2)) / (means.n_compared - 1)
                )
        end as sd_difference
    from means
    inner join differences
        on means.project_id = differences.project_id
        and means.control_name = differences.control_name
        and means.rater_id = differences.rater_id
    group by means.project_id, means.control_name, means.rater_id, means.n_compared, means.mean_bias
),

with_t as (
    select
        stats.*,
        case
            when stats.n_compared - 1 <= 1000 then quantiles.t_quantile
            else (
                -- Cornish-Fisher expansion of the t quantile in 1/df (Abramowitz and Stegun 26.7.5)
                normal_quantile.z
                + (pow(normal_quantile.z, 3) + normal_quantile.z) / (4 * (stats.n_compared - 1))
                + (5 * pow(normal_quantile.z, 5) + 16 * pow(normal_quantile.z, 3) + 3 * normal_quantile.z)
                / (96 * pow(stats.n_compared - 1, 2))
                + (
                    3 * pow(normal_quantile.z, 7)
                    + 19 * pow(normal_quantile.z, 5)
                    + 17 * pow(normal_quantile.z, 3)
                    - 15 * normal_quantile.z
                ) / (384 * pow(stats.n_compared - 1, 3)
                )
            )
        end as t_quantile
    from stats
    cross join normal_quantile
    left join quantiles
        on stats.n_compared - 1 = quantiles.df
),

final as (
    select
        rater_totals.project_id,
        rater_totals.control_name,
        rater_totals.rater_id as annotator_id,
        rater_totals.control_type,
        rater_totals.n_ratings,
        coalesce(with_t.n_compared, 0) as n_compared,
        with_t.mean_bias,
        with_t.sd_difference,
        case
            when with_t.n_compared >= 2
                then with_t.mean_bias - with_t.t_quantile * with_t.sd_difference / sqrt(with_t.n_compared)
        end
            as bias_ci_lower,
        case
            when with_t.n_compared >= 2
                then with_t.mean_bias + with_t.t_quantile * with_t.sd_difference / sqrt(with_t.n_compared)
        end
            as bias_ci_upper,
        cast({{ level }} as double) as ci_level,
        case
            when with_t.n_compared is null then 'no task rated by this annotator and another'
            when with_t.n_compared < 2 then 'fewer than 2 tasks shared with another annotator'
        end as ci_null_reason
    from rater_totals
    left join with_t
        on rater_totals.project_id = with_t.project_id
        and rater_totals.control_name = with_t.control_name
        and rater_totals.rater_id = with_t.rater_id
)

select * from final
