{#- The JSON array of strings at `path` as a list of text (varchar[]); null when the value is not an
    array (so an absent key is null, not an empty list). Numbers in the array become their text. -#}
{% macro json_text_list(column, path) -%}
    {{ return(adapter.dispatch('json_text_list', 'concord')(column, path)) }}
{%- endmacro %}

{% macro duckdb__json_text_list(column, path) -%}
    case
        when json_type({{ column }}, '{{ path }}') = 'ARRAY'
            then json_extract_string({{ column }}, '{{ path }}[*]')
    end
{%- endmacro %}

{% macro spark__json_text_list(column, path) -%}
    from_json(get_json_object({{ column }}, '{{ path }}'), 'array<string>')
{%- endmacro %}
