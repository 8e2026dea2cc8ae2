{#- The value at JSONPath `path` of a JSON column, as JSON (null when absent). -#}
{% macro json_get(column, path) -%}
    {{ return(adapter.dispatch('json_get', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_get(column, path) -%}
    json_extract({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_get(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}
