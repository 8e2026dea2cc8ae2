{#- Median of value_column per group of group_columns, as a query (use it as a CTE body): one row
    per group with at least one non-null value, columns group_columns + median_column. numpy.median
    semantics: the middle value, or the mean of the two middle values for an even count (what
    DuckDB's median() / quantile_cont(x, 0.5) return: equal to the last bit).
    Computed by rank (row_number over the group's values, ordered), not with a median() aggregate:
    DuckDB cannot spill median() / quantile states, and with millions of groups (1M tasks) they
    ran out of memory under CONCORD_MEMORY_LIMIT; a window sorts and spills. Plain SQL, valid for
    Spark as well (the default__ implementation).
    Usage: medians as ({{ concord_grouped_median('judgments', ['task_id', 'control_name'],
    'human_value', 'median_value') }}) -#}
{% macro concord_grouped_median(relation, group_columns, value_column, median_column) -%}
    {{ return(adapter.dispatch('concord_grouped_median', 'concord')(relation, group_columns, value_column, median_column)) }}
{%- endmacro %}

{% macro default__concord_grouped_median(relation, group_columns, value_column, median_column) -%}
    {%- set groups = group_columns | join(', ') %}
    select
        {{ groups }},
        case
            when max(n_ranked_values) % 2 = 1
                then max(case when value_rank * 2 = n_ranked_values + 1 then ranked_value end)
            else (
                max(case when value_rank * 2 = n_ranked_values then ranked_value end)
                + max(case when value_rank * 2 = n_ranked_values + 2 then ranked_value end)
            ) / 2
        end as {{ median_column }}
    from (
        select
            {{ groups }},
            {{ value_column }} as ranked_value,
            row_number() over (partition by {{ groups }} order by {{ value_column }}) as value_rank,
            count(*) over (partition by {{ groups }}) as n_ranked_values
        from {{ relation }}
        where {{ value_column }} is not null
    ) as ranked_values
    group by {{ groups }}
{%- endmacro %}
