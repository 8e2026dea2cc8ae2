{#- The text of `field` in every element of the JSON array at `array_path` ('$.result', 'origin' ->
    the origin of each result), as varchar[]; null when the value is not an array. -#}
{% macro json_array_field_texts(column, array_path, field) -%}
    {{ return(adapter.dispatch('json_array_field_texts', 'concord')(column, array_path, field)) }}
{%- endmacro %}

{% macro duckdb__json_array_field_texts(column, array_path, field) -%}
    case
        when json_type({{ column }}, '{{ array_path }}') = 'ARRAY'
            then json_extract_string({{ column }}, '{{ array_path }}[*].{{ field }}')
    end
{%- endmacro %}

{% macro spark__json_array_field_texts(column, array_path, field) -%}
    from_json(get_json_object({{ column }}, '{{ array_path }}[*].{{ field }}'), 'array<string>')
{%- endmacro %}
