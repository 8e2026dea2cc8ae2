{#- Per-unit sufficient statistics of the reliability coefficients (#13/#14): one row per
    (project, control, unit) over `unit_values` (int_reliability__unit_values: one row per value)
    and `pair_sums` (int_reliability__unit_pair_sums: human pair agreement per unit), both
    restricted to `unit_filter` (a predicate on unit_id; reliability_for_tasks passes the subset).
      n_unit_values   m_u, values on the unit
      category_counts [{category, category_number, n}] sorted by category: n_uc per category;
                      category_number = the numeric value rescaled to [0, 1] over the control's
                      observed range (alpha ordinal / interval and AC2 are invariant under it;
                      it keeps every sum small enough for exact decimal arithmetic)
      cohen_category_1/_2  the two annotators' values on the unit, when exactly two annotators
                      answered the control (each once on this unit)
      n_pairs, sum_agreement  human-human pairs on the unit and the sum of their agreement
    n_annotators / annotator ids are per control over the whole (filtered) set. -#}
{% macro reliability_unit_rows(unit_values, pair_sums, unit_filter='true') %}
with

rel_values as (
    select * from {{ unit_values }}
    where {{ unit_filter }}
),

rel_pair_sums as (
    select * from {{ pair_sums }}
    where {{ unit_filter }}
),

rel_controls as (
    select
        project_id,
        control_name,
        count(distinct annotator_id) as n_annotators,
        min(annotator_id) as annotator_id_1,
        max(annotator_id) as annotator_id_2,
        min(category_number) as number_min,
        max(category_number) - min(category_number) as number_range,
    from rel_values
    group by project_id, control_name
),

rel_unit_categories as (
    select
        rel_values.project_id,
        rel_values.control_name,
        rel_values.unit_id,
        rel_values.category,
        case
            when min(rel_controls.number_range) > 0
                then (min(rel_values.category_number) - min(rel_controls.number_min)) / min(rel_controls.number_range)
            else min(rel_values.category_number) - min(rel_controls.number_min)
        end as category_number,
        count(*) as n_unit_category,
    from rel_values
    inner join rel_controls
        on rel_values.project_id = rel_controls.project_id
        and rel_values.control_name = rel_controls.control_name
    group by rel_values.project_id, rel_values.control_name, rel_values.unit_id, rel_values.category
),

rel_unit_counts as (
    select
        project_id,
        control_name,
        unit_id,
        cast(sum(n_unit_category) as bigint) as n_unit_values,
        list(
            struct_pack(category := category, category_number := category_number, n := n_unit_category)
            order by category
        ) as category_counts,
    from rel_unit_categories
    group by project_id, control_name, unit_id
),

rel_single_values as (
    select project_id, control_name, unit_id, annotator_id, min(category) as category,
    from rel_values
    group by project_id, control_name, unit_id, annotator_id
    having count(*) = 1
),

rel_cohen as (
    select
        rel_controls.project_id,
        rel_controls.control_name,
        value_1.unit_id,
        value_1.category as cohen_category_1,
        value_2.category as cohen_category_2,
    from rel_controls
    inner join rel_single_values as value_1
        on rel_controls.project_id = value_1.project_id
        and rel_controls.control_name = value_1.control_name
        and rel_controls.annotator_id_1 = value_1.annotator_id
    inner join rel_single_values as value_2
        on value_1.project_id = value_2.project_id
        and value_1.control_name = value_2.control_name
        and value_1.unit_id = value_2.unit_id
        and rel_controls.annotator_id_2 = value_2.annotator_id
    where rel_controls.n_annotators = 2
),

rel_units as (
    select project_id, control_name, unit_id, from rel_unit_counts
    union
    select project_id, control_name, unit_id, from rel_pair_sums
)

select
    rel_units.project_id,
    rel_units.control_name,
    rel_units.unit_id,
    coalesce(rel_unit_counts.n_unit_values, 0) as n_unit_values,
    rel_unit_counts.category_counts,
    rel_cohen.cohen_category_1,
    rel_cohen.cohen_category_2,
    coalesce(rel_pair_sums.n_pairs, 0) as n_pairs,
    coalesce(rel_pair_sums.sum_agreement, 0) as sum_agreement,
    rel_controls.n_annotators,
from rel_units
left join rel_unit_counts
    on rel_units.project_id = rel_unit_counts.project_id
    and rel_units.control_name = rel_unit_counts.control_name
    and rel_units.unit_id = rel_unit_counts.unit_id
left join rel_cohen
    on rel_units.project_id = rel_cohen.project_id
    and rel_units.control_name = rel_cohen.control_name
    and rel_units.unit_id = rel_cohen.unit_id
left join rel_pair_sums
    on rel_units.project_id = rel_pair_sums.project_id
    and rel_units.control_name = rel_pair_sums.control_name
    and rel_units.unit_id = rel_pair_sums.unit_id
left join rel_controls
    on rel_units.project_id = rel_controls.project_id
    and rel_units.control_name = rel_controls.control_name
{% endmacro %}
