{#- Aggregate: the sorted distinct elements of all the lists in `column` over the group
    (e.g. every choice seen for a control). Null elements are dropped. -#}
{% macro list_agg_distinct_flat(column) -%}
    {{ return(adapter.dispatch('list_agg_distinct_flat', 'concord')(column)) }}
{%- endmacro %}

{% macro duckdb__list_agg_distinct_flat(column) -%}
    list_sort(list_distinct(flatten(list({{ column }}) filter (where {{ column }} is not null))))
{%- endmacro %}

{% macro spark__list_agg_distinct_flat(column) -%}
    array_sort(array_distinct(flatten(collect_list({{ column }}))))
{%- endmacro %}
