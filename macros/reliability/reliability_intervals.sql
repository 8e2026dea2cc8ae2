{#- Long form of the reliability coefficients with their bootstrap intervals: one row per
    (project, control, coefficient). `estimates` has fct_control_reliability's columns,
    `replicates` one row per (replicate_id >= 1, project, control) with the same coefficient
    columns (reliability_coefficients). Shared by fct_control_reliability_ci and
    reliability_for_tasks. -#}
{% macro reliability_coefficient_names() -%}
{{ return([
    ('percent_agreement', 'n_coincident_units', 'gwet_reason'),
    ('alpha_nominal', 'n_coincident_units', 'alpha_reason'),
    ('alpha_ordinal', 'n_coincident_units', 'alpha_reason'),
    ('alpha_interval', 'n_coincident_units', 'alpha_reason'),
    ('gwet_ac1', 'n_coincident_units', 'gwet_reason'),
    ('gwet_ac2', 'n_coincident_units', 'gwet_reason'),
    ('fleiss_kappa', 'n_coincident_units', 'fleiss_reason'),
    ('cohen_kappa', 'n_cohen_units', 'cohen_reason'),
    ('mean_pairwise_agreement', 'n_pair_units', 'null'),
]) }}
{%- endmacro %}

{% macro reliability_intervals(estimates, replicates) %}
with

ri_estimates as (
    {%- for name, units, reason in reliability_coefficient_names() %}
    select
        project_id,
        control_name,
        '{{ name }}' as coefficient,
        {{ loop.index }} as coefficient_order,
        {{ name }} as estimate,
        {%- if name == 'mean_pairwise_agreement' %}
        case when n_pairs = 0 then 'no pair of annotations on the control' end as estimate_reason,
        {%- elif name in ('alpha_ordinal', 'alpha_interval', 'gwet_ac2') %}
        coalesce({{ reason }}, case when value_kind = 'categorical' then 'needs a numeric control (Rating, Number)' end) as estimate_reason,
        {%- else %}
        {{ reason }} as estimate_reason,
        {%- endif %}
        cast({{ units }} as bigint) as n_units,
    from {{ estimates }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

ri_replicates as (
    {%- for name, units, reason in reliability_coefficient_names() %}
    select project_id, control_name, '{{ name }}' as coefficient, replicate_id, {{ name }} as replicate_value,
    from {{ replicates }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

ri_bounds as (
    select
        project_id,
        control_name,
        coefficient,
        count(replicate_value) as n_valid_replicates,
        {{ bootstrap_lower('replicate_value') }} as ci_lower,
        {{ bootstrap_upper('replicate_value') }} as ci_upper,
    from ri_replicates
    group by project_id, control_name, coefficient
),

ri_joined as (
    select
        ri_estimates.*,
        coalesce(ri_bounds.n_valid_replicates, 0) as n_valid_replicates,
        ri_bounds.ci_lower,
        ri_bounds.ci_upper,
        {{ bootstrap_null_reason('ri_estimates.estimate', 'ri_estimates.estimate_reason', 'ri_estimates.n_units',
            'coalesce(ri_bounds.n_valid_replicates, 0)') }} as ci_reason,
    from ri_estimates
    left join ri_bounds
        on ri_estimates.project_id = ri_bounds.project_id
        and ri_estimates.control_name = ri_bounds.control_name
        and ri_estimates.coefficient = ri_bounds.coefficient
)

select
    project_id,
    control_name,
    coefficient,
    coefficient_order,
    estimate,
    case when ci_reason is null then ci_lower end as ci_lower,
    case when ci_reason is null then ci_upper end as ci_upper,
    cast({{ var('concord_bootstrap_level') }} as double) as ci_level,
    cast({{ var('concord_bootstrap_replicates') }} as bigint) as n_replicates,
    cast(n_valid_replicates as bigint) as n_valid_replicates,
    n_units,
    ci_reason,
    estimate_reason,
    'poisson_bootstrap_percentile_v1' as ci_method,
    cast({{ var('concord_bootstrap_seed') }} as bigint) as bootstrap_seed,
from ri_joined
{% endmacro %}
