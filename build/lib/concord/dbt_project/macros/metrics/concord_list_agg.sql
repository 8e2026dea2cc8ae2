{#- Aggregate a column into a list, ordered by order_by (engine-specific). -#}
{% macro concord_list_agg(expr, order_by=none) -%}
    {{ return(adapter.dispatch('concord_list_agg', 'concord')(expr, order_by)) }}
{%- endmacro %}

{% macro duckdb__concord_list_agg(expr, order_by) -%}
    list({{ expr }}{% if order_by %} order by {{ order_by }}{% endif %})
{%- endmacro %}

{% macro spark__concord_list_agg(expr, order_by) -%}
    {#- Spark has no ordered collect_list: callers that need an order pass lists already sorted -#}
    collect_list({{ expr }})
{%- endmacro %}
