{#- |A u B| for two lists of distinct elements. -#}
{% macro concord_list_union_size(a, b) -%}
    {{ return(adapter.dispatch('concord_list_union_size', 'concord')(a, b)) }}
{%- endmacro %}

{% macro duckdb__concord_list_union_size(a, b) -%}
    len(list_distinct(list_concat(coalesce({{ a }}, []), coalesce({{ b }}, []))))
{%- endmacro %}

{% macro spark__concord_list_union_size(a, b) -%}
    size(array_union(coalesce({{ a }}, array()), coalesce({{ b }}, array())))
{%- endmacro %}
