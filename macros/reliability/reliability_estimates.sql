{#- fct_control_reliability's row per (project, control) from `controls`
    (int_reliability__controls), `coefficients` (reliability_coefficients, replicate 0) and
    `answered_units` (tasks with an annotation answering the control): counts, coefficients and
    the reason of every NULL coefficient. Shared with reliability_for_tasks. -#}
{% macro reliability_estimates(controls, coefficients, answered_units) %}
select
    controls.project_id,
    controls.control_name,
    controls.control_type,
    controls.value_kind,
    cast(coalesce(nullif(coefficients.n_units, 0), answered_units.n_units_answered, 0) as bigint) as n_units,
    cast(coalesce(coefficients.n_coincident_units, 0) as hugeint) as n_coincident_units,
    cast(coalesce(coefficients.n_annotators, 0) as bigint) as n_annotators,
    cast(coalesce(coefficients.n_values, 0) as hugeint) as n_values,
    cast(coefficients.n_categories as bigint) as n_categories,
    cast(coalesce(coefficients.n_pairs, 0) as bigint) as n_pairs,
    coefficients.mean_pairwise_agreement,
    coefficients.percent_agreement,
    coefficients.alpha_nominal,
    coefficients.alpha_ordinal,
    coefficients.alpha_interval,
    case
        when controls.value_kind is null
            then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
        when coalesce(coefficients.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
        when coefficients.expected_nominal = 0 then 'no variation: every pairable value is the same'
    end as alpha_reason,
    coefficients.gwet_ac1,
    coefficients.gwet_ac2,
    case
        when controls.value_kind is null
            then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
        when coalesce(coefficients.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
        when coalesce(coefficients.n_categories, 0) < 2 then 'no variation: one category only'
        when controls.value_kind = 'categorical' then 'AC2 needs ordered (numeric) categories; AC1 given'
    end as gwet_reason,
    coefficients.fleiss_kappa,
    case
        when controls.value_kind is null
            then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
        when coalesce(coefficients.n_coincident_units, 0) = 0 then 'no unit has 2 or more annotations'
        when coefficients.min_unit_values != coefficients.max_unit_values
            then 'units have unequal numbers of annotations ('
                || cast(coefficients.min_unit_values as {{ dbt.type_string() }}) || ' to '
                || cast(coefficients.max_unit_values as {{ dbt.type_string() }}) || ')'
        when coefficients.fleiss_chance >= 1 then 'no variation: every value is the same'
    end as fleiss_reason,
    coefficients.cohen_kappa,
    case
        when controls.value_kind is null
            then 'needs one categorical or numeric value per annotation (control type ' || controls.control_type || ')'
        when coalesce(coefficients.n_annotators, 0) != 2
            then 'needs exactly two annotators (found '
                || cast(coalesce(coefficients.n_annotators, 0) as {{ dbt.type_string() }}) || ')'
        when coalesce(coefficients.n_cohen_units, 0) = 0 then 'the two annotators share no unit'
        when coefficients.cohen_expected >= 1 then 'no variation: both annotators always give the same value'
    end as cohen_reason,
    cast(coalesce(coefficients.n_cohen_units, 0) as bigint) as n_cohen_units,
from {{ controls }} as controls
left join {{ coefficients }} as coefficients
    on controls.project_id = coefficients.project_id
    and controls.control_name = coefficients.control_name
left join {{ answered_units }} as answered_units
    on controls.project_id = answered_units.project_id
    and controls.control_name = answered_units.control_name

{% endmacro %}
