{#- The list of `field` of every struct in the list column `column` (e.g. each result's origin). -#}
{% macro list_field(column, field) -%}
    {{ return(adapter.dispatch('list_field', 'concord')(column, field)) }}
{%- endmacro %}

{% macro duckdb__list_field(column, field) -%}
    list_transform({{ column }}, lambda concord_element: concord_element.{{ field }})
{%- endmacro %}

{% macro spark__list_field(column, field) -%}
    transform({{ column }}, concord_element -> concord_element.{{ field }})
{%- endmacro %}
