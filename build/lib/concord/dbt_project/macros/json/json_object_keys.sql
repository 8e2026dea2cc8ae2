{#- The keys of the JSON object at `path` as varchar[]; null when it is not an object. -#}
{% macro json_object_keys(column, path) -%}
    {{ return(adapter.dispatch('json_object_keys', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_object_keys(column, path) -%}
    case
        when json_type({{ column }}, '{{ path }}') = 'OBJECT'
            then json_keys({{ column }}, '{{ path }}')
    end
{%- endmacro %}

{% macro spark__json_object_keys(column, path) -%}
    json_object_keys(get_json_object({{ column }}, '{{ path }}'))
{%- endmacro %}
