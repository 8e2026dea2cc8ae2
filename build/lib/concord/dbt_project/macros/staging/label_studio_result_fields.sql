{#- The fields of a Label Studio result item (annotation or prediction), for json_to_struct. The
    `value` is kept as JSON and parsed with label_studio_value_fields(). -#}
{% macro label_studio_result_fields() -%}
    {{ return({
        'id': 'varchar',
        'type': 'varchar',
        'from_name': 'varchar',
        'to_name': 'varchar',
        'origin': 'varchar',
        'score': 'double',
        'value': 'json',
        'original_width': 'double',
        'original_height': 'double',
        'concord_inferred_type': 'boolean',
    }) }}
{%- endmacro %}
