{#- The fields of a Label Studio result item (annotation or prediction), for json_to_struct. The
    `value` is kept as JSON and parsed with label_studio_value_fields(). from_id, to_id, direction
    and labels belong to relation items (type 'relation': a link between two regions, no value). -#}
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
        'from_id': 'varchar',
        'to_id': 'varchar',
        'direction': 'varchar',
        'labels': 'json',
    }) }}
{%- endmacro %}
