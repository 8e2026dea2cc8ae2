{#- Units with identical sufficient statistics share a profile: the coefficients see a unit only
    through its profile's statistics times the unit's weight, so every coefficient (the point
    estimate and each bootstrap replicate) is a sum over profiles of (sum of the weights of the
    profile's units) x (the profile's statistics). Categorical controls have a handful of profiles,
    so replicates cost O(units x B) integer weights plus O(profiles x B) small rows. -#}

{#- unit rows (reliability_unit_rows) + profile_id, dense within (project, control) -#}
{% macro reliability_profile_ids(unit_rows) %}
select
    *,
    dense_rank() over (
        partition by project_id, control_name
        order by n_unit_values, category_counts, cohen_category_1, cohen_category_2, n_pairs, sum_agreement
    ) as profile_id,
from {{ unit_rows }}
{% endmacro %}

{#- one row per profile: its statistics and n_units (units with it) -#}
{% macro reliability_profiles(unit_profiles) %}
select
    project_id,
    control_name,
    profile_id,
    min(n_unit_values) as n_unit_values,
    min(category_counts) as category_counts,
    min(cohen_category_1) as cohen_category_1,
    min(cohen_category_2) as cohen_category_2,
    min(n_pairs) as n_pairs,
    min(sum_agreement) as sum_agreement,
    min(n_annotators) as n_annotators,
    -- Gwet's pa / Fleiss' P_u of one unit: sum_c n_uc (n_uc - 1) / (m_u (m_u - 1)), m_u >= 2
    case
        when min(n_unit_values) >= 2
            then (list_sum(list_transform(min(category_counts), lambda count_c: count_c.n * count_c.n)) - min(n_unit_values))
                / (min(n_unit_values) * (min(n_unit_values) - 1.0))
    end as unit_agreement,
    count(*) as n_units,
from {{ unit_profiles }}
group by project_id, control_name, profile_id
{% endmacro %}

{#- one row per (profile, category): n_uc, and the unit's share n_uc / m_u -#}
{% macro reliability_profile_categories(profiles) %}
select
    project_id,
    control_name,
    profile_id,
    n_unit_values,
    count_c.category,
    count_c.category_number,
    count_c.n as n_unit_category,
    cast(count_c.n as double) / n_unit_values as unit_share,
from (
    select project_id, control_name, profile_id, n_unit_values, unnest(category_counts) as count_c,
    from {{ profiles }}
    where n_unit_values >= 1
)
{% endmacro %}

{#- Krippendorff's per-unit coincidences, units with m_u >= 2:
    coincidence = n_uc (n_uk - [c = k]) / (m_u - 1); quad_term = n_uc n_uk (x_c - x_k)^2 / (m_u (m_u - 1))
    (Gwet's quadratic-weighted disagreement of the unit, before dividing by the range^2) -#}
{% macro reliability_profile_coincidences(profile_categories) %}
select
    count_c.project_id,
    count_c.control_name,
    count_c.profile_id,
    count_c.category as category_c,
    count_k.category as category_k,
    count_c.n_unit_category
        * (count_k.n_unit_category - case when count_c.category = count_k.category then 1 else 0 end)
        / (count_c.n_unit_values - 1.0) as coincidence,
    count_c.n_unit_category * count_k.n_unit_category
        * power(count_c.category_number - count_k.category_number, 2)
        / (count_c.n_unit_values * (count_c.n_unit_values - 1.0)) as quad_term,
from {{ profile_categories }} as count_c
inner join {{ profile_categories }} as count_k
    on count_c.project_id = count_k.project_id
    and count_c.control_name = count_k.control_name
    and count_c.profile_id = count_k.profile_id
where count_c.n_unit_values >= 2
{% endmacro %}

{#- weights per (replicate, project, control, profile): replicate 0 = the data (weight = n_units);
    replicates 1..B = the sum of the units' Poisson(1) weights (reliability_bootstrap_weight),
    kept when > 0. `key_columns` group the units (project_id, control_name [, model_version]). -#}
{% macro reliability_profile_weights(unit_profiles, replicates, key_columns=['project_id', 'control_name']) %}
{%- if replicates == 0 %}
select
    0 as replicate_id,
    {% for column in key_columns %}{{ column }}, {% endfor %}
    profile_id,
    count(*) as weight,
from {{ unit_profiles }}
group by {% for column in key_columns %}{{ column }}, {% endfor %}profile_id
{%- else %}
select
    replicate_id,
    {% for column in key_columns %}{{ column }}, {% endfor %}
    profile_id,
    sum(unit_weight) as weight,
from (
    select
        units.replicate_id,
        {% for column in key_columns %}units.{{ column }}, {% endfor %}
        units.profile_id,
        {{ reliability_poisson_weight('units.uniform') }} as unit_weight,
    from (
        select
            {% for column in key_columns %}unit_profiles.{{ column }}, {% endfor %}
            unit_profiles.profile_id,
            replicate_range.replicate_id,
            {{ reliability_bootstrap_uniform('replicate_range.replicate_key', 'unit_profiles.unit_id') }} as uniform,
        from {{ unit_profiles }} as unit_profiles
        cross join (
            select range as replicate_id, {{ reliability_replicate_key('range') }} as replicate_key,
            from range(1, {{ replicates }} + 1)
        ) as replicate_range
    ) as units
) as weighted
where unit_weight > 0
group by replicate_id, {% for column in key_columns %}{{ column }}, {% endfor %}profile_id
{%- endif %}
{% endmacro %}
