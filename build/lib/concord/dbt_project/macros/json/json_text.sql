{#- The value at JSONPath `path` ('$.a.b') of a JSON column, as text (strings unquoted; objects and
    arrays as JSON text; null when absent). -#}
{% macro json_text(column, path) -%}
    {{ return(adapter.dispatch('json_text', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro spark__json_text(column, path) -%}
    get_json_object({{ column }}, '{{ path }}')
{%- endmacro %}
