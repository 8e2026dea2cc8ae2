{#- Parse the JSON array in `column` once into a list of JSON values (one per element); null when
    `column` is not an array (`{}`, a scalar, null): never an error. -#}
{% macro json_to_json_list(column) -%}
    {{ return(adapter.dispatch('json_to_json_list', 'concord')(column)) }}
{%- endmacro %}

{% macro duckdb__json_to_json_list(column) -%}
    from_json({{ column }}, '["JSON"]')
{%- endmacro %}

{% macro spark__json_to_json_list(column) -%}
    from_json({{ column }}, 'array<string>')
{%- endmacro %}
