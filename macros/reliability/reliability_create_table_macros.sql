{#- DuckDB table macros created in the warehouse by the build (post-hook of
    dim_reliability_macros), #14 item 7:
      select * from reliability_for_tasks((select list(task_id) from ... where ...))
    every reliability coefficient of fct_control_reliability_ci (estimate, bootstrap interval,
    reasons) for the chosen tasks, per (project, control) of the projects those tasks belong to,
    computed with the same macros as the marts: on the full list of tasks it returns
    fct_control_reliability_ci (tests/agreement/test_reliability_table_macro.py). B, level, seed
    and min units are the build's vars, frozen into the macro when the build creates it. -#}
{% macro reliability_for_tasks_sql() %}
{%- set unit_values = ref('int_reliability__unit_values').include(database=False) %}
{%- set pair_sums = ref('int_reliability__unit_pair_sums').include(database=False) %}
{%- set controls = ref('int_reliability__controls').include(database=False) %}
{%- set judgment_values = ref('int_agreement__judgment_values').include(database=False) %}
{%- set tasks = ref('stg_label_studio__tasks').include(database=False) %}
{%- set chosen = 'unit_id in (select unnest(task_ids))' %}
with

rt_unit_rows as (
    {{ reliability_unit_rows(unit_values, pair_sums, chosen) }}
),

rt_unit_profiles as (
    {{ reliability_profile_ids('rt_unit_rows') }}
),

rt_profiles as (
    {{ reliability_profiles('rt_unit_profiles') }}
),

rt_profile_categories as (
    {{ reliability_profile_categories('rt_profiles') }}
),

rt_profile_coincidences as (
    {{ reliability_profile_coincidences('rt_profile_categories') }}
),

rt_weights as (
    {{ reliability_profile_weights('rt_unit_profiles', 0) }}
    union all
    {{ reliability_profile_weights('rt_unit_profiles', var('concord_bootstrap_replicates')) }}
),

rt_coefficients as (
    {{ reliability_coefficients('rt_weights', 'rt_profiles', 'rt_profile_categories', 'rt_profile_coincidences', controls) }}
),

rt_controls as (
    select * from {{ controls }}
    where project_id in (
        select project_id from {{ tasks }}
        where task_id in (select unnest(task_ids))
    )
),

rt_answered_units as (
    select project_id, control_name, count(distinct task_id) as n_units_answered,
    from {{ judgment_values }}
    where judgment_kind = 'annotation'
        and task_id in (select unnest(task_ids))
    group by project_id, control_name
),

rt_point as (
    select * from rt_coefficients where replicate_id = 0
),

rt_estimates as (
    select
        estimates.*,
        coalesce(pair_units.n_pair_units, 0) as n_pair_units,
    from (
        {{ reliability_estimates('rt_controls', 'rt_point', 'rt_answered_units') }}
    ) as estimates
    left join (
        select project_id, control_name, count(*) as n_pair_units,
        from rt_unit_rows
        where n_pairs > 0
        group by project_id, control_name
    ) as pair_units
        on estimates.project_id = pair_units.project_id
        and estimates.control_name = pair_units.control_name
),

rt_replicates as (
    select * from rt_coefficients where replicate_id > 0
)

select * from (
    {{ reliability_intervals('rt_estimates', 'rt_replicates') }}
) as intervals
{% endmacro %}

{% macro reliability_create_table_macros() %}
create or replace macro main.reliability_for_tasks(task_ids) as table
{{ reliability_for_tasks_sql() }}
{% endmacro %}
