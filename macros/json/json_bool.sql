{#- The JSON boolean at `path`; null when absent or not a boolean. -#}
{% macro json_bool(column, path) -%}
    {{ return(adapter.dispatch('json_bool', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_bool(column, path) -%}
    case
        when json_type({{ column }}, '{{ path }}') = 'BOOLEAN'
            then json_extract_string({{ column }}, '{{ path }}') = 'true'
    end
{%- endmacro %}

{% macro spark__json_bool(column, path) -%}
    cast(get_json_object({{ column }}, '{{ path }}') as boolean)
{%- endmacro %}
