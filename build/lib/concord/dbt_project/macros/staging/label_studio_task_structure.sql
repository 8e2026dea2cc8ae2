{#- The shape of a Label Studio task in the JSON export (label-studio.md section 4), as read by
    base_label_studio__tasks_parsed in one parse. Both export forms fit it: in a sync export
    `predictions` holds ids (they parse as null structs and are dropped) and `completed_by` an
    int (kept as JSON, read either way). Result `value`s stay JSON: their shape depends on the
    control and label_studio_value_fields() parses them. -#}
{% macro label_studio_task_structure() -%}
    {%- set prediction = {
        'id': 'bigint',
        'task': 'bigint',
        'model_version': 'varchar',
        'score': 'double',
        'result': 'json',
        'created_at': 'varchar',
        'updated_at': 'varchar',
    } -%}
    {%- set annotation = {
        'id': 'bigint',
        'completed_by': 'json',
        'result': [concord.label_studio_result_fields()],
        'was_cancelled': 'boolean',
        'ground_truth': 'boolean',
        'lead_time': 'double',
        'parent_prediction': 'bigint',
        'prediction': prediction,
        'unique_id': 'varchar',
        'created_at': 'varchar',
        'updated_at': 'varchar',
        'draft_created_at': 'varchar',
    } -%}
    {%- set draft = {
        'id': 'bigint',
        'annotation': 'bigint',
        'user': 'varchar',
        'lead_time': 'double',
        'was_postponed': 'boolean',
        'result': 'json',
        'created_at': 'varchar',
        'updated_at': 'varchar',
    } -%}
    {{ return({
        'inner_id': 'bigint',
        'data': 'json',
        'meta': 'json',
        'total_annotations': 'bigint',
        'cancelled_annotations': 'bigint',
        'total_predictions': 'bigint',
        'created_at': 'varchar',
        'updated_at': 'varchar',
        'annotations': [annotation],
        'predictions': [prediction],
        'drafts': [draft],
    }) }}
{%- endmacro %}
