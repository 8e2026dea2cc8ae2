{#- Every reliability coefficient per (replicate_id, project_id, control_name), from per-profile
    statistics and weights (reliability_profiles.sql). Replicate 0 with weight = n_units is the
    data itself (fct_control_reliability); replicates 1..B are Poisson bootstrap resamples of the
    units (fct_control_reliability_ci). A unit of weight w counts as w copies of the unit, so each
    replicate is the coefficient recomputed on the resampled units, with two design facts held at
    their values on the data: the annotator count / pair (Cohen) and the numeric rescaling.
    Every sum over rows is exact: each term is rounded to decimal(38, 18) (deterministically, row
    by row) and decimals add without rounding, so the order DuckDB's threads add them in does not
    matter and a rebuild gives the same bytes; integer weights and counts add exactly anyway.
    Formulas and sources: docs/agreement.md and fct_control_reliability.sql. -#}
{% macro reliability_coefficients(weights, profiles, profile_categories, profile_coincidences, controls) %}
{%- set exact = 'decimal(38, 18)' %}
with

rc_profiles as (
    select weights.replicate_id, weights.weight, profiles.*,
    from {{ weights }} as weights
    inner join {{ profiles }} as profiles
        on weights.project_id = profiles.project_id
        and weights.control_name = profiles.control_name
        and weights.profile_id = profiles.profile_id
),

rc_unit_totals as (
    select
        replicate_id,
        project_id,
        control_name,
        coalesce(sum(weight) filter (where n_unit_values >= 1), 0) as n_units,
        coalesce(sum(weight) filter (where n_unit_values >= 2), 0) as n_coincident_units,
        coalesce(sum(weight * n_unit_values), 0) as n_values,
        min(n_unit_values) filter (where n_unit_values >= 2) as min_unit_values,
        max(n_unit_values) filter (where n_unit_values >= 2) as max_unit_values,
        sum(cast(weight * unit_agreement as {{ exact }})) filter (where n_unit_values >= 2) as sum_unit_agreement,
        coalesce(sum(weight * n_pairs), 0) as n_pairs,
        sum(cast(weight * sum_agreement as {{ exact }})) as sum_agreement,
        min(n_annotators) as n_annotators,
    from rc_profiles
    group by replicate_id, project_id, control_name
),

rc_cohen_rows as (
    select replicate_id, project_id, control_name, cohen_category_1, cohen_category_2, weight,
    from rc_profiles
    where cohen_category_1 is not null
),

rc_cohen as (
    {{ cohen_agreement_parts('rc_cohen_rows', ['replicate_id', 'project_id', 'control_name'],
        'cohen_category_1', 'cohen_category_2', 'weight') }}
),

rc_categories as (
    select
        weights.replicate_id,
        categories.project_id,
        categories.control_name,
        categories.category,
        min(categories.category_number) as category_number,
        sum(cast(weights.weight * categories.unit_share as {{ exact }})) as sum_share,
        sum(weights.weight * categories.n_unit_category) filter (where categories.n_unit_values >= 2) as n_coincident_values,
    from {{ weights }} as weights
    inner join {{ profile_categories }} as categories
        on weights.project_id = categories.project_id
        and weights.control_name = categories.control_name
        and weights.profile_id = categories.profile_id
    group by weights.replicate_id, categories.project_id, categories.control_name, categories.category
),

rc_coincidences as (
    select
        weights.replicate_id,
        coincidences.project_id,
        coincidences.control_name,
        coincidences.category_c,
        coincidences.category_k,
        sum(cast(weights.weight * coincidences.coincidence as {{ exact }})) as coincidence,
        sum(cast(weights.weight * coincidences.quad_term as {{ exact }})) as quad_term,
    from {{ weights }} as weights
    inner join {{ profile_coincidences }} as coincidences
        on weights.project_id = coincidences.project_id
        and weights.control_name = coincidences.control_name
        and weights.profile_id = coincidences.profile_id
    group by weights.replicate_id, coincidences.project_id, coincidences.control_name,
        coincidences.category_c, coincidences.category_k
),

-- Krippendorff's alpha: marginals n_c of the coincidence matrix, distances, observed / expected
rc_marginals as (
    select
        rc_coincidences.replicate_id,
        rc_coincidences.project_id,
        rc_coincidences.control_name,
        rc_coincidences.category_c as category,
        min(rc_categories.category_number) as category_number,
        sum(rc_coincidences.coincidence) as n_c,
    from rc_coincidences
    inner join rc_categories
        on rc_coincidences.replicate_id = rc_categories.replicate_id
        and rc_coincidences.project_id = rc_categories.project_id
        and rc_coincidences.control_name = rc_categories.control_name
        and rc_coincidences.category_c = rc_categories.category
    group by rc_coincidences.replicate_id, rc_coincidences.project_id, rc_coincidences.control_name,
        rc_coincidences.category_c
),

rc_marginals_cumulated as (
    select
        *,
        sum(n_c) over (
            partition by replicate_id, project_id, control_name
            order by category_number, category
            rows between unbounded preceding and current row
        ) as cumulative_n,
        sum(n_c) over (partition by replicate_id, project_id, control_name) as n_pairable,
    from rc_marginals
),

rc_category_pairs as (
    select
        marginal_c.replicate_id,
        marginal_c.project_id,
        marginal_c.control_name,
        marginal_c.category as category_c,
        marginal_k.category as category_k,
        cast(marginal_c.n_c as double) as n_c,
        cast(marginal_k.n_c as double) as n_k,
        cast(marginal_c.n_pairable as double) as n_pairable,
        case when marginal_c.category = marginal_k.category then 0.0 else 1.0 end as distance_nominal,
        power(marginal_c.category_number - marginal_k.category_number, 2) as distance_interval,
        -- divided by n^2 (alpha is invariant under scaling the distance): keeps the sums small
        case
            when marginal_c.category_number <= marginal_k.category_number
                then power(cast(marginal_k.cumulative_n - marginal_c.cumulative_n as double)
                    + (cast(marginal_c.n_c as double) - cast(marginal_k.n_c as double)) / 2.0, 2)
            else power(cast(marginal_c.cumulative_n - marginal_k.cumulative_n as double)
                + (cast(marginal_k.n_c as double) - cast(marginal_c.n_c as double)) / 2.0, 2)
        end / power(cast(marginal_c.n_pairable as double), 2) as distance_ordinal,
    from rc_marginals_cumulated as marginal_c
    inner join rc_marginals_cumulated as marginal_k
        on marginal_c.replicate_id = marginal_k.replicate_id
        and marginal_c.project_id = marginal_k.project_id
        and marginal_c.control_name = marginal_k.control_name
),

rc_alpha_sums as (
    select
        rc_category_pairs.replicate_id,
        rc_category_pairs.project_id,
        rc_category_pairs.control_name,
        max(rc_category_pairs.n_pairable) as n_pairable,
        {%- for level in ['nominal', 'ordinal', 'interval'] %}
        sum(cast(coalesce(cast(rc_coincidences.coincidence as double), 0) * rc_category_pairs.distance_{{ level }} as {{ exact }}))
            as observed_{{ level }},
        sum(cast(rc_category_pairs.n_c * rc_category_pairs.n_k * rc_category_pairs.distance_{{ level }} as {{ exact }}))
            as expected_{{ level }},
        {%- endfor %}
    from rc_category_pairs
    left join rc_coincidences
        on rc_category_pairs.replicate_id = rc_coincidences.replicate_id
        and rc_category_pairs.project_id = rc_coincidences.project_id
        and rc_category_pairs.control_name = rc_coincidences.control_name
        and rc_category_pairs.category_c = rc_coincidences.category_c
        and rc_category_pairs.category_k = rc_coincidences.category_k
    group by rc_category_pairs.replicate_id, rc_category_pairs.project_id, rc_category_pairs.control_name
),

-- Gwet: q categories observed (any unit), range, weight totals, pe; Fleiss' category shares
rc_category_ranges as (
    select
        replicate_id,
        project_id,
        control_name,
        count(*) as n_categories,
        max(category_number) - min(category_number) as category_range,
    from rc_categories
    group by replicate_id, project_id, control_name
),

rc_weight_totals as (
    select
        category_k.replicate_id,
        category_k.project_id,
        category_k.control_name,
        count(*) filter (where category_k.category = category_l.category) as total_weight_identity,
        sum(cast(
            case
                when rc_category_ranges.category_range > 0
                    then 1.0 - power(category_k.category_number - category_l.category_number, 2)
                        / power(rc_category_ranges.category_range, 2)
            end as {{ exact }}
        )) as total_weight_quadratic,
    from rc_categories as category_k
    inner join rc_categories as category_l
        on category_k.replicate_id = category_l.replicate_id
        and category_k.project_id = category_l.project_id
        and category_k.control_name = category_l.control_name
    inner join rc_category_ranges
        on category_k.replicate_id = rc_category_ranges.replicate_id
        and category_k.project_id = rc_category_ranges.project_id
        and category_k.control_name = rc_category_ranges.control_name
    group by category_k.replicate_id, category_k.project_id, category_k.control_name
),

rc_chance as (
    select
        rc_categories.replicate_id,
        rc_categories.project_id,
        rc_categories.control_name,
        -- Gwet: sum_k pi_k (1 - pi_k), pi_k = mean over units of n_uk / m_u
        sum(cast(
            (cast(rc_categories.sum_share as double) / rc_unit_totals.n_units)
                * (1 - cast(rc_categories.sum_share as double) / rc_unit_totals.n_units)
            as {{ exact }}
        )) as prevalence_spread,
        -- Fleiss: sum_j p_j^2, p_j = sum_u n_uj / (N m)
        sum(cast(
            power(rc_categories.n_coincident_values
                / (rc_unit_totals.n_coincident_units * rc_unit_totals.min_unit_values * 1.0), 2)
            as {{ exact }}
        )) filter (where rc_categories.n_coincident_values is not null) as fleiss_chance,
    from rc_categories
    inner join rc_unit_totals
        on rc_categories.replicate_id = rc_unit_totals.replicate_id
        and rc_categories.project_id = rc_unit_totals.project_id
        and rc_categories.control_name = rc_unit_totals.control_name
    group by rc_categories.replicate_id, rc_categories.project_id, rc_categories.control_name
),

rc_quad as (
    select replicate_id, project_id, control_name, sum(quad_term) as sum_quad_term,
    from rc_coincidences
    group by replicate_id, project_id, control_name
),

rc_parts as (
    select
        rc_unit_totals.*,
        controls.value_kind,
        rc_category_ranges.n_categories,
        rc_category_ranges.category_range,
        cast(rc_unit_totals.sum_unit_agreement as double) / nullif(rc_unit_totals.n_coincident_units, 0) as pa_identity,
        case
            when rc_category_ranges.category_range > 0 and rc_unit_totals.n_coincident_units > 0
                then 1.0 - (cast(rc_quad.sum_quad_term as double) / rc_unit_totals.n_coincident_units)
                    / power(rc_category_ranges.category_range, 2)
        end as pa_quadratic,
        case
            when rc_category_ranges.n_categories >= 2
                then rc_weight_totals.total_weight_identity * cast(rc_chance.prevalence_spread as double)
                    / (rc_category_ranges.n_categories * (rc_category_ranges.n_categories - 1.0))
        end as pe_identity,
        case
            when rc_category_ranges.n_categories >= 2
                then cast(rc_weight_totals.total_weight_quadratic as double) * cast(rc_chance.prevalence_spread as double)
                    / (rc_category_ranges.n_categories * (rc_category_ranges.n_categories - 1.0))
        end as pe_quadratic,
        cast(rc_chance.fleiss_chance as double) as fleiss_chance,
        rc_alpha_sums.n_pairable,
        {%- for level in ['nominal', 'ordinal', 'interval'] %}
        cast(rc_alpha_sums.observed_{{ level }} as double) as observed_{{ level }},
        cast(rc_alpha_sums.expected_{{ level }} as double) as expected_{{ level }},
        {%- endfor %}
        coalesce(rc_cohen.n_units, 0) as n_cohen_units,
        rc_cohen.observed_agreement as cohen_observed,
        rc_cohen.expected_agreement as cohen_expected,
    from rc_unit_totals
    inner join {{ controls }} as controls
        on rc_unit_totals.project_id = controls.project_id
        and rc_unit_totals.control_name = controls.control_name
    left join rc_category_ranges
        on rc_unit_totals.replicate_id = rc_category_ranges.replicate_id
        and rc_unit_totals.project_id = rc_category_ranges.project_id
        and rc_unit_totals.control_name = rc_category_ranges.control_name
    left join rc_weight_totals
        on rc_unit_totals.replicate_id = rc_weight_totals.replicate_id
        and rc_unit_totals.project_id = rc_weight_totals.project_id
        and rc_unit_totals.control_name = rc_weight_totals.control_name
    left join rc_chance
        on rc_unit_totals.replicate_id = rc_chance.replicate_id
        and rc_unit_totals.project_id = rc_chance.project_id
        and rc_unit_totals.control_name = rc_chance.control_name
    left join rc_quad
        on rc_unit_totals.replicate_id = rc_quad.replicate_id
        and rc_unit_totals.project_id = rc_quad.project_id
        and rc_unit_totals.control_name = rc_quad.control_name
    left join rc_alpha_sums
        on rc_unit_totals.replicate_id = rc_alpha_sums.replicate_id
        and rc_unit_totals.project_id = rc_alpha_sums.project_id
        and rc_unit_totals.control_name = rc_alpha_sums.control_name
    left join rc_cohen
        on rc_unit_totals.replicate_id = rc_cohen.replicate_id
        and rc_unit_totals.project_id = rc_cohen.project_id
        and rc_unit_totals.control_name = rc_cohen.control_name
)

select
    replicate_id,
    project_id,
    control_name,
    value_kind,
    n_units,
    n_coincident_units,
    n_values,
    n_categories,
    min_unit_values,
    max_unit_values,
    n_annotators,
    n_cohen_units,
    n_pairs,
    cast(sum_agreement as double) / nullif(n_pairs, 0) as mean_pairwise_agreement,
    case when value_kind is not null and n_coincident_units > 0 then pa_identity end as percent_agreement,
    {%- for level in ['nominal', 'ordinal', 'interval'] %}
    case
        when value_kind is null or n_coincident_units = 0 then null
        {%- if level != 'nominal' %}
        when value_kind != 'numeric' then null
        {%- endif %}
        when expected_{{ level }} = 0 then null
        else 1.0 - (n_pairable - 1) * observed_{{ level }} / expected_{{ level }}
    end as alpha_{{ level }},
    {%- endfor %}
    expected_nominal,
    case
        when value_kind is null or n_coincident_units = 0 then null
        when pe_identity is null or pe_identity >= 1 then null
        else (pa_identity - pe_identity) / (1 - pe_identity)
    end as gwet_ac1,
    case
        when coalesce(value_kind, '') != 'numeric' or n_coincident_units = 0 then null
        when pe_quadratic is null or pe_quadratic >= 1 then null
        else (pa_quadratic - pe_quadratic) / (1 - pe_quadratic)
    end as gwet_ac2,
    fleiss_chance,
    case
        when value_kind is null or n_coincident_units = 0 then null
        when min_unit_values != max_unit_values then null
        when fleiss_chance >= 1 then null
        else (pa_identity - fleiss_chance) / (1 - fleiss_chance)
    end as fleiss_kappa,
    cohen_expected,
    case
        when value_kind is null or coalesce(n_annotators, 0) != 2 or n_cohen_units = 0 then null
        else {{ cohen_kappa('cohen_observed', 'cohen_expected') }}
    end as cohen_kappa,
from rc_parts
{% endmacro %}
