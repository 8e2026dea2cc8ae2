{#- A list's distinct non-null elements in ascending order (the canonical form of a label set). -#}
{% macro concord_list_sorted_distinct(expr) -%}
    {{ return(adapter.dispatch('concord_list_sorted_distinct', 'concord')(expr)) }}
{%- endmacro %}

{% macro duckdb__concord_list_sorted_distinct(expr) -%}
    list_sort(list_distinct({{ expr }}))
{%- endmacro %}

{% macro spark__concord_list_sorted_distinct(expr) -%}
    array_sort(array_distinct(filter({{ expr }}, x -> x is not null)))
{%- endmacro %}
