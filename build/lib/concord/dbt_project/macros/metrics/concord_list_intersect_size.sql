{#- |A n B| for two lists of distinct elements. -#}
{% macro concord_list_intersect_size(a, b) -%}
    {{ return(adapter.dispatch('concord_list_intersect_size', 'concord')(a, b)) }}
{%- endmacro %}

{% macro duckdb__concord_list_intersect_size(a, b) -%}
    len(list_intersect(coalesce({{ a }}, []), coalesce({{ b }}, [])))
{%- endmacro %}

{% macro spark__concord_list_intersect_size(a, b) -%}
    size(array_intersect(coalesce({{ a }}, array()), coalesce({{ b }}, array())))
{%- endmacro %}
