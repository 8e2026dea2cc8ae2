{#- The fields of a result's `value` over every control type (label-studio.md section 4), for
    json_to_struct. Numbers are doubles (5 and 5.0 alike); `text`, `start`, `end` and `ranker`
    change shape by control, so they stay JSON and are typed in label_studio_result_columns. The
    label lists are in label_studio_label_value_fields(). -#}
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
    {{ return(fields) }}
{%- endmacro %}

{#- The label lists of a *labels control's `value` (one key per control type), for json_to_struct.
    Parsed apart from label_studio_value_fields() and only for results whose type ends in `labels`
    (the only ones whose region_labels reads them): nine list fields parsed on every result cost
    a third of stg_label_studio__annotation_results at 1M tasks (docs/staging.md). -#}
{% macro label_studio_label_value_fields() -%}
    {%- set fields = {} -%}
    {%- for key in concord.label_studio_label_keys() -%}
        {%- do fields.update({key: 'varchar[]'}) -%}
    {%- endfor -%}
    {{ return(fields) }}
{%- endmacro %}
