{#- Number of elements of the JSON array at `path`; null when the value is not an array. -#}
{% macro json_array_length(column, path='$') -%}
    {{ return(adapter.dispatch('json_array_length', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_array_length(column, path='$') -%}
    case
        when json_type({{ column }}, '{{ path }}') = 'ARRAY'
            then json_array_length({{ column }}, '{{ path }}')
    end
{%- endmacro %}

{% macro spark__json_array_length(column, path='$') -%}
    json_array_length(get_json_object({{ column }}, '{{ path }}'))
{%- endmacro %}
