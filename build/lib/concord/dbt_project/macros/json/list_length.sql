{#- Number of elements of a list column (null stays null). -#}
{% macro list_length(column) -%}
    {{ return(adapter.dispatch('list_length', 'concord')(column)) }}
{%- endmacro %}

{% macro duckdb__list_length(column) -%}
    len({{ column }})
{%- endmacro %}

{% macro spark__list_length(column) -%}
    size({{ column }})
{%- endmacro %}
