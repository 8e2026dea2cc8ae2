{#- The JSON array of arrays of strings at `path` (e.g. Taxonomy picks) as varchar[][]; null when
    the value is not an array. -#}
{% macro json_text_list_list(column, path) -%}
    {{ return(adapter.dispatch('json_text_list_list', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text_list_list(column, path) -%}
    case
        when json_type({{ column }}, '{{ path }}') = 'ARRAY'
            then try_cast(json_extract({{ column }}, '{{ path }}') as varchar[][])
    end
{%- endmacro %}

{% macro spark__json_text_list_list(column, path) -%}
    from_json(get_json_object({{ column }}, '{{ path }}'), 'array<array<string>>')
{%- endmacro %}
