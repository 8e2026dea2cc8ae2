{#- The fields of a result's `value` over every control type (label-studio.md section 4), for
    json_to_struct. Numbers are doubles (5 and 5.0 alike); `text`, `start`, `end` and `ranker`
    change shape by control, so they stay JSON and are typed in label_studio_result_columns. -#}
{% macro label_studio_value_fields() -%}
    {%- set fields = {
        'choices': 'varchar[]',
        'rating': 'double',
        'number': 'double',
        'text': 'json',
        'start': 'json',
        'end': 'json',
        'x': 'double',
        'y': 'double',
        'width': 'double',
        'height': 'double',
        'rotation': 'double',
        'selected': 'json',
        'ranker': 'json',
        'taxonomy': 'varchar[][]',
    } -%}
    {%- for key in concord.label_studio_label_keys() -%}
        {%- do fields.update({key: 'varchar[]'}) -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}
